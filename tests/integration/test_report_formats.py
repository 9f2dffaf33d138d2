"""`drydock scan --format X` for every output format (issue 14), on real
images built with ocigen and scanned against the sample feeds: each document
is checked against the official JSON schema shipped in tests/fixtures/schemas
(SARIF 2.1.0, CycloneDX 1.5, SPDX 2.3; see the README there), resolved
locally so no network is used, plus what the schemas do not say (GitHub's
code scanning and dependency submission requirements, determinism, one
document for several platform images)."""
import hashlib
import json
import os
import re

import jsonschema
import pytest

import ocigen
from conftest import FIXTURES
from test_scan_push import OLD_DEBIAN, data_with_db, drydock, golden_db  # noqa: F401 (fixture)

pytestmark = pytest.mark.skipif(os.environ.get("DD_TEST_TARGET", "drydock") != "drydock",
                                reason="drydock-only tests")

SCHEMAS = FIXTURES / "schemas"
GH_ENV = {"GITHUB_SHA": "0123456789abcdef0123456789abcdef01234567", "GITHUB_REF": "refs/heads/main",
          "GITHUB_WORKFLOW": "ci", "GITHUB_JOB": "scan", "GITHUB_RUN_ID": "42"}


def load_schema(name):
    return json.loads((SCHEMAS / name).read_text())


def validate(doc, schema_name, extra=()):
    """Validates doc against schema_name; $refs to the extra schemas are served
    from the local copies (a RefResolver store keyed by their $id)."""
    schema = load_schema(schema_name)
    store = {}
    for n in (schema_name, *extra):
        s = load_schema(n)
        store[s.get("$id", s.get("id", n))] = s

    def no_network(uri):
        raise AssertionError(f"schema reference '{uri}' is not in tests/fixtures/schemas")
    resolver = jsonschema.RefResolver(base_uri=schema.get("$id", schema.get("id", "")), referrer=schema, store=store,
                                      handlers={"http": no_network, "https": no_network})
    cls = jsonschema.validators.validator_for(schema)
    errors = sorted(cls(schema, resolver=resolver, format_checker=cls.FORMAT_CHECKER).iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


def validate_sarif(doc):
    validate(doc, "sarif-schema-2.1.0.json")


def validate_cyclonedx(doc):
    validate(doc, "bom-1.5.schema.json", ("spdx.schema.json", "jsf-0.82.schema.json"))


def validate_spdx(doc):
    validate(doc, "spdx-schema.json")


def validate_github(doc):
    """GitHub publishes no JSON schema for dependency snapshots: the fields its
    REST API documents as required, with their types."""
    assert doc["version"] == 0
    assert isinstance(doc["job"]["correlator"], str) and doc["job"]["correlator"]
    assert isinstance(doc["job"]["id"], str) and doc["job"]["id"]
    assert re.fullmatch(r"[0-9a-f]{40}", doc["sha"])
    assert re.fullmatch(r"refs/.+", doc["ref"])
    for k in ("name", "version", "url"):
        assert isinstance(doc["detector"][k], str) and doc["detector"][k]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", doc["scanned"])
    assert isinstance(doc["manifests"], dict) and doc["manifests"]
    for key, m in doc["manifests"].items():
        assert m["name"] == key
        assert isinstance(m["file"]["source_location"], str)
        assert m["resolved"]
        for purl, d in m["resolved"].items():
            assert d["package_url"] == purl and purl.startswith("pkg:")
            assert d["relationship"] in ("direct", "indirect")
            assert d["scope"] in ("runtime", "development")
            assert d["dependencies"] == []


@pytest.fixture
def data(tmp_path, golden_db):  # noqa: F811
    return data_with_db(tmp_path, golden_db)


@pytest.fixture
def debian(tmp_path):
    lay = tmp_path / "deb"
    ocigen.layout(str(lay), [ocigen.debian_rootfs("11", "bullseye", OLD_DEBIAN)], tag="v1")
    return lay


@pytest.fixture
def multi(tmp_path):
    """An OCI layout whose tag "multi" is an index of a Debian amd64 and an Alpine arm64 image."""
    lay = tmp_path / "multi"
    d1 = ocigen.layout(str(lay), [ocigen.debian_rootfs("11", "bullseye", OLD_DEBIAN)], tag="amd", arch="amd64")
    ocigen.layout(str(lay), [ocigen.alpine_rootfs("3.10.2", [("musl", "1.1.22-r2", None),
                                                           ("libssl1.1", "1.1.1c-r0", "openssl")])],
                  tag="arm", arch="arm64")
    idx = json.load(open(lay / "index.json"))
    mans = [{"mediaType": m["mediaType"], "digest": m["digest"], "size": m["size"],
             "platform": {"os": "linux", "architecture": "amd64" if m["digest"] == d1 else "arm64"}}
            for m in idx["manifests"]]
    ib = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                     "manifests": mans}).encode()
    dig = hashlib.sha256(ib).hexdigest()
    (lay / "blobs" / "sha256" / dig).write_bytes(ib)
    idx["manifests"].append({"mediaType": "application/vnd.oci.image.index.v1+json", "digest": "sha256:" + dig,
                             "size": len(ib), "annotations": {"org.opencontainers.image.ref.name": "multi"}})
    json.dump(idx, open(lay / "index.json", "w"))
    return lay


