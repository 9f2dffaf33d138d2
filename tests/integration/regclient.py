"""regclient: a small OCI distribution-spec v1.1 client for the registry tests.

Written from the spec text (opencontainers/distribution-spec, image-spec); it
talks plain HTTP through `requests` and never raises on an HTTP status, so the
tests can assert on every response. Also: digest helpers, builders for OCI /
Docker manifests and indexes, and a raw-socket helper for malformed requests.
"""
import hashlib
import json
import os
import socket
import time
import urllib.parse

import requests

# Which registry the tests run against ("drydock" or "reference"); conftest's
# pytest_configure exports it before the test modules are imported.
TARGET = os.environ.get("DD_TEST_TARGET", "drydock")
REFERENCE = TARGET == "reference"

# Media types (image-spec and Docker schema2).
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
OCI_EMPTY = "application/vnd.oci.empty.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
ACCEPT_ALL = ", ".join([OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_LIST])

EMPTY_JSON = b"{}"  # the empty descriptor's content (data "e30=")

SPEC_ERROR_CODES = {
    "BLOB_UNKNOWN", "BLOB_UPLOAD_INVALID", "BLOB_UPLOAD_UNKNOWN", "DIGEST_INVALID",
    "MANIFEST_BLOB_UNKNOWN", "MANIFEST_INVALID", "MANIFEST_UNKNOWN", "NAME_INVALID",
    "NAME_UNKNOWN", "SIZE_INVALID", "UNAUTHORIZED", "DENIED", "UNSUPPORTED",
    "TOOMANYREQUESTS",
}


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def sha512(data):
    return "sha512:" + hashlib.sha512(data).hexdigest()


def digest_of(data, algo="sha256"):
    return sha512(data) if algo == "sha512" else sha256(data)


def verify_digest(data, digest):
    algo, _, _hex = digest.partition(":")
    return digest_of(data, algo) == digest


def descriptor(media_type, content, **extra):
    d = {"mediaType": media_type, "digest": sha256(content), "size": len(content)}
    d.update(extra)
    return d


def empty_descriptor():
    return descriptor(OCI_EMPTY, EMPTY_JSON, data="e30=")


def config_bytes(tag="x", arch="amd64", os_="linux"):
    """A small, valid image config (unique per tag so digests differ)."""
    return json.dumps({"architecture": arch, "os": os_,
                       "rootfs": {"type": "layers", "diff_ids": []},
                       "config": {"Labels": {"test": tag}}}, sort_keys=True).encode()


def dumps(obj):
    return json.dumps(obj, separators=(",", ":"), sort_keys=True).encode()


def oci_manifest(config, layers, **extra):
    m = {"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config, "layers": layers}
    m.update(extra)
    return dumps(m)


def oci_index(manifests, **extra):
    m = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests}
    m.update(extra)
    return dumps(m)


def docker_manifest(config, layers):
    return dumps({"schemaVersion": 2, "mediaType": DOCKER_MANIFEST,
                  "config": config, "layers": layers})


def docker_list(manifests):
    return dumps({"schemaVersion": 2, "mediaType": DOCKER_LIST, "manifests": manifests})


def error_codes(resp):
    """The spec error codes in a response body ([] if none / not JSON)."""
    try:
        body = resp.json()
    except ValueError:
        return []
    if not isinstance(body, dict):
        return []
    return [e.get("code") for e in body.get("errors", []) if isinstance(e, dict)]


def parse_link(value):
    """`<url>; rel="next"` -> url (None if absent or not rel=next)."""
    if not value:
        return None
    for part in value.split(","):
        part = part.strip()
        if part.startswith("<") and ">" in part:
            url, _, params = part[1:].partition(">")
            if 'rel="next"' in params.replace(" ", "") or "rel=next" in params.replace(" ", ""):
                return url
    return None


