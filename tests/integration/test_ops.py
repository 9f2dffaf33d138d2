"""Issue 17, operations: /healthz, /readyz and /metrics (Prometheus text format,
parsed with Debian's python3-prometheus-client), the metrics token and the auth
rules on /metrics."""
import hashlib
import json
import subprocess
import time

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from conftest import BIN, FIXTURES, Server, check_sanitizer_log

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"


def sha256(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def push_image(url, repo, tag, auth=None):
    layer = b"ops-layer-" + repo.encode() + tag.encode()
    config = json.dumps({"architecture": "amd64", "os": "linux"}).encode()
    for blob in (layer, config):
        r = requests.post(f"{url}/v2/{repo}/blobs/uploads/", params={"digest": sha256(blob)}, data=blob, auth=auth)
        assert r.status_code == 201, r.text
    man = json.dumps({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "digest": sha256(config), "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": sha256(layer),
                    "size": len(layer)}],
    }).encode()
    r = requests.put(f"{url}/v2/{repo}/manifests/{tag}", data=man, headers={"Content-Type": OCI_MANIFEST},
                     auth=auth)
    assert r.status_code == 201, r.text
    return len(layer) + len(config) + len(man)


def scrape(url, **kw):
    r = requests.get(url + "/metrics", **kw)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    fams = {f.name: f for f in text_string_to_metric_families(r.text)}
    return fams


def sample(fams, fam, name=None, **labels):
    for s in fams[fam].samples:
        if (name is None or s.name == name) and all(s.labels.get(k) == v for k, v in labels.items()):
            return s.value
    return None