@pytest.fixture(scope="session")
def alpine_db(tmp_path_factory):
    """The alpine-secdb fixture and an NVD slice scoring some of its CVEs."""
    d = tmp_path_factory.mktemp("alpine-db")
    drydock("db", "import", "--data-dir", str(d), str(FIXTURES / "feeds" / "alpine-secdb"),
            str(FIXTURES / "report" / "nvd"))
    return d


@pytest.fixture
def alpine(tmp_path):
    """A one-layer OCI layout of the real Alpine 3.4 package database."""
    root = FIXTURES / "catalog" / "alpine-3.4"
    files = {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}
    lay = tmp_path / "alpine"
    ocigen.layout(str(lay), [files], tag="3.4")
    return lay


def scan(data, ref, fmt, env=None):
    p = drydock("scan", "--data-dir", str(data), "--format", fmt, ref, env=env)
    return json.loads(p.stdout)


VALIDATORS = {"sarif": validate_sarif, "cyclonedx": validate_cyclonedx, "cyclonedx-vex": validate_cyclonedx,
              "spdx": validate_spdx, "github": validate_github}


@pytest.mark.parametrize("fmt", sorted(VALIDATORS))
@pytest.mark.parametrize("image", ["debian", "multi"])
def test_every_format_validates(data, debian, multi, fmt, image):
    ref = f"oci:{debian}:v1" if image == "debian" else f"oci:{multi}:multi"
    doc = scan(data, ref, fmt, env=GH_ENV)
    VALIDATORS[fmt](doc)


def test_sarif_for_github_code_scanning(data, debian):
    doc = scan(data, f"oci:{debian}:v1", "sarif")
    (run,) = doc["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert run["tool"]["driver"]["name"] == "drydock"
    ids = [r["id"] for r in rules]
    assert len(ids) == len(set(ids)) and "CVE-2023-0286" in ids
    assert run["results"], "the fixture image has findings"
    for res in run["results"]:
        rule = rules[res["ruleIndex"]]
        assert rule["id"] == res["ruleId"]
        assert res["level"] in ("error", "warning", "note")
        loc = res["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uri"] == "var/lib/dpkg/status"
        assert loc["region"]["startLine"] >= 1
        assert res["partialFingerprints"]
        assert res["properties"]["package"] in res["message"]["text"]
    r = next(r for r in rules if r["id"] == "CVE-2023-0286")
    assert r["shortDescription"]["text"] and r["fullDescription"]["text"]
    assert r["helpUri"] == "https://nvd.nist.gov/vuln/detail/CVE-2023-0286"
    assert "1.1.1n-0+deb11u4" in r["help"]["text"]      # the fix
    assert "security" in r["properties"]["tags"]
    # the sample data has Unknown severities: no made-up security-severity, level warning
    assert "security-severity" not in r["properties"]
    res = next(x for x in run["results"] if x["ruleId"] == "CVE-2023-0286" and x["properties"]["package"] == "openssl")
    assert res["level"] == "warning"
    assert "Installed Version: 1.1.1n-0+deb11u3" in res["message"]["text"]
    assert "Fixed Version: 1.1.1n-0+deb11u4" in res["message"]["text"]
    # results are stable across runs (fingerprints) and name the layout by its path and tag
    again = scan(data, f"oci:{debian}:v1", "sarif")
    assert [x["partialFingerprints"] for x in again["runs"][0]["results"]] == \
           [x["partialFingerprints"] for x in run["results"]]
    assert f"Image: {debian}:v1" in res["message"]["text"]


def test_sarif_multi_platform(data, multi):
    doc = scan(data, f"oci:{multi}:multi", "sarif")
    (run,) = doc["runs"]
    plats = {r["properties"]["platform"] for r in run["results"]}
    assert plats == {"linux/amd64", "linux/arm64"}
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]}
    assert uris == {"var/lib/dpkg/status", "lib/apk/db/installed"}
    ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert len(ids) == len(set(ids))


