"""POST /api/v1/query over the server's own data (issue 5): the
securityresources and resources tables built from scan results."""
import os

import pytest
import requests

import ocigen
from test_scan_push import OLD_DEBIAN, golden_db, push, scan_server, wait_done  # noqa: F401

pytestmark = pytest.mark.skipif(os.environ.get("DD_TEST_TARGET", "drydock") != "drydock",
                                reason="drydock-only tests")


def q(srv, text, **options):
    body = {"query": text}
    if options:
        body["options"] = options
    return requests.post(f"{srv.url}/api/v1/query", json=body)


@pytest.fixture
def loaded(scan_server, tmp_path):
    srv = scan_server
    bad = tmp_path / "bad"
    ocigen.layout(str(bad), [ocigen.debian_rootfs("11", "bullseye", OLD_DEBIAN)], tag="v1")
    push(bad, "v1", srv, "team/api:v1")
    good = tmp_path / "good"
    ocigen.layout(str(good), [ocigen.debian_rootfs("11", "bullseye", [("bash", "5.1-2+deb11u1", None)])], tag="g")
    push(good, "g", srv, "team/web:g")
    wait_done(srv, "team/api", "v1")
    wait_done(srv, "team/web", "g")
    return srv


def test_azure_sample_queries(loaded):
    srv = loaded
    # the example of the issue: count by severity
    r = q(srv, "securityresources | where type == 'microsoft.security/assessments/subassessments' "
               "| extend severity = tostring(properties.status.severity) | summarize count() by severity")
    assert r.status_code == 200, r.text
    j = r.json()
    assert j["data"] and sum(row["count_"] for row in j["data"]) == 11
    # Azure's documented container-image query shape
    r = q(srv, """securityresources
| where type == "microsoft.security/assessments/subassessments"
| where properties.additionalData.assessedResourceType == "ContainerRegistryVulnerability"
| extend repo = tostring(properties.additionalData.repositoryName)   // per repository
| summarize findings = count(), cves = dcount(tostring(properties.id)) by repo""")
    assert r.status_code == 200, r.text
    assert r.json()["data"] == [{"repo": "team/api", "findings": 11, "cves": 6}]
    # assessments: one per image, healthy ones included
    r = q(srv, "securityresources | where type == 'microsoft.security/assessments' "
               "| project code = tostring(properties.status.code), repo = tostring(properties.additionalData.repositoryName)"
               " | order by repo asc")
    assert [row["code"] for row in r.json()["data"]] == ["Unhealthy", "Healthy"]


def test_resources_and_paging(loaded):
    srv = loaded
    r = q(srv, "resources | where type == 'drydock/images' | project repository, status, tags | order by repository asc")
    assert r.json()["data"] == [{"repository": "team/api", "status": "Unhealthy", "tags": ["v1"]},
                                {"repository": "team/web", "status": "Healthy", "tags": ["g"]}]
    r = q(srv, "resources | where type == 'drydock/repositories' | project name, total = toint(counts.total)")
    assert sorted((d["name"], d["total"]) for d in r.json()["data"]) == [("team/api", 11), ("team/web", 0)]
    r = q(srv, "securityresources | project id | order by id asc", **{"$top": 4})
    j = r.json()
    assert j["count"] == 4 and j["totalRecords"] == 13 and "$skipToken" in j
    r2 = q(srv, "securityresources | project id | order by id asc", **{"$top": 4, "$skipToken": j["$skipToken"]})
    assert r2.json()["data"][0] != j["data"][0]


def test_query_errors(loaded):
    srv = loaded
    r = q(srv, "securityresources\n| wher x")
    assert r.status_code == 400
    e = r.json()["error"]
    assert e["line"] == 2 and e["column"] == 3 and "^" in e["message"]
    r = q(srv, "resources | project nosuchcolumn")
    assert r.status_code == 400 and "nosuchcolumn" in r.json()["error"]["message"]
    r = requests.post(f"{srv.url}/api/v1/query", data=b"not json")
    assert r.status_code == 400 and r.json()["error"]["parameter"] == "query"
    r = q(srv, "resources", **{"$top": 0})
    assert r.status_code == 400 and r.json()["error"]["parameter"] == "$top"
