"""The web console (issue 16) against the real server: the page and its
assets with their security headers and caching, sign-in with the session
cookie and CSRF protection, and (when Debian's chromium and tests/ui's
playwright-core are installed) the browser walk in tests/ui/console.test.mjs
on a server loaded with images and the sample feeds."""
import json
import os
import re
import shutil
import subprocess

import pytest
import requests

import ocigen
from conftest import ROOT, Server
from test_scan_push import OLD_DEBIAN, data_with_db, drydock, golden_db, push, wait_done  # noqa: F401

pytestmark = pytest.mark.skipif(os.environ.get("DD_TEST_TARGET", "drydock") != "drydock",
                                reason="drydock-only tests")

XSS = '<script>window.__xss=1</script><img src=x onerror="window.__xss=1">'
OWNER_PW = "console-owner-pw-1"
READER_PW = "console-secreader-pw-1"
UI = {"X-Drydock-Console": "1"}


def add_user(data, name, role, pw, repos=None):
    args = ["user", "add", name, "--role", role, "--password", pw, "--data-dir", str(data)]
    if repos:
        args += ["--repos", repos]
    drydock(*args)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory, golden_db):  # noqa: F811
    """A server with two repositories (one image carries <script> payloads in
    its labels and history), the sample feeds and two users."""
    tmp = tmp_path_factory.mktemp("console")
    data = data_with_db(tmp, golden_db)
    lay = tmp / "layout"
    hist = [{"created": "2024-01-01T00:00:00Z", "created_by": "/bin/sh -c #(nop) ADD rootfs " + XSS},
            {"created": "2024-01-01T00:00:01Z", "created_by": "RUN echo hello > /etc/motd"}]
    ocigen.layout(str(lay), [ocigen.debian_rootfs("11", "bullseye", OLD_DEBIAN), {"etc/motd": b"hello\n"}],
                  tag="v1", extra_config={"config": {"Labels": {"description": XSS}}, "history": hist})
    ocigen.layout(str(lay), [ocigen.alpine_rootfs("3.10.2", [("musl", "1.1.22-r2", None),
                                                             ("libssl1.1", "1.1.1c-r0", "openssl")])], tag="a1")
    srv = Server(data, ["--db-poll-interval", "1s"]).start()
    push(lay, "v1", srv, "team/app:v1")
    push(lay, "v1", srv, "other/app:v1")
    push(lay, "a1", srv, "base/alpine:3.10")
    for repo, ref in (("team/app", "v1"), ("other/app", "v1"), ("base/alpine", "3.10")):
        wait_done(srv, repo, ref)
    add_user(data, "owner", "owner", OWNER_PW)
    add_user(data, "secreader", "securityreader", READER_PW, repos="team/*")
    yield srv
    rc = srv.stop()
    assert rc == 0, srv.read_log()[-2000:]


def sign_in(srv, user, pw):
    s = requests.Session()
    s.headers.update(UI)
    r = s.post(f"{srv.url}/api/v1/session", json={"user": user, "password": pw})
    assert r.status_code == 200, r.text
    return s, r


def test_page_and_assets_headers(server):
    r = requests.get(server.url + "/")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/html")
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert "style-src 'self'" in csp and "default-src 'none'" in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff" and r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["Cache-Control"] == "no-cache"
    assert "<script>" not in r.text and " style=" not in r.text  # no inline script or style
    m = re.search(r'src="/ui/([0-9a-f]{12})/app\.js"', r.text)
    assert m, r.text
    build = m.group(1)
    assert requests.get(server.url + "/", headers={"If-None-Match": r.headers["ETag"]}).status_code == 304
    for path, ctype in (("app.js", "text/javascript"), ("style.css", "text/css"), ("pages/overview.js", "text/javascript"),
                        ("icon.svg", "image/svg+xml")):
        a = requests.get(f"{server.url}/ui/{build}/{path}")
        assert a.status_code == 200 and a.headers["Content-Type"].startswith(ctype), path
        assert a.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert a.headers["X-Content-Type-Options"] == "nosniff"
        assert "Content-Security-Policy" in a.headers
        again = requests.get(f"{server.url}/ui/{build}/{path}", headers={"If-None-Match": a.headers["ETag"]})
        assert again.status_code == 304
    src = (ROOT / "src/web/assets/app.js").read_bytes()
    assert requests.get(f"{server.url}/ui/{build}/app.js").content == src
    old = requests.get(f"{server.url}/ui/000000000000/app.js")  # another build's URL
    assert old.status_code == 200 and old.headers["Cache-Control"] == "no-cache"
    for bad in ("nope.js", "index.html", "pages/%2e%2e/app.js", "Pages/overview.js"):
        assert requests.get(f"{server.url}/ui/{build}/{bad}").status_code in (400, 404), bad
    for alias in ("/ui", "/ui/"):
        assert requests.get(server.url + alias).text == r.text


