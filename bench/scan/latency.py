"""Scan-on-push benchmarks (issue 4), run by bench/scan/run.sh.

1. Time from manifest PUT to findings available, for a ~100 MB image whose
   blobs were just pushed (each round uses fresh layers, so no cached
   analysis helps): the client pushes the layers (a 100 MB gzip layer and a
   Debian 11 package-database layer) and the config, PUTs the manifest, and
   then polls the findings API until the scan is done.
2. Push throughput with scanning on versus off: the same set of distinct
   images (each with a ~16 MB layer) pushed to two servers, one with
   `--scan false`, reporting MB/s and the ratio.

Usage: latency.py DRYDOCK_BIN VULNDB [ROUNDS]
"""
import gzip
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

import requests

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tests", "integration"))
import ocigen  # noqa: E402

BIN, VULNDB = sys.argv[1], sys.argv[2]
ROUNDS = int(sys.argv[3]) if len(sys.argv) > 3 else 5
OUT = os.path.join(os.path.dirname(__file__), "..", "out", "scan")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(data, *extra):
    os.makedirs(os.path.join(data, "vulndb"), exist_ok=True)
    shutil.copy(VULNDB, os.path.join(data, "vulndb", "vuln.db"))
    port = free_port()
    log = open(data + ".log", "wb")
    p = subprocess.Popen([BIN, "serve", "--data-dir", data, "--listen", f"127.0.0.1:{port}", "--log-level", "warn",
                          *extra], stdout=log, stderr=log)
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            break
        except OSError:
            time.sleep(0.02)
    return p, f"http://127.0.0.1:{port}"


S = requests.Session()


RATE = float(os.environ.get("DD_BENCH_RATE", "0"))  # MB/s the client sends at (0 = as fast as it can)


def paced(data):
    """Yields data in 1 MiB pieces at RATE MB/s (a client on a real network)."""
    t0 = time.perf_counter()
    for off in range(0, len(data), 1 << 20):
        due = t0 + off / (RATE * 1e6)
        now = time.perf_counter()
        if due > now:
            time.sleep(due - now)
        yield data[off:off + (1 << 20)]


def push_blob(url, repo, data):
    d = "sha256:" + hashlib.sha256(data).hexdigest()
    body = paced(data) if RATE > 0 and len(data) > (4 << 20) else data
    r = S.post(f"{url}/v2/{repo}/blobs/uploads/", params={"digest": d}, data=body,
               headers={"Content-Type": "application/octet-stream"})
    assert r.status_code == 201, r.text
    return {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": d, "size": len(data)}


def big_layer(i, mb):
    """A gzip layer of mb files of 1 MiB of random bytes (so ~mb MB compressed),
    unique per i; cached in bench/out/scan."""
    path = os.path.join(OUT, f"big-{mb}-{i}.tar.gz")
    if not os.path.exists(path):
        files = {f"opt/data/{i}/f{k}.bin": os.urandom(1 << 20) for k in range(mb)}
        blob, _ = ocigen.layer_tar(files)
        open(path, "wb").write(blob)
    return open(path, "rb").read()


def image(url, repo, tag, layers_blobs, pkgs_layer):
    descs = [push_blob(url, repo, b) for b in layers_blobs]
    descs.append(push_blob(url, repo, pkgs_layer))
    cfg = json.dumps({"architecture": "amd64", "os": "linux",
                      "rootfs": {"type": "layers", "diff_ids": ["sha256:" + "0" * 64] * len(descs)}}).encode()
    cd = push_blob(url, repo, cfg)
    cd["mediaType"] = "application/vnd.oci.image.config.v1+json"
    man = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                      "config": cd, "layers": descs}).encode()
    return man


