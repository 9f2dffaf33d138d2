"""`drydock db import|update|status` against the real feed fixtures.

update is run against a local http.server on 127.0.0.1 that serves the
fixture files under the live feeds' URL layouts, with ETag / Last-Modified
and conditional GET support, so the second update must be all 304s."""
import hashlib
import http.server
import json
import os
import subprocess
import threading

import pytest

from conftest import BIN, FIXTURES

FEEDS = FIXTURES / "feeds"

ROUTES = {
    "/osv/Debian/all.zip": FEEDS / "debian-osv" / "all.zip",
    "/osv/Ubuntu/all.zip": FEEDS / "ubuntu-osv" / "all.zip",
    "/osv/Go/all.zip": FEEDS / "go-osv" / "all.zip",
    "/osv/PyPI/all.zip": FEEDS / "pypi-osv" / "all.zip",
    "/tracker/json": FEEDS / "debian-tracker" / "debian.json",
    "/nvd/cves": FEEDS / "nvd" / "nvdcve-2.0-page.json",
}
for branch in ("v3.10", "v3.11"):
    for repo in ("main", "community"):
        ROUTES[f"/secdb/{branch}/{repo}.json"] = FEEDS / "alpine-secdb" / branch / f"{repo}.json"


class FeedServer:
    def __init__(self):
        self.overrides = {}   # path -> bytes served instead of the file
        self.log = []         # (path, status, if-none-match)
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                path = self.path.split("?")[0]
                if path in outer.overrides:
                    body = outer.overrides[path]
                elif path in ROUTES:
                    body = ROUTES[path].read_bytes()
                else:
                    outer.log.append((path, 404, None))
                    self.send_error(404)
                    return
                etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
                inm = self.headers.get("If-None-Match")
                if inm == etag:
                    outer.log.append((path, 304, inm))
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                outer.log.append((path, 200, inm))
                self.send_response(200)
                self.send_header("ETag", etag)
                self.send_header("Last-Modified", "Sun, 02 Apr 2023 00:00:00 GMT")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def feeds():
    s = FeedServer()
    yield s
    s.close()


def drydock(*args, check=True, timeout=600):
    p = subprocess.run([BIN, *args], capture_output=True, text=True, timeout=timeout)
    if check and p.returncode != 0:
        raise AssertionError(f"drydock {' '.join(args)} exited {p.returncode}\n{p.stdout}\n{p.stderr}")
    return p


def update_args(srv, data):
    # NVD is synced through its API (test_db_nvd_sync.py), not by conditional GET
    return ["db", "update", "--data-dir", str(data), "--feeds", "osv,debian-tracker,alpine-secdb",
            "--osv-url", srv.url + "/osv", "--osv-ecosystems", "Debian,Ubuntu,Go,PyPI",
            "--debian-tracker-url", srv.url + "/tracker/json",
            "--alpine-secdb-url", srv.url + "/secdb", "--alpine-branches", "v3.10,v3.11,v3.99"]


def status(data):
    return json.loads(drydock("db", "status", "--json", "--data-dir", str(data)).stdout)


def test_update_twice_then_changed_feed(feeds, tmp_path):
    data = tmp_path / "data"
    p = drydock(*update_args(feeds, data))
    assert "database updated to version 1" in p.stdout
    assert "alpine/v3.99/main: not found (404)" in p.stdout
    st = status(data)
    assert st["version"] == 1
    byname = {f["name"]: f for f in st["feeds"]}
    assert byname["osv/Debian"]["records"] == 8940
    assert byname["osv/Ubuntu"]["records"] == 9
    assert byname["osv/Go"]["records"] == 4291
    assert byname["osv/PyPI"]["records"] == 2661
    assert byname["debian-tracker"]["records"] == 7
    assert byname["alpine/v3.10/main"]["records"] == 166
    assert byname["alpine/v3.11/community"]["records"] == 85
    assert "alpine/v3.99/main" not in byname
    assert byname["osv/Debian"]["etag"].startswith('"')
    assert byname["osv/Debian"]["source"] == feeds.url + "/osv/Debian/all.zip"
    first_200 = [e for e in feeds.log if e[1] == 200]
    assert len(first_200) == 9 and all(e[2] is None for e in first_200)

    # second run: every feed answers 304 to the stored ETag; nothing changes
    feeds.log.clear()
    p = drydock(*update_args(feeds, data))
    assert "database unchanged (version 1" in p.stdout
    served = [e for e in feeds.log if e[1] != 404]
    assert len(served) == 9 and all(e[1] == 304 for e in served)
    assert all(e[2] for e in served)  # If-None-Match was sent
    st2 = status(data)
    assert st2["version"] == 1 and st2["affected"] == st["affected"]

    # a feed changes: only it is re-imported, and it replaces what it had
    feeds.overrides["/tracker/json"] = json.dumps({
        "newpkg": {"CVE-2099-1234": {"description": "x", "releases": {
            "bookworm": {"status": "open", "urgency": "low", "nodsa": "Minor issue",
                         "nodsa_reason": "postponed"}}}}}).encode()
    feeds.log.clear()
    p = drydock(*update_args(feeds, data))
    assert "database updated to version 2" in p.stdout
    assert [e[0] for e in feeds.log if e[1] == 200] == ["/tracker/json"]
    st3 = status(data)
    assert st3["version"] == 2
    assert {f["name"]: f for f in st3["feeds"]}["debian-tracker"]["records"] == 1
    assert st3["affected"] == st["affected"] - 21 + 1

    # a corrupt feed keeps its previous data; the others still update
    feeds.overrides["/osv/Ubuntu/all.zip"] = b"PK\x03\x04 this is not a zip"
    feeds.overrides["/tracker/json"] = json.dumps({"newpkg": {"CVE-2099-1235": {"releases": {}}}}).encode()
    p = drydock(*update_args(feeds, data), check=False)
    assert p.returncode == 1
    assert "osv/Ubuntu: import failed, previous data kept" in p.stderr
    assert "database updated to version 3" in p.stdout
    st4 = status(data)
    by4 = {f["name"]: f for f in st4["feeds"]}
    assert by4["osv/Ubuntu"]["records"] == 9 and by4["debian-tracker"]["records"] == 1
    assert st4["affected"] == st3["affected"] - 1