def test_healthz_readyz(server_factory, tmp_path):
    srv = server_factory(["--db-poll-interval", "1s"]).start()
    r = requests.get(srv.url + "/healthz")
    assert r.status_code == 200 and r.text == "ok\n"
    assert r.headers.get("X-Request-Id")
    r = requests.get(srv.url + "/readyz")
    assert r.status_code == 503
    assert r.json() == {"ready": False, "checks": {"stores": True, "database": False, "shutting_down": False}}
    p = subprocess.run([BIN, "db", "import", "--data-dir", srv.data_dir, str(FIXTURES / "feeds" / "alpine-secdb")],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    deadline = time.time() + 20
    while time.time() < deadline:
        r = requests.get(srv.url + "/readyz")
        if r.status_code == 200:
            break
        time.sleep(0.2)
    assert r.status_code == 200, r.text
    assert r.json()["ready"] is True
    assert srv.stop() == 0
    check_sanitizer_log(srv)


def test_metrics_parse_and_count(server):
    url = server.url
    before = scrape(url)
    nbytes = push_image(url, "ops/app", "v1")
    requests.get(url + "/v2/ops/app/manifests/nope")
    fams = scrape(url)
    # every family parses; the request counters moved by route class and status
    assert sample(fams, "drydock_http_requests", "drydock_http_requests_total", **{"class": "registry",
                                                                                   "status": "201"}) >= 3
    assert sample(fams, "drydock_http_requests", "drydock_http_requests_total", **{"class": "registry",
                                                                                   "status": "404"}) >= 1
    assert sample(fams, "drydock_http_requests", "drydock_http_requests_total", **{"class": "ops",
                                                                                   "status": "200"}) >= 1
    lat = fams["drydock_http_request_duration_seconds"]
    assert lat.type == "histogram"
    inf = [s.value for s in lat.samples if s.name.endswith("_bucket") and s.labels["class"] == "registry"
           and s.labels["le"] == "+Inf"][0]
    cnt = [s.value for s in lat.samples if s.name.endswith("_count") and s.labels["class"] == "registry"][0]
    assert inf == cnt >= 4
    got_in = sample(fams, "drydock_http_received_bytes", "drydock_http_received_bytes_total", **{"class": "registry"})
    was_in = sample(before, "drydock_http_received_bytes", "drydock_http_received_bytes_total",
                    **{"class": "registry"})
    assert got_in - was_in >= nbytes
    assert sample(fams, "drydock_http_sent_bytes", "drydock_http_sent_bytes_total", **{"class": "registry"}) > 0
    for fam in ("drydock_scan_duration_seconds", "drydock_gc_runs", "drydock_gc_reclaimed_bytes",
                "drydock_webhook_deliveries", "drydock_webhook_failures", "drydock_feed_updates",
                "drydock_storage_bytes", "drydock_storage_blobs", "drydock_scan_queue_depth",
                "drydock_layers_analyzed", "drydock_layers_reused", "drydock_vulndb_version"):
        assert fam in fams, fam
    assert sample(fams, "drydock_vulndb_version") == 0
    assert sample(fams, "drydock_storage_blobs") >= 0


def test_metrics_auth(tmp_path):
    data = tmp_path / "data"
    p = subprocess.run([BIN, "user", "add", "boss", "--role", "owner", "--password-stdin", "--data-dir", str(data)],
                       input="boss-pw-1\n", capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    p = subprocess.run([BIN, "user", "add", "rd", "--role", "reader", "--password-stdin", "--data-dir", str(data)],
                       input="rd-pw-1\n", capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    srv = Server(data, ["--scan", "false", "--metrics-token", "prom-token-123"]).start()
    try:
        url = srv.url
        nbytes = push_image(url, "ops/app", "v1", auth=("boss", "boss-pw-1"))
        assert requests.get(url + "/healthz").status_code == 200  # public
        assert requests.get(url + "/readyz").status_code in (200, 503)  # public
        r = requests.get(url + "/metrics")
        assert r.status_code == 401
        assert requests.get(url + "/metrics", auth=("rd", "rd-pw-1")).status_code == 403
        assert requests.get(url + "/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
        scrape(url, auth=("boss", "boss-pw-1"))
        fams = scrape(url, headers={"Authorization": "Bearer prom-token-123"})
        assert sample(fams, "drydock_http_requests", "drydock_http_requests_total",
                      **{"class": "ops", "status": "401"}) >= 1
        # gauges from the stores: the pushed image (scan off: not assessed), its blobs
        assert sample(fams, "drydock_storage_blobs") == 3
        assert sample(fams, "drydock_storage_bytes") == nbytes
        assert sample(fams, "drydock_images", health="not_assessed") == 1
        assert sample(fams, "drydock_images", health="healthy") == 0
        assert sample(fams, "drydock_findings", severity="critical") == 0
        assert sample(fams, "drydock_uploads_in_progress") == 0
        r = requests.post(f"{url}/v2/ops/app/blobs/uploads/", auth=("boss", "boss-pw-1"))
        assert r.status_code == 202
        fams = scrape(url, headers={"Authorization": "Bearer prom-token-123"})
        assert sample(fams, "drydock_uploads_in_progress") == 1
    finally:
        assert srv.stop() == 0
    check_sanitizer_log(srv)


def test_json_logs_and_request_id(server_factory):
    srv = server_factory(["--log-format", "json", "--scan", "false"]).start()
    r = requests.get(srv.url + "/v2/", headers={"X-Request-Id": "abc-123.DEF:9"})
    assert r.headers["X-Request-Id"] == "abc-123.DEF:9"
    for bad in ("has space", "x" * 64, "quote\"d", "semi;colon"):
        r = requests.get(srv.url + "/v2/", headers={"X-Request-Id": bad})
        assert r.headers["X-Request-Id"] != bad and len(r.headers["X-Request-Id"]) >= 8
    r = requests.get(srv.url + "/healthz")
    own = r.headers["X-Request-Id"]
    assert srv.stop() == 0
    lines = [ln for ln in srv.read_log().splitlines() if ln.strip()]
    objs = []
    for ln in lines:
        if ln.startswith("drydock: created user"):
            continue
        objs.append(json.loads(ln))  # every log line is one JSON object
    assert all({"ts", "level", "msg"} <= set(o) for o in objs)
    reqs = [o for o in objs if o["msg"] == "request"]
    assert any(o["id"] == "abc-123.DEF:9" and o["path"] == "/v2/" and o["status"] == 200 for o in reqs)
    assert any(o["id"] == own and o["path"] == "/healthz" for o in reqs)
    assert any(o["msg"].startswith("drydock serving on") for o in objs)
    assert any(o["msg"] == "stopped" for o in objs)


def test_bad_log_format(tmp_path):
    p = subprocess.run([BIN, "serve", "--data-dir", str(tmp_path / "d"), "--log-format", "xml"],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode != 0
    assert "invalid log-format 'xml'" in p.stderr
