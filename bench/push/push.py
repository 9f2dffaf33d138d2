#!/usr/bin/python3
"""Push-path driver for drydock (or any OCI registry) on loopback. Not a test.

    push.py PORT MODE SIZE_MIB REPEAT [CHUNK_MIB]
      MODE mono   POST /v2/<repo>/blobs/uploads/?digest=  with the whole body
           put    POST, then PUT ?digest= with the whole body
           chunk  POST, PATCH CHUNK_MIB pieces (default 8) with Content-Range, closing PUT
           conc   REPEAT threads, each pushing its own blob monolithically at once
    BLOBS=PREFIX  use the files PREFIX.<bytes>.<i> as blobs (made from urandom if missing;
                  default /tmp/dd-pushbench/blob) -- e.g. gzip layers to exercise scanning
    FRESH=1       rewrite each file's first 32 bytes first, so every push is new data

The body goes out with sendfile(2) from the page cache over a raw socket, so
the client spends little CPU (python http.client copies every byte, which on
a 2-core machine steals a good part of a core from the server). Digests are
computed before the clock starts. Prints the best and median MB/s (conc: the
aggregate)."""
import hashlib
import os
import socket
import statistics
import sys
import threading
import time
import types

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "registry"))
from bench import RawConn  # noqa: E402

port, mode, size_mib, rep = int(sys.argv[1]), sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
chunk = int(float(sys.argv[5]) * 1048576) if len(sys.argv) > 5 else 8 << 20
size = int(size_mib * 1048576)
prefix = os.environ.get("BLOBS", "/tmp/dd-pushbench/blob")
os.makedirs(os.path.dirname(prefix), exist_ok=True)
files = []
for i in range(rep):
    path = f"{prefix}.{size}.{i}"
    if not os.path.exists(path):
        with open(path, "wb") as f:
            f.write(os.urandom(size))
    if os.environ.get("FRESH"):
        # new first bytes: a blob the registry has not seen (a repeat would
        # measure its handling of duplicates)
        with open(path, "r+b") as f:
            f.write(os.urandom(min(32, size)))
    with open(path, "rb") as f:
        files.append((path, "sha256:" + hashlib.sha256(f.read()).hexdigest()))
if os.environ.get("FRESH"):
    os.sync()  # the rewritten pages are not written back during the clock


class Conn(RawConn):
    """bench/registry's sendfile client, with this script's calling style."""

    def __init__(self):
        super().__init__(types.SimpleNamespace(port=port))

    def req(self, method, url, f=None, off=0, n=0, extra=""):
        headers = dict(line.split(": ", 1) for line in extra.split("\r\n") if line)
        status, hdr = super().req(method, url, f, off, n, headers)
        return status, hdr, self.body


def push(c, path, dg, repo):
    with open(path, "rb") as f:
        if mode in ("mono", "conc"):
            st, h, b = c.req("POST", f"/v2/{repo}/blobs/uploads/?digest={dg}", f, 0, size,
                             "Content-Type: application/octet-stream\r\n")
            assert st == 201, (st, b)
            return
        st, h, b = c.req("POST", f"/v2/{repo}/blobs/uploads/")
        assert st == 202, st
        loc = h["location"]
        if mode == "put":
            st, h, b = c.req("PUT", f"{loc}?digest={dg}", f, 0, size)
            assert st == 201, st
            return
        off = 0
        while off < size:
            n = min(chunk, size - off)
            st, h, b = c.req("PATCH", loc, f, off, n,
                             f"Content-Type: application/octet-stream\r\nContent-Range: {off}-{off + n - 1}\r\n")
            assert st == 202, (st, b)
            loc = h["location"]
            off += n
        st, h, b = c.req("PUT", f"{loc}?digest={dg}")
        assert st == 201, st


if mode == "conc":
    ths = [threading.Thread(target=lambda i=i: push(Conn(), *files[i], f"bench/conc{i}")) for i in range(rep)]
    t0 = time.perf_counter()
    for t in ths:
        t.start()
    for t in ths:
        t.join()
    print(f"conc {rep} x {size_mib:g} MiB: {rep * size / (time.perf_counter() - t0) / 1e6:.0f} MB/s aggregate")
    sys.exit(0)
c = Conn()
rates = []
for path, dg in files:
    t0 = time.perf_counter()
    push(c, path, dg, "bench/push")
    rates.append(size / (time.perf_counter() - t0) / 1e6)
print(f"{mode} {size_mib:g} MiB x{rep}: best {max(rates):.0f} MB/s median {statistics.median(rates):.0f} MB/s")
