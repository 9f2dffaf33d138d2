"""images: builds real OCI image layouts for the registry interop tests.

- debian_layout(): a Debian bookworm minbase root filesystem made by mmdebstrap,
  turned into an OCI image layout by umoci (init / new / raw add-layer /
  config). Needs the Debian mirror configured in apt's sources; the result is
  cached per day under DD_TEST_CACHE (default /tmp/drydock-test-cache), so only
  the first run of a day pays for mmdebstrap (~30 s here).
- small_layout(): an image whose layer is a small root filesystem assembled
  from a few files (offline fallback, and the second platform of the
  multi-arch index).
- add_index(): writes an OCI image index naming several tagged manifests of a
  layout, under a new tag, so `skopeo copy --all` pushes a multi-arch image.
"""
import datetime
import fcntl
import hashlib
import io
import json
import os
import re
import shutil
import socket
import subprocess
import tarfile
import urllib.parse

CACHE = os.environ.get("DD_TEST_CACHE", "/tmp/drydock-test-cache")


class BuildError(RuntimeError):
    pass


def run(cmd, timeout=600, **kw):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       stdin=subprocess.DEVNULL, timeout=timeout, **kw)
    if p.returncode != 0:
        raise BuildError(f"{' '.join(cmd)} -> {p.returncode}\n{p.stdout.decode(errors='replace')[-2000:]}")
    return p.stdout.decode(errors="replace")


def debian_mirror():
    """The Debian archive URI from apt's configured sources (None if none)."""
    cands = []
    d = "/etc/apt/sources.list.d"
    for fn in sorted(os.listdir(d)) if os.path.isdir(d) else []:
        if fn.endswith(".sources"):
            text = open(os.path.join(d, fn)).read()
            for stanza in text.split("\n\n"):
                uris = re.search(r"^URIs:\s*(\S+)", stanza, re.M)
                suites = re.search(r"^Suites:\s*(.+)$", stanza, re.M)
                if uris and suites and "bookworm" in suites.group(1).split():
                    cands.append(uris.group(1))
    if os.path.exists("/etc/apt/sources.list"):
        for line in open("/etc/apt/sources.list"):
            parts = line.split()
            if len(parts) >= 3 and parts[0] == "deb" and parts[2] == "bookworm":
                u = parts[1] if not parts[1].startswith("[") else parts[2]
                cands.append(u)
    for u in cands:
        if u.rstrip("/").endswith("/debian"):
            return u
    return cands[0] if cands else None


def mirror_reachable(timeout=5):
    m = debian_mirror()
    if not m:
        return False
    u = urllib.parse.urlparse(m)
    port = u.port or (443 if u.scheme == "https" else 80)
    try:
        with socket.create_connection((u.hostname, port), timeout=timeout):
            return True
    except OSError:
        return False


def blob_path(layout, digest):
    algo, hexd = digest.split(":", 1)
    return os.path.join(layout, "blobs", algo, hexd)


def read_index(layout):
    with open(os.path.join(layout, "index.json")) as f:
        return json.load(f)


def tag_descriptor(layout, tag):
    for d in read_index(layout)["manifests"]:
        if d.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag:
            return d
    raise KeyError(tag)


def reachable_blobs(layout, tag):
    """Digests of every blob reachable from tag (manifests, configs, layers)."""
    out = []
    todo = [tag_descriptor(layout, tag)]
    while todo:
        d = todo.pop()
        out.append(d["digest"])
        mt = d["mediaType"]
        if mt.endswith("index.v1+json") or mt.endswith("manifest.list.v2+json"):
            body = json.load(open(blob_path(layout, d["digest"])))
            todo.extend(body["manifests"])
        elif mt.endswith("manifest.v1+json") or mt.endswith("manifest.v2+json"):
            body = json.load(open(blob_path(layout, d["digest"])))
            out.append(body["config"]["digest"])
            out.extend(layer["digest"] for layer in body["layers"])
    return out


def _umoci_image(layout, tag, layer_tar, arch="amd64"):
    if not os.path.exists(os.path.join(layout, "index.json")):
        run(["umoci", "init", "--layout", layout])
    run(["umoci", "new", "--image", f"{layout}:{tag}"])
    run(["umoci", "raw", "add-layer", "--image", f"{layout}:{tag}",
         "--history.created_by", "drydock regtest", layer_tar])
    run(["umoci", "config", "--image", f"{layout}:{tag}", "--architecture", arch,
         "--os", "linux", "--config.cmd", "/bin/sh", "--author", "drydock-regtest"])
    run(["umoci", "gc", "--layout", layout])