def test_session_open_on_loopback_without_users(server):
    j = requests.get(server.url + "/api/v1/session").json()
    assert j == {"authRequired": False, "signedIn": True, "user": "local", "role": "owner", "repos": "", "csrf": None}


def test_sign_in_cookie_and_csrf(loaded):
    srv = loaded
    anon = requests.get(srv.url + "/api/v1/session", headers=UI).json()
    assert anon["authRequired"] and not anon["signedIn"] and anon["csrf"] is None
    r = requests.get(srv.url + "/api/v1/summary", headers=UI)
    assert r.status_code == 401 and "WWW-Authenticate" not in r.headers  # no browser password dialog
    assert "WWW-Authenticate" in requests.get(srv.url + "/api/v1/summary").headers
    assert requests.post(srv.url + "/api/v1/session", json={"user": "owner", "password": "wrong"}).status_code == 401
    assert requests.post(srv.url + "/api/v1/session", data={"user": "owner", "password": OWNER_PW}).status_code == 415
    assert requests.post(srv.url + "/api/v1/session", data="{", headers={"Content-Type": "application/json"}).status_code == 400
    s, r = sign_in(srv, "owner", OWNER_PW)
    cookie = r.headers["Set-Cookie"]
    assert cookie.startswith("dd_session=") and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "Path=/" in cookie and "Secure" not in cookie  # plain HTTP on loopback
    me = r.json()
    assert me["signedIn"] and me["user"] == "owner" and me["role"] == "owner" and len(me["csrf"]) == 64
    assert s.get(srv.url + "/api/v1/session").json()["csrf"] == me["csrf"]
    basic = requests.get(srv.url + "/api/v1/summary", auth=("owner", OWNER_PW)).json()
    assert s.get(srv.url + "/api/v1/summary").json() == basic and basic["images"] >= 2
    q = {"query": "resources | count"}
    r = s.post(srv.url + "/api/v1/query", json=q)  # a POST without the CSRF token
    assert r.status_code == 403 and "csrf" in r.text
    assert s.post(srv.url + "/api/v1/query", json=q, headers={"X-CSRF-Token": "0" * 64}).status_code == 403
    assert s.post(srv.url + "/api/v1/query", json=q, headers={"X-CSRF-Token": me["csrf"]}).status_code == 200
    # the session JWT is no Bearer token, and a Bearer JWT is no session
    tok = s.cookies.get("dd_session")
    assert requests.get(srv.url + "/api/v1/summary", headers={"Authorization": "Bearer " + tok}).status_code == 401
    jwt = requests.get(srv.url + "/auth/token?service=drydock", auth=("owner", OWNER_PW)).json()["token"]
    assert requests.get(srv.url + "/api/v1/summary", cookies={"dd_session": jwt}).status_code == 401
    assert requests.get(srv.url + "/api/v1/summary", cookies={"dd_session": tok[:-2] + "xx"}).status_code == 401
    # sign-out needs the token, then the cookie is dead even if kept
    assert s.delete(srv.url + "/api/v1/session").status_code == 403
    r = s.delete(srv.url + "/api/v1/session", headers={"X-CSRF-Token": me["csrf"]})
    assert r.status_code == 204 and "Max-Age=0" in r.headers["Set-Cookie"]
    assert requests.get(srv.url + "/api/v1/summary", cookies={"dd_session": tok}).status_code == 401
    audit = (open(os.path.join(srv.data_dir, "audit.log")).read())
    assert '"event":"session","actor":"owner"' in audit and '"event":"session_end"' in audit
    assert OWNER_PW not in audit and tok not in audit


