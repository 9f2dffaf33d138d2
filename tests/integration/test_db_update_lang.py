"""`drydock db update` of the OSV application ecosystems (issue 13): npm,
Maven, RubyGems, crates.io, Packagist and NuGet beside PyPI and Go, fetched
by default from BASE/<Ecosystem>/all.zip.

A local http.server on 127.0.0.1 serves all.zip exports built from
tests/fixtures/osv-lang/{PyPI,Go}/ and tests/fixtures/feeds/ghsa-osv/<Ecosystem>/
(the records' bytes unchanged); the OS
ecosystems of the default list answer 404, which `db update` reports and
skips."""
import http.server
import io
import json
import sqlite3
import subprocess
import threading
import zipfile

import pytest

from conftest import BIN, FIXTURES

LANG = FIXTURES / "osv-lang"          # PyPI, Go slices
GHSA = FIXTURES / "feeds" / "ghsa-osv"  # npm, Maven, RubyGems, crates.io, Packagist, NuGet


def eco_dir(eco):
    return LANG / eco if eco in ("PyPI", "Go") else GHSA / eco
ECOSYSTEMS = ["Go", "PyPI", "npm", "Maven", "RubyGems", "crates.io", "Packagist", "NuGet"]


def build_zip(eco, withdraw=None):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for f in sorted(eco_dir(eco).glob("*.json")):
            data = f.read_bytes()
            if withdraw and f.stem == withdraw:
                rec = json.loads(data)
                rec["withdrawn"] = "2024-01-01T00:00:00Z"
                rec["modified"] = "2024-01-01T00:00:00Z"
                data = json.dumps(rec).encode()
            z.writestr(f.name, data)
    return buf.getvalue()


class Server:
    def __init__(self):
        self.routes = {f"/osv/{e}/all.zip": build_zip(e) for e in ECOSYSTEMS}
        self.log = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                path = self.path.split("?")[0]
                body = outer.routes.get(path)
                if body is None:
                    outer.log.append((path, 404))
                    self.send_error(404)
                    return
                etag = '"%d-%d"' % (len(body), hash(body) & 0xffffffff)
                if self.headers.get("If-None-Match") == etag:
                    outer.log.append((path, 304))
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                outer.log.append((path, 200))
                self.send_response(200)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def srv():
    s = Server()
    yield s
    s.close()


def drydock(*args):
    p = subprocess.run([BIN, *args], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, f"drydock {' '.join(args)} exited {p.returncode}\n{p.stdout}\n{p.stderr}"
    return p


def affected_rows(data, eco, pkg):
    db = sqlite3.connect(f"file:{data}/vulndb/vuln.db?mode=ro", uri=True)
    try:
        return sorted(r[0] for r in db.execute(
            "SELECT vuln_id FROM affected WHERE ecosystem=? AND package=?", (eco, pkg)))
    finally:
        db.close()


def test_help_lists_language_ecosystems():
    p = subprocess.run([BIN, "db", "update", "--help"], capture_output=True, text=True, timeout=60)
    out = p.stdout + p.stderr
    for eco in ECOSYSTEMS:
        assert eco in out


def test_update_language_ecosystems_by_default(srv, tmp_path):
    data = tmp_path / "data"
    p = drydock("db", "update", "--data-dir", str(data), "--feeds", "osv", "--osv-url", srv.url + "/osv")
    got = {path for path, code in srv.log if code == 200}
    assert got == {f"/osv/{e}/all.zip" for e in ECOSYSTEMS}
    assert "osv/Debian: not found (404)" in p.stdout  # the OS ecosystems of the default list
    st = json.loads(drydock("db", "status", "--json", "--data-dir", str(data)).stdout)
    byname = {f["name"]: f for f in st["feeds"]}
    want = {e: len(list(eco_dir(e).glob("*.json"))) for e in ECOSYSTEMS}
    for eco, n in want.items():
        assert byname[f"osv/{eco}"]["records"] == n, eco
        assert byname[f"osv/{eco}"]["source"] == f"{srv.url}/osv/{eco}/all.zip"
    # lookup names (dd_pkgname_normalize): NuGet lowercase, PyPI PEP 503, others as published
    assert affected_rows(data, "NuGet", "newtonsoft.json") == ["GHSA-5crp-9r3c-p9vr"]
    assert affected_rows(data, "NuGet", "Newtonsoft.Json") == []
    assert "PYSEC-2020-96" in affected_rows(data, "PyPI", "pyyaml")
    assert affected_rows(data, "Maven", "com.fasterxml.jackson.core:jackson-databind") == [
        "GHSA-57j2-w4cx-62h2", "GHSA-57j2-w4cx-62h2"]
    assert len(affected_rows(data, "Packagist", "guzzlehttp/guzzle")) == 4
    assert affected_rows(data, "crates.io", "tar") == ["GHSA-2367-c296-3mp2"]

    # second run: all 304, nothing changes
    srv.log.clear()
    drydock("db", "update", "--data-dir", str(data), "--feeds", "osv", "--osv-url", srv.url + "/osv")
    assert {code for path, code in srv.log if path.endswith(("npm/all.zip", "NuGet/all.zip"))} == {304}

    # the npm export now has lodash's advisory withdrawn: its entries go away
    srv.routes["/osv/npm/all.zip"] = build_zip("npm", withdraw="GHSA-35jh-r3h4-6jhm")
    assert affected_rows(data, "npm", "lodash") == ["GHSA-35jh-r3h4-6jhm"]
    drydock("db", "update", "--data-dir", str(data), "--feeds", "osv", "--osv-url", srv.url + "/osv",
            "--osv-ecosystems", "npm")
    assert affected_rows(data, "npm", "lodash") == []
    assert affected_rows(data, "npm", "minimist") == ["GHSA-xvch-5gv4-984h", "GHSA-xvch-5gv4-984h"]
