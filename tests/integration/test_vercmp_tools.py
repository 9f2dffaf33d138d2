"""Live property tests of src/vercmp against the real tools, on fresh pairs.

The unit test (tests/unit/test_vercmp.c) checks the committed expectation
files in tests/fixtures/vercmp/. This test draws NEW random pairs (a seed of
its own, DD_VERCMP_SEED to change it) with the same generators
(tests/fixtures/vercmp/gen.py), asks the real tools at run time, and
compares with a small driver compiled from src/vercmp/*.c:

    dpkg --compare-versions, rpm.vercmp (rpm --eval lua),
    python3-packaging, node-semver, golang.org/x/mod/semver (if installed).

A tool that is missing skips its test.
"""
import os
import pathlib
import random
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
GEN_DIR = ROOT / "tests" / "fixtures" / "vercmp"
sys.path.insert(0, str(GEN_DIR))
import gen  # noqa: E402  (the fixture generator: version generators and tool wrappers)

SEED = os.environ.get("DD_VERCMP_SEED", "drydock-vercmp-live")
N = int(os.environ.get("DD_VERCMP_LIVE_PAIRS", "1500"))

DRIVER = r"""
#include <stdio.h>
#include <string.h>
#include "dd/vercmp.h"
/* argv[1]: scheme name; stdin: "A\nB\n" pairs; prints sign(cmp) per pair */
int main(int argc, char **argv)
{
    static char a[1 << 16], b[1 << 16];
    dd_verscheme_t s = 0;
    for (int i = DD_VS_DPKG; i <= DD_VS_GO; i++)
        if (argc > 1 && strcmp(dd_verscheme_name((dd_verscheme_t)i), argv[1]) == 0) s = i;
    if (!s) return 2;
    while (fgets(a, sizeof a, stdin) && fgets(b, sizeof b, stdin)) {
        a[strcspn(a, "\n")] = 0;
        b[strcspn(b, "\n")] = 0;
        int r = dd_vercmp(s, a, b);
        printf("%d\n", (r > 0) - (r < 0));
    }
    return 0;
}
"""


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if not cc:
        pytest.skip("no C compiler")
    d = tmp_path_factory.mktemp("vercmp")
    src = d / "driver.c"
    src.write_text(DRIVER)
    exe = d / "driver"
    sources = sorted(str(p) for p in (ROOT / "src" / "vercmp").glob("*.c"))
    subprocess.run([cc, "-std=c11", "-D_GNU_SOURCE", "-O1", "-I", str(ROOT / "include"),
                    "-I", str(ROOT / "src"), str(src)] + sources + ["-o", str(exe)], check=True)
    return str(exe)


def ours(driver, scheme, pairs):
    inp = "".join("%s\n%s\n" % p for p in pairs)
    out = subprocess.run([driver, scheme], input=inp, capture_output=True, text=True,
                         check=True).stdout.split()
    assert len(out) == len(pairs)
    return [int(x) for x in out]


def check(scheme, pairs, want, got):
    bad = [(a, b, w, g) for (a, b), w, g in zip(pairs, want, got) if w != g]
    assert not bad, "%s: %d of %d pairs differ from the tool, e.g. %r" % (
        scheme, len(bad), len(pairs), bad[:5])


def test_dpkg_live(driver):
    if not shutil.which("dpkg"):
        pytest.skip("dpkg missing")
    r = random.Random(SEED + "-dpkg")
    vs = [gen.rnd_dpkg(r) for _ in range(300)]
    pairs = gen.pairs_from(r, vs, N // 2, "0123456789.+~-:abzAZ")  # one exec per check
    pairs = [(a, b) for a, b in pairs if gen.usable(a) and gen.usable(b)]
    ok = {v: gen.dpkg_check(v)[0] for v in set(x for p in pairs for x in p)}
    pairs = [(a, b) for a, b in pairs if ok[a] and ok[b]]
    check("dpkg", pairs, [gen.dpkg_cmp(a, b) for a, b in pairs], ours(driver, "dpkg", pairs))


def test_rpm_live(driver):
    if not shutil.which("rpm"):
        pytest.skip("rpm missing")
    r = random.Random(SEED + "-rpm")
    vs = [gen.rnd_rpm(r) for _ in range(400)]
    pairs = gen.pairs_from(r, vs, 3 * N, "0123456789.~^+_-:abzAZ")
    pairs = [(a, b) for a, b in pairs if gen.usable(a) and gen.usable(b)]
    check("rpm", pairs, gen.rpm_cmp_bulk(pairs), ours(driver, "rpm", pairs))


def test_pep440_live(driver):
    pv = pytest.importorskip("packaging.version")
    r = random.Random(SEED + "-pep440")
    vs = [gen.rnd_pep440(r) for _ in range(400)]
    pairs = gen.pairs_from(r, vs, 3 * N, "0123456789.-_abcrpostdevABC+!")
    want, keep = [], []
    for a, b in pairs:
        if not (gen.usable(a) and gen.usable(b)):
            continue
        try:
            va, vb = pv.Version(a), pv.Version(b)
        except pv.InvalidVersion:
            continue
        keep.append((a, b))
        want.append(-1 if va < vb else (1 if va > vb else 0))
    check("pep440", keep, want, ours(driver, "pep440", keep))


def test_semver_live(driver):
    env = dict(os.environ, NODE_PATH="/usr/share/nodejs")
    if not shutil.which("node") or subprocess.run(
            ["node", "-e", "require('semver')"], env=env, capture_output=True).returncode:
        pytest.skip("node or node-semver missing")
    r = random.Random(SEED + "-semver")
    vs = [gen.rnd_semver(r) for _ in range(400)]
    pairs = gen.pairs_from(r, vs, 3 * N, "0123456789.-+abrcv")
    pairs = [(a, b) for a, b in pairs if gen.usable(a) and gen.usable(b)]
    out = subprocess.run(["node", "-e", gen.NODE_CMP], input="".join("%s\n%s\n" % p for p in pairs),
                         capture_output=True, text=True, env=env, check=True).stdout.split()
    keep = [(p, int(x)) for p, x in zip(pairs, out) if x != "x"]
    pairs = [p for p, _ in keep]
    check("semver", pairs, [gen.sign(x) for _, x in keep], ours(driver, "semver", pairs))


def test_go_live(driver):
    if not shutil.which("go") or not os.path.isdir("/usr/share/gocode/src/golang.org/x/mod/semver"):
        pytest.skip("go or golang-golang-x-mod-dev missing")
    r = random.Random(SEED + "-go")
    vs = [gen.rnd_go(r) for _ in range(400)]
    pairs = gen.pairs_from(r, vs, 3 * N, "0123456789.-+abrcv")
    pairs = [(a, b) for a, b in pairs if gen.usable(a) and gen.usable(b)]

    def norm(v):
        return v if v.startswith("v") else "v" + v

    out = gen.run_go_program(gen.GO_CMP, "gocmp", "".join("%s\n%s\n" % (norm(a), norm(b))
                                                         for a, b in pairs))
    keep = []
    for p, line in zip(pairs, out):
        c, va, vb = (int(x) for x in line.split())
        if va or vb:
            keep.append((p, gen.sign(c)))
    pairs = [p for p, _ in keep]
    check("go", pairs, [x for _, x in keep], ours(driver, "go", pairs))