def test_session_roles_and_robot_secrets(loaded):
    srv = loaded
    s, r = sign_in(srv, "secreader", READER_PW)
    assert r.json()["role"] == "securityreader" and r.json()["repos"] == "team/*"
    repos = [x["repository"] for x in s.get(srv.url + "/api/v1/repositories").json()["repositories"]]
    assert repos == ["team/app"]
    assert s.get(srv.url + "/v2/team/app/manifests/v1").status_code == 403  # no pull for a security reader
    # robot token secrets cannot open a session
    p = drydock("token", "create", "--role", "owner", "--expires", "1d", "--json", "--data-dir", srv.data_dir)
    secret = json.loads(p.stdout)["secret"]
    r = requests.post(srv.url + "/api/v1/session", json={"user": "robot", "password": secret})
    assert r.status_code == 401


def test_admin_tokens_api(loaded):
    srv = loaded
    s, r = sign_in(srv, "owner", OWNER_PW)
    csrf = {"X-CSRF-Token": r.json()["csrf"]}
    users = s.get(srv.url + "/api/v1/admin/users").json()["users"]
    assert {u["name"]: u["role"] for u in users} == {"owner": "owner", "secreader": "securityreader"}
    assert "pwhash" not in json.dumps(users) and "$argon2" not in json.dumps(users)
    body = {"role": "reader", "expires": "1d", "repos": "team/*", "name": "ci"}
    assert s.post(srv.url + "/api/v1/admin/tokens", json=body).status_code == 403  # no CSRF token
    r = s.post(srv.url + "/api/v1/admin/tokens", json=body, headers=csrf)
    assert r.status_code == 201, r.text
    t = r.json()
    assert t["secret"].startswith("ddt_") and t["role"] == "reader" and t["repos"] == "team/*"
    bearer = {"Authorization": "Bearer " + t["secret"]}
    assert requests.get(srv.url + "/v2/team/app/tags/list", headers=bearer).status_code == 200
    assert requests.get(srv.url + "/v2/other/app/tags/list", headers=bearer).status_code == 403
    listed = s.get(srv.url + "/api/v1/admin/tokens").json()["tokens"]
    assert any(x["id"] == t["id"] and x["state"] == "active" for x in listed) and t["secret"] not in json.dumps(listed)
    for bad in ({"role": "king", "expires": "1d"}, {"role": "reader"}, {"role": "reader", "expires": "soon"},
                {"role": "reader", "expires": "1d", "repos": "x" * 5000}, {"role": "reader", "expires": "1d", "name": "a\nb"}):
        r = s.post(srv.url + "/api/v1/admin/tokens", json=bad, headers=csrf)
        assert r.status_code == 400, (bad, r.text)
    assert s.post(srv.url + "/api/v1/admin/tokens", data="x", headers=csrf).status_code == 415
    assert s.delete(srv.url + "/api/v1/admin/tokens/" + t["id"]).status_code == 403  # no CSRF token
    assert s.delete(srv.url + "/api/v1/admin/tokens/" + t["id"], headers=csrf).status_code == 204
    assert s.delete(srv.url + "/api/v1/admin/tokens/" + t["id"], headers=csrf).status_code == 404
    assert requests.get(srv.url + "/v2/team/app/tags/list", headers=bearer).status_code == 401
    # Owners only; Basic credentials work too (no CSRF: no cookie)
    r2, _ = sign_in(srv, "secreader", READER_PW)
    assert r2.get(srv.url + "/api/v1/admin/tokens").status_code == 403
    assert requests.get(srv.url + "/api/v1/admin/users", auth=("owner", OWNER_PW)).status_code == 200
    audit = open(os.path.join(srv.data_dir, "audit.log")).read()
    assert '"event":"token_create","actor":"owner","target":"%s"' % t["id"] in audit
    assert '"event":"token_revoke","actor":"owner"' in audit and t["secret"] not in audit


