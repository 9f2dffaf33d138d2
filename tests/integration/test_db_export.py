"""`drydock db export` (the database as an OCI artifact) and `drydock db update
--from` (replacing the database with one), round-tripped through an OCI
layout directory and through `drydock serve` itself as the registry."""
import hashlib
import json
import os
import subprocess
import time

import pytest
import requests

from conftest import BIN, FIXTURES

FEEDS = FIXTURES / "feeds"
ARTIFACT_TYPE = "application/vnd.drydock.vulndb.v1"
LAYER_TYPE = "application/vnd.drydock.vulndb.layer.v1.sqlite+zstd"


def drydock(*args, check=True):
    p = subprocess.run([BIN, *args], capture_output=True, text=True, timeout=120)
    if check and p.returncode != 0:
        raise AssertionError(f"drydock {' '.join(args)} exited {p.returncode}\n{p.stdout}\n{p.stderr}")
    return p


def status(data):
    return json.loads(drydock("db", "status", "--json", "--data-dir", str(data)).stdout)


def content(st):
    """What must survive the round trip: counts and feeds (not times of the copy)."""
    return (st["schema_version"], st["vulnerabilities"], st["affected"], st["nvd"],
            sorted((f["name"], f["records"], f["etag"], f["source"]) for f in st["feeds"]))


@pytest.fixture
def src_data(tmp_path):
    data = tmp_path / "src"
    drydock("db", "import", "--data-dir", str(data), str(FEEDS / "ubuntu-osv"), str(FEEDS / "nvd"))
    drydock("db", "import", "--data-dir", str(data), str(FEEDS / "debian-tracker" / "debian.json"))
    return data


