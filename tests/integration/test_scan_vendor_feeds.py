"""Red Hat CSAF VEX and Amazon ALAS feeds, end to end: `drydock db import`
of the vendor fixtures, then `drydock scan` of a RHEL/UBI-like image and of an
Amazon Linux 2023 image built with ocigen, expecting exactly the findings the
fixtures imply, with the vendor's severity.

Fixtures (tests/fixtures/feeds/README.md, "Vendor formats"): two real Red
Hat VEX files (CVE-2022-0563, CVE-2024-28085) and VEX documents with
fictitious ids (CVE-2099-000N) written in the same layout; updateinfo files
written in the published layout (no real copy offline);
tests/fixtures/catalog/rpm/libuuid-bdb is a real
RHEL 8 rpmdb (libuuid 2.32.1-42.el8_8, source util-linux);
tests/fixtures/catalog/rpm/amzn2023-sqlite/rpmdb.sqlite was built with
Debian's rpm by make-rpmdb.sh next to it.
"""
import json
import subprocess

import pytest

import ocigen
from conftest import BIN, FIXTURES

VENDOR = FIXTURES / "vendor-feeds"

RHEL_OS = (b'NAME="Red Hat Enterprise Linux"\nVERSION="8.8 (Ootpa)"\nID="rhel"\nID_LIKE="fedora"\n'
           b'VERSION_ID="8.8"\nPLATFORM_ID="platform:el8"\nPRETTY_NAME="Red Hat Enterprise Linux 8.8 (Ootpa)"\n')
AMZN_OS = (b'NAME="Amazon Linux"\nVERSION="2023"\nID="amzn"\nID_LIKE="fedora"\nVERSION_ID="2023"\n'
           b'PLATFORM_ID="platform:al2023"\nPRETTY_NAME="Amazon Linux 2023"\n')
AMZN1_OS = b'NAME="Amazon Linux AMI"\nVERSION="2018.03"\nID="amzn"\nID_LIKE="rhel fedora"\nVERSION_ID="2018.03"\n'


