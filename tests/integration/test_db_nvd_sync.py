"""`drydock db update` keeping a complete NVD copy through the CVE API 2.0.

A local http.server on 127.0.0.1 plays the NVD API: it serves the real
records of tests/fixtures/feeds/nvd/nvdcve-2.0-slice-000.json (39 CVEs, copied
from the shared vulndata, see its README) in pages of PAGE records whatever
resultsPerPage asks (the client must follow the server's paging), filters by
lastModStartDate/lastModEndDate, and can answer 429/503 first, block a page
(to kill the client mid-sync) or serve garbage. The rate-limit window is
shortened with $DRYDOCK_NVD_RATE_WINDOW_MS and backoff with
$DRYDOCK_FETCH_BACKOFF_MS so the tests stay fast."""
import datetime
import http.server
import json
import os
import signal
import subprocess
import threading
import time
import urllib.parse

import pytest

from conftest import BIN, FIXTURES

SLICE = FIXTURES / "feeds" / "nvd" / "nvdcve-2.0-slice-000.json"
RECORDS = json.loads(SLICE.read_text())["vulnerabilities"]
PAGE = 5


def parse_api_time(s):
    return datetime.datetime.fromisoformat(s).astimezone(datetime.timezone.utc).replace(tzinfo=None)


class NvdServer:
    def __init__(self):
        self.log = []            # dicts: start, params, apikey, t, status
        self.fail = []           # statuses (with Retry-After: 1 for 429) answered before the real page
        self.block_at = None     # startIndex whose request blocks until release is set
        self.release = threading.Event()
        self.garbage = False
        self.tracker = b""
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                u = urllib.parse.urlparse(self.path)
                q = {k: v[0] for k, v in urllib.parse.parse_qs(u.query).items()}
                if u.path == "/tracker":  # another feed on the same server
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(outer.tracker)))
                    self.end_headers()
                    self.wfile.write(outer.tracker)
                    return
                start = int(q.get("startIndex", "0"))
                entry = {"start": start, "params": q, "apikey": self.headers.get("apiKey"), "t": time.monotonic()}
                outer.log.append(entry)
                if outer.fail:
                    st = outer.fail.pop(0)
                    entry["status"] = st
                    self.send_response(st)
                    if st == 429:
                        self.send_header("Retry-After", "1")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if outer.block_at is not None and start == outer.block_at:
                    outer.release.wait(60)
                recs = RECORDS
                if "lastModStartDate" in q:
                    a, b = parse_api_time(q["lastModStartDate"]), parse_api_time(q["lastModEndDate"])
                    recs = [r for r in RECORDS
                            if a <= datetime.datetime.fromisoformat(r["cve"]["lastModified"]) <= b]
                body = json.dumps({"resultsPerPage": PAGE, "startIndex": start, "totalResults": len(recs),
                                   "format": "NVD_CVE", "version": "2.0", "timestamp": "2026-10-09T00:00:00.000",
                                   "vulnerabilities": recs[start:start + PAGE]}).encode()
                if outer.garbage:
                    body = body[:len(body) // 2]
                entry["status"] = 200
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except BrokenPipeError:  # the client was killed
                    pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/rest/json/cves/2.0"

    def close(self):
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def nvd():
    s = NvdServer()
    yield s
    s.close()


ENV = dict(os.environ, DRYDOCK_NVD_RATE_WINDOW_MS="400", DRYDOCK_FETCH_BACKOFF_MS="20")


def run(args, env=None, check=True):
    p = subprocess.run([BIN, *args], capture_output=True, text=True, timeout=120, env=env or ENV)
    if check and p.returncode != 0:
        raise AssertionError(f"drydock {' '.join(args)} exited {p.returncode}\n{p.stdout}\n{p.stderr}")
    return p


def sync_args(srv, data, *extra):
    return ["db", "update", "--data-dir", str(data), "--feeds", "nvd", "--nvd-url", srv.url, *extra]


def status(data):
    return json.loads(run(["db", "status", "--json", "--data-dir", str(data)]).stdout)


def test_full_sync_follows_pages_and_rate_limit(nvd, tmp_path):
    data = tmp_path / "data"
    p = run(sync_args(nvd, data))
    assert "nvd: full sync: 8 pages, 8 requests" in p.stdout
    assert "nvd feed 'nvd': 39 records" in p.stdout
    assert "database updated to version 1" in p.stdout
    assert p.stderr == ""  # not a terminal: no progress output
    assert [e["start"] for e in nvd.log] == [0, 5, 10, 15, 20, 25, 30, 35]
    assert all(e["params"]["resultsPerPage"] == "2000" for e in nvd.log)
    assert all("lastModStartDate" not in e["params"] for e in nvd.log)
    assert all(e["apikey"] is None for e in nvd.log)
    # public limit: 5 requests per (shortened) window, so the 6th waits (the
    # client times its window from sending; the server sees arrivals)
    assert nvd.log[5]["t"] - nvd.log[0]["t"] >= 0.3
    st = status(data)
    assert st["nvd"] == 39
    row = {f["name"]: f for f in st["feeds"]}["nvd"]
    assert row["records"] == 39 and row["source"] == nvd.url
    assert row["last_modified"].endswith("Z")
    assert not (data / "vulndb" / "vuln.db.nvd-sync").exists()


def test_retries_429_and_503_then_200(nvd, tmp_path):
    data = tmp_path / "data"
    nvd.fail = [429, 503, 503]
    t0 = time.monotonic()
    p = run(sync_args(nvd, data))
    assert time.monotonic() - t0 >= 1.0  # Retry-After: 1 was honored
    assert [e["status"] for e in nvd.log[:4]] == [429, 503, 503, 200]
    assert "8 pages, 11 requests" in p.stdout
    assert status(data)["nvd"] == 39


def test_gives_up_after_retries_keeps_old_data(nvd, tmp_path):
    data = tmp_path / "data"
    run(sync_args(nvd, data))
    nvd.fail = [503] * 20
    p = run(sync_args(nvd, data), check=False)
    assert p.returncode == 1
    assert "drydock: nvd:" in p.stderr and "HTTP 503" in p.stderr and "previous data kept" in p.stderr
    assert "database unchanged (version 1" in p.stdout
    assert status(data)["nvd"] == 39


def test_api_key_header_and_higher_limit(nvd, tmp_path):
    data = tmp_path / "data"
    # a 3 s window: without a key the 6th request would wait for it
    run(sync_args(nvd, data, "--nvd-api-key", "k-123"), env=dict(ENV, DRYDOCK_NVD_RATE_WINDOW_MS="3000"))
    assert {e["apikey"] for e in nvd.log} == {"k-123"}
    # 50 per window with a key: 8 requests need no wait
    assert nvd.log[-1]["t"] - nvd.log[0]["t"] < 2.5
    nvd.log.clear()
    run(sync_args(nvd, tmp_path / "data2"), env=dict(ENV, DRYDOCK_NVD_API_KEY="from-env"))
    assert {e["apikey"] for e in nvd.log} == {"from-env"}


def test_killed_sync_resumes_where_it_stopped(nvd, tmp_path):
    data = tmp_path / "data"
    nvd.block_at = 15
    proc = subprocess.Popen([BIN, *sync_args(nvd, data)], env=ENV, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    deadline = time.time() + 30
    while time.time() < deadline and not any(e["start"] == 15 for e in nvd.log):
        time.sleep(0.05)
    assert any(e["start"] == 15 for e in nvd.log)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    syncdir = data / "vulndb" / "vuln.db.nvd-sync"
    kept = sorted(f for f in os.listdir(syncdir) if not f.startswith("part-"))  # the page being fetched
    assert kept == ["page-000000.json", "page-000001.json", "page-000002.json",
                                           "state.json"]
    state = json.loads((syncdir / "state.json").read_text())
    assert state["next"] == 15 and state["pages"] == 3 and state["full"] is True
    assert not (data / "vulndb" / "vuln.db").exists()  # nothing was swapped in

    nvd.block_at = None
    nvd.log.clear()
    p = run(sync_args(nvd, data))
    assert "nvd: full sync (resumed): 8 pages, 5 requests" in p.stdout
    assert [e["start"] for e in nvd.log] == [15, 20, 25, 30, 35]
    assert status(data)["nvd"] == 39
    assert not syncdir.exists()


def test_incremental_walks_120_day_windows(nvd, tmp_path):
    data = tmp_path / "data"
    run(sync_args(nvd, data), env=dict(ENV, DRYDOCK_NVD_NOW="2026-01-01T00:00:00Z"))
    row = {f["name"]: f for f in status(data)["feeds"]}["nvd"]
    assert row["last_modified"] == "2026-01-01T00:00:00Z"
    nvd.log.clear()
    p = run(sync_args(nvd, data), env=dict(ENV, DRYDOCK_NVD_NOW="2026-10-09T00:00:00Z"))
    assert "incremental sync 2026-01-01T00:00:00Z .. 2026-10-09T00:00:00Z: 3 windows" in p.stdout
    windows = []
    for e in nvd.log:
        w = (e["params"]["lastModStartDate"], e["params"]["lastModEndDate"])
        if w not in windows:
            windows.append(w)
    assert len(windows) == 3
    bounds = [(parse_api_time(a), parse_api_time(b)) for a, b in windows]
    assert bounds[0][0] == datetime.datetime(2026, 1, 1)
    assert bounds[-1][1] == datetime.datetime(2026, 10, 9)
    for (a, b), nxt in zip(bounds, bounds[1:] + [None]):
        assert b - a <= datetime.timedelta(days=120)
        if nxt:
            assert nxt[0] == b
    changed = [r for r in RECORDS
               if datetime.datetime(2026, 1, 1) <= datetime.datetime.fromisoformat(r["cve"]["lastModified"])]
    assert changed, "the slice has records modified in 2026"
    assert f"nvd feed 'nvd': {len(changed)} records" in p.stdout
    st = status(data)
    assert st["version"] == 2 and st["nvd"] == 39
    assert {f["name"]: f for f in st["feeds"]}["nvd"]["last_modified"] == "2026-10-09T00:00:00Z"


def test_garbage_page_reported_old_database_stays(nvd, tmp_path):
    data = tmp_path / "data"
    run(sync_args(nvd, data))
    nvd.garbage = True
    nvd.tracker = json.dumps({"pkg": {"CVE-2099-0001": {"releases": {
        "bookworm": {"status": "open", "urgency": "low"}}}}}).encode()
    # the tracker still updates while NVD fails
    tracker_url = nvd.url.split("/rest/")[0] + "/tracker"
    p = run(["db", "update", "--data-dir", str(data), "--feeds", "nvd,debian-tracker", "--nvd-url", nvd.url,
             "--debian-tracker-url", tracker_url], check=False)
    assert p.returncode == 1
    assert "drydock: nvd:" in p.stderr and "invalid json" in p.stderr and "previous data kept" in p.stderr
    assert "database updated to version 2" in p.stdout
    st = status(data)
    assert st["nvd"] == 39
    assert {f["name"]: f for f in st["feeds"]}["nvd"]["records"] == 39
    assert {f["name"]: f for f in st["feeds"]}["debian-tracker"]["records"] == 1
    # the fetched-but-bad sync left no pages behind it, and the next good run completes
    nvd.garbage = False
    p = run(sync_args(nvd, data))
    assert "incremental sync" in p.stdout and status(data)["version"] == 3