def test_admin_user_role(loaded):
    """PUT /api/v1/admin/users/<name>: role and repository globs, CSRF,
    Owner only, audited, bad input, and the last Owner keeps the role."""
    srv = loaded
    add_user(srv.data_dir, "dev", "reader", "console-dev-pw-1")
    s, r = sign_in(srv, "owner", OWNER_PW)
    csrf = {"X-CSRF-Token": r.json()["csrf"]}
    url = srv.url + "/api/v1/admin/users/dev"
    body = {"role": "writer", "repos": "team/*"}
    assert s.put(url, json=body).status_code == 403  # no CSRF token
    r = s.put(url, json=body, headers=csrf)
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "dev" and r.json()["role"] == "writer" and r.json()["repos"] == "team/*"
    users = {u["name"]: u for u in s.get(srv.url + "/api/v1/admin/users").json()["users"]}
    assert users["dev"]["role"] == "writer" and users["dev"]["repos"] == "team/*"
    # it applies at once: dev may now push to team/* and not elsewhere
    dev = ("dev", "console-dev-pw-1")
    assert requests.post(srv.url + "/v2/team/x/blobs/uploads/", auth=dev).status_code == 202
    assert requests.post(srv.url + "/v2/other/x/blobs/uploads/", auth=dev).status_code == 403
    long = ",".join("team/x%03d" % i for i in range(90))  # ~900 bytes: answers are not cut short
    r = s.put(url, json={"role": "reader", "repos": long}, headers=csrf)
    assert r.status_code == 200 and r.json()["repos"] == long
    assert {u["name"]: u for u in s.get(srv.url + "/api/v1/admin/users").json()["users"]}["dev"]["repos"] == long
    assert s.put(url, json=body, headers=csrf).status_code == 200
    r = s.put(url, json={"role": "reader"}, headers=csrf)  # repos absent: unchanged
    assert r.status_code == 200 and r.json()["repos"] == "team/*"
    for bad in ({"role": "king"}, {}, {"role": "reader", "repos": 5}, {"role": "reader", "repos": "x" * 5000}):
        r = s.put(url, json=bad, headers=csrf)
        assert r.status_code == 400 and r.json()["error"]["code"] == "INVALID_PARAMETER", (bad, r.text)
    assert s.put(url, data="x", headers=csrf).status_code == 415
    assert s.put(srv.url + "/api/v1/admin/users/nobody", json=body, headers=csrf).status_code == 404
    r = s.put(srv.url + "/api/v1/admin/users/owner", json={"role": "reader"}, headers=csrf)
    assert r.status_code == 409, r.text
    r2, _ = sign_in(srv, "secreader", READER_PW)
    assert r2.put(url, json=body).status_code == 403
    assert requests.put(url, json=body, auth=("secreader", READER_PW)).status_code == 403
    audit = open(os.path.join(srv.data_dir, "audit.log")).read()
    assert '"event":"user_role","actor":"owner","target":"dev"' in audit


