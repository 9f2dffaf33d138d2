"""`drydock db update` of every source besides NVD (test_db_nvd_sync.py) and the
four that test_db_update.py covers: KEV, EPSS, vulnrichment (CVE JSON 5, the
repository archive as zip or tar.gz), Red Hat CSAF VEX (archive_latest.txt
naming a tar.zst), Amazon ALAS (updateinfo.xml.gz per release), OSV
ecosystems with a space in their name, and the terminal progress bar.

The importers of kev, epss, cve5, csaf-vex and alas are written on other branches;
until they are merged, `db update` skips those sources ("not in this build")
and the tests check that, then check the import once the importer exists."""
import gzip
import http.server
import io
import json
import os
import pty
import shutil
import subprocess
import tarfile
import threading
import zipfile

import pytest

from conftest import BIN, FIXTURES

DBSYNC = FIXTURES / "dbsync"

KEV = {
    "title": "CISA Catalog of Known Exploited Vulnerabilities", "catalogVersion": "2024.01.02",
    "dateReleased": "2024-01-02T15:00:00.0000Z", "count": 2,
    "vulnerabilities": [
        {"cveID": "CVE-2023-0286", "vendorProject": "OpenSSL", "product": "OpenSSL",
         "vulnerabilityName": "OpenSSL type confusion (test entry)", "dateAdded": "2024-01-02",
         "shortDescription": "test entry", "requiredAction": "Apply updates.", "dueDate": "2024-01-23",
         "knownRansomwareCampaignUse": "Unknown", "notes": "", "cwes": ["CWE-843"]},
        {"cveID": "CVE-2019-1069", "vendorProject": "Microsoft", "product": "Windows",
         "vulnerabilityName": "Task Scheduler (test entry)", "dateAdded": "2022-03-15",
         "shortDescription": "test entry", "requiredAction": "Apply updates.", "dueDate": "2022-04-05",
         "knownRansomwareCampaignUse": "Known", "notes": "", "cwes": []},
    ]}


# the published CSV's layout (https://www.first.org/epss/data_stats); scores illustrative
EPSS = (b"#model_version:v2023.03.01,score_date:2024-01-02T00:00:00+0000\n"
        b"cve,epss,percentile\nCVE-2023-0286,0.00510,0.76211\nCVE-2019-1069,0.97256,0.99834\n")


def has_format(fmt):
    """True if this build has the importer (`drydock db --help` lists the registered formats)."""
    out = subprocess.run([BIN, "db", "--help"], capture_output=True, text=True).stdout
    line = next(ln for ln in out.splitlines() if ln.startswith("formats: "))
    return fmt in line[len("formats: "):].split(", ")


def vulnrichment_archive(kind):
    files = sorted(p for p in (DBSYNC / "vulnrichment").rglob("*.json"))
    buf = io.BytesIO()
    if kind == "zip":
        with zipfile.ZipFile(buf, "w") as z:
            for f in files:
                z.write(f, "vulnrichment-develop/" + str(f.relative_to(DBSYNC / "vulnrichment")))
    else:
        with tarfile.open(fileobj=buf, mode="w:gz") as t:
            for f in files:
                t.add(f, "vulnrichment-develop/" + str(f.relative_to(DBSYNC / "vulnrichment")))
    return buf.getvalue()


def csaf_archive(tmp_path):
    tar = tmp_path / "csaf_vex_2024-01-01.tar"
    with tarfile.open(tar, "w") as t:
        t.add(DBSYNC / "csaf" / "cve-2023-0286.json", "2023/cve-2023-0286.json")
    subprocess.run(["zstd", "-q", "-f", str(tar), "-o", str(tar) + ".zst"], check=True)
    return (tmp_path / "csaf_vex_2024-01-01.tar.zst").read_bytes()


