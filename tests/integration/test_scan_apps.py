"""Application packages end to end (issue 13): an image holding the METADATA
of requests 2.19.0, urllib3 1.24.1 and PyYAML 5.3 and a Go binary built in
the test with Debian's golang-go (go1.19.8, golang.org/x/text v0.3.7
vendored, GOPROXY=off), against a database holding the real PyPI OSV records
for them (tests/fixtures/apps/pypi-osv, copied from the PyPI all.zip) and
the real Go OSV all.zip (tests/fixtures/feeds/go-osv), gets exactly the
findings the records imply, stdlib included, with type, path and layer,
through `drydock scan` on an OCI layout and through scan on push; it is
Unhealthy. A Debian-style image whose python3-requests egg-info
is listed in var/lib/dpkg/info/python3-requests.list reports requests once,
as the dpkg package. See docs/catalog.md."""
import glob
import json
import os
import shutil
import subprocess
import zipfile

import pytest
import requests as http
from packaging.version import Version

import ocigen
from conftest import BIN, FIXTURES, Server
from test_report_formats import validate_cyclonedx, validate_sarif, validate_spdx
from test_scan_push import findings, push, wait_done

pytestmark = pytest.mark.skipif(os.environ.get("DD_TEST_TARGET", "drydock") != "drydock",
                                reason="drydock-only tests")

APPS = FIXTURES / "apps"
SITE = "usr/local/lib/python3.11/site-packages"

# The header fields of the METADATA files in the published wheels
# (requests-2.19.0-py2.py3-none-any.whl, urllib3-1.24.1-py2.py3-none-any.whl,
# PyYAML 5.3's wheels); the long descriptions (the bodies) are shortened.
REQUESTS_META = b"""Metadata-Version: 2.1
Name: requests
Version: 2.19.0
Summary: Python HTTP for Humans.
Home-page: http://python-requests.org
Author: Kenneth Reitz
Author-email: me@kennethreitz.org
License: Apache 2.0
Platform: UNKNOWN
Classifier: Development Status :: 5 - Production/Stable
Classifier: Intended Audience :: Developers
Classifier: Natural Language :: English
Classifier: License :: OSI Approved :: Apache Software License
Classifier: Programming Language :: Python
Classifier: Programming Language :: Python :: 2.7
Classifier: Programming Language :: Python :: 3
Classifier: Programming Language :: Python :: 3.4
Classifier: Programming Language :: Python :: 3.5
Classifier: Programming Language :: Python :: 3.6
Classifier: Programming Language :: Python :: Implementation :: CPython
Classifier: Programming Language :: Python :: Implementation :: PyPy
Requires-Python: >=2.7, !=3.0.*, !=3.1.*, !=3.2.*, !=3.3.*
Provides-Extra: security
Provides-Extra: socks
Requires-Dist: chardet (<3.1.0,>=3.0.2)
Requires-Dist: idna (<2.8,>=2.5)
Requires-Dist: urllib3 (<1.24,>=1.21.1)
Requires-Dist: certifi (>=2017.4.17)
Requires-Dist: pyOpenSSL (>=0.14); extra == 'security'
Requires-Dist: cryptography (>=1.3.4); extra == 'security'
Requires-Dist: idna (>=2.0.0); extra == 'security'
Requires-Dist: PySocks (!=1.5.7,>=1.5.6); extra == 'socks'

Requests: HTTP for Humans
=========================
"""

URLLIB3_META = b"""Metadata-Version: 2.1
Name: urllib3
Version: 1.24.1
Summary: HTTP library with thread-safe connection pooling, file post, and more.
Home-page: https://urllib3.readthedocs.io/
Author: Andrey Petrov
Author-email: andrey.petrov@shazow.net
License: MIT
Keywords: urllib httplib threadsafe filepost http https ssl pooling
Platform: UNKNOWN
Classifier: Environment :: Web Environment
Classifier: Intended Audience :: Developers
Classifier: License :: OSI Approved :: MIT License
Classifier: Operating System :: OS Independent
Classifier: Programming Language :: Python
Classifier: Topic :: Internet :: WWW/HTTP
Classifier: Topic :: Software Development :: Libraries
Requires-Python: >=2.7, !=3.0.*, !=3.1.*, !=3.2.*, !=3.3.*, <4
Provides-Extra: secure
Provides-Extra: socks
Requires-Dist: pyOpenSSL (>=0.14); extra == 'secure'
Requires-Dist: cryptography (>=1.3.4); extra == 'secure'
Requires-Dist: idna (>=2.0.0); extra == 'secure'
Requires-Dist: certifi; extra == 'secure'
Requires-Dist: ipaddress; extra == 'secure'
Requires-Dist: PySocks (!=1.5.7,<2.0,>=1.5.6); extra == 'socks'

urllib3
=======
"""

