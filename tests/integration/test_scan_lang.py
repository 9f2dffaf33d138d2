"""Node.js, Ruby, PHP, .NET and Java packages in a pushed image (issue 13,
src/catalog/node.c, ruby.c, php.c, dotnet.c, java.c).

The image (built with ocigen, pushed with skopeo, scanned on push):
  layer 0  Debian 12 base (dpkg status, os-release)
  layer 1  app/node_modules: semver 7.3.5 and @types/semver 7.3.9 (the real
           package.json files of Debian's node-semver), lru-cache nested
           under semver; usr/share/java/geronimo-annotation-1.3-spec.jar
           (real, libgeronimo-annotation-1.3-spec-java); opt/app.war built
           here: WEB-INF/lib/ holds the real apiguardian-api-1.1.2.jar and a
           jackson-databind-2.9.10.1.jar with its pom.properties
  layer 2  rack's real gemspec (ruby-rack), vendor/composer/installed.json
           (Composer 2), app.deps.json, two projects with only their lock
           file (package-lock.json v3, yarn.lock v1)
Every package must be in the inventory with its type, version, layer and
path, once; the same inventory comes from `drydock scan oci:...`. Against
the GHSA records of tests/fixtures/feeds/ghsa-osv (real, byte for byte, see
its README) the findings are exactly those the records imply.
"""
import io
import json
import os
import shutil
import subprocess
import time
import zipfile

import pytest
import requests

import ocigen
from conftest import BIN, FIXTURES, Server

pytestmark = pytest.mark.skipif(os.environ.get("DD_TEST_TARGET", "drydock") != "drydock",
                                reason="drydock-only tests")

LANG = FIXTURES / "lang"


def fx(rel):
    return (LANG / rel).read_bytes()


def zip_bytes(entries, store=False):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_STORED if store else zipfile.ZIP_DEFLATED) as z:
        for name, data in entries:
            z.writestr(name, data)
    return b.getvalue()


def image_layers():
    jackson = zip_bytes([
        ("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\nBundle-SymbolicName: com.fasterxml.jackson.core."
                                 "jackson-databind\r\nBundle-Version: 2.9.10.1\r\n\r\n"),
        ("META-INF/maven/com.fasterxml.jackson.core/jackson-databind/pom.properties",
         "groupId=com.fasterxml.jackson.core\nartifactId=jackson-databind\nversion=2.9.10.1\n"),
        ("com/fasterxml/jackson/databind/ObjectMapper.class", b"\xca\xfe\xba\xbe" + bytes(2000)),
    ])
    war = zip_bytes([
        ("WEB-INF/web.xml", "<web-app/>\n"),
        ("WEB-INF/lib/apiguardian-api-1.1.2.jar", fx("debian/apiguardian-api-1.1.2.jar")),
        ("WEB-INF/lib/jackson-databind-2.9.10.1.jar", jackson),
    ], store=True)
    base = ocigen.debian_rootfs("12", "bookworm", [("bash", "5.2.15-2+b2", None)])
    l1 = {
        "app/node_modules/semver/package.json": fx("debian/semver.package.json"),
        "app/node_modules/@types/semver/package.json": fx("debian/types-semver.package.json"),
        "app/node_modules/semver/node_modules/lru-cache/package.json":
            b'{"name": "lru-cache", "version": "6.0.0", "main": "index.js"}\n',
        "app/node_modules/semver/functions/package.json": b'{"type": "commonjs"}\n',
        "app/package-lock.json": fx("package-lock-v1.json"),  # node_modules next to it: not read
        "usr/share/java/geronimo-annotation-1.3-spec.jar": fx("debian/geronimo-annotation-1.3-spec.jar"),
        "opt/app.war": war,
        "opt/readme.jar": b"not a zip\n",
    }
    l2 = {
        "var/lib/gems/3.1.0/specifications/rack-2.2.22.gemspec": fx("debian/rack-2.2.22.gemspec"),
        "var/www/vendor/composer/installed.json": fx("installed-composer2.json"),
        "srv/dotnet/app.deps.json": fx("app.deps.json"),
        "srv/web/package-lock.json": fx("package-lock-v3.json"),
        "srv/yarnproj/yarn.lock": fx("yarn-v1.lock"),
    }
    return [base, l1, l2]


