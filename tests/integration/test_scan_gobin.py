"""Go and Rust packages in binaries (issue 13, `appbin`): a Go program built
here with Debian's golang-go (`-mod=vendor`, GOPROXY=off, real module
versions in go.mod, stub packages in vendor/, one `replace`) is cataloged
exactly as `go version -m` prints it (replacement built in, toolchain as
stdlib); a Go binary from a Debian package is cataloged fully; a Rust ELF
with cargo-auditable data and a Cargo.lock are cataloged. The issue's
example image (requests 2.19.0, urllib3 1.24.1 and PyYAML 5.3 METADATA plus
the Go binary) gets exactly the findings the PyPI and Go OSV records imply
(tests/fixtures/apps/pypi-osv, and tests/fixtures/gobin/go-osv.zip: every
record of the Go all.zip naming stdlib, golang.org/x/net, golang.org/x/text
or github.com/gorilla/websocket), evaluated here independently, through
`drydock scan` and scan on push."""
import os
import pathlib
import re
import shutil
import subprocess
import tempfile
import zipfile
import json

import pytest

import ocigen
from conftest import BIN, FIXTURES, Server
from test_scan_apps import PY_PACKAGES, PYYAML_META, REQUESTS_META, URLLIB3_META, expected_findings
from test_scan_push import findings, push, wait_done

pytestmark = pytest.mark.skipif(os.environ.get("DD_TEST_TARGET", "drydock") != "drydock",
                                reason="drydock-only tests")

GOBIN = FIXTURES / "gobin"
CARGO = FIXTURES / "cargo"
APP_PATH = "usr/local/bin/gobin-app"

GO_MOD = """module example.com/drydock/gobin

go 1.19

require (
\tgithub.com/gorilla/websocket v1.4.2
\tgolang.org/x/net v0.7.0
\tgolang.org/x/text v0.3.7
)

replace github.com/gorilla/websocket => github.com/gorilla/websocket v1.5.0
"""

MODULES_TXT = """# github.com/gorilla/websocket v1.4.2 => github.com/gorilla/websocket v1.5.0
## explicit
github.com/gorilla/websocket
# golang.org/x/net v0.7.0
## explicit; go 1.17
golang.org/x/net/html
# golang.org/x/text v0.3.7
## explicit; go 1.17
golang.org/x/text/language
# github.com/gorilla/websocket => github.com/gorilla/websocket v1.5.0
"""

MAIN_GO = """package main

import (
\t"fmt"

\t"github.com/gorilla/websocket"
\t"golang.org/x/net/html"
\t"golang.org/x/text/language"
)

func main() { fmt.Println(language.Tag(), html.EscapeString("x"), websocket.Name()) }
"""

STUBS = {
    "golang.org/x/text/language/language.go": "package language\n\nfunc Tag() string { return \"en\" }\n",
    "golang.org/x/net/html/html.go": "package html\n\nfunc EscapeString(s string) string { return s }\n",
    "github.com/gorilla/websocket/ws.go": "package websocket\n\nfunc Name() string { return \"ws\" }\n",
}


def go_env(tmp):
    env = dict(os.environ)
    env.update(GOPROXY="off", GOFLAGS="-mod=vendor -buildvcs=false", GOCACHE=str(tmp / "cache"),
               GOPATH=str(tmp / "gopath"), HOME=str(tmp), CGO_ENABLED="0", GOTOOLCHAIN="local")
    return env


@pytest.fixture(scope="session")
def gobin(tmp_path_factory):
    """The Go program, built once per session; (path, `go version -m` output)."""
    if not shutil.which("go"):
        pytest.fail("go is missing: scripts/install-deps.sh installs golang-go")
    tmp = tmp_path_factory.mktemp("gobin")
    src = tmp / "src"
    for rel, text in {"go.mod": GO_MOD, "main.go": MAIN_GO, "vendor/modules.txt": MODULES_TXT,
                      **{"vendor/" + k: v for k, v in STUBS.items()}}.items():
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_text(text)
    out = tmp / "gobin-app"
    subprocess.run(["go", "build", "-o", str(out), "."], cwd=src, env=go_env(tmp), check=True, timeout=300)
    ver = subprocess.run(["go", "version", "-m", str(out)], stdout=subprocess.PIPE, check=True,
                         env=go_env(tmp)).stdout.decode()
    return out, ver