def test_spdx_document(data, debian):
    doc = scan(data, f"oci:{debian}:v1", "spdx")
    assert doc["spdxVersion"] == "SPDX-2.3" and doc["SPDXID"] == "SPDXRef-DOCUMENT"
    pk = {p["SPDXID"]: p for p in doc["packages"]}
    root = pk["SPDXRef-Image-0"]
    assert root["primaryPackagePurpose"] == "CONTAINER" and root["versionInfo"].startswith("sha256:")
    assert doc["documentNamespace"].endswith(root["versionInfo"].split(":")[1])
    assert root["name"] == f"{debian}:v1"
    libssl = next(p for p in doc["packages"] if p["name"] == "libssl1.1")
    (ref,) = libssl["externalRefs"]
    assert ref == {"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                   "referenceLocator": "pkg:deb/debian/libssl1.1@1.1.1n-0%2Bdeb11u3?arch=amd64&upstream=openssl"
                                       "&distro=debian-11"}
    rel = {(r["spdxElementId"], r["relationshipType"], r["relatedSpdxElement"]) for r in doc["relationships"]}
    assert ("SPDXRef-DOCUMENT", "DESCRIBES", "SPDXRef-Image-0") in rel
    assert ("SPDXRef-Image-0", "CONTAINS", libssl["SPDXID"]) in rel
    # deterministic: same namespace and ids on a second run
    again = scan(data, f"oci:{debian}:v1", "spdx")
    assert again["documentNamespace"] == doc["documentNamespace"]
    assert [p["SPDXID"] for p in again["packages"]] == [p["SPDXID"] for p in doc["packages"]]


def test_spdx_multi_platform(data, multi):
    doc = scan(data, f"oci:{multi}:multi", "spdx")
    described = [r["relatedSpdxElement"] for r in doc["relationships"] if r["relationshipType"] == "DESCRIBES"]
    assert described == ["SPDXRef-Image-0", "SPDXRef-Image-1"]
    names = {p["name"] for p in doc["packages"]}
    assert {"musl", "zlib1g", "debian", "alpine"} <= names


def test_cyclonedx_ratings_and_properties(data, debian):
    bom = scan(data, f"oci:{debian}:v1", "cyclonedx")
    v = next(v for v in bom["vulnerabilities"] if v["id"] == "CVE-2023-0286")
    assert v["ratings"] == [{"severity": "unknown", "method": "other"}]
    props = {p["name"]: p["value"] for p in v["properties"]}
    assert props["drydock:kev"] == "false" and props["drydock:fix:state"] == "fixed"
    assert all("url" in a for a in v.get("advisories", []))
    refs = {c["bom-ref"] for c in bom["components"]}
    assert all(a["ref"] in refs for x in bom["vulnerabilities"] for a in x["affects"])


def test_cyclonedx_multi_platform_nests_images(data, multi):
    bom = scan(data, f"oci:{multi}:multi", "cyclonedx")
    assert [c["type"] for c in bom["components"]] == ["container", "container"]
    refs = {s["bom-ref"] for c in bom["components"] for s in c["components"]}
    assert all(a["ref"] in refs for x in bom["vulnerabilities"] for a in x["affects"])
    plats = {p["value"] for x in bom["vulnerabilities"] for p in x["properties"] if p["name"] == "drydock:platform"}
    assert plats == {"linux/amd64", "linux/arm64"}


