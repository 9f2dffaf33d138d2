"""`drydock images` and `drydock findings` against a running server (issue
14): short digests by default and full ones with --no-trunc, one column per
severity, an index listed with its platforms and its platform images under
it, and `drydock findings` on an index giving one row per finding and
platform, each once."""
import os
import re
import subprocess
import time

import pytest
import requests

from test_report_formats import multi  # noqa: F401 (fixture)
from test_scan_push import (data_with_db, debian_layout, drydock, golden_db, push,  # noqa: F401
                            scan_server, wait_done)

pytestmark = pytest.mark.skipif(os.environ.get("DD_TEST_TARGET", "drydock") != "drydock",
                                reason="drydock-only tests")

SEVS = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "NEGLIGIBLE", "UNKNOWN"]


@pytest.fixture
def loaded(scan_server, debian_layout, multi):  # noqa: F811
    srv = scan_server
    push(debian_layout, "v1", srv, "team/app:v1")
    subprocess.run(["skopeo", "copy", "--quiet", "--all", "--dest-tls-verify=false", f"oci:{multi}:multi",
                    f"docker://{srv.host}/multi/app:1"], check=True, timeout=120, stdin=subprocess.DEVNULL)
    deb = wait_done(srv, "team/app", "v1")
    deadline = time.time() + 60
    while True:  # until every platform image is scanned: the index's counts add theirs up
        idx = wait_done(srv, "multi/app", "1")
        kids = [requests.get(f"{srv.url}/api/v1/repositories/multi/app/images/{d}").json()
                for d in idx.get("manifests", [])]
        if len(kids) == 2 and all(k["scan"]["state"] == "done" for k in kids):
            break
        assert time.time() < deadline, f"platform images not scanned: {kids}"
        time.sleep(0.1)
    idx = wait_done(srv, "multi/app", "1")
    return srv, deb, idx, kids


def cli(srv, *args):
    return drydock(*args, "--server", srv.url).stdout.decode()


def table(out):
    lines = [ln for ln in out.splitlines() if ln.strip()]
    head = lines[0].split()
    return head, [re.split(r"\s{2,}", ln.strip()) for ln in lines[1:]], lines[1:]


def test_images_columns_and_digests(loaded):
    srv, deb, idx, kids = loaded
    head, rows, raw = table(cli(srv, "images"))
    assert head == ["REPOSITORY", "TAGS", "DIGEST", "PLATFORM", "OS", "STATUS", *SEVS]
    row = next(r for r in rows if r[0] == "team/app")
    assert row[1] == "v1" and row[2] == deb["digest"][7:19] and row[3] == "linux/amd64"
    assert row[5] == "Unhealthy"
    assert [int(x) for x in row[6:]] == [deb["counts"][k] for k in ("critical", "high", "medium", "low",
                                                                     "negligible", "unknown")]
    _, rows, _ = table(cli(srv, "images", "--no-trunc"))
    assert next(r for r in rows if r[0] == "team/app")[2] == deb["digest"]


def test_images_index_with_platforms(loaded):
    srv, deb, idx, kids = loaded
    _, rows, raw = table(cli(srv, "images", "--repository", "multi/app", "--no-trunc"))
    # the index, then its two platform images indented under it, and nothing else
    assert len(rows) == 3, raw
    assert rows[0][0] == "multi/app" and rows[0][1] == "1" and rows[0][2] == idx["digest"]
    assert rows[0][3] == "linux/amd64,linux/arm64"
    assert int(rows[0][-1]) == idx["counts"]["unknown"]
    assert all(ln.startswith("  multi/app") for ln in raw[1:])
    assert [(r[2], r[3], r[4]) for r in rows[1:]] == [(k["digest"], k["platform"], k["os"]) for k in kids]
    assert sum(int(r[-1]) for r in rows[1:]) == int(rows[0][-1])


def test_findings_on_index_one_row_per_platform(loaded):
    srv, deb, idx, kids = loaded
    out = cli(srv, "findings", "multi/app:1")
    assert "Platforms: linux/amd64, linux/arm64" in out
    lines = out.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith("PLATFORM"))
    rows = [re.split(r"\s{2,}", ln.strip()) for ln in lines[start + 1:] if ln.strip()]
    assert len(rows) == idx["counts"]["total"]
    keys = [(r[0], r[4], r[1], r[2]) for r in rows]
    assert len(keys) == len(set(keys)), "no duplicate rows"
    assert {r[0] for r in rows} == {"linux/amd64", "linux/arm64"}
    # CVE-2022-37434 (zlib) is only in the Debian image; libssl1.1 is in both
    assert {r[0] for r in rows if r[1] == "libssl1.1"} == {"linux/amd64", "linux/arm64"}
    assert f"Findings: {idx['counts']['total']} (" in out


def test_findings_single_image_has_no_platform_column(loaded):
    srv, deb, idx, kids = loaded
    out = cli(srv, "findings", "team/app:v1")
    assert "PLATFORM" not in out and "Platforms:" not in out
    assert re.search(r"^PACKAGE\s+INSTALLED\s+FIXED\s+VULNERABILITY\s+SEVERITY\s+STATE$", out, re.M)
    assert f"Image:    team/app@{deb['digest']}" in out


def test_findings_no_trunc(loaded):
    srv, deb, idx, kids = loaded
    short = cli(srv, "findings", "team/app:v1")
    full = cli(srv, "findings", "--no-trunc", "team/app:v1")
    # zlib's installed version is 23 characters: it fits either way
    assert "1:1.2.11.dfsg-2+deb11u1" in short and "1:1.2.11.dfsg-2+deb11u1" in full


def test_images_bad_server():
    p = drydock("images", "--server", "http://127.0.0.1:9", check=False)
    assert p.returncode != 0 and p.stderr.startswith(b"drydock: ") and len(p.stderr.splitlines()) == 1
