"""HTTPS and real clients with credentials (issue 6): a test CA and a server
certificate made with the openssl CLI, drydock serving TLS natively
(tls-cert/tls-key, TLS 1.2 minimum), skopeo pushing and pulling with
--dest-creds/--creds through the Docker token flow with the CA in
--dest-cert-dir/--cert-dir, role checks seen by skopeo, and the docker
login flow over HTTPS with python requests."""
import json
import os
import re
import shutil
import socket
import ssl
import subprocess

import pytest
import requests

from conftest import BIN, Server, check_sanitizer_log
import ocigen

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl CLI not installed")

USERS = {"writer": ("writer", "writer-pw-9"), "reader": ("reader", "reader-pw-9"),
         "teamreader": ("reader", "team-pw-9")}


def run(*args, **kw):
    p = subprocess.run(list(args), capture_output=True, text=True, timeout=kw.pop("timeout", 120), **kw)
    return p


def make_ca(d):
    """CA + server certificate for 127.0.0.1/localhost; returns (ca, cert, key, certdir)."""
    ca_key, ca = d / "ca.key", d / "ca.pem"
    key, csr, cert = d / "server.key", d / "server.csr", d / "server.pem"
    ext = d / "san.ext"
    ext.write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
                   "keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n")
    steps = [
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-keyout", ca_key, "-out", ca, "-days", "2", "-subj", "/CN=drydock test CA"],
        ["openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key,
         "-out", csr, "-subj", "/CN=127.0.0.1"],
        ["openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial", "-out", cert,
         "-days", "2", "-extfile", ext],
    ]
    for s in steps:
        p = run(*map(str, s))
        assert p.returncode == 0, p.stderr
    certdir = d / "certs"
    certdir.mkdir()
    shutil.copy(ca, certdir / "ca.crt")
    return str(ca), str(cert), str(key), str(certdir)


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    d = tmp_path_factory.mktemp("tls")
    ca, cert, key, certdir = make_ca(d)
    data = d / "data"
    for user, (role, pw) in USERS.items():
        args = [BIN, "user", "add", user, "--role", role, "--password", pw, "--data-dir", str(data)]
        if user == "teamreader":
            args += ["--repos", "team/*"]
        p = run(*args)
        assert p.returncode == 0, p.stderr
    srv = Server(data, ["--tls-cert", cert, "--tls-key", key, "--scan", "false"]).start()
    layout = d / "layout"
    ocigen.layout(str(layout), [{"etc/hello": b"hello over tls\n"}], tag="v1")
    yield {"srv": srv, "url": f"https://127.0.0.1:{srv.port}", "ca": ca, "certdir": certdir,
           "layout": str(layout), "dir": d}
    rc = srv.stop()
    check_sanitizer_log(srv)
    assert rc == 0


def creds(user):
    return f"{user}:{USERS[user][1]}"


def test_https_served_and_plain_http_refused(tls):
    r = requests.get(tls["url"] + "/v2/", verify=tls["ca"])
    assert r.status_code == 401
    realm = re.search(r'realm="([^"]+)"', r.headers["WWW-Authenticate"]).group(1)
    assert realm == tls["url"] + "/auth/token"
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{tls['srv'].port}/v2/", timeout=5)


def test_tls_versions(tls):
    port = tls["srv"].port
    for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
        ctx = ssl.create_default_context(cafile=tls["ca"])
        ctx.minimum_version = ctx.maximum_version = version
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            with ctx.wrap_socket(s, server_hostname="127.0.0.1") as t:
                assert t.version() in ("TLSv1.2", "TLSv1.3")
    # TLS 1.1 and below: refused (by the server's priorities, if not already by the client)
    p = run("openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-tls1_1", "-CAfile", tls["ca"],
            input="", timeout=30)
    assert p.returncode != 0 or "Cipher is (NONE)" in p.stdout, p.stdout
    assert "New, TLSv1.1" not in p.stdout


def test_docker_login_flow_over_https(tls):
    url, ca = tls["url"], tls["ca"]
    r = requests.get(url + "/v2/", verify=ca)
    m = dict(re.findall(r'(\w+)="([^"]*)"', r.headers["WWW-Authenticate"]))
    t = requests.get(m["realm"], params={"service": m["service"]}, auth=("reader", USERS["reader"][1]), verify=ca)
    assert t.status_code == 200
    r = requests.get(url + "/v2/", headers={"Authorization": "Bearer " + t.json()["token"]}, verify=ca)
    assert r.status_code == 200


