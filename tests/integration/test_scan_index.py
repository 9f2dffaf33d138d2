"""An image index with many children (issue 12): its children are stored as
rows, so an index of 100 platform images is scanned and listed whole (the old
2048-byte field silently lost the list from 28 children on)."""
import os
import time

import pytest
import requests

import ocigen
from regclient import OCI_CONFIG, OCI_INDEX, OCI_LAYER, Registry, config_bytes, descriptor, oci_index, oci_manifest, sha256
from test_scan_push import drydock, golden_db, scan_server, wait_done  # noqa: F401 (fixtures)

pytestmark = pytest.mark.skipif(os.environ.get("DD_TEST_TARGET", "drydock") != "drydock",
                                reason="drydock-only tests")

N = 100


def test_index_with_100_children_is_listed_whole(scan_server):
    srv = scan_server
    reg = Registry(srv.url)
    repo = "many/arch"
    cfg = config_bytes("many")
    layer, _ = ocigen.layer_tar({"etc/motd": b"hello\n"})
    reg.push_blob(repo, cfg)
    reg.push_blob(repo, layer)
    kids = []
    for i in range(N):
        body = oci_manifest(descriptor(OCI_CONFIG, cfg), [descriptor(OCI_LAYER, layer)],
                            annotations={"n": str(i)})
        r = reg.put_manifest(repo, sha256(body), body)
        assert r.status_code == 201, r.text
        kids.append(descriptor("application/vnd.oci.image.manifest.v1+json", body,
                               platform={"os": "linux", "architecture": f"arch{i}"}))
    idx = oci_index(kids)
    r = reg.put_manifest(repo, "all", idx, OCI_INDEX)
    assert r.status_code == 201, r.text
    img = wait_done(srv, repo, "all")
    assert img["isIndex"] and img["scan"]["state"] == "done"
    assert img["manifests"] == [k["digest"] for k in kids]
    # every child is known to the scan side, and the index's findings page
    # walks all of them
    deadline = time.time() + 60
    while True:
        states = [requests.get(f"{srv.url}/api/v1/repositories/{repo}/images/{k['digest']}").json()["scan"]["state"]
                  for k in kids]
        if all(s not in ("queued", "analyzing") for s in states) or time.time() > deadline:
            break
        time.sleep(0.2)
    assert all(s not in ("queued", "analyzing") for s in states), states
    r = requests.get(f"{srv.url}/api/v1/repositories/{repo}/images/all/findings")
    assert r.status_code == 200 and r.json()["total"] == 0
    # the index is listed with its children
    r = requests.get(f"{srv.url}/api/v1/repositories/{repo}/images")
    assert r.status_code == 200, r.text
    listed = [i for i in r.json()["images"] if i["digest"] == sha256(idx)]
    assert listed and len(listed[0]["manifests"]) == N
    # drydock scan store: walks the same index through the registry's own
    # stores, and --platform picks one child
    p = drydock("scan", "--data-dir", srv.data_dir, "--platform", "linux/arch7", "--format", "json",
                f"store:{repo}:all")
    assert kids[7]["digest"].encode() in p.stdout and kids[8]["digest"].encode() not in p.stdout
