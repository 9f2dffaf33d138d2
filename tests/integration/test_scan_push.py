"""Scan on push, the findings API and re-assessment (issues 3 and 4), against
the real server: images built with ocigen, pushed with skopeo, findings
compared with `drydock scan` run directly on the same image."""
import json
import os
import shutil
import subprocess
import time

import pytest
import requests

import ocigen
from conftest import BIN, FIXTURES, Server

pytestmark = pytest.mark.skipif(os.environ.get("DD_TEST_TARGET", "drydock") != "drydock",
                                reason="drydock-only tests")

FEEDS = FIXTURES / "feeds"

OLD_DEBIAN = [("libssl1.1", "1.1.1n-0+deb11u3", "openssl"), ("openssl", "1.1.1n-0+deb11u3", None),
              ("zlib1g", "1:1.2.11.dfsg-2+deb11u1", "zlib"), ("bash", "5.1-2+deb11u1", None)]


def drydock(*args, check=True, env=None, timeout=300):
    p = subprocess.run([BIN, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout,
                       env=dict(os.environ, **(env or {})))
    if check and p.returncode != 0:
        raise AssertionError(f"drydock {' '.join(args)} -> {p.returncode}\n{p.stderr.decode()}")
    return p


@pytest.fixture(scope="session")
def golden_db(tmp_path_factory):
    """A vulnerability DB with the Debian OSV, Alpine secdb and NVD samples,
    built once and copied into each test's data dir."""
    d = tmp_path_factory.mktemp("golden")
    drydock("db", "import", "--data-dir", str(d), str(FEEDS / "debian-osv" / "all.zip"), str(FEEDS / "nvd"),
            str(FEEDS / "alpine-secdb"))
    return d / "vulndb" / "vuln.db"


def data_with_db(tmp_path, golden_db, name="data"):
    data = tmp_path / name
    (data / "vulndb").mkdir(parents=True)
    shutil.copy(golden_db, data / "vulndb" / "vuln.db")
    return data


def push(layout, tag, srv, repo):
    subprocess.run(["skopeo", "copy", "--quiet", "--dest-tls-verify=false", f"oci:{layout}:{tag}",
                    f"docker://{srv.host}/{repo}"], check=True, timeout=120, stdin=subprocess.DEVNULL)


def wait_done(srv, repo, ref, timeout=30):
    deadline = time.time() + timeout
    while True:
        r = requests.get(f"{srv.url}/api/v1/repositories/{repo}/images/{ref}")
        if r.status_code == 200 and r.json()["scan"]["state"] not in ("queued", "analyzing"):
            return r.json()
        if time.time() > deadline:
            raise AssertionError(f"scan of {repo}:{ref} not finished: {r.status_code} {r.text}")
        time.sleep(0.05)


def findings(srv, repo, ref, **params):
    out, url = [], f"{srv.url}/api/v1/repositories/{repo}/images/{ref}/findings"
    params.setdefault("limit", 2)
    while url:
        r = requests.get(url, params=params)
        assert r.status_code == 200, r.text
        j = r.json()
        out += j["findings"]
        url, params = (srv.url + j["next"], None) if j["next"] else (None, None)
    return out


def key(f):
    return (f["id"], f["package"], f["installedVersion"], f.get("fixedVersion"))


@pytest.fixture
def debian_layout(tmp_path):
    lay = tmp_path / "layout"
    ocigen.layout(str(lay), [ocigen.debian_rootfs("11", "bullseye", OLD_DEBIAN), {"etc/motd": b"hello\n"}], tag="v1")
    return lay


@pytest.fixture
def scan_server(tmp_path, golden_db):
    data = data_with_db(tmp_path, golden_db)
    srv = Server(data, ["--db-poll-interval", "1s"]).start()
    yield srv
    rc = srv.stop()
    if rc != 0:
        log = srv.read_log()
        notable = [ln for ln in log.splitlines()
                   if "Sanitizer" in ln or "runtime error" in ln or "level=error" in ln or ln.startswith("drydock:")]
        raise AssertionError(f"server exit status {rc}; notable lines: {notable[-20:]}; log tail: {log[-1500:]}")


def test_cli_scan_json_report(tmp_path, golden_db, debian_layout):
    data = data_with_db(tmp_path, golden_db)
    p = drydock("scan", "--data-dir", str(data), "--format", "json", f"oci:{debian_layout}:v1")
    rep = json.loads(p.stdout)
    assert rep["os"]["ecosystem"] == "Debian:11"
    names = sorted(x["name"] for x in rep["inventory"])
    assert names == ["bash", "libssl1.1", "openssl", "zlib1g"]
    ids = {(f["id"], f["package"]["name"]) for f in rep["findings"]}
    assert ("CVE-2023-0286", "libssl1.1") in ids and ("CVE-2022-37434", "zlib1g") in ids
    f = next(f for f in rep["findings"] if f["id"] == "CVE-2023-0286" and f["package"]["name"] == "openssl")
    assert f["fixed_version"] == "1.1.1n-0+deb11u4" and f["fix_state"] == "fixed"
    assert "DSA-5343-1" in f["advisories"]
    assert rep["status"] == "Unhealthy"


def test_cli_scan_exit_code_and_sbom(tmp_path, golden_db, debian_layout):
    data = data_with_db(tmp_path, golden_db)
    p = drydock("scan", "--data-dir", str(data), "--format", "table", "--exit-code", "3",
                f"oci:{debian_layout}:v1", check=False)
    assert p.returncode == 3 and b"CVE-2023-0286" in p.stdout
    # the sample data has no severities for these (Unknown): Unknown counts toward a High threshold
    # (docs/severity.md) unless --ignore-unknown
    p = drydock("scan", "--data-dir", str(data), "--exit-code", "3", "--severity-threshold", "high",
                "--format", "json", f"oci:{debian_layout}:v1", check=False)
    assert p.returncode == 3, p.stderr
    p = drydock("scan", "--data-dir", str(data), "--exit-code", "3", "--severity-threshold", "high",
                "--ignore-unknown", "--format", "json", f"oci:{debian_layout}:v1", check=False)
    assert p.returncode == 0, p.stderr
    p = drydock("scan", "--data-dir", str(data), "--exit-code", "3", "--ignore", "CVE-2022-37434",
                "--format", "json", f"oci:{debian_layout}:v1", check=False)
    rep = json.loads(p.stdout)
    assert p.returncode == 3 and rep["counts"]["suppressed"] >= 1
    p = drydock("scan", "--data-dir", str(data), "--format", "cyclonedx", f"oci:{debian_layout}:v1")
    bom = json.loads(p.stdout)
    assert bom["bomFormat"] == "CycloneDX" and bom["specVersion"] == "1.5"
    purls = {c.get("purl") for c in bom["components"]}
    assert "pkg:deb/debian/libssl1.1@1.1.1n-0%2Bdeb11u3?arch=amd64&upstream=openssl&distro=debian-11" in purls
    assert any(v["id"] == "CVE-2023-0286" for v in bom["vulnerabilities"])


def test_cli_scan_bad_input(tmp_path):
    p = drydock("scan", "oci:/nonexistent/layout", check=False)
    assert p.returncode != 0 and p.stderr.startswith(b"drydock: ")
    assert len(p.stderr.decode().strip().splitlines()) <= 2
    p = drydock("scan", "--format", "xml", "oci:x", check=False)
    assert p.returncode == 2


def test_scan_on_push_matches_cli(scan_server, tmp_path, debian_layout):
    srv = scan_server
    push(debian_layout, "v1", srv, "team/app:v1")
    img = wait_done(srv, "team/app", "v1")
    assert img["status"] == "Unhealthy" and img["os"] == "Debian:11" and img["packages"] == 4
    assert img["tags"] == ["v1"]
    got = sorted(key(f) for f in findings(srv, "team/app", "v1"))
    rep = json.loads(drydock("scan", "--data-dir", str(tmp_path / "data"), "--no-cache", "--format", "json",
                             f"oci:{debian_layout}:v1").stdout)
    want = sorted((f["id"], f["package"]["name"], f["package"]["version"], f["fixed_version"])
                  for f in rep["findings"] if not f["suppressed"])
    assert got == want
    assert img["counts"]["total"] == len(want)
    # by digest too, and the layer that added the package is named
    one = findings(srv, "team/app", img["digest"], package="zlib1g")
    assert one and all(f["package"] == "zlib1g" for f in one)
    assert one[0]["layer"].startswith("sha256:") and one[0]["layerIndex"] == 0


def test_findings_filters_and_errors(scan_server, debian_layout):
    srv = scan_server
    push(debian_layout, "v1", srv, "f/app:v1")
    wait_done(srv, "f/app", "v1")
    fx = findings(srv, "f/app", "v1", fix_state="fixed", id="CVE-2023-0286")
    assert {f["package"] for f in fx} == {"libssl1.1", "openssl"}
    for param, val in [("severity", "bogus"), ("fix_state", "maybe"), ("limit", "0"), ("limit", "x"),
                       ("offset", "-1"), ("min_severity", "hi")]:
        r = requests.get(f"{srv.url}/api/v1/repositories/f/app/images/v1/findings", params={param: val})
        assert r.status_code == 400, (param, val, r.text)
        assert r.json()["error"]["parameter"] == param
    for path in ["repositories/nope/images/v1", "repositories/f/app/images/nope",
                 "repositories/f/app/images/nope/findings", "repositories/nope/summary"]:
        r = requests.get(f"{srv.url}/api/v1/{path}")
        assert r.status_code == 404 and "error" in r.json(), path


def test_cli_scan_store_reads_the_registry(scan_server, debian_layout):
    """drydock scan store:REPO:TAG reads the data directory's own stores
    through the same store: source and pipeline as the server's workers
    (issue 12), and finds what the server found."""
    srv = scan_server
    push(debian_layout, "v1", srv, "cli/store:1")
    img = wait_done(srv, "cli/store", "1")
    p = drydock("scan", "--data-dir", srv.data_dir, "--format", "json", "store:cli/store:1")
    rep = json.loads(p.stdout)
    assert rep["os"]["ecosystem"] == "Debian:11"
    assert sorted(x["name"] for x in rep["inventory"]) == ["bash", "libssl1.1", "openssl", "zlib1g"]
    assert len(rep["findings"]) == img["counts"]["total"]
    by_digest = drydock("scan", "--data-dir", srv.data_dir, "--format", "json", f"store:cli/store@{img['digest']}")
    assert json.loads(by_digest.stdout)["os"]["ecosystem"] == "Debian:11"
    bad = drydock("scan", "--data-dir", srv.data_dir, "store:cli/store:nope", check=False)
    assert bad.returncode != 0
    assert b"no image 'nope' in repository 'cli/store'" in bad.stderr


def test_shared_layers_analyzed_once(scan_server, tmp_path):
    srv = scan_server
    base = ocigen.debian_rootfs("11", "bullseye", OLD_DEBIAN)
    lay = tmp_path / "shared"
    ocigen.layout(str(lay), [base, {"app/one": b"1"}], tag="one")
    ocigen.layout(str(lay), [base, {"app/two": b"2"}], tag="two")
    push(lay, "one", srv, "shared/one:1")
    push(lay, "two", srv, "shared/two:1")
    wait_done(srv, "shared/one", "1")
    wait_done(srv, "shared/two", "1")
    c = requests.get(f"{srv.url}/api/v1/scanner").json()
    assert c["layersAnalyzed"] == 3, c  # base + app/one + app/two
    assert c["imagesScanned"] == 2


def test_unsupported_and_artifacts(scan_server, tmp_path):
    srv = scan_server
    lay = tmp_path / "scratch"
    ocigen.layout(str(lay), [{"bin/app": b"\x7fELF"}], tag="s")
    push(lay, "s", srv, "odd/scratch:s")
    img = wait_done(srv, "odd/scratch", "s")
    assert img["scan"]["state"] == "unsupported"
    assert "no OS release file or package database" in img["scan"]["error"]
    assert img["status"] == "NotAssessed"


def test_index_scans_each_platform(scan_server, tmp_path):
    srv = scan_server
    lay = tmp_path / "multi"
    d1 = ocigen.layout(str(lay), [ocigen.debian_rootfs("11", "bullseye", OLD_DEBIAN)], tag="amd", arch="amd64")
    d2 = ocigen.layout(str(lay), [ocigen.alpine_rootfs("3.10.2", [("musl", "1.1.22-r2", None),
                                                                   ("libssl1.1", "1.1.1c-r0", "openssl")])],
                       tag="arm", arch="arm64")
    idx = json.load(open(lay / "index.json"))
    mans = []
    for m in idx["manifests"]:
        plat = {"os": "linux", "architecture": "amd64" if m["digest"] == d1 else "arm64"}
        mans.append({"mediaType": m["mediaType"], "digest": m["digest"], "size": m["size"], "platform": plat})
    ib = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                     "manifests": mans}).encode()
    import hashlib
    dig = hashlib.sha256(ib).hexdigest()
    open(lay / "blobs" / "sha256" / dig, "wb").write(ib)
    idx["manifests"].append({"mediaType": "application/vnd.oci.image.index.v1+json", "digest": "sha256:" + dig,
                             "size": len(ib), "annotations": {"org.opencontainers.image.ref.name": "multi"}})
    json.dump(idx, open(lay / "index.json", "w"))
    subprocess.run(["skopeo", "copy", "--quiet", "--all", "--dest-tls-verify=false", f"oci:{lay}:multi",
                    f"docker://{srv.host}/multi/app:1"], check=True, timeout=120, stdin=subprocess.DEVNULL)
    deadline = time.time() + 30
    while True:
        img = requests.get(f"{srv.url}/api/v1/repositories/multi/app/images/1").json()
        kids = [requests.get(f"{srv.url}/api/v1/repositories/multi/app/images/{d}").json() for d in (d1, d2)]
        if all(k["scan"]["state"] == "done" for k in kids) or time.time() > deadline:
            break
        time.sleep(0.1)
    img = requests.get(f"{srv.url}/api/v1/repositories/multi/app/images/1").json()
    assert img["isIndex"] and sorted(img["manifests"]) == sorted([d1, d2])
    assert [k["os"] for k in kids] == ["Debian:11", "Alpine:v3.10"]
    assert kids[1]["platform"] == "linux/arm64"
    assert img["counts"]["total"] == kids[0]["counts"]["total"] + kids[1]["counts"]["total"]
    fs = findings(img and scan_server, "multi/app", "1", limit=1000)
    assert {f["platform"] for f in fs} == {"linux/amd64", "linux/arm64"}


