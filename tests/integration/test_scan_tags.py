"""The scan side follows the registry's tags (issue 15 item 1) and an index's
summary describes its platform images (issue 15 item 2), against the real
server.

Tags: a tag deleted with DELETE /v2/<name>/manifests/<tag>, a tag moved to
another manifest and a manifest deleted by digest are reflected at once in
the findings API's image lists and summaries and in `drydock images`; a
manifest that lost its last tag stays listed untagged (it is still in the
repository, pullable by digest).

Index: size is the sum of its platform images' sizes, `platform` and
`platforms` list their platforms, counts add up each platform image's once
(also when the index lists the same image twice), and `drydock findings`
prints one row per finding and platform."""
import hashlib
import json
import os
import re
import subprocess
import time

import pytest
import requests

from test_report_formats import multi  # noqa: F401 (fixture)
from test_scan_push import data_with_db, drydock, golden_db, scan_server, wait_done  # noqa: F401

pytestmark = pytest.mark.skipif(os.environ.get("DD_TEST_TARGET", "drydock") != "drydock",
                                reason="drydock-only tests")

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"


def sha256(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def push_small(url, repo, ref, salt):
    """Pushes a one-layer image (not a real OS: its scan ends unsupported)
    under ref (a tag); returns its manifest digest."""
    layer = b"layer " + salt.encode()
    config = json.dumps({"architecture": "amd64", "os": "linux", "salt": salt}).encode()
    for blob in (layer, config):
        r = requests.post(f"{url}/v2/{repo}/blobs/uploads/", params={"digest": sha256(blob)}, data=blob)
        assert r.status_code == 201, r.text
    man = json.dumps({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha256(config),
                   "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": sha256(layer),
                    "size": len(layer)}],
    }).encode()
    r = requests.put(f"{url}/v2/{repo}/manifests/{ref}", data=man, headers={"Content-Type": OCI_MANIFEST})
    assert r.status_code == 201, r.text
    return sha256(man)


def listed(srv, repo):
    """{digest: sorted tags} of the repository's images in the findings API."""
    r = requests.get(f"{srv.url}/api/v1/repositories/{repo}/images")
    assert r.status_code == 200, r.text
    return {i["digest"]: sorted(i["tags"]) for i in r.json()["images"]}


def cli_rows(srv, repo):
    out = drydock("images", "--repository", repo, "--no-trunc", "--server", srv.url).stdout.decode()
    lines = [ln for ln in out.splitlines() if ln.strip()][1:]
    return {r[2]: r[1] for r in (re.split(r"\s{2,}", ln.strip()) for ln in lines)}


def test_tag_delete_reaches_scan_results(scan_server):
    srv = scan_server
    a = push_small(srv.url, "tags/del", "v1", "a")
    assert push_small(srv.url, "tags/del", "v2", "a") == a
    wait_done(srv, "tags/del", "v1")
    assert listed(srv, "tags/del") == {a: ["v1", "v2"]}
    r = requests.delete(f"{srv.url}/v2/tags/del/manifests/v1")
    assert r.status_code == 202
    assert requests.get(f"{srv.url}/v2/tags/del/tags/list").json()["tags"] == ["v2"]
    assert listed(srv, "tags/del") == {a: ["v2"]}
    assert requests.get(f"{srv.url}/api/v1/repositories/tags/del/images/v1").status_code == 404
    assert requests.get(f"{srv.url}/api/v1/repositories/tags/del/images/v2").json()["tags"] == ["v2"]
    assert cli_rows(srv, "tags/del") == {a: "v2"}
    # the last tag: the manifest stays in the repository, listed untagged
    assert requests.delete(f"{srv.url}/v2/tags/del/manifests/v2").status_code == 202
    assert listed(srv, "tags/del") == {a: []}
    assert requests.get(f"{srv.url}/api/v1/repositories/tags/del/images/{a}").json()["tags"] == []
    assert cli_rows(srv, "tags/del") == {a: "<none>"}
    # and the digest delete removes it
    assert requests.delete(f"{srv.url}/v2/tags/del/manifests/{a}").status_code == 202
    assert listed(srv, "tags/del") == {}
    assert requests.get(f"{srv.url}/api/v1/repositories/tags/del/images/{a}").status_code == 404


