"""drydock fsck: the store check of a stopped server (docs/storage.md)."""
import glob
import os
import subprocess

import pytest

import ocigen
from conftest import BIN, Server
from test_scan_push import push

pytestmark = pytest.mark.skipif(os.environ.get("DD_TEST_TARGET", "drydock") != "drydock",
                                reason="drydock-only tests")


def fsck(data, *args):
    return subprocess.run([BIN, "fsck", "--data-dir", str(data), *args], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=120)


def test_fsck_clean_then_corrupt(tmp_path):
    data = tmp_path / "data"
    srv = Server(data).start()
    lay = tmp_path / "img"
    ocigen.layout(str(lay), [{"etc/os-release": b"ID=debian\nVERSION_ID=11\n", "a": b"x" * 5000}], tag="t")
    push(lay, "t", srv, "chk/app:t")
    assert srv.stop() == 0
    p = fsck(data, "--hash-all")
    assert p.returncode == 0, p.stdout + p.stderr
    assert b" 0 problems" in p.stdout
    # damage a layer blob: the check reports it and exits 1
    blobs = sorted(glob.glob(str(data / "blobs" / "sha256" / "*" / "*")), key=os.path.getsize)
    assert len(blobs) >= 3
    with open(blobs[-1], "r+b") as f:
        f.seek(10)
        f.write(b"\xff\xff")
    p = fsck(data, "--hash-all")
    assert p.returncode == 1 and b"problem:" in p.stdout


def test_fsck_usage():
    p = subprocess.run([BIN, "fsck", "--bogus"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert p.returncode == 2


def test_fsck_missing_or_empty_data_dir_fails(tmp_path):
    """A wrong --data-dir is an error, not "0 problems", and nothing is created there."""
    missing = tmp_path / "nope"
    p = fsck(missing)
    assert p.returncode == 1, p.stdout + p.stderr
    assert b"nope" in p.stderr and b"\n" == p.stderr[-1:] and p.stderr.count(b"\n") == 1
    assert not missing.exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    p = fsck(empty)
    assert p.returncode == 1 and b"not a drydock data directory" in p.stderr
    assert list(empty.iterdir()) == []
    f = tmp_path / "file"
    f.write_bytes(b"x")
    p = fsck(f)
    assert p.returncode == 1 and b"not a directory" in p.stderr
