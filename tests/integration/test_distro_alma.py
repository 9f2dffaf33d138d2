"""AlmaLinux cross-check, CentOS 6 recognition and the CentOS -> Red Hat fallback.

The AlmaLinux test builds a real rpm database (rpm's sqlite backend) with
Debian's `rpmbuild` and `rpm --justdb`: one dummy package per package name of
a slice of the real AlmaLinux OSV export (tests/fixtures/distro/
almalinux-osv-slice.zip: 68 records copied byte for byte from
github.com/AlmaLinux/osv-database, the same files as
https://osv-vulnerabilities.storage.googleapis.com/AlmaLinux/all.zip), at
versions below, at and above the advisories' fixed versions, modular builds
(MODULARITYLABEL set) among them. The expected findings are computed here
from the raw records with rpm's own labelCompare (python3-rpm, not Drydock's
ordering) and the module rule of docs/vulndb.md, and must equal what
`drydock scan` reports, finding for finding: (package, CVE id, fixed version,
advisories, vendor severity)."""
import functools
import json
import shutil
import subprocess
import zipfile

import pytest

from conftest import BIN, FIXTURES
from test_db_match_crosscheck import oci_image

SLICE = FIXTURES / "distro" / "almalinux-osv-slice.zip"
ECO = "AlmaLinux:8"
SEV = {"Low": "Low", "Moderate": "Medium", "Important": "High", "Critical": "Critical"}
SEV_ORDER = ["Unknown", "Negligible", "Low", "Medium", "High", "Critical"]
# the package names the image holds (the slice was cut around them); mailman
# .. perl-IO have modular entries (perl-IO both kinds)
NAMES = ["OpenEXR-devel", "PackageKit-gtk3-module", "brotli-devel", "gegl", "lasso", "libexif-devel", "libuv",
         "mingw32-libpng-static", "mingw64-libtiff-static", "ncurses-compat-libs", "orc", "polkit",
         "python3-qt5-devel", "raptor2", "yajl-devel", "zziplib-utils", "freetype-devel",
         "kernel-zfcpdump-modules-internal", "libpng-devel", "opencryptoki-ccatok", "qt5-qtsvg-devel",
         "turbojpeg-devel", "gdk-pixbuf2-xlib", "postgresql-jdbc-javadoc", "mailman", "perl-DBI", "freeradius",
         "idm-pki-ca", "Judy-devel", "perl-IO"]

rpm = pytest.importorskip("rpm", reason="python3-rpm not installed (scripts/install-deps.sh)")
pytestmark = pytest.mark.skipif(shutil.which("rpmbuild") is None, reason="rpmbuild not installed")


def evr(s):
    e, _, vr = s.rpartition(":") if ":" in s else ("0", "", s)
    v, _, r = vr.rpartition("-")
    return (e or "0", v, r)


@functools.lru_cache(maxsize=None)
def cmp(a, b):
    return rpm.labelCompare(evr(a), evr(b))


def is_modular(v):
    return ".module_" in v or ".module+" in v


def entries():
    """{name: [(record, fixed, modular)]} of AlmaLinux:8 security advisories."""
    out = {}
    with zipfile.ZipFile(SLICE) as z:
        for n in z.namelist():
            rec = json.loads(z.read(n))
            if not rec["id"].startswith("ALSA-"):
                continue  # bug fix / enhancement advisories are not vulnerabilities
            for a in rec["affected"]:
                if a["package"]["ecosystem"] != ECO:
                    continue
                for r in a["ranges"]:
                    evs = r["events"]
                    assert evs[0] == {"introduced": "0"} and "fixed" in evs[1], rec["id"]
                    out.setdefault(a["package"]["name"], []).append(
                        (rec, evs[1]["fixed"], is_modular(evs[1]["fixed"])))
    return out