def test_admin_scan_scope(tmp_path):
    """GET/PUT /api/v1/admin/scan-scope: pushes follow the new globs at
    once, the change survives a restart (DATA/scan-scope.json), is audited,
    needs CSRF with a session and the Owner role, and bad globs are 400."""
    data = tmp_path / "data"
    lay = tmp_path / "layout"
    ocigen.layout(str(lay), [ocigen.alpine_rootfs("3.10.2", [("musl", "1.1.22-r2", None)])], tag="a1")
    srv = Server(data).start()
    try:
        url = srv.url + "/api/v1/admin/scan-scope"
        assert requests.get(url).json() == {"enabled": True, "include": "", "exclude": "", "source": "config"}
        r = requests.put(url, json={"include": "", "exclude": "skip/*,tmp-?"})
        assert r.status_code == 200, r.text
        assert r.json() == {"enabled": True, "include": "", "exclude": "skip/*,tmp-?", "source": "console"}
        push(lay, "a1", srv, "skip/app:1")
        skipped = wait_done(srv, "skip/app", "1")
        assert skipped["scan"]["state"] == "unsupported" and "scanning is off" in json.dumps(skipped), skipped
        push(lay, "a1", srv, "keep/app:1")  # the same image in a scanned repository: scanned now
        assert wait_done(srv, "keep/app", "1")["scan"]["state"] == "done"
        for bad in ({"include": "["}, {"include": "", "exclude": 3}, {"include": "x" * 1000, "exclude": ""}, []):
            r = requests.put(url, json=bad)
            assert r.status_code == 400 and r.json()["error"]["code"] == "INVALID_PARAMETER", (bad, r.text)
        assert requests.put(url, data="x").status_code == 415
        assert srv.stop() == 0
        assert json.load(open(data / "scan-scope.json")) == {"exclude": "skip/*,tmp-?", "include": ""}
        assert oct(os.stat(data / "scan-scope.json").st_mode & 0o777) == "0o600"
        srv.start()
        assert requests.get(url).json()["exclude"] == "skip/*,tmp-?"
        long = ",".join("lib-%03d" % i for i in range(100))  # ~800 bytes
        assert requests.put(url, json={"include": long, "exclude": "skip/*,tmp-?"}).json()["include"] == long
        audit = open(data / "audit.log").read()
        assert '"event":"scan_scope","actor":"local","target":"scan-scope"' in audit and "skip/*" in audit
        # with users: Owner only, CSRF with a session
        add_user(data, "owner", "owner", OWNER_PW)
        add_user(data, "secreader", "securityreader", READER_PW)
        assert requests.get(url, auth=("secreader", READER_PW)).status_code == 403
        s, r = sign_in(srv, "owner", OWNER_PW)
        assert s.put(url, json={"include": "team/*", "exclude": ""}).status_code == 403  # no CSRF token
        r = s.put(url, json={"include": "team/*", "exclude": ""}, headers={"X-CSRF-Token": r.json()["csrf"]})
        assert r.status_code == 200 and r.json()["include"] == "team/*"
    finally:
        srv.stop()
    # a damaged file stops the server with a clear message
    (data / "scan-scope.json").write_text("{")
    with pytest.raises(RuntimeError, match="scan scope"):
        Server(data).start()


def test_admin_db_update_now(tmp_path):
    """POST /api/v1/admin/db/update runs `drydock db update` in the
    background (the feeds from a slow local server that answers 404), its
    status and output are visible, a second run is refused while the first
    goes, and both ends are audited."""
    import http.server
    import threading
    import time

    class Slow(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            time.sleep(0.3)
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *a):
            pass

    feeds = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    threading.Thread(target=feeds.serve_forever, daemon=True).start()
    base = "http://127.0.0.1:%d" % feeds.server_address[1]
    env = {k: base + "/" + k.lower() for k in (
        "DRYDOCK_OSV_URL", "DRYDOCK_DEBIAN_TRACKER_URL", "DRYDOCK_ALPINE_SECDB_URL", "DRYDOCK_NVD_URL",
        "DRYDOCK_KEV_URL", "DRYDOCK_EPSS_URL", "DRYDOCK_VULNRICHMENT_URL", "DRYDOCK_REDHAT_CSAF_URL")}
    env["DRYDOCK_ALAS_URLS"] = "2023=" + base + "/alas/updateinfo.xml.gz"
    env["DRYDOCK_FETCH_BACKOFF_MS"] = "1"
    srv = Server(tmp_path / "data", env=env).start()
    try:
        url = srv.url + "/api/v1/admin/db/update"
        assert requests.get(url).json()["state"] == "idle"
        r = requests.post(url)
        assert r.status_code == 202, r.text
        assert r.json()["state"] == "running" and r.json()["actor"] == "local"
        r2 = requests.post(url)
        assert r2.status_code == 409 and r2.json()["error"]["code"] == "CONFLICT"
        deadline = time.time() + 60
        while (st := requests.get(url).json())["state"] == "running":
            assert time.time() < deadline, st
            time.sleep(0.2)
        assert st["state"] in ("succeeded", "failed") and st["finished"] and st["exitCode"] is not None, st
        assert "kev" in st["output"], st  # the same per-feed lines as the command line
        audit = open(tmp_path / "data" / "audit.log").read()
        assert '"event":"db_update","actor":"local"' in audit and '"event":"db_update_end"' in audit
        # a new run is possible once it ended
        assert requests.post(url).status_code == 202
    finally:
        srv.stop()
        feeds.shutdown()