# (type, name, version, layer, path)
EXPECTED = [
    ("dpkg", "bash", "5.2.15-2+b2", 0, "var/lib/dpkg/status"),
    ("npm", "semver", "7.3.5", 1, "app/node_modules/semver/package.json"),
    ("npm", "@types/semver", "7.3.9", 1, "app/node_modules/@types/semver/package.json"),
    ("npm", "lru-cache", "6.0.0", 1, "app/node_modules/semver/node_modules/lru-cache/package.json"),
    ("maven", "org.apache.geronimo.specs:geronimo-annotation_1.3_spec", "1.3", 1,
     "usr/share/java/geronimo-annotation-1.3-spec.jar"),
    ("maven", "org.apiguardian:apiguardian-api", "1.1.2", 1, "opt/app.war!WEB-INF/lib/apiguardian-api-1.1.2.jar"),
    ("maven", "com.fasterxml.jackson.core:jackson-databind", "2.9.10.1", 1,
     "opt/app.war!WEB-INF/lib/jackson-databind-2.9.10.1.jar"),
    ("gem", "rack", "2.2.22", 2, "var/lib/gems/3.1.0/specifications/rack-2.2.22.gemspec"),
    ("composer", "guzzlehttp/guzzle", "7.4.4", 2, "var/www/vendor/composer/installed.json"),
    ("composer", "symfony/http-kernel", "5.4.20", 2, "var/www/vendor/composer/installed.json"),
    ("composer", "phpunit/phpunit", "9.5.27", 2, "var/www/vendor/composer/installed.json"),
    ("nuget", "Newtonsoft.Json", "12.0.3", 2, "srv/dotnet/app.deps.json"),
    ("nuget", "System.Text.Encodings.Web", "4.7.1", 2, "srv/dotnet/app.deps.json"),
    ("npm", "@babel/runtime", "7.12.5", 2, "srv/web/package-lock.json"),
    ("npm", "axios", "0.21.0", 2, "srv/web/package-lock.json"),
    ("npm", "follow-redirects", "1.13.0", 2, "srv/web/package-lock.json"),
    ("npm", "follow-redirects", "1.14.7", 2, "srv/web/package-lock.json"),
    ("npm", "jest", "26.6.3", 2, "srv/web/package-lock.json"),
    ("npm", "regenerator-runtime", "0.13.7", 2, "srv/web/package-lock.json"),
    ("npm", "@babel/code-frame", "7.10.4", 2, "srv/yarnproj/yarn.lock"),
    ("npm", "lodash", "4.17.19", 2, "srv/yarnproj/yarn.lock"),
    ("npm", "minimist", "0.0.8", 2, "srv/yarnproj/yarn.lock"),
    ("npm", "string-width", "4.2.3", 2, "srv/yarnproj/yarn.lock"),
]

# (finding id, package, version, path, layer): the GHSA records of
# tests/fixtures/feeds/ghsa-osv that affect the image (ids as reported: the
# CVE alias when there is one). Not affected: guzzle 7.4.4 by
# GHSA-w248-ffj2-4v5q (fixed in 7.4.4), rack 2.2.22 by GHSA-wq4h-7r42-5hrr
# (2.2 to 2.2.3.1), jackson-databind through the war is the same package
# at another path.
FINDINGS = [
    ("CVE-2020-36518", "com.fasterxml.jackson.core:jackson-databind", "2.9.10.1",
     "opt/app.war!WEB-INF/lib/jackson-databind-2.9.10.1.jar", 1),
    ("CVE-2021-23337", "lodash", "4.17.19", "srv/yarnproj/yarn.lock", 2),
    ("CVE-2021-44906", "minimist", "0.0.8", "srv/yarnproj/yarn.lock", 2),
    ("CVE-2022-31091", "guzzlehttp/guzzle", "7.4.4", "var/www/vendor/composer/installed.json", 2),
    ("GHSA-5crp-9r3c-p9vr", "Newtonsoft.Json", "12.0.3", "srv/dotnet/app.deps.json", 2),
]
GHSA = FIXTURES / "feeds" / "ghsa-osv"