def drydock(*args):
    p = subprocess.run([BIN, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    return p.stdout


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    d = tmp_path_factory.mktemp("vendor-data")
    out = drydock("db", "import", "--data-dir", str(d), "--format", "csaf-vex", str(VENDOR / "redhat-csaf"))
    assert "csaf-vex feed 'redhat-csaf': 6 records, 17 affected entries" in out, out
    for rel, name in (("2023", "updateinfo.xml"), ("2", "updateinfo.xml.gz"), ("1", "updateinfo.xml")):
        out = drydock("db", "import", "--data-dir", str(d), "--format", "alas", "--feed", f"alas/{rel}",
                      str(VENDOR / "alas" / rel / name))
        assert f"alas feed 'alas/{rel}'" in out and "0 bad records skipped" in out, out
    return d


def scan(data, path, tag, files):
    ocigen.layout(str(path), [files], tag=tag)
    return json.loads(drydock("scan", "--data-dir", str(data), "--format", "json", f"oci:{path}:{tag}"))


def summary(rep):
    return {(f["id"], f["package"]["name"], f["fixed_version"], f["fix_state"], f["severity"])
            for f in rep["findings"]}


def check_vendor_word(rep, words, source):
    # vendor_severity / severity_source are filled by the severity core (feed
    # "redhat-csaf" -> "redhat", "alas/*" -> "amazon"); before it lands the
    # source is the generic "osv" and the word is absent
    for f in rep["findings"]:
        assert f["severity_source"] in (source, "osv"), f
        if "vendor_severity" in f:
            assert f["vendor_severity"] == words[f["id"]], f


def test_rhel8_image_gets_the_csaf_findings(data, tmp_path):
    pk = (FIXTURES / "catalog" / "rpm" / "libuuid-bdb" / "Packages").read_bytes()
    rep = scan(data, tmp_path / "rhel", "8.8", {"etc/os-release": RHEL_OS, "var/lib/rpm/Packages": pk})
    assert rep["os"]["ecosystem"] == "Red Hat:8"
    assert [(p["name"], p["version"], p["source_name"]) for p in rep["inventory"]] == \
        [("libuuid", "2.32.1-42.el8_8", "util-linux")]
    # CVE-2099-0003: libuuid fixed in 2.32.1-43.el8 (Low); CVE-2099-0002: the
    # util-linux source is affected in RHEL 8, no fix (Moderate). The real
    # CVE-2022-0563 and CVE-2024-28085 say RHEL 8 is not affected; the other
    # releases' states, the EUS stream, curl and nodejs do not apply.
    assert summary(rep) == {
        ("CVE-2099-0003", "libuuid", "2.32.1-43.el8", "fixed", "Low"),
        ("CVE-2099-0002", "libuuid", None, "not-fixed", "Medium"),
    }
    check_vendor_word(rep, {"CVE-2099-0003": "Low", "CVE-2099-0002": "Moderate"}, "redhat")
    assert all(f["feeds"] == "redhat-csaf" for f in rep["findings"])
    assert rep["status"] == "Unhealthy"


def test_ubi9_image_gets_the_unfixed_states(data, tmp_path):
    # a UBI 9 image (os-release ID=rhel)
    ubi = RHEL_OS.replace(b"8.8", b"9.3").replace(b"el8", b"el9")
    pk = (FIXTURES / "catalog" / "rpm" / "libuuid-bdb" / "Packages").read_bytes()
    rep = scan(data, tmp_path / "ubi", "9", {"etc/os-release": ubi, "var/lib/rpm/Packages": pk})
    assert rep["os"]["ecosystem"] == "Red Hat:9"
    # CVE-2099-0002 is under investigation and CVE-2099-0003 deferred for
    # util-linux in RHEL 9: both are reported without a fix
    assert summary(rep) == {
        ("CVE-2099-0003", "libuuid", None, "deferred", "Low"),
        ("CVE-2099-0002", "libuuid", None, "not-fixed", "Medium"),
    }


def test_amazon_linux_2023_image_gets_the_alas_findings(data, tmp_path):
    db = (FIXTURES / "catalog" / "rpm" / "amzn2023-sqlite" / "rpmdb.sqlite").read_bytes()
    rep = scan(data, tmp_path / "al2023", "2023", {"etc/os-release": AMZN_OS, "var/lib/rpm/rpmdb.sqlite": db})
    assert rep["os"]["ecosystem"] == "Amazon Linux:2023"
    assert sorted((p["name"], p["version"]) for p in rep["inventory"]) == [
        ("bash", "5.2.15-1.amzn2023.0.2"), ("curl-minimal", "8.0.1-1.amzn2023"),
        ("libcurl-minimal", "8.0.1-1.amzn2023"), ("openssl-libs", "1:3.0.8-1.amzn2023.0.1")]
    # ALAS2023-2023-181 (medium) fixes both curl CVEs in curl-minimal and
    # libcurl-minimal; ALAS2023-2023-236 (important) fixes openssl-libs;
    # ALAS2023-2023-100 is already installed; the bugfix update is not stored
    got = summary(rep)
    assert got == {
        ("CVE-2023-28321", "curl-minimal", "8.0.1-2.amzn2023.0.1", "fixed", "Medium"),
        ("CVE-2023-28322", "curl-minimal", "8.0.1-2.amzn2023.0.1", "fixed", "Medium"),
        ("CVE-2023-28321", "libcurl-minimal", "8.0.1-2.amzn2023.0.1", "fixed", "Medium"),
        ("CVE-2023-28322", "libcurl-minimal", "8.0.1-2.amzn2023.0.1", "fixed", "Medium"),
        ("CVE-2023-2650", "openssl-libs", "1:3.0.8-1.amzn2023.0.3", "fixed", "High"),
    }, got
    adv = {f["id"]: f["advisories"] for f in rep["findings"]}
    assert adv["CVE-2023-2650"] == ["ALAS2023-2023-236"] and adv["CVE-2023-28321"] == ["ALAS2023-2023-181"]
    check_vendor_word(rep, {"CVE-2023-28321": "medium", "CVE-2023-28322": "medium", "CVE-2023-2650": "important"},
                      "amazon")


def test_amazon_linux_2018_03_is_release_1(data, tmp_path):
    db = (FIXTURES / "catalog" / "rpm" / "amzn2023-sqlite" / "rpmdb.sqlite").read_bytes()
    rep = scan(data, tmp_path / "al1", "2018.03", {"etc/os-release": AMZN1_OS, "var/lib/rpm/rpmdb.sqlite": db})
    assert rep["os"]["ecosystem"] == "Amazon Linux:1"
    # alas/1 names openssl only (not installed here): assessed, no findings
    assert rep["findings"] == [] and rep["status"] == "Healthy"