def test_packages_and_sbom(loaded):
    srv = loaded
    auth = ("owner", OWNER_PW)
    base = srv.url + "/api/v1/repositories/team/app/images/v1"
    r = requests.get(base + "/packages", auth=auth)
    assert r.status_code == 200, r.text
    j = r.json()
    assert j["os"] == "Debian:11" and j["total"] == 4 and j["next"] is None
    names = sorted(p["name"] for p in j["packages"])
    assert names == ["bash", "libssl1.1", "openssl", "zlib1g"]
    ssl = next(p for p in j["packages"] if p["name"] == "libssl1.1")
    assert ssl["version"] == "1.1.1n-0+deb11u3" and ssl["type"] == "dpkg" and ssl["sourceName"] == "openssl"
    assert ssl["purl"].startswith("pkg:deb/debian/libssl1.1@") and ssl["layerIndex"] == 0
    page = requests.get(base + "/packages?limit=1&q=lib", auth=auth).json()
    assert page["total"] == 2 and len(page["packages"]) == 1 and "q=lib" in page["next"]
    rest = requests.get(srv.url + page["next"], auth=auth).json()
    assert rest["offset"] == 1 and len(rest["packages"]) == 1 and rest["next"] is None
    for bad in ("limit=0", "limit=1001", "offset=-1", "limit=x"):
        r = requests.get(base + "/packages?" + bad, auth=auth)
        assert r.status_code == 400 and r.json()["error"]["code"] == "INVALID_PARAMETER", bad
    assert requests.get(srv.url + "/api/v1/repositories/team/app/images/nope/packages", auth=auth).status_code == 404
    assert requests.get(srv.url + "/api/v1/repositories/nope/images/v1/sbom", auth=auth).status_code == 404
    r = requests.get(base + "/sbom", auth=auth)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/vnd.cyclonedx+json")
    assert r.headers["Content-Disposition"].startswith('attachment; filename="sbom-')
    bom = r.json()
    assert bom["bomFormat"] == "CycloneDX" and bom["specVersion"] == "1.5"
    assert ssl["purl"] in {c.get("purl") for c in bom["components"]}
    # a security reader limited to team/* reads team/app's, not other/app's
    assert requests.get(base + "/packages", auth=("secreader", READER_PW)).status_code == 200
    assert requests.get(srv.url + "/api/v1/repositories/other/app/images/v1/sbom",
                        auth=("secreader", READER_PW)).status_code == 403


SUB = 'securityresources | where type == "microsoft.security/assessments/subassessments"'


