"""The distribution-spec's current text (main, after v1.1) checked MUST by
MUST and SHOULD by SHOULD (issue 15 item 4): one test per requirement that
test_registry_conformance.py did not cover, or that Drydock did not meet
before. The table in docs/registry.md ("Spec checklist") names each test.

Behaviours the spec leaves to the registry (MAY) are Drydock's choices and
skipped against the reference registry."""
import hashlib
import json
import os
import subprocess
import uuid

import pytest
import requests

from conftest import BIN
from regclient import (OCI_CONFIG, OCI_MANIFEST, REFERENCE, Registry, config_bytes, descriptor,
                       error_codes, oci_manifest, sha256, sha512)
from test_registry_conformance import assert_error

drydock_only = pytest.mark.skipif(REFERENCE, reason="a choice the spec leaves to the registry (drydock's)")


@pytest.fixture
def reg(registry):
    return Registry(registry.url)


@pytest.fixture
def repo():
    return "spec/" + uuid.uuid4().hex[:12]


# ---- 404 codes ----------------------------------------------------------------


@drydock_only
def test_unknown_repository_is_name_unknown(reg, repo):
    """A request into a repository that does not exist: 404 NAME_UNKNOWN
    ("repository name not known to registry"); in one that exists, the
    object's own code."""
    ghost = "spec/never-" + uuid.uuid4().hex[:8]
    dg = sha256(b"nothing")
    assert_error(reg.get_manifest(ghost, "latest"), 404, "NAME_UNKNOWN")
    assert_error(reg.get_manifest(ghost, dg), 404, "NAME_UNKNOWN")
    assert reg.head_manifest(ghost, "latest").status_code == 404
    assert_error(reg.delete_manifest(ghost, dg), 404, "NAME_UNKNOWN")
    assert_error(reg.delete_manifest(ghost, "latest"), 404, "NAME_UNKNOWN")
    assert_error(reg.get_blob(ghost, dg), 404, "NAME_UNKNOWN")
    assert reg.head_blob(ghost, dg).status_code == 404
    assert_error(reg.delete_blob(ghost, dg), 404, "NAME_UNKNOWN")
    assert_error(reg.tags(ghost), 404, "NAME_UNKNOWN")
    # the repository exists: the object is unknown
    reg.push_blob(repo, b"exists")
    assert_error(reg.get_manifest(repo, "latest"), 404, "MANIFEST_UNKNOWN")
    assert_error(reg.get_manifest(repo, dg), 404, "MANIFEST_UNKNOWN")
    assert_error(reg.delete_manifest(repo, dg), 404, "MANIFEST_UNKNOWN")
    assert_error(reg.delete_manifest(repo, "latest"), 404, "MANIFEST_UNKNOWN")
    assert_error(reg.get_blob(repo, dg), 404, "BLOB_UNKNOWN")
    assert_error(reg.delete_blob(repo, dg), 404, "BLOB_UNKNOWN")


def test_referrers_never_404(reg):
    """A registry with the referrers API MUST NOT answer it with 404, not even
    for a repository it does not know: an empty index."""
    r = reg.referrers("spec/never-" + uuid.uuid4().hex[:8], sha256(b"subject"))
    assert r.status_code == 200
    assert r.headers["Content-Type"].split(";")[0] == "application/vnd.oci.image.index.v1+json"
    assert r.json()["manifests"] == []


def test_referrers_filter_without_match(reg, repo):
    """A filter that matches nothing: 200, an empty list, and the filter is
    still reported as applied."""
    _, dg, _ = reg.push_image(repo, "v1")
    r = reg.referrers(repo, dg, artifact_type="application/vnd.example.none")
    assert r.status_code == 200 and r.json()["manifests"] == []
    assert r.headers.get("OCI-Filters-Applied") == "artifactType"


# ---- blob GET: Range (RFC 9110 section 14) -------------------------------------------


@pytest.mark.parametrize("rng", ["bytes=0-1,5-6", "items=0-1", "bytes=abc", "bytes=1-2-3"])
def test_range_forms_ignored(reg, repo, rng):
    """A Range the registry does not serve as one part (several ranges,
    another unit, malformed) is ignored: 200 with the whole blob (RFC 9110
    lets a server ignore Range)."""
    data = os.urandom(100)
    dg = reg.push_blob(repo, data)
    r = reg.get_blob(repo, dg, headers={"Range": rng})
    assert r.status_code == 200 and r.content == data
    assert r.headers.get("Docker-Content-Digest") == dg


def test_range_suffix_zero_unsatisfiable(reg, repo):
    """bytes=-0 asks for nothing: 416 with Content-Range: bytes */size."""
    data = os.urandom(100)
    dg = reg.push_blob(repo, data)
    r = reg.get_blob(repo, dg, headers={"Range": "bytes=-0"})
    assert r.status_code == 416
    assert r.headers.get("Content-Range") == "bytes */100"


