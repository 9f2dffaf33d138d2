"""The analyzer's image sources end to end through the real binary
(`drydock scan --format json --no-cache`): the committed umoci fixture as an
OCI layout, as a docker-archive and pulled from a loopback CNCF registry,
checked against dpkg-query over the same status file; and hostile layers
(decompression bomb, path traversal, corrupt gzip) that must fail cleanly."""
import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import time

import pytest

from conftest import BIN, FIXTURES, free_port

FX = FIXTURES / "analyzer"


def scan(ref, tmp_path, *extra):
    p = subprocess.run([BIN, "scan", "--format", "json", "--no-cache", "--data-dir", str(tmp_path / "data"),
                        *extra, ref], capture_output=True, timeout=300)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def dpkg_installed(status_file, tmp_path):
    admin = tmp_path / "dpkgadmin"
    (admin / "info").mkdir(parents=True, exist_ok=True)
    shutil.copy(status_file, admin / "status")
    out = subprocess.run(["dpkg-query", f"--admindir={admin}", "-W", "-f",
                          "${db:Status-Abbrev}\t${Package}\t${Version}\n"],
                         capture_output=True, check=True).stdout.decode()
    return sorted((n, v) for s, n, v in (l.split("\t") for l in out.splitlines()) if s.startswith("ii"))


def inventory(report):
    return sorted((p["name"], p["version"]) for p in report["inventory"] if p["type"] == "dpkg")


def expect_fixture(rc, out, err, tmp_path):
    assert rc == 0, err
    rep = json.loads(out)
    assert rep["os"]["ecosystem"] == "Ubuntu:18.04"
    want = dpkg_installed(FX / "rootfs" / "var/lib/dpkg/status", tmp_path)
    assert len(want) > 50
    assert inventory(rep) == want
    assert {p["layer"] for p in rep["inventory"]} == {1}


@pytest.mark.skipif(not os.path.exists(BIN), reason="drydock binary not built")
def test_oci_layout(tmp_path):
    expect_fixture(*scan(f"oci:{FX / 'oci'}:v1", tmp_path), tmp_path)


@pytest.mark.skipif(not os.path.exists(BIN), reason="drydock binary not built")
def test_oci_layout_deleted_package_db(tmp_path):
    rc, out, err = scan(f"oci:{FX / 'oci'}:v2", tmp_path)
    assert rc == 0, err
    rep = json.loads(out)
    assert rep["os"]["ecosystem"] == "Ubuntu:18.04"
    assert inventory(rep) == []


@pytest.mark.skipif(not os.path.exists(BIN), reason="drydock binary not built")
def test_docker_archive(tmp_path):
    expect_fixture(*scan(f"docker-archive:{FX / 'docker-archive.tar'}", tmp_path), tmp_path)


@pytest.mark.skipif(not (os.path.exists(BIN) and shutil.which("skopeo") and os.path.exists("/usr/bin/docker-registry")),
                    reason="needs drydock, skopeo and docker-registry")
def test_docker_registry_pull(tmp_path):
    port = free_port()
    cfg = tmp_path / "config.yml"
    cfg.write_text(f"version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {tmp_path}/reg\n"
                   f"http:\n  addr: 127.0.0.1:{port}\n")
    reg = subprocess.Popen(["/usr/bin/docker-registry", "serve", str(cfg)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                import socket
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        subprocess.run(["skopeo", "copy", "--quiet", "--dest-tls-verify=false", f"oci:{FX / 'oci'}:v1",
                        f"docker://127.0.0.1:{port}/drydock/fixture:v1"], check=True, timeout=120)
        expect_fixture(*scan(f"docker://127.0.0.1:{port}/drydock/fixture:v1", tmp_path), tmp_path)
    finally:
        reg.terminate()
        reg.wait()


# ---- hostile layers ---------------------------------------------------------

def _blob(root, data):
    d = hashlib.sha256(data).hexdigest()
    p = root / "blobs" / "sha256" / d
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data)
    return {"digest": "sha256:" + d, "size": len(data)}


def one_layer_layout(root, layer_bytes):
    """An OCI layout whose image is the fixture's two layers plus layer_bytes."""
    shutil.copytree(FX / "oci", root)
    man = json.loads((root / "blobs/sha256/adc11982448da4b4a0688ccc6162804b975c1d2297c2ee18852608defd887773").read_bytes())
    cfg = json.loads((root / "blobs/sha256/0993820fef09b164d207fd7050b04db246e8d61f7179e92541b0fe78d1a27a3c").read_bytes())
    lay = _blob(root, layer_bytes)
    cfg["rootfs"]["diff_ids"].append(lay["digest"])  # not checked for OCI layouts
    c = _blob(root, json.dumps(cfg).encode())
    man["config"].update(c)
    man["layers"].append(dict(mediaType="application/vnd.oci.image.layer.v1.tar+gzip", **lay))
    m = _blob(root, json.dumps(man).encode())
    index = {"schemaVersion": 2, "manifests": [dict(mediaType="application/vnd.oci.image.manifest.v1+json",
                                                   annotations={"org.opencontainers.image.ref.name": "bad"}, **m)]}
    (root / "index.json").write_text(json.dumps(index))
    return f"oci:{root}:bad"


def tar_bytes(entries):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as t:
        for name, data in entries:
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            t.addfile(ti, io.BytesIO(data))
    return raw.getvalue()


@pytest.mark.skipif(not os.path.exists(BIN), reason="drydock binary not built")
def test_decompression_bomb(tmp_path):
    # 64 MiB of zeros in one file: ~64 KiB of gzip, far over the ratio limit
    raw = tar_bytes([("zeros", bytes(64 << 20))])
    ref = one_layer_layout(tmp_path / "lay", gzip.compress(raw, 1))
    rc, out, err = scan(ref, tmp_path)
    assert rc != 0
    assert "decompression bomb" in err


@pytest.mark.skipif(not os.path.exists(BIN), reason="drydock binary not built")
def test_path_traversal(tmp_path):
    ref = one_layer_layout(tmp_path / "lay", gzip.compress(tar_bytes([("../../etc/os-release", b"ID=evil\n")])))
    rc, out, err = scan(ref, tmp_path)
    assert rc != 0
    assert "hostile layer" in err


@pytest.mark.skipif(not os.path.exists(BIN), reason="drydock binary not built")
def test_corrupt_gzip(tmp_path):
    data = bytearray(gzip.compress(tar_bytes([("var/lib/dpkg/status", b"Package: x\n" * 1000)])))
    data[-6] ^= 0xFF  # CRC
    ref = one_layer_layout(tmp_path / "lay", bytes(data))
    rc, out, err = scan(ref, tmp_path)
    assert rc != 0
    assert "gzip" in err
