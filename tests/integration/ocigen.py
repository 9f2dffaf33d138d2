"""ocigen: builds small OCI image layouts in pure Python for the scanner tests.

layout(path, layers, tag=...) writes an OCI image layout whose image has one
layer per entry of `layers` (a dict path -> bytes, or path -> None for a
whiteout); the result is deterministic (fixed mtimes), so digests repeat.
Useful fixtures: debian_rootfs(version, packages) and alpine_rootfs(...).
"""
import gzip
import hashlib
import io
import json
import os
import tarfile


def _blob(root, data):
    d = hashlib.sha256(data).hexdigest()
    p = os.path.join(root, "blobs", "sha256", d)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "wb") as f:
        f.write(data)
    return "sha256:" + d


def layer_tar(files, compress="gzip"):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
        dirs = set()
        for path in sorted(files):
            parts = path.split("/")[:-1]
            for i in range(1, len(parts) + 1):
                d = "/".join(parts[:i])
                if d and d not in dirs:
                    dirs.add(d)
                    ti = tarfile.TarInfo(d)
                    ti.type = tarfile.DIRTYPE
                    ti.mode = 0o755
                    ti.mtime = 1700000000
                    t.addfile(ti)
            data = files[path]
            if data is None:  # whiteout
                base = path.rsplit("/", 1)
                wh = (base[0] + "/.wh." + base[1]) if len(base) == 2 else ".wh." + path
                ti = tarfile.TarInfo(wh)
                ti.size = 0
                ti.mtime = 1700000000
                t.addfile(ti, io.BytesIO(b""))
                continue
            mode = 0o644
            if isinstance(data, tuple):  # (bytes, mode)
                data, mode = data
            ti = tarfile.TarInfo(path)
            ti.size = len(data)
            ti.mode = mode
            ti.mtime = 1700000000
            t.addfile(ti, io.BytesIO(data))
    tar = raw.getvalue()
    if compress == "gzip":
        return gzip.compress(tar, mtime=0), tar
    return tar, tar


def layout(path, layers, tag="latest", arch="amd64", extra_config=None):
    """Writes an OCI layout at path with one image (tag) made of layers.
    Returns the manifest digest."""
    os.makedirs(os.path.join(path, "blobs", "sha256"), exist_ok=True)
    with open(os.path.join(path, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    descs, diff_ids = [], []
    for files in layers:
        blob, tar = layer_tar(files)
        d = _blob(path, blob)
        descs.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": d, "size": len(blob)})
        diff_ids.append("sha256:" + hashlib.sha256(tar).hexdigest())
    cfg = {"architecture": arch, "os": "linux", "rootfs": {"type": "layers", "diff_ids": diff_ids},
           "config": {}, "created": "2024-01-01T00:00:00Z"}
    if extra_config:
        cfg.update(extra_config)
    cfgb = json.dumps(cfg, sort_keys=True).encode()
    cd = _blob(path, cfgb)
    man = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
           "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": len(cfgb)},
           "layers": descs}
    mb = json.dumps(man, sort_keys=True).encode()
    md = _blob(path, mb)
    idx_path = os.path.join(path, "index.json")
    idx = {"schemaVersion": 2, "manifests": []}
    if os.path.exists(idx_path):
        idx = json.load(open(idx_path))
        idx["manifests"] = [m for m in idx["manifests"]
                            if m.get("annotations", {}).get("org.opencontainers.image.ref.name") != tag]
    idx["manifests"].append({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md,
                             "size": len(mb), "annotations": {"org.opencontainers.image.ref.name": tag}})
    with open(idx_path, "w") as f:
        json.dump(idx, f)
    return md


def dpkg_status(packages):
    """packages: list of (name, version, source or None)."""
    out = []
    for name, version, source in packages:
        s = f"Package: {name}\nStatus: install ok installed\nPriority: optional\nArchitecture: amd64\nVersion: {version}\n"
        if source:
            s += f"Source: {source}\n"
        s += "Maintainer: Test <t@example.org>\nDescription: test package\n"
        out.append(s)
    return ("\n".join(out) + "\n").encode()


def debian_rootfs(version_id, codename, packages):
    osr = (f'PRETTY_NAME="Debian GNU/Linux {version_id} ({codename})"\nNAME="Debian GNU/Linux"\n'
           f'VERSION_ID="{version_id}"\nVERSION="{version_id} ({codename})"\nVERSION_CODENAME={codename}\n'
           f'ID=debian\n').encode()
    return {"etc/os-release": osr, "etc/debian_version": f"{version_id}.0\n".encode(),
            "var/lib/dpkg/status": dpkg_status(packages)}


def alpine_rootfs(version_id, packages):
    osr = (f'NAME="Alpine Linux"\nID=alpine\nVERSION_ID={version_id}\n'
           f'PRETTY_NAME="Alpine Linux v{".".join(version_id.split(".")[:2])}"\n').encode()
    db = ""
    for name, version, origin in packages:
        db += f"C:Q1abc=\nP:{name}\nV:{version}\nA:x86_64\nS:1000\nI:2000\nT:test\nU:https://example.org\nL:MIT\n"
        db += f"o:{origin or name}\nm:Test\nt:1700000000\n\n"
    return {"etc/os-release": osr, "etc/alpine-release": f"{version_id}\n".encode(), "lib/apk/db/installed": db.encode()}