PYYAML_META = b"""Metadata-Version: 2.1
Name: PyYAML
Version: 5.3
Summary: YAML parser and emitter for Python
Home-page: https://github.com/yaml/pyyaml
Author: Kirill Simonov
Author-email: xi@resolvent.net
License: MIT
Download-URL: https://pypi.org/project/PyYAML/
Platform: Any
Classifier: Development Status :: 5 - Production/Stable
Classifier: Intended Audience :: Developers
Classifier: License :: OSI Approved :: MIT License
Classifier: Operating System :: OS Independent
Classifier: Programming Language :: Cython
Classifier: Programming Language :: Python
Classifier: Topic :: Software Development :: Libraries :: Python Modules
Classifier: Topic :: Text Processing :: Markup
Requires-Python: >=2.7, !=3.0.*, !=3.1.*, !=3.2.*, !=3.3.*, !=3.4.*

YAML is a data serialization format designed for human readability
"""

PY_PACKAGES = {  # normalized name -> (name as published, version, METADATA path)
    "requests": ("requests", "2.19.0", f"{SITE}/requests-2.19.0.dist-info/METADATA"),
    "urllib3": ("urllib3", "1.24.1", f"{SITE}/urllib3-1.24.1.dist-info/METADATA"),
    "pyyaml": ("PyYAML", "5.3", f"{SITE}/PyYAML-5.3.dist-info/METADATA"),
}


GO_BIN_PATH = "usr/local/bin/app"
GO_PACKAGES = {  # what the Go cataloger reads from the binary built below
    ("example.com/drydock-test-app", "(devel)"), ("golang.org/x/text", "v0.3.7"), ("stdlib", "1.19.8"),
}


def _cves(rec):
    return [x for x in rec.get("aliases", []) if x.startswith("CVE-")] or [rec["id"]]


def _semver_key(v):
    v = v[1:] if v.startswith("v") else v
    main, _, pre = v.partition("-")
    nums = tuple(int(x) for x in main.split("."))
    pre_key = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split(".")) if pre else ()
    return nums, 0 if pre else 1, pre_key


def _in_ranges(ranges, ver, key):
    for r in ranges:
        if r["type"] not in ("ECOSYSTEM", "SEMVER"):
            continue
        vuln = False
        evs = sorted(r["events"], key=lambda e: (0,) if list(e.values())[0] == "0" else (1, key(list(e.values())[0])))
        for ev in evs:
            val = list(ev.values())[0]
            if "introduced" in ev and (val == "0" or key(ver) >= key(val)):
                vuln = True
            elif "fixed" in ev and key(ver) >= key(val):
                vuln = False
            elif "last_affected" in ev and key(ver) > key(val):
                vuln = False
        if vuln:
            return True
    return False


def expected_findings(with_go=False):
    """(CVE, package) pairs the records imply, evaluated here: PyPI with
    packaging's PEP 440, Go with semver; explicit versions, then ranges."""
    want = set()
    for f in glob.glob(str(APPS / "pypi-osv" / "*.json")):
        rec = json.load(open(f))
        if rec.get("withdrawn"):
            continue
        for a in rec["affected"]:
            name = a["package"]["name"].lower()
            if name not in PY_PACKAGES:
                continue
            shown, ver, _ = PY_PACKAGES[name]
            if ver in a.get("versions", []) or _in_ranges(a.get("ranges", []), ver, Version):
                want |= {(c, shown) for c in _cves(rec)}
    if with_go:
        with zipfile.ZipFile(FIXTURES / "feeds" / "go-osv" / "all.zip") as z:
            for n in z.namelist():
                rec = json.loads(z.read(n))
                if rec.get("withdrawn"):
                    continue
                for a in rec.get("affected", []):
                    for name, ver in GO_PACKAGES:
                        if a["package"]["name"] != name or ver == "(devel)":
                            continue
                        if ver.lstrip("v") in [x.lstrip("v") for x in a.get("versions", [])] or \
                                _in_ranges(a.get("ranges", []), ver, _semver_key):
                            want |= {(c, name) for c in _cves(rec)}
    return want