@pytest.mark.skipif(shutil.which("skopeo") is None, reason="skopeo not installed")
def test_skopeo_with_credentials(tls):
    host = f"127.0.0.1:{tls['srv'].port}"
    src = f"oci:{tls['layout']}:v1"
    cd = tls["certdir"]
    # a reader may not push
    p = run("skopeo", "copy", "--quiet", "--dest-creds", creds("reader"), "--dest-cert-dir", cd, src,
            f"docker://{host}/team/app:v1", timeout=300)
    assert p.returncode != 0
    assert "denied" in p.stderr.lower() or "403" in p.stderr or "unauthorized" in p.stderr.lower(), p.stderr
    # no credentials: refused
    p = run("skopeo", "copy", "--quiet", "--dest-cert-dir", cd, src, f"docker://{host}/team/app:v1", timeout=300)
    assert p.returncode != 0
    # the writer pushes
    p = run("skopeo", "copy", "--quiet", "--dest-creds", creds("writer"), "--dest-cert-dir", cd, src,
            f"docker://{host}/team/app:v1", timeout=300)
    assert p.returncode == 0, p.stderr
    p = run("skopeo", "copy", "--quiet", "--dest-creds", creds("writer"), "--dest-cert-dir", cd, src,
            f"docker://{host}/other/app:v1", timeout=300)
    assert p.returncode == 0, p.stderr
    # the reader inspects and pulls it back byte-identical
    p = run("skopeo", "inspect", "--raw", "--creds", creds("reader"), "--cert-dir", cd,
            f"docker://{host}/team/app:v1")
    assert p.returncode == 0, p.stderr
    local = json.load(open(os.path.join(tls["layout"], "index.json")))["manifests"][0]["digest"]
    import hashlib
    assert "sha256:" + hashlib.sha256(p.stdout.encode()).hexdigest() == local
    out = tls["dir"] / "pulled"
    p = run("skopeo", "copy", "--quiet", "--src-creds", creds("reader"), "--src-cert-dir", cd,
            f"docker://{host}/team/app:v1", f"oci:{out}:v1", timeout=300)
    assert p.returncode == 0, p.stderr
    assert json.load(open(out / "index.json"))["manifests"][0]["digest"] == local
    # a team/* reader sees team/app but not other/app
    p = run("skopeo", "inspect", "--raw", "--creds", creds("teamreader"), "--cert-dir", cd,
            f"docker://{host}/team/app:v1")
    assert p.returncode == 0, p.stderr
    p = run("skopeo", "inspect", "--raw", "--creds", creds("teamreader"), "--cert-dir", cd,
            f"docker://{host}/other/app:v1")
    assert p.returncode != 0
    # list-tags and the verified CA: without it, TLS verification fails
    p = run("skopeo", "list-tags", "--creds", creds("reader"), "--cert-dir", cd, f"docker://{host}/team/app")
    assert p.returncode == 0 and "v1" in p.stdout, p.stderr
    p = run("skopeo", "list-tags", "--creds", creds("reader"), f"docker://{host}/team/app")
    assert p.returncode != 0 and ("certificate" in p.stderr.lower() or "x509" in p.stderr.lower()), p.stderr


def test_tls_config_errors(tmp_path, tls):
    data = tmp_path / "bad"
    p = run(BIN, "serve", "--data-dir", str(data), "--listen", "127.0.0.1:0", "--tls-cert", tls["ca"])
    assert p.returncode != 0 and "tls-key" in p.stderr
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate\n")
    p = run(BIN, "serve", "--data-dir", str(data), "--listen", "127.0.0.1:0", "--tls-cert", str(junk),
            "--tls-key", str(junk))
    assert p.returncode != 0 and "PEM" in p.stderr


@pytest.mark.skipif(shutil.which("podman") is None, reason="podman not installed")
def test_podman_login(tls, tmp_path):
    """podman login (the docker login flow: /v2/ -> 401 Bearer -> token endpoint) over HTTPS."""
    import tempfile
    host = f"127.0.0.1:{tls['srv'].port}"
    run_dir = tempfile.mkdtemp(prefix="ddpa")  # podman wants a short runroot
    base = ["podman", "--root", str(tmp_path / "root"), "--runroot", run_dir, "--storage-driver", "vfs"]
    authfile = str(tmp_path / "auth.json")
    try:
        p = run(*base, "login", "--cert-dir", tls["certdir"], "--authfile", authfile, "-u", "writer", "-p",
                USERS["writer"][1], host)
        assert p.returncode == 0, p.stderr
        assert "Login Succeeded" in p.stdout
        p = run(*base, "login", "--cert-dir", tls["certdir"], "--authfile", str(tmp_path / "bad.json"), "-u",
                "writer", "-p", "wrong-password", host)
        assert p.returncode != 0
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)


def test_tls12_forward_secret_only(tmp_path):
    """issue 20 item 11: with an RSA certificate (where static RSA key
    exchange is possible at all), a TLS 1.2 client offering only static-RSA
    suites fails the handshake; ECDHE-RSA with AES-GCM works."""
    key, cert = tmp_path / "rsa.key", tmp_path / "rsa.pem"
    p = run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
            "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1")
    assert p.returncode == 0, p.stderr
    srv = Server(tmp_path / "data", ["--tls-cert", str(cert), "--tls-key", str(key), "--scan", "false",
                                     "--insecure-no-auth", "true"]).start()
    try:
        def hello(cipher):
            return run("openssl", "s_client", "-connect", f"127.0.0.1:{srv.port}", "-tls1_2", "-cipher", cipher,
                       "-CAfile", str(cert), input="", timeout=30)
        p = hello("AES128-GCM-SHA256")
        assert p.returncode != 0 or "Cipher is (NONE)" in p.stdout, p.stdout
        for static in ("AES256-GCM-SHA384", "AES128-SHA"):
            assert "Cipher is (NONE)" in hello(static).stdout or hello(static).returncode != 0
        p = hello("ECDHE-RSA-AES128-GCM-SHA256")
        assert p.returncode == 0 and "Cipher is ECDHE-RSA-AES128-GCM-SHA256" in p.stdout, p.stdout + p.stderr
        p = hello("ECDHE-RSA-AES128-SHA")  # forward-secret but CBC: refused too
        assert p.returncode != 0 or "Cipher is (NONE)" in p.stdout, p.stdout
    finally:
        assert srv.stop() == 0