def test_overview_api(loaded):
    """GET /api/v1/overview: the summary's numbers, the SQL aggregates equal
    the KQL queries the overview used to run, a cached second answer, a
    restricted caller's own view and a bad parameter."""
    srv = loaded
    auth = ("owner", OWNER_PW)
    r = requests.get(srv.url + "/api/v1/overview", auth=auth)
    assert r.status_code == 200, r.text
    o = r.json()
    summ = requests.get(srv.url + "/api/v1/summary", auth=auth).json()
    for k in ("images", "healthy", "unhealthy", "notAssessed", "counts", "dbVersion"):
        assert o[k] == summ[k], k
    assert o["images"] == 2 and o["counts"]["total"] > 0
    q = lambda text: requests.post(srv.url + "/api/v1/query", auth=auth, json={"query": text}).json()["data"]
    kev = q(SUB + " | where tobool(properties.additionalData.knownExploited) == true | count")
    assert o["knownExploited"] == kev[0]["Count"]
    top = q(SUB + " | summarize images = dcount(tostring(properties.additionalData.imageDigest))"
            " by id = tostring(properties.id) | top 100 by images desc")
    by_id = {x["id"]: x["images"] for x in top}
    assert o["topVulnerabilities"] and len(o["topVulnerabilities"]) <= 10
    for v in o["topVulnerabilities"]:
        assert by_id[v["id"]] == v["images"], v
        assert v["severity"] in ("critical", "high", "medium", "low", "negligible", "unknown")
    imgs = [v["images"] for v in o["topVulnerabilities"]]
    assert imgs == sorted(imgs, reverse=True)
    repos = {x["repository"]: x for x in requests.get(srv.url + "/api/v1/repositories", auth=auth).json()["repositories"]}
    for x in o["topRepositories"]:
        assert x["counts"] == repos[x["repository"]]["counts"], x
    assert {x["repository"] for x in o["topRepositories"]} == set(repos)
    assert o["notAssessedReasons"] == [] and isinstance(o["days"], list)
    again = requests.get(srv.url + "/api/v1/overview", auth=auth).json()
    assert again["cached"] is True and again["topVulnerabilities"] == o["topVulnerabilities"]
    assert len(requests.get(srv.url + "/api/v1/overview?top=1", auth=auth).json()["topVulnerabilities"]) == 1
    for bad in ("top=0", "top=101", "top=x", "top="):
        r = requests.get(srv.url + "/api/v1/overview?" + bad, auth=auth)
        assert r.status_code == 400 and r.json()["error"]["code"] == "INVALID_PARAMETER", bad
    # a security reader limited to team/* sees team/app only
    mine = requests.get(srv.url + "/api/v1/overview", auth=("secreader", READER_PW)).json()
    assert mine["cached"] is False and [x["repository"] for x in mine["topRepositories"]] == ["team/app"]
    team = requests.get(srv.url + "/api/v1/repositories/team/app/summary", auth=auth).json()
    assert mine["images"] == team["images"] and mine["counts"] == team["counts"]
    assert all(v["images"] == 1 for v in mine["topVulnerabilities"])


def test_xss_payload_is_data_in_the_api(loaded):
    """The payload reaches the API as plain JSON text (the console shows it
    with textContent; the browser test checks that it never runs)."""
    s, _ = sign_in(loaded, "owner", OWNER_PW)
    m = s.get(loaded.url + "/v2/team/app/manifests/v1",
              headers={"Accept": "application/vnd.oci.image.manifest.v1+json"}).json()
    cfg = s.get(loaded.url + "/v2/team/app/blobs/" + m["config"]["digest"]).json()
    assert XSS in cfg["history"][0]["created_by"]


def chromium():
    for c in ("/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if os.path.exists(c):
            return c
    return None


@pytest.mark.skipif(not chromium() or not (ROOT / "tests/ui/node_modules/playwright-core").exists()
                    or not shutil.which("node"),
                    reason="needs Debian's chromium and `npm ci` in tests/ui (scripts/install-deps.sh)")
def test_browser_walk(loaded):
    """Runs tests/ui/console.test.mjs (node's test runner + playwright-core)
    against this server; it writes the screenshots to docs/ui/ when
    DD_UI_SHOTS is set."""
    env = dict(os.environ, DD_URL=loaded.url, DD_USER="owner", DD_PASSWORD=OWNER_PW, DD_CHROMIUM=chromium())
    p = subprocess.run(["node", "--test", "--test-reporter=spec", "console.test.mjs"], cwd=ROOT / "tests/ui",
                       env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=180)
    out = p.stdout.decode(errors="replace")
    print(out)
    assert p.returncode == 0, out[-6000:]
