"""End to end on a real Debian bookworm image built in the test with
mmdebstrap and umoci (tests/integration/images.py, cached per day):
`drydock scan` sees exactly the packages dpkg-query sees over the same root
filesystem, and the server's scan on push agrees with `drydock scan`."""
import json
import os
import subprocess
import tarfile

import pytest
import requests

import images
from conftest import BIN, FIXTURES, Server
from test_scan_push import data_with_db, golden_db, push, wait_done  # noqa: F401

pytestmark = [pytest.mark.network,
              pytest.mark.skipif(os.environ.get("DD_TEST_TARGET", "drydock") != "drydock",
                                 reason="drydock-only tests")]


@pytest.fixture(scope="module")
def debian():
    layout, tag, real = images.debian_layout()
    if not real:
        pytest.skip("the Debian mirror is unreachable: no real bookworm image")
    return layout, tag


def dpkg_query_over_layer(layout, tag, tmp_path):
    """Extracts var/lib/dpkg of the image's layers and asks dpkg-query."""
    root = tmp_path / "rootfs"
    root.mkdir()
    for d in images.reachable_blobs(layout, tag):
        p = images.blob_path(layout, d)
        try:
            with tarfile.open(p, "r:*") as t:
                members = [m for m in t.getmembers() if m.name.lstrip("./").startswith("var/lib/dpkg/")
                           and (m.isfile() or m.isdir())]
                t.extractall(root, members=members)
        except tarfile.ReadError:
            continue  # config / manifest blobs
    out = subprocess.run(["dpkg-query", f"--admindir={root}/var/lib/dpkg", "-W", "-f",
                          "${db:Status-Abbrev}\t${binary:Package}\t${Version}\t${source:Package}\t${source:Version}\n"],
                         check=True, stdout=subprocess.PIPE, text=True).stdout
    pk = set()
    for line in out.splitlines():
        st, name, ver, src, srcver = line.split("\t")
        if st.startswith("ii"):
            pk.add((name.split(":")[0], ver, src, srcver))
    return pk


def test_bookworm_inventory_equals_dpkg_query(debian, tmp_path, golden_db):
    layout, tag = debian
    data = data_with_db(tmp_path, golden_db)
    p = subprocess.run([BIN, "scan", "--data-dir", str(data), "--format", "json", f"oci:{layout}:{tag}"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
    assert p.returncode == 0, p.stderr
    rep = json.loads(p.stdout)
    assert rep["os"]["ecosystem"] == "Debian:12"
    got = {(x["name"], x["version"], x["source_name"], x["source_version"]) for x in rep["inventory"]}
    want = dpkg_query_over_layer(layout, tag, tmp_path)
    assert len(want) > 80 and got == want


def test_bookworm_push_matches_cli(debian, tmp_path, golden_db):
    layout, tag = debian
    data = data_with_db(tmp_path, golden_db)
    # the tracker sample has bookworm data, so Debian 12 images are assessed
    subprocess.run([BIN, "db", "import", "--data-dir", str(data), str(FIXTURES / "feeds" / "debian-tracker")],
                   check=True, stdout=subprocess.DEVNULL)
    srv = Server(data).start()
    try:
        push(layout, tag, srv, "debian:bookworm")
        img = wait_done(srv, "debian", "bookworm", timeout=120)
        assert img["scan"]["state"] == "done" and img["os"] == "Debian:12", img
        rep = json.loads(subprocess.run([BIN, "scan", "--data-dir", str(data), "--format", "json",
                                         f"oci:{layout}:{tag}"], stdout=subprocess.PIPE, check=True).stdout)
        assert img["packages"] == len(rep["inventory"])
        assert img["counts"]["total"] == rep["counts"]["total"]
        assert img["status"] == rep["status"]
        c = requests.get(f"{srv.url}/api/v1/scanner").json()
        assert c["layersAnalyzed"] >= 1
    finally:
        assert srv.stop() == 0
