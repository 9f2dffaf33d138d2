"""Cross-check of the matcher against an independent computation.

A Debian 11 image is generated whose dpkg status lists every source package
that has a Debian:11 entry in the shipped Debian OSV export, at versions just
below, at, or above its advisories' fixed versions (half of them as binary
packages whose Source: differs). The expected findings are computed here
from the raw OSV records with `dpkg --compare-versions` (dpkg's own ordering,
not Drydock's) and must equal what `drydock scan` reports, finding for
finding: (package, vulnerability id, fixed version, advisories)."""
import functools
import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import zipfile

import pytest

from conftest import BIN, FIXTURES

DEBIAN_ZIP = FIXTURES / "feeds" / "debian-osv" / "all.zip"


@functools.lru_cache(maxsize=None)
def dpkg_cmp(a, b):
    if a == b:
        return 0
    if subprocess.run(["dpkg", "--compare-versions", a, "lt", b]).returncode == 0:
        return -1
    return 1


def debian11_entries():
    """{source: [(advisory, fixed, [cve...])]} for Debian:11."""
    out = {}
    with zipfile.ZipFile(DEBIAN_ZIP) as z:
        for name in z.namelist():
            rec = json.loads(z.read(name))
            for a in rec.get("affected", []):
                if a["package"]["ecosystem"] != "Debian:11":
                    continue
                for r in a.get("ranges", []):
                    evs = r["events"]
                    assert evs[0] == {"introduced": "0"} and "fixed" in evs[1]
                    out.setdefault(a["package"]["name"], []).append(
                        (rec["id"], evs[1]["fixed"], list(rec.get("upstream") or [])))
    return out


def oci_image(root, out):
    """A one-layer OCI layout of directory root."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        t.add(root, arcname=".")
    raw = buf.getvalue()
    gz = gzip.compress(raw)
    blobs = out / "blobs" / "sha256"
    blobs.mkdir(parents=True)

    def put(b):
        d = hashlib.sha256(b).hexdigest()
        (blobs / d).write_bytes(b)
        return d

    layer = put(gz)
    cfg = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                      "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(raw).hexdigest()]}}).encode()
    cd = put(cfg)
    man = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                      "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                 "digest": "sha256:" + cd, "size": len(cfg)},
                      "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                                  "digest": "sha256:" + layer, "size": len(gz)}]}).encode()
    md = put(man)
    (out / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + md, "size": len(man),
         "annotations": {"org.opencontainers.image.ref.name": "latest"}}]}))
    (out / "oci-layout").write_text(json.dumps({"imageLayoutVersion": "1.0.0"}))


@pytest.mark.skipif(shutil.which("dpkg") is None, reason="dpkg not installed")
def test_debian11_findings_match_dpkg_ordering(tmp_path):
    entries = debian11_entries()
    pkgs = []  # (binary, source, version)
    for i, src in enumerate(sorted(entries)):
        fixes = sorted({f for _, f, _ in entries[src]}, key=functools.cmp_to_key(dpkg_cmp))
        mid = fixes[len(fixes) // 2]
        version = [mid + "~", mid, fixes[-1] + "+x1"][i % 3]  # below, at, above the fix
        binary = src if i % 2 == 0 else src + "-bin"
        pkgs.append((binary, src, version))

    expected = {}
    for binary, src, version in pkgs:
        for adv, fixed, cves in entries[src]:
            if dpkg_cmp(version, fixed) >= 0:
                continue
            for vid in cves or [adv]:
                e = expected.setdefault((binary, vid), {"fixed": fixed, "advisories": set()})
                if dpkg_cmp(fixed, e["fixed"]) > 0:
                    e["fixed"] = fixed
                if vid != adv:
                    e["advisories"].add(adv)
    assert len(expected) > 100

    root = tmp_path / "rootfs"
    (root / "etc").mkdir(parents=True)
    (root / "var/lib/dpkg").mkdir(parents=True)
    (root / "etc/os-release").write_text(
        'PRETTY_NAME="Debian GNU/Linux 11 (bullseye)"\nNAME="Debian GNU/Linux"\nVERSION_ID="11"\n'
        'VERSION="11 (bullseye)"\nVERSION_CODENAME=bullseye\nID=debian\n')
    stanzas = []
    for binary, src, version in pkgs:
        s = f"Package: {binary}\nStatus: install ok installed\nPriority: optional\nArchitecture: amd64\n"
        if binary != src:
            s += f"Source: {src}\n"
        s += f"Version: {version}\nMaintainer: x <x@example.org>\nDescription: test package\n"
        stanzas.append(s)
    (root / "var/lib/dpkg/status").write_text("\n".join(stanzas))
    img = tmp_path / "img"
    oci_image(root, img)

    data = tmp_path / "data"
    subprocess.run([BIN, "db", "import", "--data-dir", str(data), str(DEBIAN_ZIP)], check=True,
                   capture_output=True)
    p = subprocess.run([BIN, "scan", "--data-dir", str(data), "--format", "json", "--no-progress",
                        f"oci:{img}:latest"], capture_output=True, text=True, timeout=600)
    assert p.stdout, p.stderr
    report = json.loads(p.stdout)
    assert report["os"]["ecosystem"] == "Debian:11"
    assert len(report["inventory"]) == len(pkgs)
    got = {}
    for f in report["findings"]:
        key = (f["package"]["name"], f["id"])
        assert key not in got, f"duplicate finding {key}"
        got[key] = {"fixed": f["fixed_version"], "advisories": set(f["advisories"])}
        assert f["fix_state"] == "fixed"
    missing = sorted(set(expected) - set(got))
    extra = sorted(set(got) - set(expected))
    assert not missing and not extra, f"missing {missing[:10]} extra {extra[:10]}"
    for k, e in expected.items():
        assert got[k] == e, (k, got[k], e)
    assert report["status"] == "Unhealthy"
    assert report["counts"]["total"] == len(expected)