def build_rpm(top, name, version, label):
    e, v, r = evr(version)
    spec = top / f"{name}.spec"
    lines = [f"Name: {name}", f"Version: {v}", f"Release: {r}", "Summary: test", "License: MIT",
             "BuildArch: noarch"]
    if e != "0":
        lines.append(f"Epoch: {e}")
    if label:
        lines.append(f"ModularityLabel: {label}")
    spec.write_text("\n".join(lines) + "\n%description\ntest\n%files\n")
    subprocess.run(["rpmbuild", "-bb", "--quiet", "--define", f"_topdir {top}", "--define",
                    "_build_id_links none", str(spec)], check=True, capture_output=True, timeout=120)
    return next((top / "RPMS" / "noarch").glob(f"{name}-{v}-{r}.noarch.rpm"))


def test_almalinux_findings_match_rpm_ordering(tmp_path):
    ents = entries()
    pkgs = []  # (name, version, modularity label or None)
    for i, name in enumerate(sorted(NAMES)):
        plain = sorted({f for _, f, m in ents[name] if not m}, key=functools.cmp_to_key(cmp))
        mods = sorted({f for _, f, m in ents[name] if m}, key=functools.cmp_to_key(cmp))
        if plain:
            mid = plain[len(plain) // 2]
            e, v, r = evr(mid)
            below = f"{e}:{v}-0.1" if e != "0" else f"{v}-0.1"
            version = [below, mid, plain[-1] + ".1"][i % 3]
            pkgs.append((name, version, None))
        if mods:
            mid = mods[len(mods) // 2]
            e, v, r = evr(mid)
            below = (f"{e}:" if e != "0" else "") + f"{v}-0.module_el8.0.0+1+00000000"
            version = [below, mid, mods[-1] + ".1"][i % 3]
            pkgs.append((name, version, "test:1:8000020190000:00000000"))
            if not plain and i % 2 == 0:
                # a non-modular build of a name whose entries are all modular: never matched
                pkgs.append((name, "0.1-1.el8", None))
    assert len(pkgs) >= 30 and any(p[2] for p in pkgs)

    expected = {}
    for name, version, label in pkgs:
        for rec, fixed, modular in ents.get(name, []):
            if modular != bool(label) or cmp(version, fixed) >= 0:
                continue
            cves = [x for x in rec.get("related", []) if x.startswith("CVE-")] or [rec["id"]]
            word = rec["summary"].split(":", 1)[0]
            for vid in cves:
                key = (name, version, vid)
                ex = expected.setdefault(key, {"fixed": fixed, "advisories": set(), "severity": "Unknown"})
                if cmp(fixed, ex["fixed"]) > 0:
                    ex["fixed"] = fixed
                if vid != rec["id"]:
                    ex["advisories"].add(rec["id"])
                s = SEV.get(word, "Unknown")
                if SEV_ORDER.index(s) > SEV_ORDER.index(ex["severity"]):
                    ex["severity"] = s
    assert len(expected) > 40

    top = tmp_path / "rpmbuild"
    top.mkdir()
    root = tmp_path / "rootfs"
    dbdir = root / "var/lib/rpm"
    dbdir.mkdir(parents=True)
    (root / "etc").mkdir()
    (root / "etc/os-release").write_text(
        'NAME="AlmaLinux"\nVERSION="8.9 (Midnight Oncilla)"\nID="almalinux"\nVERSION_ID="8.9"\n'
        'PRETTY_NAME="AlmaLinux 8.9 (Midnight Oncilla)"\n')
    files = [str(build_rpm(top, n, v, lbl)) for n, v, lbl in pkgs]
    subprocess.run(["rpm", "--dbpath", str(dbdir), "--define", "_db_backend sqlite", "--justdb", "--nodeps",
                    "--noscripts", "--ignorearch", "--ignoreos", "-i", *files], check=True, capture_output=True,
                   timeout=300)
    assert (dbdir / "rpmdb.sqlite").exists()
    img = tmp_path / "img"
    oci_image(root, img)

    data = tmp_path / "data"
    p = subprocess.run([BIN, "db", "import", "--data-dir", str(data), str(SLICE)], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    p = subprocess.run([BIN, "scan", "--data-dir", str(data), "--format", "json", "--no-progress",
                        f"oci:{img}:latest"], capture_output=True, text=True, timeout=600)
    assert p.stdout, p.stderr
    report = json.loads(p.stdout)
    assert report["os"]["ecosystem"] == ECO
    assert len(report["inventory"]) == len(pkgs)
    assert sorted((p["name"], p["version"], p.get("module")) for p in report["inventory"]) == sorted(pkgs)
    got = {}
    for f in report["findings"]:
        key = (f["package"]["name"], f["package"]["version"], f["id"])
        assert key not in got, f"duplicate finding {key}"
        got[key] = {"fixed": f["fixed_version"], "advisories": set(f["advisories"]), "severity": f["severity"]}
        assert f["fix_state"] == "fixed"
        assert f["id"].startswith("CVE-"), f["id"]
    missing = sorted(set(expected) - set(got))
    extra = sorted(set(got) - set(expected))
    assert not missing and not extra, f"missing {missing[:10]} extra {extra[:10]}"
    for k, ex in expected.items():
        assert got[k] == ex, (k, got[k], ex)


def test_centos6_recognized_and_mapped_to_red_hat(tmp_path):
    """CentOS 6: no os-release, etc/redhat-release -> centos-release (a link
    inside the image). Without any CentOS or Red Hat data the image stays
    NotAssessed with the reason; with Red Hat:6 data it is matched against it."""
    root = tmp_path / "rootfs"
    (root / "etc").mkdir(parents=True)
    (root / "etc/centos-release").write_text("CentOS release 6.10 (Final)\n")
    (root / "etc/redhat-release").symlink_to("centos-release")
    (root / "etc/system-release").symlink_to("/etc/../../etc/centos-release")
    top = tmp_path / "rpmbuild"
    top.mkdir()
    dbdir = root / "var/lib/rpm"
    dbdir.mkdir(parents=True)
    f = build_rpm(top, "openssl", "1.0.1e-57.el6", None)
    subprocess.run(["rpm", "--dbpath", str(dbdir), "--define", "_db_backend sqlite", "--justdb", "--nodeps",
                    "--noscripts", "-i", str(f)], check=True, capture_output=True, timeout=120)
    img = tmp_path / "img"
    oci_image(root, img)
    data = tmp_path / "data"
    data.mkdir()

    def scan():
        p = subprocess.run([BIN, "scan", "--data-dir", str(data), "--format", "json", "--no-progress",
                            f"oci:{img}:latest"], capture_output=True, text=True, timeout=300)
        assert p.stdout, p.stderr
        return json.loads(p.stdout)

    # an unrelated feed so a database exists
    rec = {"id": "ALSA-2099:0001", "summary": "Important: x", "modified": "2099-01-01T00:00:00Z",
           "related": ["CVE-2099-0001"],
           "affected": [{"package": {"ecosystem": "AlmaLinux:8", "name": "openssl"},
                         "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1:9-1"}]}]}]}
    (tmp_path / "alma.json").write_text(json.dumps(rec))
    subprocess.run([BIN, "db", "import", "--data-dir", str(data), str(tmp_path / "alma.json")], check=True,
                   capture_output=True)
    r = scan()
    assert r["os"]["ecosystem"] == "CentOS:6"
    assert r["os"]["version_id"] == "6.10"
    assert r["status"] == "NotAssessed"
    assert "CentOS:6" in r["status_reason"]
    assert len(r["inventory"]) == 1

    rh = {"id": "CVE-2016-2105", "modified": "2016-05-03T00:00:00Z",
          "affected": [{"package": {"ecosystem": "Red Hat:6", "name": "openssl"},
                        "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"},
                                                                   {"fixed": "1.0.1e-48.el6_8.1"}]}]},
                       {"package": {"ecosystem": "Red Hat:6", "name": "openssl"},
                        "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"},
                                                                   {"fixed": "1.0.1e-58.el6_10"}]}]}]}
    (tmp_path / "rh.json").write_text(json.dumps(rh))
    subprocess.run([BIN, "db", "import", "--data-dir", str(data), str(tmp_path / "rh.json")], check=True,
                   capture_output=True)
    r = scan()
    assert r["status"] == "Unhealthy", r.get("status_reason")
    assert [(f["id"], f["fixed_version"]) for f in r["findings"]] == [("CVE-2016-2105", "1.0.1e-58.el6_10")]