def test_delete_removes_results(scan_server, debian_layout):
    srv = scan_server
    push(debian_layout, "v1", srv, "del/app:v1")
    img = wait_done(srv, "del/app", "v1")
    r = requests.get(f"{srv.url}/api/v1/vulnerabilities/CVE-2023-0286/images").json()
    assert any(i["repository"] == "del/app" for i in r["images"])
    r = requests.delete(f"{srv.url}/v2/del/app/manifests/{img['digest']}")
    assert r.status_code == 202
    r = requests.get(f"{srv.url}/api/v1/vulnerabilities/CVE-2023-0286/images").json()
    assert not any(i["repository"] == "del/app" for i in r["images"])
    assert requests.get(f"{srv.url}/api/v1/repositories/del/app/images/{img['digest']}").status_code == 404


def test_repush_same_digest_does_not_rescan(scan_server, debian_layout):
    srv = scan_server
    push(debian_layout, "v1", srv, "re/app:v1")
    wait_done(srv, "re/app", "v1")
    before = requests.get(f"{srv.url}/api/v1/scanner").json()["imagesScanned"]
    push(debian_layout, "v1", srv, "re/app:v2")
    push(debian_layout, "v1", srv, "re/other:v1")
    wait_done(srv, "re/other", "v1")
    assert requests.get(f"{srv.url}/api/v1/scanner").json()["imagesScanned"] == before
    img = requests.get(f"{srv.url}/api/v1/repositories/re/app/images/v2").json()
    assert sorted(img["tags"]) == ["v1", "v2"]


