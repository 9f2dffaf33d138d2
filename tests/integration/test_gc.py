"""drydock gc: offline garbage collection of a stopped server (docs/operations.md)."""
import os
import subprocess

import pytest

from conftest import BIN, Server
from regclient import Registry

pytestmark = pytest.mark.skipif(os.environ.get("DD_TEST_TARGET", "drydock") != "drydock",
                                reason="drydock-only tests")


def run(cmd, data, *args):
    return subprocess.run([BIN, cmd, "--data-dir", str(data), *args], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=120)


def test_gc_removes_deleted_images_keeps_the_rest(tmp_path):
    data = tmp_path / "data"
    srv = Server(data).start()
    try:
        reg = Registry(srv.url)
        shared = b"shared-layer" * 1000
        gone_only = b"only-in-the-deleted-image" * 2000
        keep_body, keep_dg, keep_blobs = reg.push_image("gc/app", "keep", layers=(shared, b"keep-only"))
        _, del_dg, del_blobs = reg.push_image("gc/app", "old", layers=(shared, gone_only))
        # the same layer also linked (by a push) into a second repository with a live image
        reg.push_image("gc/other", "t", layers=(gone_only,))
        # a blob pushed into a third repository with no manifest at all
        lonely = reg.push_blob("gc/lonely", b"never-referenced" * 100)
        assert reg.delete_manifest("gc/app", del_dg).status_code == 202
        # a running server holds the lock: a real run refuses, a dry run works
        p = run("gc", data)
        assert p.returncode == 1 and b"a server is using it" in p.stderr, p.stderr
        p = run("gc", data, "--dry-run")
        assert p.returncode == 0, p.stderr
    finally:
        assert srv.stop() == 0
    p = run("gc", data, "--dry-run")
    assert p.returncode == 0, p.stderr
    out = p.stdout.decode()
    # the deleted image's manifest bytes and its config go; the layer the
    # other repository's image uses and the shared layer stay
    assert f"would remove: blob {del_dg}" in out, out
    assert f"would remove: blob {del_blobs[0]}" in out, out  # its config
    assert f"would remove: blob {lonely}" in out, out
    assert f"blob {del_blobs[2]}" not in out and f"blob {keep_blobs[1]}" not in out, out
    assert f"would remove: link gc/app -> {del_blobs[2]}" in out, out
    assert "gc (dry run):" in out and "bytes)" in out
    # a dry run changed nothing
    assert run("gc", data, "--dry-run").stdout == p.stdout
    p = run("gc", data)
    assert p.returncode == 0, p.stderr
    assert b"blobs: 3 removed" in p.stdout, p.stdout
    # nothing left to do, and the store is consistent with no orphans
    p = run("gc", data, "--dry-run")
    assert b"0 to remove (0 bytes)" in p.stdout, p.stdout
    f = run("fsck", data, "--hash-all")
    assert f.returncode == 0 and b" 0 orphans" in f.stdout and b" 0 problems" in f.stdout, f.stdout
    # what stayed is pullable byte for byte
    srv = Server(data).start()
    try:
        reg = Registry(srv.url)
        r = reg.get_manifest("gc/app", "keep")
        assert r.status_code == 200 and r.content == keep_body
        for d in keep_blobs:
            assert reg.get_blob("gc/app", d).status_code == 200
        assert reg.get_manifest("gc/other", "t").status_code == 200
        assert reg.get_blob("gc/app", del_blobs[0]).status_code == 404
        assert reg.get_blob("gc/lonely", lonely).status_code == 404
    finally:
        assert srv.stop() == 0


def test_gc_usage_and_bad_dir(tmp_path):
    p = subprocess.run([BIN, "gc", "--bogus"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert p.returncode == 2
    p = run("gc", tmp_path)
    assert p.returncode == 1 and b"not a drydock data directory" in p.stderr
    assert p.stderr.count(b"\n") == 1


def test_immutable_tags(tmp_path):
    """immutable-tags: a covered tag never moves to another manifest (403 DENIED)."""
    srv = Server(tmp_path / "data", extra_args=("--immutable-tags", "v*, prod/*:release-*")).start()
    try:
        reg = Registry(srv.url)
        _, d1, _ = reg.push_image("app", "v1", layers=(b"one",))
        # the same manifest again under the same tag: fine
        body, d1b, _ = reg.push_image("app", "v1", layers=(b"one",))
        assert d1b == d1
        # another manifest under v1: refused with the rule and the digest it names
        with pytest.raises(AssertionError) as ex:
            reg.push_image("app", "v1", layers=(b"two",))
        assert "403" in str(ex.value) and "DENIED" in str(ex.value), ex.value
        assert "immutable" in str(ex.value) and "v*" in str(ex.value) and d1 in str(ex.value)
        assert reg.get_manifest("app", "v1").content == body
        # by digest with ?tag=: refused as well
        other, d2, _ = reg.push_image("app", None, layers=(b"two",))
        r = reg.req("PUT", f"/v2/app/manifests/{d2}?tag=v1", data=other,
                    headers={"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
        assert r.status_code == 403 and r.json()["errors"][0]["code"] == "DENIED", r.text
        # tags no rule covers move freely; the repository-scoped rule only binds its repositories
        reg.push_image("app", "latest", layers=(b"one",))
        reg.push_image("app", "latest", layers=(b"two",))
        reg.push_image("dev/app", "release-1", layers=(b"one",))
        reg.push_image("dev/app", "release-1", layers=(b"two",))
        reg.push_image("prod/app", "release-1", layers=(b"one",))
        with pytest.raises(AssertionError):
            reg.push_image("prod/app", "release-1", layers=(b"two",))
    finally:
        assert srv.stop() == 0


def test_immutable_tags_bad_rule_stops_serve(tmp_path):
    for bad in ("app:", "v*,,x"):
        p = subprocess.run([BIN, "serve", "--data-dir", str(tmp_path / "d"), "--listen", "127.0.0.1:0",
                            "--immutable-tags", bad], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=30)
        assert p.returncode != 0 and b"invalid immutable-tags rule" in p.stderr, (bad, p.stderr)