class Srv:
    def __init__(self, routes):
        self.routes = routes
        self.cut = {}
        self.log = []
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                outer.log.append(self.path)
                if self.path in outer.cut:  # promises more than it sends, then hangs up
                    self.send_response(200)
                    self.send_header("Content-Length", "100000")
                    self.end_headers()
                    self.wfile.write(outer.cut[self.path])
                    self.close_connection = True
                    return
                body = outer.routes.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def srv(tmp_path):
    routes = {
        "/kev.json": json.dumps(KEV).encode(),
        "/epss_scores-current.csv.gz": gzip.compress(EPSS),
        "/vr/develop.zip": vulnrichment_archive("zip"),
        "/vr/develop.tar.gz": vulnrichment_archive("tar.gz"),
        "/alas/2/updateinfo.xml.gz": gzip.compress((DBSYNC / "alas" / "updateinfo.xml").read_bytes()),
        "/osv/Rocky%20Linux/all.zip": (FIXTURES / "feeds" / "ubuntu-osv" / "all.zip").read_bytes(),
    }
    if shutil.which("zstd"):
        routes["/csaf/archive_latest.txt"] = b"csaf_vex_2024-01-01.tar.zst\n"
        routes["/csaf/csaf_vex_2024-01-01.tar.zst"] = csaf_archive(tmp_path)
    s = Srv(routes)
    yield s
    s.close()


def run(*args, check=True):
    p = subprocess.run([BIN, *args], capture_output=True, text=True, timeout=120)
    if check and p.returncode != 0:
        raise AssertionError(f"drydock {' '.join(args)} exited {p.returncode}\n{p.stdout}\n{p.stderr}")
    return p


def feeds_of(data):
    st = json.loads(run("db", "status", "--json", "--data-dir", str(data)).stdout)
    return {f["name"]: f for f in st["feeds"]}


@pytest.mark.parametrize("fmt,feed,args,path", [
    ("kev", "kev", ["--feeds", "kev", "--kev-url", "{u}/kev.json"], "/kev.json"),
    ("epss", "epss", ["--feeds", "epss", "--epss-url", "{u}/epss_scores-current.csv.gz"],
     "/epss_scores-current.csv.gz"),
    ("cve5", "cve5", ["--feeds", "vulnrichment", "--vulnrichment-url", "{u}/vr/develop.zip"], "/vr/develop.zip"),
    ("cve5", "cve5", ["--feeds", "vulnrichment", "--vulnrichment-url", "{u}/vr/develop.tar.gz"],
     "/vr/develop.tar.gz"),
    ("alas", "alas/2", ["--feeds", "alas", "--alas-urls", "2={u}/alas/2/updateinfo.xml.gz"],
     "/alas/2/updateinfo.xml.gz"),
    ("csaf-vex", "redhat-csaf", ["--feeds", "redhat-csaf", "--redhat-csaf-url", "{u}/csaf/"],
     "/csaf/csaf_vex_2024-01-01.tar.zst"),
])
def test_new_sources(srv, tmp_path, fmt, feed, args, path):
    data = tmp_path / "data"
    args = [a.replace("{u}", srv.url) for a in args]
    if not has_format(fmt):
        p = run("db", "update", "--data-dir", str(data), *args)
        assert f"{feed}: skipped, its importer ('{fmt}') is not in this build" in p.stdout
        assert srv.log == []
        pytest.skip(f"the {fmt} importer is not merged yet; skipping is what this build does")
    if fmt == "csaf-vex" and not shutil.which("zstd"):
        pytest.skip("zstd(1) is needed to build the CSAF archive")
    p = run("db", "update", "--data-dir", str(data), *args)
    assert path in srv.log
    assert "database updated to version 1" in p.stdout
    row = feeds_of(data)[feed]
    assert row["records"] >= 1 and row["source"] == srv.url + path
    if fmt == "csaf-vex":
        assert srv.log[0] == "/csaf/archive_latest.txt"


def test_csaf_latest_name_must_be_a_file_name(srv, tmp_path):
    if not has_format("csaf-vex"):
        pytest.skip("the csaf-vex importer is not merged yet")
    srv.routes["/csaf/archive_latest.txt"] = b"../../etc/passwd\n"
    p = run("db", "update", "--data-dir", str(tmp_path / "d"), "--feeds", "redhat-csaf", "--redhat-csaf-url",
            srv.url + "/csaf", check=False)
    assert p.returncode == 1 and "does not name an archive" in p.stderr


def test_osv_ecosystem_with_space_is_url_encoded(srv, tmp_path):
    data = tmp_path / "data"
    p = run("db", "update", "--data-dir", str(data), "--feeds", "osv", "--osv-url", srv.url + "/osv/",
            "--osv-ecosystems", "Rocky Linux,SUSE")
    assert srv.log == ["/osv/Rocky%20Linux/all.zip", "/osv/SUSE/all.zip"]
    assert "osv/SUSE: not found (404)" in p.stdout
    assert "osv/Rocky Linux" in feeds_of(data)


