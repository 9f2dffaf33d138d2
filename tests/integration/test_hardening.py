"""Issue 20 (hardening) and issue 14's "valid JSON everywhere": each test
names the item of issue 20 it covers and failed before the fix."""
import hashlib
import json
import os
import socket
import time

import pytest
import requests

import ocigen
from conftest import Server
from regclient import OCI_MANIFEST, Registry, descriptor, oci_manifest
from test_scan_push import data_with_db, drydock, golden_db, scan_server, wait_done  # noqa: F401

pytestmark = pytest.mark.skipif(os.environ.get("DD_TEST_TARGET", "drydock") != "drydock",
                                reason="drydock-only tests")


def strict_json(raw):
    """Parses bytes as JSON the strict way: UTF-8 that Python's strict codec
    accepts (no lone surrogates, no overlong forms) and no raw control
    characters in strings. Raises on anything else."""
    assert isinstance(raw, bytes)
    return json.loads(raw.decode("utf-8", "strict"))


def raw_http(port, request, timeout=10):
    """Sends request bytes on a fresh socket and returns all bytes received
    until the server closes (or timeout)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(request)
        out = b""
        try:
            while True:
                d = s.recv(65536)
                if not d:
                    break
                out += d
        except (socket.timeout, ConnectionResetError):
            pass
        return out


# ---- issue 20 item 1: every JSON the server and CLI write is valid ----------------------------

def test_item1_findings_api_errors_are_valid_json(server):
    base = server.url
    # a long value of 2-byte characters: a cut on a byte count would halve one
    long = "%C3%A9" * 400
    paths = [
        "/api/v1/history?since=%ff",
        "/api/v1/history?since=" + long,
        "/api/v1/history?image=%ff%fe",
        "/api/v1/history?limit=%c3",
        "/api/v1/subAssessments?$skipToken=%ff%00",
        "/api/v1/subAssessments?$top=%ed%a0%80",
        "/api/v1/repositories/a/images/b/findings?severity=%ff",
        "/api/v1/repositories/a/images/b/findings?fix_state=%e2%82",
        "/api/v1/vulnerabilities/CVE-%ff",
        "/api/v1/vulnerabilities/%ff%01/images",
        "/api/v1/vulnerabilities/" + long + "/fixed",
        "/api/v1/repositories/%ff/images/x",
        "/api/v1/repositories/a/images/%ff%c0%af",
        "/api/v1/repositories/a/images/" + long + "/findings",
    ]
    for p in paths:
        r = requests.get(base + p)
        assert r.status_code in (200, 400, 404), (p, r.status_code, r.content[:200])
        j = strict_json(r.content)
        if r.status_code != 200:
            msg = j["error"]["message"]
            assert len(msg.encode()) < 700, p


def test_item1_latin1_dpkg_and_bad_labels_give_valid_json(tmp_path, golden_db, scan_server):  # noqa: F811
    """A real-looking Latin-1 dpkg status (Debian packages from before the
    UTF-8 switch had Latin-1 maintainer names and descriptions), a file name
    and image labels holding invalid UTF-8: the scan report, the findings API
    and `drydock scan --format json` stay valid JSON."""
    status = (b"Package: libssl1.1\nStatus: install ok installed\nPriority: optional\nArchitecture: amd64\n"
              b"Source: openssl\nVersion: 1.1.1n-0+deb11u3\n"
              b"Maintainer: Jos\xe9 Garc\xeda <jose@example.org>\n"
              b"Description: biblioth\xe8que SSL \xab s\xfbre \xbb\n na\xefve \xe7a marche\n"
              b"\n"
              b"Package: caf\xe9-tools\nStatus: install ok installed\nPriority: optional\nArchitecture: amd64\n"
              b"Version: 1.0-\xe9\x01\nMaintainer: M\xfcller \xc3 <m@example.org>\n"
              b"Description: \xff\xfe control \x1b[31m red\n"
              b"\n")
    osr = (b'PRETTY_NAME="Debian GNU/Linux 11 (bullseye)"\nNAME="Debian GNU/Linux"\nVERSION_ID="11"\n'
           b'VERSION_CODENAME=bullseye\nID=debian\n')
    files = {"etc/os-release": osr, "etc/debian_version": b"11.0\n", "var/lib/dpkg/status": status,
             "usr/share/doc/caf\udce9/README": b"x"}
    blob, tar = ocigen.layer_tar(files)
    # labels with raw invalid bytes (Go's decoder reads them as U+FFFD) and control characters
    cfg = (b'{"architecture":"amd64","os":"linux","config":{"Labels":{"maint\xe9":"Jos\xe9",'
           b'"x":"\xff\xfe\xc0\xaf","y":"\\u001b\\u0085\x7f"}},"rootfs":{"type":"layers","diff_ids":["sha256:'
           + hashlib.sha256(tar).hexdigest().encode() + b'"]}}')
    # an OCI layout for the CLI
    lay = tmp_path / "layout"
    (lay / "blobs" / "sha256").mkdir(parents=True)
    (lay / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')

    def put(b):
        d = hashlib.sha256(b).hexdigest()
        (lay / "blobs" / "sha256" / d).write_bytes(b)
        return "sha256:" + d
    put(blob)
    put(cfg)
    ldesc = {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": "sha256:"
             + hashlib.sha256(blob).hexdigest(), "size": len(blob)}
    cdesc = descriptor("application/vnd.oci.image.config.v1+json", cfg)
    man = oci_manifest(cdesc, [ldesc])
    md = put(man)
    (lay / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [
        {"mediaType": OCI_MANIFEST, "digest": md, "size": len(man),
         "annotations": {"org.opencontainers.image.ref.name": "v1"}}]}))
    data = data_with_db(tmp_path, golden_db, name="clidata")
    for fmt in ("json", "cyclonedx"):
        p = drydock("scan", "--data-dir", str(data), "--format", fmt, f"oci:{lay}:v1", check=False)
        assert p.returncode in (0, 1) and p.stdout, (fmt, p.returncode, p.stderr)
        strict_json(p.stdout)
    rep = strict_json(drydock("scan", "--data-dir", str(data), "--format", "json", f"oci:{lay}:v1",
                              check=False).stdout)
    names = {x["name"] for x in rep["inventory"]}
    assert "libssl1.1" in names
    # the same image pushed: the server's report, findings and summary
    srv = scan_server
    reg = Registry(srv.url)
    reg.push_blob("l1/app", blob)
    reg.push_blob("l1/app", cfg)
    r = reg.put_manifest("l1/app", "v1", man)
    assert r.status_code == 201, r.text
    wait_done(srv, "l1/app", "v1")
    for path in ["/api/v1/repositories/l1/app/images/v1", "/api/v1/repositories/l1/app/images/v1/findings",
                 "/api/v1/repositories/l1/app/images", "/api/v1/images", "/api/v1/summary",
                 "/api/v1/subAssessments", "/api/v1/history"]:
        r = requests.get(srv.url + path)
        assert r.status_code == 200, (path, r.text)
        strict_json(r.content)
    r = requests.post(srv.url + "/api/v1/query", json={"query": "resources | take 50"})
    strict_json(r.content)
    # the request log is JSON lines too
    for ln in open(srv.log_path, "rb").read().splitlines():
        if ln.startswith(b"{"):
            strict_json(ln)


# ---- issue 20 item 6: the query endpoint's limit error is the 400 docs/query.md promises ----

def test_item6_query_limit_is_400(server):
    r = requests.post(server.url + "/api/v1/query", json={"query": "resources | where " + "x == 1 or " * 8000 + "true"})
    assert r.status_code == 400, r.text
    assert r.json()["error"]["code"] == "QUERY_LIMIT"


# ---- issue 20 item 2: the data directory and its secrets are private ------------------------

def cli(data_dir, *args, stdin=None):
    import subprocess
    from conftest import BIN
    p = subprocess.run([BIN, *args, "--data-dir", str(data_dir)], input=stdin, capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 0, (args, p.stderr)
    return p


def test_item2_private_modes_and_warning(tmp_path, golden_db):  # noqa: F811
    data = tmp_path / "data"
    cli(data, "user", "add", "alice", "--role", "owner", "--password-stdin", stdin="alice-pw-1\n")
    data_with_db(tmp_path, golden_db, name="data")  # vulndb/vuln.db copied in
    os.chmod(data / "vulndb" / "vuln.db", 0o600)
    srv = Server(data).start()
    try:
        r = requests.get(srv.url + "/v2/", auth=("alice", "alice-pw-1"))
        assert r.status_code == 200
        requests.get(srv.url + "/v2/", auth=("alice", "wrong"))  # an audit line
        reg_auth = ("alice", "alice-pw-1")
        r = requests.post(srv.url + "/v2/p/app/blobs/uploads/?digest=sha256:" + hashlib.sha256(b"x").hexdigest(),
                          data=b"x", auth=reg_auth)
        assert r.status_code == 201
    finally:
        assert srv.stop() == 0
    mode = lambda p: os.stat(p).st_mode & 0o777  # noqa: E731
    assert mode(data) == 0o700
    for name in ["meta.db", "scans.db", "jwt.key", "audit.log", "vulndb/vuln.db"]:
        assert mode(data / name) == 0o600, (name, oct(mode(data / name)))
    for name in os.listdir(data):
        if name.endswith(("-wal", "-shm")):
            assert mode(data / name) == 0o600, name
    assert "is mode" not in srv.read_log()
    # looser modes found at start are warned about
    os.chmod(data, 0o755)
    os.chmod(data / "meta.db", 0o644)
    srv.start()
    assert srv.stop() == 0
    log = srv.read_log()
    assert f"data directory '{data}' is mode 0755" in log
    assert f"'{data}/meta.db' is mode 0644" in log
    assert "chmod 600" in log


# ---- issue 20 item 5: a chunked manifest over manifest-max gets its 413 at once ---------------

def chunked_put_until_answer(port, path, total, piece=64 * 1024, timeout=60):
    """Sends a chunked PUT of up to total bytes, reading while sending (as an
    HTTP/1.1 client should). Returns (bytes sent before the answer came,
    the raw answer)."""
    import select
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.sendall(f"PUT {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/vnd.oci.image.manifest.v1+json\r\n"
              f"Transfer-Encoding: chunked\r\n\r\n".encode())
    chunk = f"{piece:x}\r\n".encode() + b"{" * piece + b"\r\n"
    sent, answer = 0, b""
    deadline = time.time() + timeout
    try:
        while sent < total and time.time() < deadline:
            r, w, _ = select.select([s], [s], [], 5)
            if r:
                break
            if w:
                s.sendall(chunk)
                sent += piece
        else:
            s.sendall(b"0\r\n\r\n")
        s.settimeout(10)
        while True:
            d = s.recv(65536)
            if not d:
                break
            answer += d
            if b"\r\n\r\n" in answer:
                head, _, body = answer.partition(b"\r\n\r\n")
                cl = [ln for ln in head.split(b"\r\n") if ln.lower().startswith(b"content-length:")]
                if cl and len(body) >= int(cl[0].split(b":")[1]):
                    break
    except (ConnectionResetError, BrokenPipeError, socket.timeout):
        pass
    finally:
        s.close()
    return sent, answer


def test_item5_chunked_manifest_over_limit_is_413_at_once(server_factory):
    srv = server_factory(["--manifest-max", "1m", "--insecure-no-auth", "true"]).start()
    t0 = time.time()
    sent, answer = chunked_put_until_answer(srv.port, "/v2/big/app/manifests/v1", 100 << 20)
    assert answer.startswith(b"HTTP/1.1 413 "), (sent, answer[:300])
    # answered soon after the limit, not after reading 64 MiB (kernel buffers hold a few MiB)
    assert sent < (16 << 20), sent
    head, _, body = answer.partition(b"\r\n\r\n")
    assert answer.count(b"HTTP/1.1") == 1
    assert b"connection: close" in head.lower()
    j = strict_json(body)
    assert j["errors"][0]["code"] in ("SIZE_INVALID", "MANIFEST_INVALID", "TOO_LARGE")
    assert time.time() - t0 < 30
    # the server still serves
    assert requests.get(srv.url + "/v2/").status_code == 200


# ---- issue 20 item 3: what a manifest may cost in memory is bounded ---------------------------

def rss_kb(pid, field="VmRSS"):
    for ln in open(f"/proc/{pid}/status"):
        if ln.startswith(field + ":"):
            return int(ln.split()[1])
    return 0


def sha(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def test_item3_manifest_memory_is_bounded(server_factory):
    import threading
    srv = server_factory(["--insecure-no-auth", "true"]).start()
    reg = Registry(srv.url)
    layer, tar = ocigen.layer_tar({"etc/hello": b"hi\n"})
    cfg = json.dumps({"architecture": "amd64", "os": "linux",
                      "rootfs": {"type": "layers", "diff_ids": [sha(tar)]}}).encode()
    reg.push_blob("amp/app", layer)
    reg.push_blob("amp/app", cfg)
    ldesc = {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": sha(layer), "size": len(layer)}
    cdesc = descriptor("application/vnd.oci.image.config.v1+json", cfg)
    time.sleep(0.5)
    base = rss_kb(srv.proc.pid)
    # one layer listed 10,000 times: 1.6 MB
    big = oci_manifest(cdesc, [ldesc] * 10000)
    assert 1_500_000 < len(big) < 1_700_000
    r = reg.put_manifest("amp/app", "big", big)
    assert r.status_code == 400, r.text
    assert r.json()["errors"][0]["code"] == "MANIFEST_INVALID" and "1000 layers" in r.text
    # six at once
    out = []
    ts = [threading.Thread(target=lambda: out.append(reg.put_manifest("amp/app", "big", big).status_code))
          for _ in range(6)]
    [t.start() for t in ts]
    [t.join() for t in ts]
    assert out == [400] * 6
    peak = rss_kb(srv.proc.pid, "VmHWM")
    from conftest import BIN
    # was about 450 MB over the base; a sanitizer build keeps freed memory in quarantine
    limit = 100 if "asan" not in BIN else 400
    assert peak - base < limit * 1024, (base, peak)
    # tiny values cost 12-14x their text in jansson objects: refused by the parse budget
    tiny = json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": cdesc, "layers": [ldesc],
                       "annotations": {"%x" % i: "" for i in range(300000)}}).encode()
    r = reg.put_manifest("amp/app", "tiny", tiny)
    assert r.status_code == 400 and "memory" in r.json()["errors"][0]["detail"], r.text
    # 1000 layers is still fine
    ok = oci_manifest(cdesc, [ldesc] * 1000)
    assert reg.put_manifest("amp/app", "ok", ok).status_code == 201
    # in total: chunked PUTs reserve manifest-max plus its parse budget (about 28 MiB each);
    # past 128 MiB in flight the next PUT is refused at once with 429 and Retry-After
    socks = []
    try:
        status = None
        for i in range(8):
            s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
            socks.append(s)
            s.sendall(f"PUT /v2/amp/app/manifests/c{i} HTTP/1.1\r\nHost: x\r\nContent-Type: {OCI_MANIFEST}\r\n"
                      f"Transfer-Encoding: chunked\r\n\r\n1\r\n{{\r\n".encode())
            s.settimeout(0.5)
            try:
                d = s.recv(4096)
            except socket.timeout:
                continue
            status = d
            break
        assert status is not None and status.startswith(b"HTTP/1.1 429 "), status
        assert b"Retry-After: 1" in status and b"TOOMANYREQUESTS" in status
    finally:
        for s in socks:
            s.close()
    time.sleep(0.5)
    assert reg.put_manifest("amp/app", "ok2", ok).status_code == 201


# ---- issue 20 item 8: login throttling per (user, address), with growing delays ---------------

def get_from(srv, source_ip, user, pw, path="/v2/"):
    import base64
    import http.client
    c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30, source_address=(source_ip, 0))
    tok = base64.b64encode(f"{user}:{pw}".encode()).decode()
    c.request("GET", path, headers={"Authorization": "Basic " + tok})
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, r.getheader("Retry-After"), body


def test_item8_lockout_is_per_user_and_address(tmp_path):
    data = tmp_path / "data"
    cli(data, "user", "add", "victim", "--role", "reader", "--password-stdin", stdin="victim-pw-1\n")
    cli(data, "user", "add", "bob", "--role", "reader", "--password-stdin", stdin="bob-pw-1\n")
    # the default burst (10), and a slow refill so that argon2id time does not give tokens back
    srv = Server(data, ["--scan", "false", "--login-fail-rate", "1"]).start()
    try:
        # ten wrong passwords for victim from another address...
        for _ in range(10):
            assert get_from(srv, "127.0.0.2", "victim", "wrong")[0] == 401
        st, retry, body = get_from(srv, "127.0.0.2", "victim", "wrong")
        assert st == 429 and int(retry) > 0 and b"TOOMANYREQUESTS" in body
        # ... and the attacker's right guess would be refused too, from there
        assert get_from(srv, "127.0.0.2", "victim", "victim-pw-1")[0] == 429
        # but the owner, from its own address, still gets in
        assert get_from(srv, "127.0.0.1", "victim", "victim-pw-1")[0] == 200
        # ten failures from one address (a NAT) for several users lock no one else behind it
        for i in range(10):
            assert get_from(srv, "127.0.0.3", f"user{i}", "wrong")[0] == 401
        assert get_from(srv, "127.0.0.3", "bob", "bob-pw-1")[0] == 200
        assert get_from(srv, "127.0.0.3", "victim", "victim-pw-1")[0] == 200
        # growing delays: after the lock, the next failure locks for longer
        st, retry1, _ = get_from(srv, "127.0.0.2", "victim", "wrong")
        assert st == 429
    finally:
        assert srv.stop() == 0
    # the attack is in the audit log (and the server log)
    events = [json.loads(ln) for ln in open(data / "audit.log")]
    attack = [e for e in events if e["event"] == "login_attack"]
    assert attack and attack[0]["actor"] == "victim" and attack[0]["ip"] == "127.0.0.2"
    assert "repeated failed logins for 'victim' from 127.0.0.2" in srv.read_log()


# ---- issue 20 item 10: a PATCH cut by a disconnect keeps its bytes; the client resumes ---------

def test_item10_patch_cut_keeps_bytes_and_resumes(server_factory):
    srv = server_factory(["--insecure-no-auth", "true", "--scan", "false"]).start()
    reg = Registry(srv.url)
    data = os.urandom(3 << 20)
    dg = sha(data)
    r = reg.start_upload("res/app")
    loc = r.headers["Location"]
    r = reg.patch_chunk(loc, data[:512 * 1024], 0)
    assert r.status_code == 202 and r.headers["Range"] == f"0-{512 * 1024 - 1}"
    loc = r.headers["Location"]
    # a raw PATCH of the rest that dies after 1 MiB (abortive close, like a crashed client)
    path = loc if loc.startswith("/") else "/" + loc.split("/", 3)[3]
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    rest = data[512 * 1024:]
    s.sendall((f"PATCH {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
               f"Content-Length: {len(rest)}\r\nContent-Range: {512 * 1024}-{len(data) - 1}\r\n\r\n").encode())
    s.sendall(rest[:1 << 20])
    time.sleep(0.5)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    s.close()
    time.sleep(0.5)
    # GET on the upload URL reports the offset: every byte received was kept
    st = reg.upload_status(loc)
    assert st.status_code == 204, st.text
    end = int(st.headers["Range"].split("-")[1])
    assert end + 1 == 512 * 1024 + (1 << 20), st.headers["Range"]
    # the client resumes from there and the blob is whole
    r = reg.patch_chunk(st.headers["Location"], data[end + 1:], end + 1)
    assert r.status_code == 202, r.text
    r = reg.put_upload(r.headers["Location"], dg)
    assert r.status_code == 201, r.text
    assert reg.get_blob("res/app", dg).content == data


# ---- issue 20 item 9: fsck reports orphan blobs as reclaimable; --repair removes them ----------

def test_item9_fsck_orphans_and_repair(tmp_path):
    import subprocess
    from conftest import BIN
    data = tmp_path / "data"
    srv = Server(data, ["--insecure-no-auth", "true", "--scan", "false"]).start()
    reg = Registry(srv.url)
    layer, tar = ocigen.layer_tar({"etc/hello": b"hi\n"})
    cfg = json.dumps({"architecture": "amd64", "os": "linux",
                      "rootfs": {"type": "layers", "diff_ids": [sha(tar)]}}).encode()
    reg.push_blob("fs/app", layer)
    reg.push_blob("fs/app", cfg)
    man = oci_manifest(descriptor("application/vnd.oci.image.config.v1+json", cfg),
                       [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": sha(layer),
                         "size": len(layer)}])
    assert reg.put_manifest("fs/app", "v1", man).status_code == 201
    # an upload session in progress must survive a repair
    part = os.urandom(70000)
    loc = reg.start_upload("fs/app").headers["Location"]
    loc = reg.patch_chunk(loc, part[:30000], 0).headers["Location"]
    assert srv.stop() == 0
    # orphans, as a kill between publishing a blob and recording it leaves them
    orphans = [os.urandom(1000), os.urandom(5000)]
    paths = []
    for b in orphans:
        h = hashlib.sha256(b).hexdigest()
        p = data / "blobs" / "sha256" / h[:2] / h
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b)
        paths.append(p)

    def fsck(*args):
        return subprocess.run([BIN, "fsck", "--data-dir", str(data), *args], capture_output=True, text=True,
                              timeout=120)
    p = fsck()
    assert p.returncode == 0, p.stdout + p.stderr
    assert "2 orphans, 6000 bytes reclaimable): 0 problems" in p.stdout, p.stdout
    # never while a server uses the directory
    srv.start()
    p = fsck("--repair")
    assert p.returncode == 1 and "a server is using it" in p.stderr, p.stdout + p.stderr
    assert all(x.exists() for x in paths)
    assert srv.stop() == 0
    p = fsck("--repair")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "repair: removed 2 orphan blobs (6000 bytes)" in p.stdout, p.stdout
    assert not any(x.exists() for x in paths)
    p = fsck("--hash-all")
    assert p.returncode == 0 and "0 orphans, 0 bytes reclaimable): 0 problems" in p.stdout, p.stdout
    # what manifests and uploads need is all there
    srv.start()
    try:
        r = reg.get_manifest("fs/app", "v1")
        assert r.status_code == 200 and r.content == man
        assert reg.get_blob("fs/app", sha(layer)).content == layer
        r = reg.patch_chunk(loc, part[30000:], 30000)
        assert r.status_code == 202, r.text
        assert reg.put_upload(r.headers["Location"], sha(part)).status_code == 201
    finally:
        assert srv.stop() == 0


# ---- issue 20 item 4: a malformed Content-Length gets one clean answer, on the wire ----------------

def test_item4_negative_content_length_gets_one_answer(server):
    for cl in ("-1", "abc", "99999999999999999999999"):
        answer = raw_http(server.port, f"PUT /v2/a/b/manifests/x HTTP/1.1\r\nHost: x\r\nContent-Length: {cl}\r\n"
                                       f"\r\nabc".encode())
        assert answer.startswith(b"HTTP/1.1 400 " if cl != "99999999999999999999999" else b"HTTP/1.1 413 "), answer
        assert answer.count(b"HTTP/1.1 ") == 1, answer[:400]
        head, _, body = answer.partition(b"\r\n\r\n")
        assert b"Connection: close" in head
        assert strict_json(body)["errors"][0]["code"] in ("UNSUPPORTED", "SIZE_INVALID")
    # the findings API's shape off /v2
    answer = raw_http(server.port, b"POST /api/v1/query HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n")
    assert answer.count(b"HTTP/1.1 ") == 1 and b'"error":{"code":"UNSUPPORTED"' in answer, answer
    # a good request on the same server still works, with keep-alive
    answer = raw_http(server.port, b"GET /v2/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200 ") or answer.startswith(b"HTTP/1.1 401 "), answer