def test_no_database_is_never_healthy(tmp_path):
    srv = Server(tmp_path / "nodb").start()
    try:
        lay = tmp_path / "h"
        ocigen.layout(str(lay), [ocigen.debian_rootfs("11", "bullseye", [("bash", "5.1-2+deb11u1", None)])], tag="h")
        push(lay, "h", srv, "nodb/app:h")
        img = wait_done(srv, "nodb/app", "h")
        assert img["status"] == "NotAssessed"
        assert img["statusReason"] == "not assessed: no vulnerability data"
        assert requests.get(f"{srv.url}/api/v1/db").json()["status"] == "empty"
    finally:
        assert srv.stop() == 0


def test_stale_database(tmp_path, golden_db):
    data = data_with_db(tmp_path, golden_db)
    srv = Server(data, ["--stale-after", "0s"]).start()  # 0 = never stale
    srv.stop()
    srv = Server(data, ["--stale-after", "1s"]).start()
    try:
        lay = tmp_path / "st"
        ocigen.layout(str(lay), [ocigen.debian_rootfs("11", "bullseye", [("bash", "5.1-2+deb11u1", None)])], tag="s")
        time.sleep(1.5)
        push(lay, "s", srv, "stale/app:s")
        img = wait_done(srv, "stale/app", "s")
        assert img["status"] == "NotAssessed" and img["statusReason"].startswith("stale data, ")
        assert img["statusReason"].endswith(" days old")
    finally:
        assert srv.stop() == 0