def test_tag_moved_to_another_manifest(scan_server):
    srv = scan_server
    a = push_small(srv.url, "tags/move", "latest", "old")
    wait_done(srv, "tags/move", "latest")
    b = push_small(srv.url, "tags/move", "latest", "new")
    wait_done(srv, "tags/move", "latest")
    assert a != b
    assert listed(srv, "tags/move") == {a: [], b: ["latest"]}
    assert requests.get(f"{srv.url}/api/v1/repositories/tags/move/images/latest").json()["digest"] == b
    assert cli_rows(srv, "tags/move") == {a: "<none>", b: "latest"}
    # moved back: no reference to the tag is left on b
    assert push_small(srv.url, "tags/move", "latest", "old") == a
    assert listed(srv, "tags/move") == {a: ["latest"], b: []}


def test_tag_delete_in_one_repository_only(scan_server):
    srv = scan_server
    a = push_small(srv.url, "tags/one", "v1", "shared")
    assert push_small(srv.url, "tags/two", "v1", "shared") == a
    wait_done(srv, "tags/two", "v1")
    assert requests.delete(f"{srv.url}/v2/tags/one/manifests/v1").status_code == 202
    assert listed(srv, "tags/one") == {a: []}
    assert listed(srv, "tags/two") == {a: ["v1"]}
    # the digest delete in one repository leaves the other's results alone
    assert requests.delete(f"{srv.url}/v2/tags/one/manifests/{a}").status_code == 202
    assert listed(srv, "tags/one") == {}
    assert listed(srv, "tags/two") == {a: ["v1"]}
    assert wait_done(srv, "tags/two", "v1")["digest"] == a


def test_tag_delete_survives_restart(scan_server):
    srv = scan_server
    a = push_small(srv.url, "tags/restart", "v1", "r")
    push_small(srv.url, "tags/restart", "v2", "r")
    wait_done(srv, "tags/restart", "v1")
    assert requests.delete(f"{srv.url}/v2/tags/restart/manifests/v1").status_code == 202
    assert srv.stop() == 0
    srv.start()
    assert listed(srv, "tags/restart") == {a: ["v2"]}


# ---- an index's summary -------------------------------------------------------


def push_index(srv, multi, repo):  # noqa: F811
    subprocess.run(["skopeo", "copy", "--quiet", "--all", "--dest-tls-verify=false", f"oci:{multi}:multi",
                    f"docker://{srv.host}/{repo}:1"], check=True, timeout=120, stdin=subprocess.DEVNULL)
    deadline = time.time() + 60
    while True:
        idx = wait_done(srv, repo, "1")
        kids = [wait_done(srv, repo, d) for d in idx.get("manifests", [])]
        if len(kids) == 2 and all(k["scan"]["state"] == "done" for k in kids):
            return wait_done(srv, repo, "1"), kids
        assert time.time() < deadline, f"platform images not scanned: {kids}"
        time.sleep(0.1)


def test_index_summary_size_platforms_counts(scan_server, multi):  # noqa: F811
    srv = scan_server
    idx, kids = push_index(srv, multi, "idx/app")
    assert idx["isIndex"]
    assert all(k["size"] > 0 for k in kids)
    assert idx["size"] == sum(k["size"] for k in kids)
    assert idx["platforms"] == ["linux/amd64", "linux/arm64"]
    assert idx["platform"] == "linux/amd64,linux/arm64"
    assert kids[0]["platforms"] == ["linux/amd64"] and kids[0]["platform"] == "linux/amd64"
    for k in ("critical", "high", "medium", "low", "negligible", "unknown", "total"):
        assert idx["counts"][k] == kids[0]["counts"][k] + kids[1]["counts"][k]
    assert idx["packages"] == kids[0]["packages"] + kids[1]["packages"]
    # the repository summary counts each finding once: the platform images', not the index's again
    s = requests.get(f"{srv.url}/api/v1/repositories/idx/app/summary").json()
    assert s["counts"]["total"] == idx["counts"]["total"]
    # the index in the image list carries the same summary
    listed_idx = next(i for i in requests.get(f"{srv.url}/api/v1/repositories/idx/app/images").json()["images"]
                      if i["isIndex"])
    assert listed_idx["size"] == idx["size"] and listed_idx["platforms"] == idx["platforms"]


