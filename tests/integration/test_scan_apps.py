"""Application packages end to end (issue 13): an image holding the METADATA
of requests 2.19.0, urllib3 1.24.1 and PyYAML 5.3, against a database holding
the real PyPI OSV records for them (tests/fixtures/apps/pypi-osv, copied from
the PyPI all.zip), gets exactly the findings the records imply, with type,
path and layer, through `drydock scan` on an OCI layout and through scan on
push; it is Unhealthy. A Debian-style image whose python3-requests egg-info
is listed in var/lib/dpkg/info/python3-requests.list reports requests once,
as the dpkg package. See docs/catalog.md."""
import glob
import json
import os
import subprocess

import pytest
import requests as http
from packaging.version import Version

import ocigen
from conftest import BIN, FIXTURES, Server
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


def expected_findings():
    """(CVE, package) pairs the PyPI records imply, evaluated here with
    packaging's PEP 440 (explicit versions, then ECOSYSTEM ranges)."""
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
            v = Version(ver)
            hit = ver in a.get("versions", [])
            for r in a.get("ranges", []):
                if r["type"] != "ECOSYSTEM":
                    continue
                vuln = False
                for ev in sorted(r["events"], key=lambda e: Version("0") if list(e.values())[0] == "0"
                                 else Version(list(e.values())[0])):
                    if "introduced" in ev and (ev["introduced"] == "0" or v >= Version(ev["introduced"])):
                        vuln = True
                    elif "fixed" in ev and v >= Version(ev["fixed"]):
                        vuln = False
                    elif "last_affected" in ev and v > Version(ev["last_affected"]):
                        vuln = False
                hit = hit or vuln
            if hit:
                cves = [x for x in rec.get("aliases", []) if x.startswith("CVE-")] or [rec["id"]]
                for c in cves:
                    want.add((c, shown))
    return want


def python_layout(path, tag="py"):
    base = {"etc/motd": b"an application image without an OS package database\n"}
    apps = {meta: data for (_, _, meta), data in zip(PY_PACKAGES.values(),
                                                       (REQUESTS_META, URLLIB3_META, PYYAML_META))}
    apps["app/main.py"] = b"import requests, yaml\n"
    # --- Go: the Go binary built with go1.19.8 comes from the `appbin` branch
    # (the elf extractor and the Go cataloger). When it is merged, add the
    # binary to this layer and its stdlib/module findings from the Go OSV
    # records to expected_findings(). ---
    ocigen.layout(str(path), [base, apps], tag=tag)
    return path


@pytest.fixture(scope="module")
def pypi_db(tmp_path_factory):
    d = tmp_path_factory.mktemp("pypidb")
    subprocess.run([BIN, "db", "import", "--data-dir", str(d), str(APPS / "pypi-osv")], check=True,
                   stdout=subprocess.DEVNULL)
    return d


def scan_json(data, ref, *extra):
    p = subprocess.run([BIN, "scan", "--data-dir", str(data), "--format", "json", *extra, ref],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    assert p.returncode == 0, p.stderr.decode()
    return json.loads(p.stdout), p.stderr.decode()


def test_cli_python_image_findings(tmp_path, pypi_db):
    lay = python_layout(tmp_path / "py")
    rep, _ = scan_json(pypi_db, f"oci:{lay}:py")
    inv = {(p["type"], p["name"], p["version"], p["path"], p["layer"]) for p in rep["inventory"]}
    assert inv == {("pypi", n, v, m, 1) for n, v, m in PY_PACKAGES.values()}
    want = expected_findings()
    # what the records say, spelled out (the evaluation above is checked too)
    assert want == {("CVE-2018-18074", "requests"), ("CVE-2023-32681", "requests"),
                    ("CVE-2018-25091", "urllib3"), ("CVE-2019-11236", "urllib3"), ("CVE-2019-11324", "urllib3"),
                    ("CVE-2020-26137", "urllib3"), ("CVE-2021-33503", "urllib3"), ("CVE-2023-43804", "urllib3"),
                    ("CVE-2023-45803", "urllib3"), ("CVE-2020-1747", "PyYAML"), ("CVE-2020-14343", "PyYAML")}
    got = {(f["id"], f["package"]["name"]) for f in rep["findings"] if not f["suppressed"]}
    assert got == want
    for f in rep["findings"]:
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
    comps = {c["purl"]: c for c in bom["components"] if "purl" in c}
    assert {"pkg:pypi/requests@2.19.0", "pkg:pypi/urllib3@1.24.1", "pkg:pypi/pyyaml@5.3"} <= set(comps)
    props = {x["name"]: x["value"] for x in comps["pkg:pypi/pyyaml@5.3"]["properties"]}
    assert props["drydock:package:path"] == PY_PACKAGES["pyyaml"][2] and props["drydock:package:type"] == "pypi"

    # the table shows the type and the path
    p = subprocess.run([BIN, "scan", "--data-dir", str(pypi_db), f"oci:{lay}:py"], stdout=subprocess.PIPE,
                       check=True, timeout=120)
    out = p.stdout.decode()
    assert "Status:   Unhealthy" in out and "TYPE" in out and PY_PACKAGES["urllib3"][2] in out


def test_push_python_image(tmp_path, pypi_db):
    lay = python_layout(tmp_path / "py")
    srv = Server(pypi_db).start()
    try:
        push(lay, "py", srv, "apps/py:1")
        img = wait_done(srv, "apps/py", "1", timeout=60)
        assert img["scan"]["state"] == "done" and img["status"] == "Unhealthy", img
        fs = findings(srv, "apps/py", "1", limit=1000)
        assert {(f["id"], f["package"]) for f in fs} == expected_findings()
        layers = {f["layer"] for f in fs}
        assert len(layers) == 1 and None not in layers
        for f in fs:
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
        assert len(rows) == len(fs) and {r["path"] for r in rows} == {m for _, _, m in PY_PACKAGES.values()}
    finally:
        assert srv.stop() == 0


def test_no_language_data_is_not_assessed(tmp_path):
    """A PyPI package and no PyPI data: never Healthy, the reason says why."""
    lay = python_layout(tmp_path / "py")
    data = tmp_path / "empty"
    subprocess.run([BIN, "db", "import", "--data-dir", str(data), str(FIXTURES / "feeds" / "alpine-secdb")],
                   check=True, stdout=subprocess.DEVNULL)
    rep, err = scan_json(data, f"oci:{lay}:py")
    assert rep["status"] == "NotAssessed"
    assert "no vulnerability data for 'PyPI' (3 pypi packages)" in rep["status_reason"]
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