GO_MAIN = """package main

import (
	"fmt"

	"golang.org/x/text/language"
)

func main() {
	t, _ := language.Parse("en")
	fmt.Println("hello", t)
}
"""


@pytest.fixture(scope="module")
def go_binary(tmp_path_factory):
    """A Go binary built offline with Debian's golang-go: the module requires
    golang.org/x/text v0.3.7 (a real version), vendored as a one-file
    stand-in (-mod=vendor, GOPROXY=off). None when go is not installed."""
    go = shutil.which("go")
    if not go:
        return None
    d = tmp_path_factory.mktemp("gosrc")
    (d / "go.mod").write_text("module example.com/drydock-test-app\n\ngo 1.19\n\n"
                              "require golang.org/x/text v0.3.7\n")
    (d / "main.go").write_text(GO_MAIN)
    v = d / "vendor"
    (v / "golang.org/x/text/language").mkdir(parents=True)
    (v / "modules.txt").write_text("# golang.org/x/text v0.3.7\n## explicit; go 1.17\n"
                                   "golang.org/x/text/language\n")
    (v / "golang.org/x/text/language/language.go").write_text(
        "// Package language stands in for golang.org/x/text/language in a test build.\npackage language\n\n"
        "// Tag is a language tag.\ntype Tag string\n\n"
        "// Parse returns the tag as given.\nfunc Parse(s string) (Tag, error) { return Tag(s), nil }\n")
    env = dict(os.environ, GOPROXY="off", GOFLAGS="-mod=vendor", CGO_ENABLED="0", GO111MODULE="on")
    out = subprocess.run([go, "version"], stdout=subprocess.PIPE, text=True, check=True).stdout
    if "go1.19.8" not in out:
        pytest.skip(f"the expected toolchain is Debian 12's go1.19.8, not {out.strip()}")
    subprocess.run([go, "build", "-trimpath", "-o", str(d / "app"), "."], cwd=d, env=env, check=True,
                   timeout=600)
    return (d / "app").read_bytes()


def python_layout(path, tag="py", go_bin=None):
    base = {"etc/motd": b"an application image without an OS package database\n"}
    apps = {meta: data for (_, _, meta), data in zip(PY_PACKAGES.values(),
                                                       (REQUESTS_META, URLLIB3_META, PYYAML_META))}
    apps["app/main.py"] = b"import requests, yaml\n"
    if go_bin:
        apps[GO_BIN_PATH] = go_bin
    ocigen.layout(str(path), [base, apps], tag=tag)
    return path


@pytest.fixture(scope="module")
def pypi_db(tmp_path_factory):
    """The PyPI records of the three packages and the whole real Go OSV feed."""
    d = tmp_path_factory.mktemp("pypidb")
    subprocess.run([BIN, "db", "import", "--data-dir", str(d), str(APPS / "pypi-osv"),
                    str(FIXTURES / "feeds" / "go-osv" / "all.zip")], check=True, stdout=subprocess.DEVNULL)
    return d