class Registry:
    """A session against one registry base URL (http://host:port)."""

    def __init__(self, base, timeout=60):
        self.base = base.rstrip("/")
        self.timeout = timeout
        self.s = requests.Session()

    # -- plumbing ----------------------------------------------------------
    def abs(self, url):
        """Absolute URL for a path or a (relative or absolute) Location."""
        return urllib.parse.urljoin(self.base + "/", url)

    def req(self, method, url, **kw):
        kw.setdefault("timeout", self.timeout)
        kw.setdefault("allow_redirects", False)
        return self.s.request(method, self.abs(url), **kw)

    @staticmethod
    def with_query(url, **params):
        sep = "&" if "?" in url else "?"
        return url + sep + urllib.parse.urlencode(params)

    # -- base --------------------------------------------------------------
    def ping(self):
        return self.req("GET", "/v2/")

    # -- blobs -------------------------------------------------------------
    def head_blob(self, repo, digest):
        return self.req("HEAD", f"/v2/{repo}/blobs/{digest}")

    def get_blob(self, repo, digest, **kw):
        return self.req("GET", f"/v2/{repo}/blobs/{digest}", **kw)

    def delete_blob(self, repo, digest):
        return self.req("DELETE", f"/v2/{repo}/blobs/{digest}")

    def start_upload(self, repo, **params):
        url = f"/v2/{repo}/blobs/uploads/"
        if params:
            url = self.with_query(url, **params)
        return self.req("POST", url, headers={"Content-Length": "0"})

    def post_monolithic(self, repo, data, digest=None):
        url = self.with_query(f"/v2/{repo}/blobs/uploads/", digest=digest or sha256(data))
        return self.req("POST", url, data=data,
                        headers={"Content-Type": "application/octet-stream"})

    def patch_chunk(self, location, data, start=None, content_range=True):
        h = {"Content-Type": "application/octet-stream"}
        if content_range and start is not None:
            h["Content-Range"] = f"{start}-{start + len(data) - 1}"
        return self.req("PATCH", location, data=data, headers=h)

    def put_upload(self, location, digest, data=b""):
        h = {"Content-Type": "application/octet-stream"}
        return self.req("PUT", self.with_query(location, digest=digest), data=data, headers=h)

    def upload_status(self, location):
        return self.req("GET", location)

    def cancel_upload(self, location):
        return self.req("DELETE", location)

    def push_blob(self, repo, data, mode="post_put", chunk=None, algo="sha256"):
        """Push a blob; returns its digest. Raises AssertionError on failure."""
        dg = digest_of(data, algo)
        if mode == "monolithic":
            r = self.post_monolithic(repo, data, dg)
            if r.status_code == 201:
                return dg
            assert r.status_code == 202, (r.status_code, r.text)
            r = self.put_upload(r.headers["Location"], dg, data)
            assert r.status_code == 201, (r.status_code, r.text)
            return dg
        r = self.start_upload(repo)
        assert r.status_code == 202, (r.status_code, r.text)
        loc = r.headers["Location"]
        if mode == "chunked":
            chunk = chunk or max(1, len(data) // 3 or 1)
            off = 0
            while off < len(data):
                piece = data[off:off + chunk]
                r = self.patch_chunk(loc, piece, off)
                assert r.status_code == 202, (r.status_code, r.text)
                loc = r.headers["Location"]
                off += len(piece)
            r = self.put_upload(loc, dg)
        else:
            r = self.put_upload(loc, dg, data)
        assert r.status_code == 201, (r.status_code, r.text)
        return dg

    # -- manifests ---------------------------------------------------------
    def put_manifest(self, repo, ref, body, media_type=OCI_MANIFEST):
        h = {"Content-Type": media_type} if media_type else {}
        return self.req("PUT", f"/v2/{repo}/manifests/{ref}", data=body, headers=h)

    def get_manifest(self, repo, ref, accept=ACCEPT_ALL):
        return self.req("GET", f"/v2/{repo}/manifests/{ref}", headers={"Accept": accept})

    def head_manifest(self, repo, ref, accept=ACCEPT_ALL):
        return self.req("HEAD", f"/v2/{repo}/manifests/{ref}", headers={"Accept": accept})

    def delete_manifest(self, repo, ref):
        return self.req("DELETE", f"/v2/{repo}/manifests/{ref}")

    # -- discovery ---------------------------------------------------------
    def tags(self, repo, n=None, last=None):
        params = {}
        if n is not None:
            params["n"] = n
        if last is not None:
            params["last"] = last
        url = f"/v2/{repo}/tags/list"
        return self.req("GET", self.with_query(url, **params) if params else url)

    def catalog(self, n=None, last=None):
        params = {}
        if n is not None:
            params["n"] = n
        if last is not None:
            params["last"] = last
        url = "/v2/_catalog"
        return self.req("GET", self.with_query(url, **params) if params else url)

    def referrers(self, repo, digest, artifact_type=None):
        url = f"/v2/{repo}/referrers/{digest}"
        if artifact_type:
            url = self.with_query(url, artifactType=artifact_type)
        return self.req("GET", url)

    # -- composite helpers ---------------------------------------------------
    def push_image(self, repo, tag, layers=(b"layer-a",), cfg=None, media_type=OCI_MANIFEST,
                   **extra):
        """Push config + layers + manifest under tag (or by digest if tag is
        None). Returns (manifest_bytes, manifest_digest, blob_digests)."""
        cfg = cfg if cfg is not None else config_bytes(f"{repo}:{tag}")
        blobs = [self.push_blob(repo, cfg)]
        ldescs = []
        for data in layers:
            blobs.append(self.push_blob(repo, data))
            ldescs.append(descriptor(OCI_LAYER if media_type == OCI_MANIFEST else DOCKER_LAYER,
                                     data))
        if media_type == OCI_MANIFEST:
            body = oci_manifest(descriptor(OCI_CONFIG, cfg), ldescs, **extra)
        else:
            body = docker_manifest(descriptor(DOCKER_CONFIG, cfg), ldescs)
        dg = sha256(body)
        r = self.put_manifest(repo, tag or dg, body, media_type)
        assert r.status_code == 201, (r.status_code, r.text)
        return body, dg, blobs


def raw_request(port, data, read_timeout=10, half_close=False, host="127.0.0.1"):
    """Send raw bytes on a fresh connection and return what the server sends
    back until it closes or read_timeout passes without data."""
    with socket.create_connection((host, port), timeout=read_timeout) as s:
        s.sendall(data)
        if half_close:
            s.shutdown(socket.SHUT_WR)
        out = b""
        deadline = time.time() + read_timeout
        while time.time() < deadline:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            except ConnectionResetError:
                break
            if not chunk:
                break
            out += chunk
        return out


def raw_status(resp_bytes):
    """Status code of the first response in raw bytes (None if none)."""
    line = resp_bytes.split(b"\r\n", 1)[0]
    parts = line.split()
    if len(parts) >= 2 and parts[0].startswith(b"HTTP/") and parts[1].isdigit():
        return int(parts[1])
    return None