def test_index_listing_a_child_twice_counts_it_once(scan_server, multi):  # noqa: F811
    srv = scan_server
    idx, kids = push_index(srv, multi, "idx/dup")
    man = requests.get(f"{srv.url}/v2/idx/dup/manifests/1", headers={"Accept": OCI_INDEX}).json()
    first = man["manifests"][0]
    dup = dict(first, platform=dict(first.get("platform", {}), variant="v2"))
    man["manifests"].append(dup)
    body = json.dumps(man).encode()
    r = requests.put(f"{srv.url}/v2/idx/dup/manifests/twice", data=body, headers={"Content-Type": OCI_INDEX})
    assert r.status_code == 201, r.text
    twice = wait_done(srv, "idx/dup", "twice")
    assert twice["counts"] == idx["counts"] and twice["size"] == idx["size"]
    f = requests.get(f"{srv.url}/api/v1/repositories/idx/dup/images/twice/findings", params={"limit": 1000}).json()
    assert f["total"] == idx["counts"]["total"] == len(f["findings"])
    keys = [(x["imageDigest"], x["id"], x["package"]) for x in f["findings"]]
    assert len(keys) == len(set(keys))


def test_findings_cli_on_index_one_row_per_platform(scan_server, multi):  # noqa: F811
    srv = scan_server
    idx, kids = push_index(srv, multi, "idx/cli")
    out = drydock("findings", "idx/cli:1", "--server", srv.url).stdout.decode()
    lines = out.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith("PLATFORM"))
    rows = [re.split(r"\s{2,}", ln.strip()) for ln in lines[start + 1:] if ln.strip()]
    assert len(rows) == idx["counts"]["total"]
    assert len({tuple(r) for r in rows}) == len(rows), "each finding once per platform"
    assert {r[0] for r in rows} == {"linux/amd64", "linux/arm64"}


def test_restart_repairs_stale_references(scan_server):
    """A scan store behind the registry (written by a version that kept
    deleted tags, or a crash between the registry's commit and the hook) is
    brought in line at start-up."""
    import sqlite3
    srv = scan_server
    a = push_small(srv.url, "tags/stale", "v1", "s1")
    b = push_small(srv.url, "tags/stale", "v2", "s2")
    wait_done(srv, "tags/stale", "v2")
    assert srv.stop() == 0
    db = sqlite3.connect(os.path.join(srv.data_dir, "scans.db"))
    with db:
        db.execute("INSERT INTO refs(repo, digest, tag) VALUES ('tags/stale', ?, 'gone')", (a,))  # a deleted tag
        db.execute("INSERT INTO refs(repo, digest, tag) VALUES ('tags/stale', ?, 'v2')", (a,))  # a moved one
        db.execute("DELETE FROM refs WHERE repo='tags/stale' AND digest=? AND tag='v1'", (a,))  # a missed push
    db.close()
    srv.start()
    assert listed(srv, "tags/stale") == {a: ["v1"], b: ["v2"]}


def test_every_tag_param_reaches_scan_results(scan_server):
    """PUT by digest with ?tag=a&tag=b&tag=c: every tag is listed, not only
    the first."""
    srv = scan_server
    a = push_small(srv.url, "tags/params", "first", "p")
    man = requests.get(f"{srv.url}/v2/tags/params/manifests/first", headers={"Accept": OCI_MANIFEST}).content
    r = requests.put(f"{srv.url}/v2/tags/params/manifests/{a}", params=[("tag", "a"), ("tag", "b"), ("tag", "c")],
                     data=man, headers={"Content-Type": OCI_MANIFEST})
    assert r.status_code == 201, r.text
    assert listed(srv, "tags/params") == {a: ["a", "b", "c", "first"]}