def scan_json(data, ref, *extra):
    p = subprocess.run([BIN, "scan", "--data-dir", str(data), "--format", "json", *extra, ref],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    assert p.returncode == 0, p.stderr.decode()
    return json.loads(p.stdout), p.stderr.decode()


def test_cli_python_image_findings(tmp_path, pypi_db, go_binary):
    lay = python_layout(tmp_path / "py", go_bin=go_binary)
    rep, _ = scan_json(pypi_db, f"oci:{lay}:py")
    inv = {(p["type"], p["name"], p["version"], p["path"], p["layer"]) for p in rep["inventory"]}
    want_inv = {("pypi", n, v, m, 1) for n, v, m in PY_PACKAGES.values()}
    if go_binary:
        want_inv |= {("golang", n, v, GO_BIN_PATH, 1) for n, v in GO_PACKAGES}
    assert inv == want_inv
    # what the PyPI records say, spelled out (the evaluation above is checked too)
    assert expected_findings() == {("CVE-2018-18074", "requests"), ("CVE-2023-32681", "requests"),
                    ("CVE-2018-25091", "urllib3"), ("CVE-2019-11236", "urllib3"), ("CVE-2019-11324", "urllib3"),
                    ("CVE-2020-26137", "urllib3"), ("CVE-2021-33503", "urllib3"), ("CVE-2023-43804", "urllib3"),
                    ("CVE-2023-45803", "urllib3"), ("CVE-2020-1747", "PyYAML"), ("CVE-2020-14343", "PyYAML")}
    want = expected_findings(with_go=go_binary is not None)
    got = {(f["id"], f["package"]["name"]) for f in rep["findings"] if not f["suppressed"]}
    assert got == want
    if go_binary:
        # the toolchain and the vendored module have known vulnerabilities
        assert ("CVE-2022-32149", "golang.org/x/text") in got  # GO-2022-1059, fixed in v0.3.8
        assert sum(1 for _, n in got if n == "stdlib") >= 10
    for f in rep["findings"]:
        if f["package"]["type"] == "golang":
            assert f["ecosystem"] == "Go" and f["package"]["path"] == GO_BIN_PATH
        else:
            assert f["package"]["type"] == "pypi" and f["ecosystem"] == "PyPI"
            assert f["package"]["path"] == PY_PACKAGES[f["package"]["name"].lower()][2]
        assert f["package"]["layer"] == 1
    assert rep["status"] == "Unhealthy" and rep["status_reason"] is None
    # urllib3 1.24.1: CVE-2019-11324 is fixed in 1.24.2
    u = [f for f in rep["findings"] if f["id"] == "CVE-2019-11324"]
    assert u and u[0]["fixed_version"] == "1.24.2"

    # CycloneDX: purls and the path as a property
    p = subprocess.run([BIN, "scan", "--data-dir", str(pypi_db), "--format", "cyclonedx", f"oci:{lay}:py"],
                       stdout=subprocess.PIPE, check=True, timeout=120)
    bom = json.loads(p.stdout)
    validate_cyclonedx(bom)
    comps = {c["purl"]: c for c in bom["components"] if "purl" in c}
    assert {"pkg:pypi/requests@2.19.0", "pkg:pypi/urllib3@1.24.1", "pkg:pypi/pyyaml@5.3"} <= set(comps)
    if go_binary:
        assert {"pkg:golang/golang.org/x/text@v0.3.7", "pkg:golang/stdlib@1.19.8"} <= set(comps)
    props = {x["name"]: x["value"] for x in comps["pkg:pypi/pyyaml@5.3"]["properties"]}
    assert props["drydock:package:path"] == PY_PACKAGES["pyyaml"][2] and props["drydock:package:type"] == "pypi"

    # the other report formats stay valid with application packages
    for fmt, check in (("sarif", validate_sarif), ("spdx", validate_spdx), ("cyclonedx-vex", validate_cyclonedx)):
        p = subprocess.run([BIN, "scan", "--data-dir", str(pypi_db), "--format", fmt, f"oci:{lay}:py"],
                           stdout=subprocess.PIPE, check=True, timeout=120)
        doc = json.loads(p.stdout)
        check(doc)
        if fmt == "sarif":
            res = doc["runs"][0]["results"]
            assert len(res) == len(want)
            paths = {r["properties"].get("path") for r in res}
            assert {m for _, _, m in PY_PACKAGES.values()} <= paths
            assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in res} == paths

    # the table shows the type and the path
    p = subprocess.run([BIN, "scan", "--data-dir", str(pypi_db), f"oci:{lay}:py"], stdout=subprocess.PIPE,
                       check=True, timeout=120)
    out = p.stdout.decode()
    assert "Status:   Unhealthy" in out and "TYPE" in out and PY_PACKAGES["urllib3"][2] in out