def test_scan_patterns(tmp_path, golden_db, debian_layout):
    data = data_with_db(tmp_path, golden_db)
    srv = Server(data, ["--scan-exclude", "private/*"]).start()
    try:
        push(debian_layout, "v1", srv, "private/app:v1")
        push(debian_layout, "v1", srv, "public/app:v1")
        assert wait_done(srv, "public/app", "v1")["scan"]["state"] == "done"
        img = requests.get(f"{srv.url}/api/v1/repositories/private/app/images/v1").json()
        # the same digest was pushed to a scanned repository too: its result is shared
        assert img["scan"]["state"] == "done"
        lay2 = tmp_path / "only-private"
        ocigen.layout(str(lay2), [ocigen.debian_rootfs("11", "bullseye", OLD_DEBIAN), {"p": b"p"}], tag="p")
        push(lay2, "p", srv, "private/other:p")
        img = requests.get(f"{srv.url}/api/v1/repositories/private/other/images/p").json()
        assert img["scan"]["state"] == "unsupported" and img["statusReason"].endswith("scanning is off for this repository")
    finally:
        assert srv.stop() == 0
    srv = Server(tmp_path / "off", ["--scan", "false"]).start()
    try:
        push(debian_layout, "v1", srv, "any/app:v1")
        img = requests.get(f"{srv.url}/api/v1/repositories/any/app/images/v1").json()
        assert img["scan"]["state"] == "unsupported" and img["status"] == "NotAssessed"
        assert img["scan"]["error"] == "scanning is off for this repository"
    finally:
        assert srv.stop() == 0


