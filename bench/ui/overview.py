#!/usr/bin/env python3
"""bench/ui/overview.py: how fast the web console's overview renders for a
registry of N images (issue 16's target: 10,000 images in under 1 s, in
headless Chromium).

Starts a release server with the sample feeds (tests/fixtures/feeds), pushes
N small Debian 11 images (one shared layer, so each scan is a cache hit plus
a match; each manifest differs by an annotation) spread over N/100
repositories with plain HTTP requests, waits for every scan, then runs
overview.mjs (playwright-core + Debian's chromium) which loads the overview
several times and prints the times.

    bench/ui/overview.py [N]          (default 10000; build/drydock, tests/ui's node_modules)
"""
import hashlib
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

import requests

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "integration"))
import ocigen  # noqa: E402
from conftest import Server  # noqa: E402

BIN = os.environ.get("DRYDOCK_BIN", str(ROOT / "build" / "drydock"))
FEEDS = ROOT / "tests" / "fixtures" / "feeds"
PKGS = [("libssl1.1", "1.1.1n-0+deb11u3", "openssl"), ("openssl", "1.1.1n-0+deb11u3", None),
        ("zlib1g", "1:1.2.11.dfsg-2+deb11u1", "zlib"), ("bash", "5.1-2+deb11u1", None)]


def upload(s, url, repo, data):
    d = "sha256:" + hashlib.sha256(data).hexdigest()
    r = s.post(f"{url}/v2/{repo}/blobs/uploads/?digest={d}", data=data,
               headers={"Content-Type": "application/octet-stream"})
    assert r.status_code == 201, r.text
    return d


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="dd-bench-ui-"))
    try:
        data = tmp / "data"
        subprocess.run([BIN, "db", "import", "--data-dir", str(data), str(FEEDS / "debian-osv" / "all.zip"),
                        str(FEEDS / "nvd"), str(FEEDS / "alpine-secdb")], check=True, stdout=subprocess.DEVNULL)
        blob, tar = ocigen.layer_tar(ocigen.debian_rootfs("11", "bullseye", PKGS))
        cfg = json.dumps({"architecture": "amd64", "os": "linux", "config": {}, "created": "2024-01-01T00:00:00Z",
                          "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(tar).hexdigest()]}},
                         sort_keys=True).encode()
        srv = Server(data, ["--log-level", "warn"]).start()
        s = requests.Session()
        t0 = time.time()
        repos = max(1, n // 100)
        for i in range(n):
            repo = f"team{i % repos:03d}/app"
            if i < repos:
                ld, cd = upload(s, srv.url, repo, blob), upload(s, srv.url, repo, cfg)
            man = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                   "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": len(cfg)},
                   "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": ld,
                               "size": len(blob)}],
                   "annotations": {"bench.index": str(i)}}
            r = s.put(f"{srv.url}/v2/{repo}/manifests/v{i // repos}", data=json.dumps(man).encode(),
                      headers={"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
            assert r.status_code == 201, r.text
        print(f"pushed {n} images in {time.time() - t0:.1f} s", flush=True)
        while True:
            j = s.get(srv.url + "/api/v1/summary").json()
            if j.get("jobsPending", 0) == 0 and j["notAssessed"] == 0 and j["images"] >= n:
                break
            time.sleep(1)
        print(f"scanned in {time.time() - t0:.1f} s: {j['images']} images, {j['counts']['total']} findings", flush=True)
        for k in ("computed", "cached"):  # GET /api/v1/overview: first computed, then from the cache
            t1 = time.time()
            o = s.get(srv.url + "/api/v1/overview").json()
            print(f"GET /api/v1/overview ({k}: {o['cached']}): {(time.time() - t1) * 1000:.0f} ms", flush=True)
        chromium = shutil.which("chromium") or "/usr/bin/chromium"
        p = subprocess.run(["node", str(ROOT / "bench" / "ui" / "overview.mjs")], cwd=ROOT / "tests" / "ui",
                           env=dict(os.environ, DD_URL=srv.url, DD_CHROMIUM=chromium))
        srv.stop()
        return p.returncode
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