def test_range_on_head(reg, repo):
    """HEAD with a Range: the headers of the 206, no body."""
    data = os.urandom(100)
    dg = reg.push_blob(repo, data)
    r = reg.req("HEAD", f"/v2/{repo}/blobs/{dg}", headers={"Range": "bytes=10-19"})
    assert r.status_code == 206 and r.content == b""
    assert r.headers.get("Content-Range") == "bytes 10-19/100"
    assert r.headers.get("Content-Length") == "10"
    assert r.headers.get("Docker-Content-Digest") == dg


# ---- uploads ---------------------------------------------------------------------


def test_final_put_chunk_out_of_order(reg, repo):
    """A closing PUT whose chunk does not continue the upload: 416 (MUST),
    with the session's Range and Location to resume from."""
    data = os.urandom(100)
    r = reg.start_upload(repo)
    loc = r.headers["Location"]
    r = reg.patch_chunk(loc, data[:50], start=0)
    assert r.status_code == 202
    loc = r.headers["Location"]
    r = reg.req("PUT", reg.with_query(loc, digest=sha256(data)), data=data[60:],
                headers={"Content-Type": "application/octet-stream", "Content-Range": "60-99"})
    assert r.status_code == 416
    s = reg.upload_status(r.headers.get("Location") or loc)
    assert s.status_code == 204 and s.headers.get("Range") == "0-49"
    r = reg.req("PUT", reg.with_query(s.headers["Location"], digest=sha256(data)), data=data[50:],
                headers={"Content-Type": "application/octet-stream", "Content-Range": "50-99"})
    assert r.status_code == 201
    assert reg.get_blob(repo, sha256(data)).content == data


@drydock_only
def test_digest_algorithm_param(reg, repo):
    """POST ?digest-algorithm=sha512 (end-4c) then chunks and the closing PUT
    with a sha512 digest: 201, Docker-Content-Digest in sha512."""
    data = os.urandom(3000)
    r = reg.start_upload(repo, **{"digest-algorithm": "sha512"})
    assert r.status_code == 202
    r = reg.patch_chunk(r.headers["Location"], data[:1000], start=0)
    assert r.status_code == 202 and r.headers.get("Range") == "0-999"
    r = reg.patch_chunk(r.headers["Location"], data[1000:], start=1000)
    assert r.status_code == 202 and r.headers.get("Range") == "0-2999"
    r = reg.put_upload(r.headers["Location"], sha512(data))
    assert r.status_code == 201, r.text
    assert r.headers.get("Docker-Content-Digest") == sha512(data)
    assert reg.get_blob(repo, sha512(data)).content == data


@drydock_only
@pytest.mark.parametrize("alg", ["md5", "sha1", "blake3", "SHA256", ""])
def test_digest_algorithm_unsupported(reg, repo, alg):
    """An algorithm the registry cannot verify: 400 DIGEST_INVALID at once
    (SHOULD), not after the bytes were sent."""
    assert_error(reg.start_upload(repo, **{"digest-algorithm": alg}), 400, "DIGEST_INVALID")


# ---- mount -----------------------------------------------------------------------


@drydock_only
def test_mount_without_from_finds_the_blob(reg, repo):
    """`mount` without `from`: the registry MAY find the blob itself; Drydock
    mounts it from a repository holding it (201, Location,
    Docker-Content-Digest)."""
    data = os.urandom(64)
    dg = reg.push_blob(repo, data)
    dest = repo + "-dest"
    r = reg.start_upload(dest, mount=dg)
    assert r.status_code == 201, r.text
    assert r.headers.get("Docker-Content-Digest") == dg
    assert r.headers.get("Location", "").endswith(f"/v2/{dest}/blobs/{dg}")
    assert reg.get_blob(dest, dg).content == data


def test_mount_without_from_unknown_blob(reg, repo):
    """Nothing to mount: an upload session (202) the client may use."""
    r = reg.start_upload(repo, mount=sha256(os.urandom(16)))
    assert r.status_code == 202 and r.headers.get("Location")
    data = os.urandom(32)
    assert reg.put_upload(r.headers["Location"], sha256(data), data).status_code == 201


@drydock_only
def test_mount_without_from_needs_pull(registry_factory, tmp_path):
    """Without `from`, the source must be a repository the caller may pull:
    a Writer limited to team/* gets no blob that only other/* holds (202),
    and one that team/* holds is mounted (201)."""
    data_dir = tmp_path / "mountauth"

    def user(name, role, repos=None):
        args = [BIN, "user", "add", name, "--role", role, "--password", name + "-pw-1", "--data-dir", str(data_dir)]
        if repos:
            args += ["--repos", repos]
        subprocess.run(args, check=True, capture_output=True, timeout=60)

    user("boss", "owner")
    user("teamw", "writer", "team/*")
    srv = registry_factory(["--scan", "false"], data_dir=data_dir).start()
    boss = Registry(srv.url)
    boss.s.auth = ("boss", "boss-pw-1")
    teamw = Registry(srv.url)
    teamw.s.auth = ("teamw", "teamw-pw-1")
    secret = os.urandom(64)
    dg = boss.push_blob("other/app", secret)
    r = teamw.start_upload("team/app", mount=dg)
    assert r.status_code == 202, r.status_code
    assert_error(teamw.get_blob("team/app", dg), 404, {"BLOB_UNKNOWN", "NAME_UNKNOWN"})
    shared = os.urandom(64)
    sdg = boss.push_blob("team/base", shared)
    r = teamw.start_upload("team/app", mount=sdg)
    assert r.status_code == 201
    assert teamw.get_blob("team/app", sdg).content == shared