def sha(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def test_export_layout_and_update_from_it(src_data, tmp_path):
    out = tmp_path / "layout"
    p = drydock("db", "export", "--data-dir", str(src_data), "--output", str(out), "--tag", "v2")
    assert "exported database version 2" in p.stdout
    assert json.loads((out / "oci-layout").read_text()) == {"imageLayoutVersion": "1.0.0"}
    idx = json.loads((out / "index.json").read_text())
    (desc,) = idx["manifests"]
    assert desc["annotations"]["org.opencontainers.image.ref.name"] == "v2"
    assert desc["artifactType"] == ARTIFACT_TYPE
    blob = lambda d: (out / "blobs" / "sha256" / d.split(":")[1]).read_bytes()
    mbytes = blob(desc["digest"])
    assert sha(mbytes) == desc["digest"] and len(mbytes) == desc["size"]
    m = json.loads(mbytes)
    assert m["mediaType"] == "application/vnd.oci.image.manifest.v1+json"
    assert m["artifactType"] == ARTIFACT_TYPE
    assert m["config"]["mediaType"] == "application/vnd.oci.empty.v1+json"
    assert blob(m["config"]["digest"]) == b"{}"
    (layer,) = m["layers"]
    assert layer["mediaType"] == LAYER_TYPE
    lb = blob(layer["digest"])
    assert sha(lb) == layer["digest"] and len(lb) == layer["size"] and lb[:4] == b"\x28\xb5\x2f\xfd"  # zstd
    ann = m["annotations"]
    assert ann["io.drydock.vulndb.version"] == "2" and ann["io.drydock.vulndb.schema"] == "2"
    feeds = {f["name"]: f for f in json.loads(ann["io.drydock.vulndb.feeds"])}
    assert feeds["osv/Ubuntu"]["records"] == 9 and feeds["debian-tracker"]["records"] == 7

    # a fresh site: the database appears, with version past the artifact's
    dst = tmp_path / "dst"
    p = drydock("db", "update", "--data-dir", str(dst), "--from", f"oci-layout:{out}:v2")
    assert "now at version 3" in p.stdout
    assert content(status(dst)) == content(status(src_data))
    # a site with a newer database: the version still goes up, so servers re-open it
    for _ in range(3):
        drydock("db", "import", "--data-dir", str(dst), str(FEEDS / "nvd"))
    assert status(dst)["version"] == 6
    drydock("db", "update", "--data-dir", str(dst), "--from", f"oci-layout:{out}:v2")
    assert status(dst)["version"] == 7

    # a corrupt layer is refused and the database stays
    lpath = out / "blobs" / "sha256" / layer["digest"].split(":")[1]
    lpath.write_bytes(lb[:-10] + b"0123456789")
    p = drydock("db", "update", "--data-dir", str(dst), "--from", f"oci-layout:{out}:v2", check=False)
    assert p.returncode == 1 and "database unchanged" in p.stderr and "descriptor says" in p.stderr
    assert status(dst)["version"] == 7
    assert not [f for f in os.listdir(dst / "vulndb") if ".pull." in f]


def test_update_from_rejects_non_databases(src_data, tmp_path):
    p = drydock("db", "update", "--data-dir", str(tmp_path / "d"), "--from", "http://x/y", check=False)
    assert p.returncode == 1 and "neither oci://" in p.stderr
    p = drydock("db", "update", "--data-dir", str(tmp_path / "d"), "--from", f"oci-layout:{tmp_path}/none",
                check=False)
    assert p.returncode == 1 and "not an oci layout" in p.stderr
    p = drydock("db", "export", "--data-dir", str(src_data), check=False)
    assert p.returncode == 2


@pytest.mark.skipif(os.environ.get("DD_TEST_TARGET", "drydock") != "drydock", reason="drydock-only")
def test_push_to_drydock_serve_and_pull_back(src_data, tmp_path, server):
    ref = f"{server.host}/drydock/vulndb:latest"
    p = drydock("db", "export", "--data-dir", str(src_data), f"oci://{ref}")
    assert "pushed database version 2" in p.stdout
    mdigest = p.stdout.strip().split("manifest ")[-1]
    r = requests.get(f"{server.url}/v2/drydock/vulndb/manifests/latest",
                     headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})
    assert r.status_code == 200 and sha(r.content) == mdigest
    assert r.json()["artifactType"] == ARTIFACT_TYPE

    dst = tmp_path / "dst"
    p = drydock("db", "update", "--data-dir", str(dst), "--from", f"oci://{ref}")
    assert "now at version 3" in p.stdout
    assert content(status(dst)) == content(status(src_data))
    # by digest too
    p = drydock("db", "update", "--data-dir", str(dst), "--from", f"oci://{server.host}/drydock/vulndb@{mdigest}")
    assert "now at version 4" in p.stdout
    # a wrong digest pin is refused
    bad = "sha256:" + "0" * 64
    p = drydock("db", "update", "--data-dir", str(dst), "--from", f"oci://{server.host}/drydock/vulndb@{bad}",
                check=False)
    assert p.returncode == 1 and status(dst)["version"] == 4

    # the server's scanner does not count the artifact as a failed image scan
    deadline = time.time() + 20
    while True:
        r = requests.get(f"{server.url}/api/v1/repositories/drydock/vulndb/images/latest")
        if r.status_code == 200 and r.json()["scan"]["state"] not in ("queued", "analyzing"):
            break
        assert time.time() < deadline, r.text
        time.sleep(0.2)
    img = r.json()
    assert img["scan"]["state"] == "unsupported"
    assert ARTIFACT_TYPE in img["scan"]["error"]


@pytest.mark.skipif(os.environ.get("DD_TEST_TARGET", "drydock") != "drydock", reason="drydock-only")
def test_push_and_pull_with_credentials(src_data, tmp_path, server_factory):
    data = tmp_path / "regdata"
    drydock("user", "add", "dbpub", "--role", "writer", "--password", "pub-pw-1", "--data-dir", str(data))
    srv = server_factory(["--scan", "false"], data_dir=data).start()
    ref = f"oci://{srv.host}/mirror/vulndb:nightly"
    # no credentials: refused, and said so
    env = {k: v for k, v in os.environ.items() if not k.startswith("DRYDOCK_REGISTRY_")}
    p = subprocess.run([BIN, "db", "export", "--data-dir", str(src_data), ref], capture_output=True, text=True,
                       timeout=60, env=env)
    assert p.returncode == 1 and "push to" in p.stderr
    env.update(DRYDOCK_REGISTRY_USER="dbpub", DRYDOCK_REGISTRY_PASSWORD="pub-pw-1")
    p = subprocess.run([BIN, "db", "export", "--data-dir", str(src_data), ref], capture_output=True, text=True,
                       timeout=60, env=env)
    assert p.returncode == 0, p.stderr
    dst = tmp_path / "dst"
    p = subprocess.run([BIN, "db", "update", "--data-dir", str(dst), "--from", ref], capture_output=True, text=True,
                       timeout=60, env=env)
    assert p.returncode == 0, p.stderr
    assert content(status(dst)) == content(status(src_data))