def put_manifest(url, repo, tag, man):
    r = S.put(f"{url}/v2/{repo}/manifests/{tag}", data=man,
              headers={"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
    assert r.status_code == 201, r.text


PKGS = [("libssl1.1", "1.1.1n-0+deb11u3", "openssl"), ("zlib1g", "1:1.2.11.dfsg-2+deb11u1", "zlib")] + \
       [(f"pkg{i}", f"1.{i}-1", None) for i in range(300)]


def latency():
    tmp = tempfile.mkdtemp(prefix="dd-bench-lat-")
    p, url = start(os.path.join(tmp, "data"))
    res = []
    try:
        kind = os.environ.get("DD_BENCH_LAYER", "random")
        for i in range(ROUNDS):
            big = big_layer(i, 100) if kind == "random" else text_layer(200 + i, 300)
            pk, _ = ocigen.layer_tar(ocigen.debian_rootfs("11", "bullseye", PKGS + [(f"u{i}", "1", None)]))
            man = image(url, "bench/lat", f"r{i}", [big], pk)
            t0 = time.perf_counter()
            put_manifest(url, "bench/lat", f"r{i}", man)
            t1 = time.perf_counter()
            while True:
                j = S.get(f"{url}/api/v1/repositories/bench/lat/images/r{i}").json()
                if j["scan"]["state"] in ("done", "failed", "unsupported"):
                    break
            t2 = time.perf_counter()
            assert j["scan"]["state"] == "done" and j["counts"]["total"] > 0, j
            res.append(((t2 - t1) * 1000, (t1 - t0) * 1000, len(big) / 1e6))
    finally:
        p.terminate()
        p.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    lat = sorted(r[0] for r in res)
    pace = f", client sending at {RATE:.0f} MB/s" if RATE > 0 else ", client on loopback at full speed"
    print(f"manifest PUT -> findings available, {res[0][2]:.0f} MB image ({os.environ.get('DD_BENCH_LAYER', 'random')} layer{pace}), {ROUNDS} rounds: "
          f"median {lat[len(lat) // 2]:.1f} ms, max {lat[-1]:.1f} ms (PUT itself median "
          f"{sorted(r[1] for r in res)[len(res) // 2]:.1f} ms); target <= 100 ms")


WORDS = None


def text_layer(i, mb):
    """A gzip layer of ~mb MB of text-like files (compresses about 3:1, as
    real layers do, so analysis costs what it costs on real images)."""
    global WORDS
    path = os.path.join(OUT, f"text-{mb}-{i}.tar.gz")
    if not os.path.exists(path):
        import random
        if WORDS is None:
            WORDS = [os.urandom(random.Random(k).randint(2, 9)).hex() for k in range(5000)]
        rnd = random.Random(i)
        files = {}
        for k in range(mb):
            files[f"usr/share/doc/p{i}/f{k}.txt"] = " ".join(rnd.choice(WORDS) for _ in range(90000)).encode()[: 1 << 20]
        blob, _ = ocigen.layer_tar(files)
        open(path, "wb").write(blob)
    return open(path, "rb").read()


def throughput():
    n, mb = 12, 48
    layers = [text_layer(100 + i, mb) for i in range(n)]
    pk, _ = ocigen.layer_tar(ocigen.debian_rootfs("11", "bullseye", PKGS))
    out = {}
    for mode, extra in (("off", ["--scan", "false"]), ("on", []), ("off2", ["--scan", "false"]), ("on2", [])):
        tmp = tempfile.mkdtemp(prefix="dd-bench-tp-")
        p, url = start(os.path.join(tmp, "data"), *extra)
        try:
            t0 = time.perf_counter()
            total = 0
            for i in range(n):
                man = image(url, "bench/tp", f"t{i}", [layers[i]], pk)
                put_manifest(url, "bench/tp", f"t{i}", man)
                total += len(layers[i])
            dt = time.perf_counter() - t0
        finally:
            p.terminate()
            p.wait()
            shutil.rmtree(tmp, ignore_errors=True)
        out[mode] = total / 1e6 / dt
    off = max(out["off"], out["off2"])
    on = max(out["on"], out["on2"])
    size = sum(len(x) for x in layers) / n / 1e6
    print(f"push throughput ({n} images x {size:.0f} MB gzip layers of text-like files, sequential): scanning off {off:.0f} MB/s, "
          f"on {on:.0f} MB/s, ratio {on / off:.2f} (target >= 0.90)")


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    which = os.environ.get("DD_BENCH_ONLY", "")
    if which in ("", "latency"):
        latency()
    if which in ("", "throughput"):
        throughput()