# ---- manifests ---------------------------------------------------------------------


def test_manifest_content_type_without_parameters(reg, repo):
    """Content-Type parameters on a push are ignored (SHOULD) and never
    served back (the registry SHOULD NOT include parameters)."""
    cfg = config_bytes(repo)
    reg.push_blob(repo, cfg)
    body = json.dumps({"schemaVersion": 2, "config": descriptor(OCI_CONFIG, cfg), "layers": []}).encode()
    r = reg.req("PUT", f"/v2/{repo}/manifests/params", data=body,
                headers={"Content-Type": OCI_MANIFEST + "; charset=utf-8"})
    assert r.status_code == 201, r.text
    for g in (reg.get_manifest(repo, "params"), reg.head_manifest(repo, "params")):
        assert g.headers["Content-Type"] == OCI_MANIFEST
        assert g.headers.get("Docker-Content-Digest") == sha256(body)
        assert g.headers.get("Content-Length") == str(len(body))


def test_no_warning_headers(reg, repo):
    """Drydock sends no Warning header; if it ever does, each MUST be
    `299 - "text"` without a date, 4096 bytes in all at most."""
    body, dg, blobs = reg.push_image(repo, "v1", layers=(os.urandom(50),))
    responses = [reg.ping(), reg.get_manifest(repo, "v1"), reg.head_manifest(repo, dg), reg.get_blob(repo, blobs[1]),
                 reg.tags(repo), reg.referrers(repo, dg), reg.start_upload(repo)]
    for r in responses:
        warnings = [v for k, v in r.headers.items() if k.lower() == "warning"]
        assert not warnings, warnings


# ---- deletion disabled -------------------------------------------------------------


@drydock_only
def test_delete_disabled(registry_factory):
    """`--delete false`: every DELETE of a manifest, tag or blob is 405
    UNSUPPORTED (the spec: 400 or 405 when deletion is disabled) and changes
    nothing; cancelling an upload still works (204)."""
    srv = registry_factory(["--delete", "false", "--scan", "false"]).start()
    reg = Registry(srv.url)
    body, dg, blobs = reg.push_image("spec/nodel", "v1")
    for r in (reg.delete_manifest("spec/nodel", dg), reg.delete_manifest("spec/nodel", "v1"),
              reg.delete_blob("spec/nodel", blobs[0])):
        assert_error(r, 405, "UNSUPPORTED")
    assert reg.get_manifest("spec/nodel", "v1").content == body
    assert reg.get_blob("spec/nodel", blobs[0]).status_code == 200
    r = reg.start_upload("spec/nodel")
    assert reg.cancel_upload(r.headers["Location"]).status_code == 204


def test_delete_enabled_is_202(reg, repo):
    """Deletion on (the default): 202 for a tag, a manifest and a blob."""
    body, dg, blobs = reg.push_image(repo, "v1")
    assert reg.delete_manifest(repo, "v1").status_code == 202
    assert reg.get_manifest(repo, "v1").status_code == 404
    assert reg.delete_manifest(repo, dg).status_code == 202
    assert reg.delete_blob(repo, blobs[0]).status_code == 202
    assert error_codes(reg.get_blob(repo, blobs[0])) == ["BLOB_UNKNOWN"]


def test_sha512_manifest_digest_header(reg, repo):
    """PUT by a sha512 digest: Docker-Content-Digest MUST equal the digest
    the client gave (not a sha256 of the same bytes)."""
    cfg = config_bytes(repo)
    reg.push_blob(repo, cfg)
    body = oci_manifest(descriptor(OCI_CONFIG, cfg), [])
    d = "sha512:" + hashlib.sha512(body).hexdigest()
    r = reg.put_manifest(repo, d, body)
    assert r.status_code == 201, r.text
    assert r.headers.get("Docker-Content-Digest") == d
    assert reg.head_manifest(repo, d).headers.get("Docker-Content-Digest") == d


def test_error_responses_are_json_with_spec_codes(reg, repo):
    """Every 4xx answered here carries the spec's JSON error body with a code
    from its table."""
    r = requests.post(f"{reg.base}/v2/{repo}/blobs/uploads/", params={"digest": "md5:abc"}, data=b"x")
    assert_error(r, 400, "DIGEST_INVALID")