def drydock(*args, check=True, timeout=120):
    p = subprocess.run([BIN, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    if check and p.returncode != 0:
        raise AssertionError(f"drydock {' '.join(args)} -> {p.returncode}\n{p.stderr.decode()}")
    return p


@pytest.fixture(scope="module")
def layout(tmp_path_factory):
    lay = tmp_path_factory.mktemp("langimg") / "layout"
    ocigen.layout(str(lay), image_layers(), tag="v1")
    return lay


@pytest.fixture(scope="module")
def ghsa_db(tmp_path_factory):
    d = tmp_path_factory.mktemp("ghsadb")
    drydock("db", "import", "--data-dir", str(d), "--format", "osv",
            *[str(GHSA / eco) for eco in ("npm", "Maven", "Packagist", "RubyGems", "NuGet")])
    return d / "vulndb" / "vuln.db"


def check_inventory(pkgs, type_key, layer_key):
    got = sorted((p[type_key], p["name"], p["version"], p[layer_key]) for p in pkgs)
    want = sorted(e[:4] for e in EXPECTED)
    assert got == want
    got = sorted((p[type_key], p["name"], p["version"], p[layer_key], p.get("path") or "var/lib/dpkg/status")
                 for p in pkgs)
    assert got == sorted(EXPECTED)


def test_cli_scan_inventory(tmp_path, layout):
    p = drydock("scan", "--data-dir", str(tmp_path / "data"), "--no-progress", "--format", "json",
                "--allow-unassessed", f"oci:{layout}:v1")
    rep = json.loads(p.stdout)
    check_inventory(rep["inventory"], "type", "layer")
    err = p.stderr.decode()
    # the Composer fixture's wrong-typed entry is a warning; the scan goes on
    assert "var/www/vendor/composer/installed.json: package 3 without a string name and version skipped" in err
    assert "opt/readme.jar" not in err  # not a zip: never read


def test_cli_scan_findings(tmp_path, layout, ghsa_db):
    data = tmp_path / "data"
    (data / "vulndb").mkdir(parents=True)
    shutil.copy(ghsa_db, data / "vulndb" / "vuln.db")
    p = drydock("scan", "--data-dir", str(data), "--no-progress", "--format", "json", f"oci:{layout}:v1",
                check=False)
    rep = json.loads(p.stdout)
    got = sorted((f["id"], f["package"]["name"], f["package"]["version"], f["package"]["path"],
                  f["package"]["layer"]) for f in rep["findings"])
    assert got == sorted(FINDINGS)
    assert rep["status"] == "Unhealthy"


def test_pushed_image_inventory(tmp_path, layout):
    if not shutil.which("skopeo"):
        pytest.skip("skopeo is not installed")
    srv = Server(tmp_path / "data").start()
    try:
        subprocess.run(["skopeo", "copy", "--quiet", "--dest-tls-verify=false", f"oci:{layout}:v1",
                        f"docker://{srv.host}/lang/app:v1"], check=True, timeout=120, stdin=subprocess.DEVNULL)
        deadline = time.time() + 60
        while True:
            r = requests.get(f"{srv.url}/api/v1/repositories/lang/app/images/v1")
            if r.status_code == 200 and r.json()["scan"]["state"] not in ("queued", "analyzing"):
                break
            assert time.time() < deadline, r.text
            time.sleep(0.05)
        r = requests.get(f"{srv.url}/api/v1/repositories/lang/app/images/v1/packages", params={"limit": 1000})
        assert r.status_code == 200, r.text
        j = r.json()
        assert j["total"] == len(EXPECTED)
        check_inventory(j["packages"], "type", "layerIndex")
    finally:
        assert srv.stop() == 0


def test_zip_bomb_in_jar_is_a_warning(tmp_path):
    """A war whose nested jar inflates 64 MiB of zeros from ~64 KiB: the scan
    finishes with the other packages and a warning for the bomb."""
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("WEB-INF/lib/bomb.jar", bytes(64 << 20))
    layers = [ocigen.debian_rootfs("12", "bookworm", [("bash", "5.2.15-2+b2", None)]),
              {"opt/bomb.war": bomb.getvalue(),
               "app/node_modules/semver/package.json": fx("debian/semver.package.json")}]
    lay = tmp_path / "bomb"
    ocigen.layout(str(lay), layers, tag="v1")
    p = drydock("scan", "--data-dir", str(tmp_path / "data"), "--no-progress", "--format", "json",
                "--allow-unassessed", f"oci:{lay}:v1")
    rep = json.loads(p.stdout)
    assert sorted((x["type"], x["name"]) for x in rep["inventory"]) == [("dpkg", "bash"), ("npm", "semver")]
    assert "opt/bomb.war: compression ratio over 200 (zip bomb?)" in p.stderr.decode()


def test_fs_dir_scan(tmp_path):
    """The unpacked-root loader reads the same files (and streams jars)."""
    root = tmp_path / "root"
    files = {}
    for layer in image_layers():
        files.update(layer)
    for path, data in files.items():
        f = root / path
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_bytes(data)
    p = drydock("scan", "--data-dir", str(tmp_path / "data"), "--no-progress", "--format", "json",
                "--allow-unassessed", f"fs:{root}")
    rep = json.loads(p.stdout)
    got = sorted((x["type"], x["name"], x["version"]) for x in rep["inventory"])
    assert got == sorted(e[:3] for e in EXPECTED)


def test_debian_packaged_files_are_os_packages(tmp_path):
    """Debian's ruby-rack gemspec and lib*-java jars, at their real paths and
    listed in dpkg's info/*.list, belong to those dpkg packages: not
    reported again as gem/maven packages (docs/catalog.md); the same files
    outside dpkg's lists are."""
    gemspec = "usr/share/rubygems-integration/all/specifications/rack-2.2.22.gemspec"
    jar = "usr/share/java/geronimo-annotation-1.3-spec.jar"
    base = ocigen.debian_rootfs("12", "bookworm", [("ruby-rack", "2.2.22-0+deb12u2", "ruby-rack"),
                                                   ("libgeronimo-annotation-1.3-spec-java", "1.3-1", None)])
    base["var/lib/dpkg/info/ruby-rack.list"] = f"/.\n/usr\n/{gemspec}\n".encode()
    base["var/lib/dpkg/info/libgeronimo-annotation-1.3-spec-java.list"] = f"/.\n/{jar}\n".encode()
    base[gemspec] = fx("debian/rack-2.2.22.gemspec")
    base[jar] = fx("debian/geronimo-annotation-1.3-spec.jar")
    base["opt/gems/specifications/rack-2.2.22.gemspec"] = fx("debian/rack-2.2.22.gemspec")
    lay = tmp_path / "deb"
    ocigen.layout(str(lay), [base], tag="v1")
    p = drydock("scan", "--data-dir", str(tmp_path / "data"), "--no-progress", "--format", "json",
                "--allow-unassessed", f"oci:{lay}:v1")
    rep = json.loads(p.stdout)
    got = sorted((x["type"], x["name"], x.get("path")) for x in rep["inventory"])
    assert got == [("dpkg", "libgeronimo-annotation-1.3-spec-java", None), ("dpkg", "ruby-rack", None),
                   ("gem", "rack", "opt/gems/specifications/rack-2.2.22.gemspec")]
