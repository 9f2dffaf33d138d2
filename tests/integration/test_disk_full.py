"""Disk full (issue 20): the data directory runs out of space during an
upload and during a database write, then space comes back.

tests/tools/ddpl_shim.c is preloaded with DD_PL_ENOSPC=SUBSTRING: writes to
the files whose path contains it fail with ENOSPC while the file DD_PL_FULL
exists. For each case: the client gets an error answer (the spec's JSON
error body with a 5xx status: the server's failure, not the client's), nothing half-written is
published (no blob, manifest or tag appears), the server keeps serving
reads, and once space is back the same push succeeds. Afterwards the store
passes `drydock fsck --hash-all` and the databases PRAGMA integrity_check.
"""
import os
import sqlite3
import subprocess
import time

import pytest

from conftest import BIN, Server
from regclient import (OCI_CONFIG, OCI_LAYER, Registry, config_bytes, descriptor, error_codes,
                       oci_manifest, sha256)

SHIM = os.environ.get("DD_PL_SHIM", os.path.join(os.path.dirname(BIN), "libddpl_shim.so"))
pytestmark = pytest.mark.skipif(not os.path.exists(SHIM), reason=f"no shim at {SHIM}")


def full_server(tmp_path, substring):
    data = tmp_path / "data"
    full = tmp_path / "FULL"
    env = {"LD_PRELOAD": SHIM, "DD_PL_ROOT": str(data), "DD_PL_ENOSPC": substring,
           "DD_PL_FULL": str(full),
           "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0"}
    srv = Server(data, env=env).start()
    return srv, full


def assert_error(r, what):
    # the server's failure, not the client's: a 5xx, so a client may retry
    assert r.status_code >= 500, f"{what}: {r.status_code} {r.text[:300]}"
    assert error_codes(r), f"{what}: no spec error body: {r.status_code} {r.text[:300]}"


def check_offline(data):
    p = subprocess.run([BIN, "fsck", "--data-dir", str(data), "--hash-all"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
    out = p.stdout.decode()
    assert p.returncode == 0 and ": 0 problems" in out, out
    for db in ("meta.db", "scans.db"):
        con = sqlite3.connect(str(data / db))
        try:
            assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        finally:
            con.close()


@pytest.mark.parametrize("mode", ["monolithic", "chunked", "post_put"])
def test_disk_full_during_upload(tmp_path, mode):
    srv, full = full_server(tmp_path, "/_uploads/")
    reg = Registry(srv.url, timeout=60)
    keep = reg.push_image("full/app", "old", layers=(os.urandom(2000),))
    data = os.urandom(3 << 20)   # past 1 MiB: the blob store's ring writes it
    dg = sha256(data)
    full.touch()
    if mode == "monolithic":
        r = reg.post_monolithic("full/app", data, dg)
        assert_error(r, "monolithic upload on a full disk")
    elif mode == "post_put":
        loc = reg.start_upload("full/app").headers["Location"]
        r = reg.put_upload(loc, dg, data)
        assert_error(r, "PUT upload on a full disk")
    else:
        loc = reg.start_upload("full/app").headers["Location"]
        r = reg.patch_chunk(loc, data[:1 << 20], 0)
        assert_error(r, "PATCH on a full disk")
    # nothing half-written is visible; reads still work
    assert reg.head_blob("full/app", dg).status_code == 404
    assert reg.get_manifest("full/app", "old").content == keep[0]
    full.unlink()
    assert reg.push_blob("full/app", data, mode=mode, chunk=1 << 20) == dg
    assert reg.get_blob("full/app", dg).content == data
    assert srv.stop() == 0
    check_offline(tmp_path / "data")


def test_disk_full_during_database_write(tmp_path):
    srv, full = full_server(tmp_path, "/meta.db")
    reg = Registry(srv.url, timeout=60)
    reg.push_image("full/db", "old", layers=(os.urandom(2000),))
    cfg, layer = config_bytes("full-db"), os.urandom(100_000)
    reg.push_blob("full/db", cfg)
    reg.push_blob("full/db", layer)
    body = oci_manifest(descriptor(OCI_CONFIG, cfg), [descriptor(OCI_LAYER, layer)])
    full.touch()
    # a manifest PUT: the manifest row, its references and the tag are one
    # transaction that cannot commit
    r = reg.put_manifest("full/db", "new", body)
    assert_error(r, "manifest PUT on a full disk")
    # a blob upload: its link into the repository cannot be recorded
    other = os.urandom(50_000)
    r = reg.post_monolithic("full/db", other, sha256(other))
    assert_error(r, "blob upload with a full database")
    assert reg.get_manifest("full/db", "new").status_code == 404
    assert reg.get_manifest("full/db", sha256(body)).status_code == 404
    assert reg.head_blob("full/db", sha256(other)).status_code == 404
    assert reg.get_manifest("full/db", "old").status_code == 200
    t = reg.tags("full/db")
    assert t.status_code == 200 and t.json()["tags"] == ["old"], t.text
    full.unlink()
    assert reg.put_manifest("full/db", "new", body).status_code == 201
    assert reg.post_monolithic("full/db", other, sha256(other)).status_code == 201
    assert reg.get_manifest("full/db", "new").content == body
    assert srv.stop() == 0
    check_offline(tmp_path / "data")


def test_disk_full_in_scan_store_during_push(tmp_path):
    """The manifest is stored (meta.db has room) but its scan record cannot
    be written to scans.db: the push is still acknowledged, and once space
    is back a restart records the image and scans it; it does not stay
    "not-scanned" for good."""
    srv, full = full_server(tmp_path, "/scans.db")
    reg = Registry(srv.url, timeout=60)
    full.touch()
    body, dg, _ = reg.push_image("full/scan", "v1", layers=(os.urandom(2000),))
    assert reg.get_manifest("full/scan", "v1").content == body
    full.unlink()
    srv.kill()
    srv.start()
    deadline = time.time() + 30
    while True:
        r = reg.req("GET", f"/api/v1/repositories/full/scan/images/{dg}")
        state = r.json()["scan"]["state"] if r.status_code == 200 else None
        if state in ("done", "failed", "unsupported") or time.time() > deadline:
            break
        time.sleep(0.05)
    # random layers are no tars: "unsupported" is their end
    assert state == "unsupported", r.text
    assert srv.stop() == 0
    check_offline(tmp_path / "data")