def small_rootfs_tar(path, flavour="amd64"):
    """A tiny root filesystem assembled from generated files (no network)."""
    with tarfile.open(path, "w") as t:
        def add(name, data, mode=0o644):
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            ti.mode = mode
            ti.mtime = 1700000000
            t.addfile(ti, io.BytesIO(data))
        for dname in ("etc", "bin", "usr", "usr/lib", "var", "var/lib", "var/lib/dpkg"):
            ti = tarfile.TarInfo(dname)
            ti.type = tarfile.DIRTYPE
            ti.mode = 0o755
            ti.mtime = 1700000000
            t.addfile(ti)
        add("etc/os-release", b'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n'
                              b'VERSION_ID="12"\nVERSION_CODENAME=bookworm\n')
        add("etc/hostname", flavour.encode() + b"\n")
        add("var/lib/dpkg/status", b"Package: base-files\nStatus: install ok installed\n"
                                   b"Version: 12.4+deb12u5\nArchitecture: " + flavour.encode()
                                   + b"\n\n")
        sh = "/bin/dash" if os.path.exists("/bin/dash") else None
        if sh:
            add("bin/sh", open(sh, "rb").read(), 0o755)
        add("usr/lib/blob.bin", hashlib.sha256(flavour.encode()).digest() * 4096)


def small_layout(layout, tag="small", arch="amd64"):
    os.makedirs(os.path.dirname(layout) or ".", exist_ok=True)
    tar = layout.rstrip("/") + f".{tag}.tar"
    small_rootfs_tar(tar, arch)
    _umoci_image(layout, tag, tar, arch)
    os.unlink(tar)
    return layout


def _debian_base():
    day = datetime.date.today().strftime("%Y%m%d")
    return os.path.join(CACHE, f"debian-bookworm-{day}")


def debian_cached():
    return os.path.exists(os.path.join(_debian_base(), "DONE"))


def debian_layout(allow_fallback=True):
    """(layout_dir, tag, is_real_debian). Cached per day; concurrent test
    runs serialise on a lock file so only one builds."""
    os.makedirs(CACHE, exist_ok=True)
    with open(os.path.join(CACHE, ".lock"), "w") as lk:
        fcntl.flock(lk, fcntl.LOCK_EX)
        return _debian_layout_locked(allow_fallback)


def _debian_layout_locked(allow_fallback):
    base = _debian_base()
    layout = os.path.join(base, "layout")
    done = os.path.join(base, "DONE")
    if os.path.exists(done):
        return layout, "bookworm", open(done).read().strip() == "debian"
    if os.path.exists(base):
        shutil.rmtree(base)
    os.makedirs(base)
    kind = "debian"
    tar = os.path.join(base, "rootfs.tar")
    try:
        mirror = debian_mirror()
        if not mirror or not mirror_reachable():
            raise BuildError("Debian mirror not configured or unreachable")
        run(["mmdebstrap", "--variant=minbase", "--format=tar", "bookworm", tar, mirror],
            timeout=900)
        _umoci_image(layout, "bookworm", tar)
    except (BuildError, subprocess.TimeoutExpired, OSError):
        if not allow_fallback:
            raise
        kind = "fallback"
        shutil.rmtree(layout, ignore_errors=True)
        small_rootfs_tar(tar)
        _umoci_image(layout, "bookworm", tar)
    finally:
        if os.path.exists(tar):
            os.unlink(tar)
    # second platform for the multi-arch index
    small_layout(layout, "arm64", "arm64")
    add_index(layout, "multi", {"bookworm": "amd64", "arm64": "arm64"})
    with open(done, "w") as f:
        f.write(kind + "\n")
    return layout, "bookworm", kind == "debian"


def add_index(layout, new_tag, tags_to_arch):
    """Write an OCI index over the given tags (tag -> architecture) into the
    layout and name it new_tag in index.json."""
    manifests = []
    for tag, arch in tags_to_arch.items():
        d = dict(tag_descriptor(layout, tag))
        d.pop("annotations", None)
        d["platform"] = {"architecture": arch, "os": "linux"}
        manifests.append(d)
    body = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                       "manifests": manifests}, indent=2).encode()
    dg = "sha256:" + hashlib.sha256(body).hexdigest()
    with open(blob_path(layout, dg), "wb") as f:
        f.write(body)
    idx = read_index(layout)
    idx["manifests"] = [d for d in idx["manifests"]
                        if d.get("annotations", {}).get("org.opencontainers.image.ref.name") != new_tag]
    idx["manifests"].append({"mediaType": "application/vnd.oci.image.index.v1+json",
                             "digest": dg, "size": len(body),
                             "annotations": {"org.opencontainers.image.ref.name": new_tag}})
    with open(os.path.join(layout, "index.json"), "w") as f:
        json.dump(idx, f)
    return dg