def test_import_and_status(tmp_path):
    data = tmp_path / "data"
    p = drydock("db", "status", "--data-dir", str(data), check=False)
    assert p.returncode != 0
    p = drydock("db", "import", "--data-dir", str(data), str(FEEDS / "ubuntu-osv"),
                str(FEEDS / "alpine-secdb" / "v3.10" / "main.json"))
    assert "osv feed 'osv/Ubuntu': 9 records, 48 affected entries, 3 withdrawn" in p.stdout
    assert "alpine-secdb feed 'alpine/v3.10/main': 166 records" in p.stdout
    st = status(data)
    assert st["version"] == 1
    # idempotent: importing again leaves the same counts
    drydock("db", "import", "--data-dir", str(data), str(FEEDS / "ubuntu-osv"),
            str(FEEDS / "alpine-secdb" / "v3.10" / "main.json"))
    st2 = status(data)
    assert st2["version"] == 2
    assert (st2["vulnerabilities"], st2["affected"]) == (st["vulnerabilities"], st["affected"])
    text = drydock("db", "status", "--data-dir", str(data)).stdout
    assert "osv/Ubuntu" in text and "version:   2" in text


def test_import_bad_record_reported(tmp_path):
    data = tmp_path / "data"
    bad = tmp_path / "mixed.json"
    bad.write_text(json.dumps([
        {"id": "PYSEC-T-1", "modified": "2024-01-01T00:00:00Z", "affected": [
            {"package": {"ecosystem": "PyPI", "name": "a"},
             "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1"}]}]}]},
        {"id": "PYSEC-T-2", "modified": "2024-01-01T00:00:00Z", "affected": "nope"},
        {"id": "PYSEC-T-3", "modified": "2024-01-01T00:00:00Z", "affected": []},
    ]))
    p = drydock("db", "import", "--data-dir", str(data), str(bad))
    assert "2 records" in p.stdout and "1 bad records skipped" in p.stdout
    assert "PYSEC-T-2" in p.stdout


def test_import_unknown_file_leaves_db_unchanged(tmp_path):
    data = tmp_path / "data"
    drydock("db", "import", "--data-dir", str(data), str(FEEDS / "debian-tracker" / "debian.json"))
    junk = tmp_path / "junk.txt"
    junk.write_text("hello")
    p = drydock("db", "import", "--data-dir", str(data), str(FEEDS / "nvd" / "nvdcve-2.0-page.json"), str(junk),
                check=False)
    assert p.returncode == 1
    assert "database unchanged" in p.stderr
    st = status(data)
    assert st["version"] == 1 and st["nvd"] == 0
    assert not [f for f in os.listdir(data / "vulndb") if ".tmp." in f]


def test_import_shipped_sample_tree(tmp_path):
    """The README's offline path: one import of the whole shipped sample."""
    data = tmp_path / "data"
    p = drydock("db", "import", "--data-dir", str(data), str(FEEDS))
    assert "now at version 1" in p.stdout
    st = status(data)
    byname = {f["name"]: f["records"] for f in st["feeds"]}
    # 18 secdb files, tracker, NVD, 4 OSV exports, 6 GHSA ecosystems (ghsa-osv/), KEV, CVE JSON 5
    assert len(byname) == 32
    assert byname["osv/npm"] == 2 and byname["osv/Maven"] == 2 and byname["osv/NuGet"] == 1
    assert byname["osv/RubyGems"] == 2 and byname["osv/crates.io"] == 2 and byname["osv/Packagist"] == 2
    assert byname["osv/Debian"] == 8940 and byname["osv/Ubuntu"] == 9
    assert byname["osv/Go"] == 4291 and byname["osv/PyPI"] == 2661
    assert byname["debian-tracker"] == 7 and byname["nvd"] == 39  # the slice page, imported last
    assert byname["kev"] == 1404 and byname["cve5"] == 300
    assert sum(v for k, v in byname.items() if k.startswith("alpine/")) == 1652