def test_push_python_image(tmp_path, pypi_db, go_binary):
    lay = python_layout(tmp_path / "py", go_bin=go_binary)
    srv = Server(pypi_db).start()
    try:
        push(lay, "py", srv, "apps/py:1")
        img = wait_done(srv, "apps/py", "1", timeout=60)
        assert img["scan"]["state"] == "done" and img["status"] == "Unhealthy", img
        fs = findings(srv, "apps/py", "1", limit=1000)
        assert {(f["id"], f["package"]) for f in fs} == expected_findings(with_go=go_binary is not None)
        layers = {f["layer"] for f in fs}
        assert len(layers) == 1 and None not in layers
        for f in fs:
            if f["type"] == "golang":
                assert f["path"] == GO_BIN_PATH and f["ecosystem"] == "Go"
            else:
                assert f["type"] == "pypi" and f["path"] == PY_PACKAGES[f["package"].lower()][2]
            assert f["layerIndex"] == 1
        subs = http.get(f"{srv.url}/api/v1/subAssessments", params={"repository": "apps/py",
                                                                    "digest": img["digest"]}).json()["value"]
        assert len(subs) == len(fs)
        sd = subs[0]["properties"]["additionalData"]["softwareDetails"]
        assert sd["category"] == "Language" and sd["language"] == "python" and sd["packageType"] == "pypi"
        assert sd["evidence"] == [sd["path"]] and sd["path"].endswith("/METADATA")
        q = http.post(f"{srv.url}/api/v1/query", json={
            "query": "securityresources | where type == 'microsoft.security/assessments/subassessments' "
                     "| where packageType == 'pypi' | project path"})
        assert q.status_code == 200, q.text
        rows = q.json()["data"]
        assert len(rows) == sum(1 for f in fs if f["type"] == "pypi")
        assert {r["path"] for r in rows} == {m for _, _, m in PY_PACKAGES.values()}
    finally:
        assert srv.stop() == 0


def test_no_language_data_is_not_assessed(tmp_path, go_binary):
    """PyPI and Go packages and no PyPI or Go data: never Healthy, the reason
    names each ecosystem."""
    lay = python_layout(tmp_path / "py", go_bin=go_binary)
    data = tmp_path / "empty"
    subprocess.run([BIN, "db", "import", "--data-dir", str(data), str(FIXTURES / "feeds" / "alpine-secdb")],
                   check=True, stdout=subprocess.DEVNULL)
    rep, err = scan_json(data, f"oci:{lay}:py")
    assert rep["status"] == "NotAssessed"
    assert "no vulnerability data for 'PyPI' (3 pypi packages)" in rep["status_reason"]
    if go_binary:
        assert "no vulnerability data for 'Go' (3 golang packages)" in rep["status_reason"]
    assert "not assessed" in err


def test_debian_python3_package_reported_once(tmp_path, pypi_db):
    """Real files of Debian 12's python3-requests (tests/fixtures/apps/
    debian-python3-requests: its dpkg status stanza, info/*.list and
    egg-info PKG-INFO): requests is the dpkg package only; a pip-installed
    copy elsewhere is still a PyPI package."""
    d = APPS / "debian-python3-requests"
    status = (d / "status").read_bytes()
    if not status.startswith(b"Package:"):
        pytest.fail("bad fixture")
    root = ocigen.debian_rootfs("12", "bookworm", [])
    root["var/lib/dpkg/status"] = status
    root["var/lib/dpkg/info/python3-requests.list"] = (d / "python3-requests.list").read_bytes()
    root["usr/lib/python3/dist-packages/requests-2.28.1.egg-info/PKG-INFO"] = (d / "PKG-INFO").read_bytes()
    root[f"{SITE}/urllib3-1.24.1.dist-info/METADATA"] = URLLIB3_META
    lay = tmp_path / "deb"
    ocigen.layout(str(lay), [root], tag="deb")
    rep, _ = scan_json(pypi_db, f"oci:{lay}:deb")
    inv = sorted((p["type"], p["name"], p["version"]) for p in rep["inventory"])
    assert inv == [("dpkg", "python3-requests", "2.28.1+dfsg-1"), ("pypi", "urllib3", "1.24.1")]
    assert rep["owned_by_os"] == {"pypi": 1}
    # without the dpkg file list the egg-info is a PyPI package too (what Trivy reports)
    del root["var/lib/dpkg/info/python3-requests.list"]
    ocigen.layout(str(lay), [root], tag="nolist")
    rep, _ = scan_json(pypi_db, f"oci:{lay}:nolist")
    assert ("pypi", "requests", "2.28.1") in {(p["type"], p["name"], p["version"]) for p in rep["inventory"]}