OSV_TEMPLATE = {"schema_version": "1.4.0", "id": "DRYDOCK-TEST-0001", "modified": "2026-01-01T00:00:00Z",
                "published": "2026-01-01T00:00:00Z", "summary": "zlib - test advisory", "aliases": [],
                "upstream": ["CVE-2099-0001"]}


def osv_record(fixed):
    rec = dict(OSV_TEMPLATE)
    rec["affected"] = [{"package": {"ecosystem": "Debian:11", "name": "zlib"},
                        "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}]}]
    return rec


def test_reassessment_on_db_update(scan_server, tmp_path, debian_layout):
    srv = scan_server
    push(debian_layout, "v1", srv, "re2/app:v1")
    img = wait_done(srv, "re2/app", "v1")
    before = {key(f) for f in findings(srv, "re2/app", "v1")}
    assert not any(f[0] == "CVE-2099-0001" for f in before)
    f1 = tmp_path / "new.json"
    f1.write_text(json.dumps(osv_record("1:1.2.11.dfsg-2+deb11u9")))
    drydock("db", "import", "--data-dir", str(tmp_path / "data"), str(f1))
    deadline = time.time() + 30
    while time.time() < deadline:
        now = {key(f) for f in findings(srv, "re2/app", "v1")}
        if any(f[0] == "CVE-2099-0001" for f in now):
            break
        time.sleep(0.1)
    assert ("CVE-2099-0001", "zlib1g", "1:1.2.11.dfsg-2+deb11u1", "1:1.2.11.dfsg-2+deb11u9") in now
    hist = requests.get(f"{srv.url}/api/v1/history", params={"image": img["digest"]}).json()["changes"]
    assert any(h["change"] == "new" and h["vulnerability"] == "CVE-2099-0001" and h["package"] == "zlib1g"
               for h in hist)
    # the advisory is corrected: the installed version is the fix -> resolved
    f1.write_text(json.dumps(osv_record("1:1.2.11.dfsg-2+deb11u1")))
    drydock("db", "import", "--data-dir", str(tmp_path / "data"), str(f1))
    deadline = time.time() + 30
    while time.time() < deadline:
        now = {key(f) for f in findings(srv, "re2/app", "v1")}
        if not any(f[0] == "CVE-2099-0001" for f in now):
            break
        time.sleep(0.1)
    assert not any(f[0] == "CVE-2099-0001" for f in now)
    hist = requests.get(f"{srv.url}/api/v1/history", params={"image": img["digest"]}).json()["changes"]
    assert any(h["change"] == "resolved" and h["vulnerability"] == "CVE-2099-0001" for h in hist)
    assert all(h["time"].endswith("Z") for h in hist)
    r = requests.get(f"{srv.url}/api/v1/history", params={"since": "garbage"})
    assert r.status_code == 400 and r.json()["error"]["parameter"] == "since"


def test_restart_mid_queue_loses_no_job(tmp_path, golden_db):
    data = data_with_db(tmp_path, golden_db)
    srv = Server(data, ["--scan-workers", "1"]).start()
    lay = tmp_path / "many"
    tags = []
    for i in range(6):
        ocigen.layout(str(lay), [ocigen.debian_rootfs("11", "bullseye", OLD_DEBIAN), {f"app/{i}": b"x" * i}],
                      tag=f"t{i}")
        tags.append(f"t{i}")
    for t in tags:
        push(lay, t, srv, f"q/app:{t}")
    srv.kill()  # kill -9 with jobs possibly queued or running
    srv.start()
    try:
        for t in tags:
            assert wait_done(srv, "q/app", t)["scan"]["state"] == "done"
    finally:
        assert srv.stop() == 0


def test_cli_images_and_findings(scan_server, debian_layout):
    srv = scan_server
    push(debian_layout, "v1", srv, "cli/app:v1")
    wait_done(srv, "cli/app", "v1")
    env = {"DRYDOCK_SERVER": srv.url}
    p = drydock("images", env=env)
    assert b"cli/app" in p.stdout and b"Unhealthy" in p.stdout
    p = drydock("images", "--json", env=env)
    assert any(i["repository"] == "cli/app" for i in json.loads(p.stdout)["images"])
    p = drydock("findings", "cli/app:v1", env=env)
    assert b"CVE-2023-0286" in p.stdout
    p = drydock("findings", "--json", "--package", "zlib1g", "cli/app:v1", env=env)
    j = json.loads(p.stdout)
    assert j["findings"] and all(f["package"] == "zlib1g" for f in j["findings"])
    p = drydock("findings", "cli/app:missing", env=env, check=False)
    assert p.returncode == 1 and b"404" in p.stderr


# The Azure shapes: a schema written from the Microsoft.Security REST API
# description of SubAssessment / SecuritySubAssessment (properties: id,
# displayName, status {code, severity, cause, description}, remediation,
# impact, category, description, timeGenerated, resourceDetails {source, id},
# additionalData with assessedResourceType ContainerRegistryVulnerability).
SUB_SCHEMA = {
    "type": "object",
    "required": ["value", "nextLink"],
    "properties": {
        "nextLink": {"type": ["string", "null"]},
        "value": {"type": "array", "items": {
            "type": "object",
            "required": ["id", "name", "type", "properties"],
            "properties": {
                "id": {"type": "string"}, "name": {"type": "string"},
                "type": {"const": "Microsoft.Security/assessments/subAssessments"},
                "properties": {
                    "type": "object",
                    "required": ["id", "displayName", "status", "remediation", "impact", "category",
                                 "description", "timeGenerated", "resourceDetails", "additionalData"],
                    "properties": {
                        "displayName": {"type": "string"},
                        "status": {"type": "object", "required": ["code", "severity"],
                                   "properties": {"code": {"enum": ["Healthy", "Unhealthy", "NotApplicable"]},
                                                  "severity": {"enum": ["Critical", "High", "Medium", "Low",
                                                                        "Negligible", "Unknown"]}}},
                        "remediation": {"type": "string"}, "impact": {"type": "string"},
                        "category": {"type": "string"}, "description": {"type": ["string", "null"]},
                        "timeGenerated": {"type": "string", "pattern": "^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ$"},
                        "resourceDetails": {"type": "object", "required": ["source", "id"]},
                        "additionalData": {
                            "type": "object",
                            "required": ["assessedResourceType", "type", "cvss", "patchable", "cve", "publishedTime",
                                         "vendorReferences", "repositoryName", "imageDigest", "registryHost"],
                            "properties": {
                                "assessedResourceType": {"const": "ContainerRegistryVulnerability"},
                                "type": {"const": "Vulnerability"},
                                "cvss": {"type": "object"},
                                "patchable": {"type": "boolean"},
                                "cve": {"type": "array", "items": {"type": "object", "required": ["title", "link"]}},
                                "vendorReferences": {"type": "array",
                                                     "items": {"type": "object", "required": ["title", "link"]}},
                                "repositoryName": {"type": "string"},
                                "imageDigest": {"type": "string", "pattern": "^sha256:[0-9a-f]{64}$"},
                                "registryHost": {"type": "string"},
                            }},
                    }},
            }}},
    },
}


def test_azure_shapes(scan_server, tmp_path, debian_layout):
    import jsonschema
    srv = scan_server
    push(debian_layout, "v1", srv, "az/bad:v1")
    healthy = tmp_path / "healthy"
    ocigen.layout(str(healthy), [ocigen.debian_rootfs("11", "bullseye", [("bash", "5.1-2+deb11u1", None)])], tag="h")
    push(healthy, "h", srv, "az/good:h")
    bad = wait_done(srv, "az/bad", "v1")
    good = wait_done(srv, "az/good", "h")
    assert good["status"] == "Healthy" and bad["status"] == "Unhealthy"
    page = requests.get(f"{srv.url}/api/v1/subAssessments", params={"$top": 3}).json()
    jsonschema.validate(page, SUB_SCHEMA)
    seen = list(page["value"])
    while page["nextLink"]:
        page = requests.get(srv.url + page["nextLink"]).json()
        jsonschema.validate(page, SUB_SCHEMA)
        seen += page["value"]
    assert len(seen) == bad["counts"]["total"]
    assert len({s["name"] for s in seen}) == len(seen)
    assert all(s["properties"]["additionalData"]["repositoryName"] == "az/bad" for s in seen)
    one = requests.get(f"{srv.url}/api/v1/subAssessments",
                       params={"repository": "az/good", "digest": good["digest"]}).json()
    assert one["value"] == [] and one["nextLink"] is None
    assess = requests.get(f"{srv.url}/api/v1/assessments").json()["value"]
    codes = {a["properties"]["additionalData"]["repositoryName"]: a["properties"]["status"]["code"] for a in assess}
    assert codes == {"az/bad": "Unhealthy", "az/good": "Healthy"}
    r = requests.get(f"{srv.url}/api/v1/subAssessments", params={"$top": "0"})
    assert r.status_code == 400 and r.json()["error"]["parameter"] == "$top"


def test_vulnerability_views(scan_server, tmp_path, debian_layout):
    srv = scan_server
    push(debian_layout, "v1", srv, "cve/app:old")
    fixed = tmp_path / "fixed"
    pk = [("libssl1.1", "1.1.1n-0+deb11u4", "openssl"), ("zlib1g", "1:1.2.11.dfsg-2+deb11u2", "zlib")]
    ocigen.layout(str(fixed), [ocigen.debian_rootfs("11", "bullseye", pk)], tag="new")
    push(fixed, "new", srv, "cve/app:new")
    old = wait_done(srv, "cve/app", "old")
    new = wait_done(srv, "cve/app", "new")
    aff = requests.get(f"{srv.url}/api/v1/vulnerabilities/CVE-2023-0286/images").json()["images"]
    assert {i["digest"] for i in aff} == {old["digest"]}
    fx = requests.get(f"{srv.url}/api/v1/vulnerabilities/CVE-2023-0286/fixed").json()["images"]
    assert {i["digest"] for i in fx} == {new["digest"]}
    det = requests.get(f"{srv.url}/api/v1/vulnerabilities/DSA-5343-1")
    assert det.status_code == 200
    assert requests.get(f"{srv.url}/api/v1/vulnerabilities/NOPE-0").status_code == 404
    assert requests.get(f"{srv.url}/api/v1/vulnerabilities/bad%20id").status_code == 400
    s = requests.get(f"{srv.url}/api/v1/repositories/cve/app/summary").json()
    assert s["images"] == 2 and s["healthy"] == 1 and s["unhealthy"] == 1
    s = requests.get(f"{srv.url}/api/v1/summary").json()
    assert s["images"] == 2
    db = requests.get(f"{srv.url}/api/v1/db").json()
    assert db["status"] == "ok" and db["records"]["vulnerabilities"] > 8000 and db["feeds"]


def test_layer_that_added_the_package(scan_server, tmp_path):
    srv = scan_server
    lay = tmp_path / "layers"
    base = ocigen.debian_rootfs("11", "bullseye", OLD_DEBIAN[:2])
    upper = ocigen.debian_rootfs("11", "bullseye", OLD_DEBIAN[:3])
    ocigen.layout(str(lay), [base, {"etc/motd": b"x"}, upper], tag="l")
    push(lay, "l", srv, "layers/app:l")
    wait_done(srv, "layers/app", "l")
    fs = findings(srv, "layers/app", "l", limit=1000)
    by_pkg = {f["package"]: f["layerIndex"] for f in fs}
    assert by_pkg["libssl1.1"] == 0 and by_pkg["zlib1g"] == 2
    # a package database deleted in a higher layer is gone
    lay2 = tmp_path / "wh"
    ocigen.layout(str(lay2), [base, {"var/lib/dpkg/status": None}], tag="w")
    push(lay2, "w", srv, "layers/wh:w")
    img = wait_done(srv, "layers/wh", "w")
    assert img["packages"] == 0 and img["counts"]["total"] == 0


def _chunked_push(srv, repo, data, chunks=3, finish=True):
    import hashlib
    r = requests.post(f"{srv.url}/v2/{repo}/blobs/uploads/")
    assert r.status_code == 202, r.text
    loc = srv.url + r.headers["Location"]
    step = len(data) // chunks + 1
    for off in range(0, len(data), step):
        part = data[off:off + step]
        r = requests.patch(loc, data=part, headers={"Content-Type": "application/octet-stream",
                                                    "Content-Range": f"{off}-{off + len(part) - 1}"})
        assert r.status_code == 202, r.text
        loc = srv.url + r.headers["Location"]
    if not finish:
        return loc
    d = "sha256:" + hashlib.sha256(data).hexdigest()
    sep = "&" if "?" in loc else "?"
    r = requests.put(f"{loc}{sep}digest={d}")
    assert r.status_code == 201, r.text
    return d


def test_layer_analyzed_while_uploading(scan_server):
    """A big layer pushed in chunks is analyzed as the bytes arrive (once),
    and a cancelled upload leaves nothing behind."""
    import gzip
    import hashlib
    import random
    srv = scan_server
    rnd = random.Random(7)
    files = ocigen.debian_rootfs("11", "bullseye", OLD_DEBIAN)
    files.update({f"opt/blob{i}": bytes(rnd.getrandbits(8) for _ in range(1 << 20)) for i in range(6)})
    blob, tar = ocigen.layer_tar(files)
    assert len(blob) > (5 << 20)
    before = requests.get(f"{srv.url}/api/v1/scanner").json()
    layer = _chunked_push(srv, "stream/app", blob, chunks=4)
    cfg = json.dumps({"architecture": "amd64", "os": "linux",
                      "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(tar).hexdigest()]}}).encode()
    cd = "sha256:" + hashlib.sha256(cfg).hexdigest()
    assert requests.post(f"{srv.url}/v2/stream/app/blobs/uploads/", params={"digest": cd}, data=cfg).status_code == 201
    man = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                      "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd,
                                 "size": len(cfg)},
                      "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer,
                                  "size": len(blob)}]}).encode()
    r = requests.put(f"{srv.url}/v2/stream/app/manifests/s", data=man,
                     headers={"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
    assert r.status_code == 201, r.text
    img = wait_done(srv, "stream/app", "s")
    assert img["scan"]["state"] == "done" and img["packages"] == len(OLD_DEBIAN) and img["counts"]["total"] > 0
    after = requests.get(f"{srv.url}/api/v1/scanner").json()
    assert after["layersAnalyzed"] - before["layersAnalyzed"] == 1
    assert after["layersStreamed"] - before["layersStreamed"] == 1  # during the upload
    # the same layer uploaded again into another repository: its stream
    # stops at the commit (the bytes are known), nothing is analyzed twice
    assert _chunked_push(srv, "stream/again", blob, chunks=4) == layer
    assert requests.post(f"{srv.url}/v2/stream/again/blobs/uploads/", params={"digest": cd},
                         data=cfg).status_code == 201
    r = requests.put(f"{srv.url}/v2/stream/again/manifests/s", data=man,
                     headers={"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
    assert r.status_code == 201, r.text
    again = wait_done(srv, "stream/again", "s")
    assert again["scan"]["state"] == "done"
    c = requests.get(f"{srv.url}/api/v1/scanner").json()
    assert c["layersAnalyzed"] == after["layersAnalyzed"], c
    assert c["layersStreamed"] == after["layersStreamed"], c
    after = c
    # an upload given up half-way: no analysis is kept, the server stays well
    other = gzip.compress(bytes(rnd.getrandbits(8) for _ in range(6 << 20)), 1)
    loc = _chunked_push(srv, "stream/app", other[: 5 << 20], chunks=2, finish=False)
    assert requests.delete(loc).status_code == 204
    time.sleep(0.3)
    c = requests.get(f"{srv.url}/api/v1/scanner").json()
    assert c["layersAnalyzed"] == after["layersAnalyzed"]