def expected_from_go_version_m(text):
    """The packages `go version -m` output implies: the main module, each dep
    (its replacement when one follows), the toolchain as stdlib."""
    lines = [ln.strip().split("\t") for ln in text.splitlines()[1:]]
    toolchain = text.splitlines()[0].split(": ", 1)[1].strip()
    pkgs = {("stdlib", toolchain[2:])}
    for i, f in enumerate(lines):
        if f[0] == "mod":
            pkgs.add((f[1], f[2]))
        elif f[0] == "dep":
            nxt = lines[i + 1] if i + 1 < len(lines) else None
            if nxt and nxt[0] == "=>":
                if len(nxt) > 2 and nxt[2]:
                    pkgs.add((nxt[1], nxt[2]))
            else:
                pkgs.add((f[1], f[2]))
    return pkgs


def scan_json(data, ref):
    p = subprocess.run([BIN, "scan", "--data-dir", str(data), "--format", "json", ref],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    assert p.returncode == 0, p.stderr.decode()
    return json.loads(p.stdout)


def test_go_binary_matches_go_version_m(tmp_path, gobin):
    binary, ver = gobin
    want = expected_from_go_version_m(ver)
    assert ("github.com/gorilla/websocket", "v1.5.0") in want and ("golang.org/x/net", "v0.7.0") in want
    root = tmp_path / "root"
    (root / "usr/local/bin").mkdir(parents=True)
    shutil.copy(binary, root / APP_PATH)
    (root / "srv/rust").mkdir(parents=True)
    shutil.copy(CARGO / "Cargo.lock", root / "srv/rust/Cargo.lock")
    shutil.copy(CARGO / "auditable-hello.elf", root / "usr/local/bin/hello")
    rep = scan_json(tmp_path / "data", f"rootfs:{root}")
    got = {(p["name"], p["version"]) for p in rep["inventory"] if p["type"] == "golang"}
    assert got == want
    assert {p["path"] for p in rep["inventory"] if p["type"] == "golang"} == {APP_PATH}
    cargo = {(p["name"], p["version"], p["path"]) for p in rep["inventory"] if p["type"] == "cargo"}
    assert cargo == {(n, v, path) for n, v in (("gen_manpage", "0.1.0"), ("man", "0.3.0"), ("roff", "0.1.0"))
                     for path in ("srv/rust/Cargo.lock", "usr/local/bin/hello")}


def test_debian_go_binary(tmp_path):
    """A Go tool from a Debian 12 package (shfmt), downloaded with apt-get:
    its build info (Debian builds in GOPATH mode: the toolchain, no module
    lines) is cataloged as `go version -m` reads it."""
    dl = tmp_path / "deb"
    dl.mkdir()
    p = subprocess.run(["apt-get", "download", "shfmt"], cwd=dl, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=300)
    debs = list(dl.glob("shfmt_*.deb"))
    if p.returncode != 0 or not debs:
        pytest.skip("apt-get download shfmt failed (no Debian mirror?): " + p.stdout.decode()[-300:])
    root = tmp_path / "root"
    subprocess.run(["dpkg-deb", "-x", str(debs[0]), str(root)], check=True)
    binary = root / "usr/bin/shfmt"
    ver = subprocess.run(["go", "version", "-m", str(binary)], stdout=subprocess.PIPE, check=True).stdout.decode()
    rep = scan_json(tmp_path / "data", f"rootfs:{root}")
    got = {(p["name"], p["version"]) for p in rep["inventory"] if p["type"] == "golang"}
    assert got == expected_from_go_version_m(ver)
    assert all(p["path"] == "usr/bin/shfmt" for p in rep["inventory"])
    assert not rep.get("warnings")


def semver_key(v):
    if v == "0":  # OSV: before every version, prereleases of 0.0.0 included
        return ([-1], 0, [])
    v = v[1:] if v.startswith("v") else v
    v = v.split("+", 1)[0]
    core, _, pre = v.partition("-")
    nums = [int(x) for x in core.split(".")] + [0, 0]
    ids = []
    for x in pre.split(".") if pre else []:
        ids.append((0, int(x), "") if x.isdigit() else (1, 0, x))
    # a release sorts after its prereleases
    return (nums[:3], 1 if not pre else 0, ids)


def expected_go_findings(pkgs):
    """(id, package) pairs the Go OSV records imply for pkgs {name: version}."""
    want = set()
    with zipfile.ZipFile(GOBIN / "go-osv.zip") as z:
        for nm in z.namelist():
            rec = json.loads(z.read(nm))
            if rec.get("withdrawn"):
                continue
            for a in rec.get("affected", []):
                name = a["package"]["name"]
                if name not in pkgs:
                    continue
                v = semver_key(pkgs[name])
                hit = False
                for r in a.get("ranges", []):
                    if r["type"] != "SEMVER":
                        continue
                    vuln = False
                    for ev in sorted(r["events"], key=lambda e: semver_key(list(e.values())[0])):
                        (k, x), = ev.items()
                        if k == "introduced" and v >= semver_key(x):
                            vuln = True
                        elif k == "fixed" and v >= semver_key(x):
                            vuln = False
                        elif k == "last_affected" and v > semver_key(x):
                            vuln = False
                    hit = hit or vuln
                if hit:
                    cves = [x for x in rec.get("aliases", []) if x.startswith("CVE-")] or [rec["id"]]
                    for c in cves:
                        want.add((c, name))
    return want


def example_layout(path, binary, tag="ex"):
    base = {"etc/motd": b"the issue's example: python packages and a Go binary\n"}
    apps = {meta: data for (_, _, meta), data in zip(PY_PACKAGES.values(),
                                                       (REQUESTS_META, URLLIB3_META, PYYAML_META))}
    apps[APP_PATH] = binary.read_bytes()
    ocigen.layout(str(path), [base, apps], tag=tag)
    return path


@pytest.fixture(scope="module")
def example_db(tmp_path_factory):
    d = tmp_path_factory.mktemp("exdb")
    subprocess.run([BIN, "db", "import", "--data-dir", str(d), str(FIXTURES / "apps" / "pypi-osv"),
                    str(GOBIN / "go-osv.zip")], check=True, stdout=subprocess.DEVNULL)
    return d


def go_packages(ver_m):
    return {n: v for n, v in expected_from_go_version_m(ver_m)}


def test_example_image_findings(tmp_path, gobin, example_db):
    binary, ver = gobin
    toolchain = ver.splitlines()[0].split(": ", 1)[1].strip()
    lay = example_layout(tmp_path / "ex", binary)
    rep = scan_json(example_db, f"oci:{lay}:ex")
    go_want = expected_go_findings(go_packages(ver))
    # stdlib findings exist for any released toolchain Debian ships
    assert any(n == "stdlib" for _, n in go_want), go_want
    want = expected_findings() | go_want
    got = {(f["id"], f["package"]["name"]) for f in rep["findings"] if not f["suppressed"]}
    assert got == want
    for f in rep["findings"]:
        if f["package"]["type"] == "golang":
            assert f["ecosystem"] == "Go" and f["package"]["path"] == APP_PATH and f["package"]["layer"] == 1
    assert rep["status"] == "Unhealthy"
    std = [p for p in rep["inventory"] if p["name"] == "stdlib"]
    assert [p["version"] for p in std] == [toolchain[2:]]

    srv = Server(example_db).start()
    try:
        push(lay, "ex", srv, "apps/gobin:1")
        img = wait_done(srv, "apps/gobin", "1", timeout=60)
        assert img["scan"]["state"] == "done" and img["status"] == "Unhealthy", img
        fs = findings(srv, "apps/gobin", "1", limit=1000)
        assert {(f["id"], f["package"]) for f in fs} == want
        assert {f["path"] for f in fs if f["type"] == "golang"} == {APP_PATH}
    finally:
        assert srv.stop() == 0


def test_replaced_binary_leaves_no_stale_packages(tmp_path, gobin):
    """A Go binary replaced in a higher layer by a C binary (an ELF with no
    build info) or by an executable script takes its modules with it."""
    binary, _ = gobin
    c_binary = pathlib.Path("/bin/true").read_bytes()
    cases = {"celf": (c_binary, 0o755), "script": (b"#!/bin/sh\nexec true\n", 0o755)}
    for name, repl in cases.items():
        lay = tmp_path / name
        ocigen.layout(str(lay), [{"etc/motd": b"x\n", APP_PATH: (binary.read_bytes(), 0o755)},
                                 {APP_PATH: repl}], tag="t")
        rep = scan_json(tmp_path / "data", f"oci:{lay}:t")
        assert [p for p in rep["inventory"] if p["type"] == "golang"] == [], name
    # and the binary alone is still read (the test above would pass vacuously otherwise)
    lay = tmp_path / "alone"
    ocigen.layout(str(lay), [{"etc/motd": b"x\n", APP_PATH: (binary.read_bytes(), 0o755)}], tag="t")
    rep = scan_json(tmp_path / "data", f"oci:{lay}:t")
    assert any(p["type"] == "golang" for p in rep["inventory"])