def test_default_sources_and_bad_feed_word(tmp_path):
    p = run("db", "--help")
    for word in ("osv", "debian-tracker", "alpine-secdb", "nvd", "kev", "epss", "vulnrichment", "redhat-csaf",
                 "alas"):
        assert word in p.stdout
    for url in ("https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json",
                "https://security.access.redhat.com/data/csaf/v2/vex",
                "https://services.nvd.nist.gov/rest/json/cves/2.0", "Rocky Linux"):
        assert url in p.stdout
    p = run("db", "update", "--data-dir", str(tmp_path), "--feeds", "osv,nope", check=False)
    assert p.returncode == 2 and "unknown feed 'nope'" in p.stderr


def test_progress_bar_on_a_terminal_only(srv, tmp_path):
    args = [BIN, "db", "update", "--data-dir", str(tmp_path / "d"), "--feeds", "osv", "--osv-url",
            srv.url + "/osv", "--osv-ecosystems", "Rocky Linux"]
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(BIN, args)
    out = b""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.waitpid(pid, 0)
    text = out.decode(errors="replace")
    assert "osv/Rocky Linux" in text and "\r\x1b[K" in text
    assert "database updated to version 1" in text
    # --quiet on a terminal, and a pipe: no progress at all
    p = run(*args[1:], "--quiet")
    assert "\r" not in p.stderr and p.stderr == ""


def test_truncated_download_retried_reported_old_data_stays(srv, tmp_path):
    data = tmp_path / "data"
    tracker = (FIXTURES / "feeds" / "debian-tracker" / "debian.json").read_bytes()
    srv.routes["/tracker.json"] = tracker
    args = ["db", "update", "--data-dir", str(data), "--feeds", "debian-tracker", "--debian-tracker-url",
            srv.url + "/tracker.json"]
    run(*args)
    before = feeds_of(data)["debian-tracker"]
    srv.cut["/tracker.json"] = tracker[:200]
    srv.log.clear()
    p = subprocess.run([BIN, *args], capture_output=True, text=True, timeout=120,
                       env=dict(os.environ, DRYDOCK_FETCH_BACKOFF_MS="10"))
    assert p.returncode == 1
    assert srv.log == ["/tracker.json"] * 6  # retried, then given up
    assert "drydock: debian-tracker:" in p.stderr and "previous data kept" in p.stderr
    assert "database unchanged (version 1" in p.stdout
    assert feeds_of(data)["debian-tracker"] == before


REPOMD = b"""<?xml version="1.0" encoding="UTF-8"?>
<repomd xmlns="http://linux.duke.edu/metadata/repo" xmlns:rpm="http://linux.duke.edu/metadata/rpm">
  <revision>1707000000</revision>
  <data type="primary">
    <checksum type="sha256">aa</checksum>
    <location href="repodata/aa-primary.xml.gz"/>
  </data>
  <data type="updateinfo">
    <checksum type="sha256">bb</checksum>
    <location href="repodata/bb-updateinfo.xml.gz"/>
    <timestamp>1707000000</timestamp>
  </data>
</repomd>
"""


def test_alas_mirror_list_resolved(srv, tmp_path):
    if not has_format("alas"):
        pytest.skip("the alas importer is not merged yet (repomd parsing: tests/unit/test_dbsync.c)")
    repo = "/al2023/core/guids/abc/x86_64"
    srv.routes["/al2023/mirror.list"] = f"{srv.url}{repo}/\n".encode()
    srv.routes[f"{repo}/repodata/repomd.xml"] = REPOMD
    srv.routes[f"{repo}/repodata/bb-updateinfo.xml.gz"] = srv.routes["/alas/2/updateinfo.xml.gz"]
    data = tmp_path / "data"
    p = run("db", "update", "--data-dir", str(data), "--feeds", "alas", "--alas-urls",
            f"2023={srv.url}/al2023/mirror.list")
    assert srv.log == ["/al2023/mirror.list", f"{repo}/repodata/repomd.xml", f"{repo}/repodata/bb-updateinfo.xml.gz"]
    assert "database updated to version 1" in p.stdout
    assert feeds_of(data)["alas/2023"]["source"] == f"{srv.url}{repo}/repodata/bb-updateinfo.xml.gz"