def test_cyclonedx_vex(data, debian):
    vex = scan(data, f"oci:{debian}:v1", "cyclonedx-vex")
    assert "components" not in vex
    v = next(v for v in vex["vulnerabilities"] if v["id"] == "CVE-2023-0286"
             and "libssl1.1" in v["affects"][0]["ref"])
    assert v["analysis"]["state"] == "exploitable" and v["analysis"]["response"] == ["update"]
    assert v["affects"][0]["ref"].startswith("pkg:deb/debian/libssl1.1@")
    # an ignored finding is a display filter, not a VEX statement: left out
    vex = drydock("scan", "--data-dir", str(data), "--format", "cyclonedx-vex", "--ignore", "CVE-2023-0286",
                  f"oci:{debian}:v1").stdout
    assert "CVE-2023-0286" not in json.loads(vex)["vulnerabilities"].__repr__()


def test_github_snapshot(data, debian):
    doc = scan(data, f"oci:{debian}:v1", "github", env=GH_ENV)
    assert doc["sha"] == GH_ENV["GITHUB_SHA"] and doc["ref"] == "refs/heads/main" and doc["job"]["id"] == "42"
    (m,) = doc["manifests"].values()
    assert m["file"]["source_location"] == f"{debian}:v1"
    assert "pkg:deb/debian/zlib1g@1%3A1.2.11.dfsg-2%2Bdeb11u1?arch=amd64&upstream=zlib&distro=debian-11" \
        in m["resolved"]


def test_github_snapshot_multi_platform(data, multi):
    doc = scan(data, f"oci:{multi}:multi", "github", env=GH_ENV)
    assert sorted(doc["manifests"]) == [f"{multi}:multi (linux/amd64)", f"{multi}:multi (linux/arm64)"]


def test_github_snapshot_needs_a_commit(data, debian):
    env = {k: "" for k in GH_ENV}
    p = drydock("scan", "--data-dir", str(data), "--format", "github", f"oci:{debian}:v1", check=False, env=env)
    assert p.returncode != 0 and b"GITHUB_SHA" in p.stderr and p.stdout == b""


@pytest.mark.parametrize("fmt", sorted(VALIDATORS))
def test_real_image_every_format_validates(alpine_db, alpine, fmt):
    VALIDATORS[fmt](scan(alpine_db, f"oci:{alpine}:3.4", fmt, env=GH_ENV))


def test_real_image_sarif_severities(alpine_db, alpine):
    doc = scan(alpine_db, f"oci:{alpine}:3.4", "sarif")
    run = doc["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    # NVD CVSS 3.0 9.8 -> Critical; 3.1 7.5 -> High; 3.1 5.5 -> Medium
    assert rules["CVE-2016-8859"]["properties"]["security-severity"] == "9.8"
    assert rules["CVE-2016-8859"]["defaultConfiguration"]["level"] == "error"
    assert rules["CVE-2017-15650"]["properties"]["security-severity"] == "7.5"
    assert rules["CVE-2017-15873"]["properties"]["security-severity"] == "5.5"
    assert rules["CVE-2017-15873"]["defaultConfiguration"]["level"] == "warning"
    lv = {(r["ruleId"], r["properties"]["package"]): r["level"] for r in run["results"]}
    assert lv[("CVE-2016-8859", "musl")] == "error"
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]} == \
        {"lib/apk/db/installed"}


def test_real_image_cyclonedx_ratings(alpine_db, alpine):
    bom = scan(alpine_db, f"oci:{alpine}:3.4", "cyclonedx")
    v = next(v for v in bom["vulnerabilities"] if v["id"] == "CVE-2016-8859")
    (r,) = v["ratings"]
    assert r["score"] == 9.8 and r["severity"] == "critical" and r["vector"].startswith("CVSS:3.0/")
    assert r["method"] == "CVSSv3" and r["source"]["name"] == "NVD"
    v = next(v for v in bom["vulnerabilities"] if v["id"] == "CVE-2017-15650")
    assert v["ratings"][0]["method"] == "CVSSv31" or v["ratings"][0]["method"] == "CVSSv3"
    props = {p["name"]: p["value"] for p in v["properties"]}
    assert props["drydock:severity"] == "High" and props["drydock:severity:source"] == "nvd"
