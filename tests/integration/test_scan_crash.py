"""kill -9 while a large layer is being analyzed (issue 20): scan on push
with a real vulnerability database; after the restart every scan finishes
(it was finished or re-queued, never stuck), its result is complete, and the
registry data is intact (`drydock fsck --hash-all`).

Two moments:
- during the upload: the scanner analyzes a layer as its chunks arrive, and
  the server is killed half-way through the chunks; the client resumes the
  upload from the offset the server reports, then pushes the manifest;
- after the manifest PUT was acknowledged, while its scan job runs.
"""
import hashlib
import json
import os
import random
import subprocess
import time

import pytest
import requests

import ocigen
from conftest import BIN, Server
from regclient import Registry
from test_scan_push import OLD_DEBIAN, data_with_db, golden_db, wait_done  # noqa: F401 (fixture)

pytestmark = pytest.mark.skipif(os.environ.get("DD_TEST_TARGET", "drydock") != "drydock",
                                reason="drydock-only test")


def big_layer(seed, mib):
    rnd = random.Random(seed)
    files = ocigen.debian_rootfs("11", "bullseye", OLD_DEBIAN)
    files.update({f"opt/blob{i}": rnd.randbytes(1 << 20) for i in range(mib)})
    return ocigen.layer_tar(files)


def image_for(blob, tar):
    cfg = json.dumps({"architecture": "amd64", "os": "linux",
                      "rootfs": {"type": "layers",
                                 "diff_ids": ["sha256:" + hashlib.sha256(tar).hexdigest()]}}).encode()
    man = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                      "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                 "digest": "sha256:" + hashlib.sha256(cfg).hexdigest(), "size": len(cfg)},
                      "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                                  "digest": "sha256:" + hashlib.sha256(blob).hexdigest(),
                                  "size": len(blob)}]}).encode()
    return cfg, man


def test_kill9_while_analyzing_large_layer(tmp_path, golden_db):  # noqa: F811 (fixture)
    data = data_with_db(tmp_path, golden_db)
    srv = Server(data, ["--scan-workers", "1"]).start()
    reg = Registry(srv.url, timeout=60)

    # 1. killed half-way through a chunked upload the scanner is reading
    blob, tar = big_layer(1, 12)
    assert len(blob) > (8 << 20)
    r = reg.start_upload("crash/stream")
    loc = r.headers["Location"]
    step = len(blob) // 4 + 1
    for off in (0, step):
        r = reg.patch_chunk(loc, blob[off:off + step], off)
        assert r.status_code == 202, r.text
        loc = r.headers["Location"]
    time.sleep(0.3)          # the scanner follows the upload (past 4 MiB)
    srv.kill()
    srv.start()
    reg = Registry(srv.url, timeout=60)
    s = reg.upload_status(loc)
    assert s.status_code == 204, s.text
    off = int(s.headers["Range"].split("-")[1]) + 1
    assert 0 < off <= 2 * step
    r = reg.patch_chunk(s.headers.get("Location", loc), blob[off:], off)
    assert r.status_code == 202, r.text
    r = reg.put_upload(r.headers["Location"], "sha256:" + hashlib.sha256(blob).hexdigest())
    assert r.status_code == 201, r.text
    cfg, man = image_for(blob, tar)
    reg.push_blob("crash/stream", cfg)
    assert reg.put_manifest("crash/stream", "v1", man).status_code == 201

    # 2. killed while the acknowledged image's scan job analyzes its layer
    blob2, tar2 = big_layer(2, 24)
    cfg2, man2 = image_for(blob2, tar2)
    reg.push_blob("crash/job", blob2)
    reg.push_blob("crash/job", cfg2)
    assert reg.put_manifest("crash/job", "v1", man2).status_code == 201
    deadline = time.time() + 10
    while True:
        seen = requests.get(f"{srv.url}/api/v1/repositories/crash/job/images/v1").json()["scan"]["state"]
        if seen != "queued" or time.time() > deadline:
            break
        time.sleep(0.005)
    srv.kill()
    srv.start()
    try:
        for repo, man_, blobs in (("crash/stream", man, (blob, cfg)), ("crash/job", man2, (blob2, cfg2))):
            img = wait_done(srv, repo, "v1", timeout=60)
            assert img["scan"]["state"] == "done", (repo, seen, img["scan"])
            assert img["packages"] == len(OLD_DEBIAN) and img["counts"]["total"] > 0, img
            reg = Registry(srv.url, timeout=60)
            assert reg.get_manifest(repo, "v1").content == man_
            for b in blobs:
                assert reg.get_blob(repo, "sha256:" + hashlib.sha256(b).hexdigest()).content == b
    finally:
        assert srv.stop() == 0
    p = subprocess.run([BIN, "fsck", "--data-dir", str(data), "--hash-all"], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=120)
    assert p.returncode == 0 and b": 0 problems" in p.stdout, p.stdout
    print(f"state when killed after the push: {seen}")
