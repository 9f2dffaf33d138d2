#!/usr/bin/python3
"""A/B driver for the push path and the first pull after a push (not a test).

    ab.py SIZE_MIB ROUNDS TARGET [TARGET ...]
      TARGET  a drydock binary, or "ref" for the CNCF registry (docker-registry)

Starts every target on loopback, then for ROUNDS rounds, the targets taking
turns (this shared machine's speed drifts within minutes, so only runs side
by side compare): each pushes a blob it has not seen (POST, then one PUT
?digest= with the whole body, sent with sendfile(2) from the page cache), the blob is pulled
at once with curl (the "first pull after push") and once more (a later pull).
Per target it prints the median, min and max of push MB/s, the server's CPU
seconds per GB pushed (utime + stime of the process, all threads), first
pull MB/s, the server's CPU seconds per GB during that first pull (reading a
blob that is not cached costs the server the page-cache fill) and later
pull MB/s, and the median of the per-round ratios to the
first target. Environment: BENCH_DIR (work directory, default /tmp);
AB_RECYCLE=MIB: before each push, write and delete a file of MIB MiB, so
the memory the push's page cache takes was in use a moment ago (see
docs/PERFORMANCE.md, "Pull after push": on this VM, memory idle for two
seconds goes back to the host and costs ~5 ms per MiB to touch again)."""
import hashlib
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "registry"))
import bench  # noqa: E402

MiB = 1 << 20


def cpu_s(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def curl_rate(t, url):
    out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{size_download} %{time_total}",
                          f"http://{t.host}{url}"], stdout=subprocess.PIPE, check=True,
                         timeout=300).stdout.decode().split()
    return int(out[0]) / MiB / float(out[1])


def main():
    size = int(float(sys.argv[1]) * MiB)
    rounds = int(sys.argv[2])
    recycle = int(os.environ.get("AB_RECYCLE", "0"))
    work = tempfile.mkdtemp(prefix="dd-ab-", dir=os.environ.get("BENCH_DIR"))
    bench.WORK = work
    targets = []
    for i, spec in enumerate(sys.argv[3:]):
        if spec == "ref":
            t = bench.Reference(f"ref{i}", work)
        else:
            bench.DRYDOCK = os.path.abspath(spec)
            t = bench.Drydock(f"dd{i}", work)
            t.bin = bench.DRYDOCK
        t.label = spec
        targets.append(t)
    for t in targets:
        if t.label != "ref":
            bench.DRYDOCK = t.bin
        t.start()
    base = bytearray(os.urandom(size))
    path = os.path.join(work, "blob")
    res = {t.name: {"push": [], "cpu": [], "first": [], "cpu1": [], "later": []} for t in targets}
    try:
        for rnd in range(rounds):
            order = targets if rnd % 2 == 0 else targets[::-1]
            for t in order:
                base[:32] = os.urandom(32)
                with open(path, "wb") as f:
                    f.write(base)
                os.sync()
                dg = "sha256:" + hashlib.sha256(base).hexdigest()
                if recycle:
                    junk = os.path.join(work, "junk")
                    with open(junk, "wb") as f:
                        for _ in range(recycle):
                            f.write(bytes(MiB))
                    os.unlink(junk)
                c = bench.RawConn(t)
                st, h = c.req("POST", f"/v2/ab/r{rnd}/blobs/uploads/")
                assert st == 202, (t.name, st)
                loc = bench.add_q(bench.loc_path(h["location"]), digest=dg)
                c0 = cpu_s(t.proc.pid)
                t0 = time.perf_counter()
                with open(path, "rb") as f:
                    st, _ = c.req("PUT", loc, f, 0, size, {"Content-Type": "application/octet-stream"})
                wall = time.perf_counter() - t0
                c1 = cpu_s(t.proc.pid)
                c.close()
                assert st == 201, (t.name, st)
                r = res[t.name]
                r["push"].append(size / MiB / wall)
                r["cpu"].append((c1 - c0) / (size / 1e9))
                c0 = cpu_s(t.proc.pid)
                r["first"].append(curl_rate(t, f"/v2/ab/r{rnd}/blobs/{dg}"))
                r["cpu1"].append((cpu_s(t.proc.pid) - c0) / (size / 1e9))
                r["later"].append(curl_rate(t, f"/v2/ab/r{rnd}/blobs/{dg}"))
    finally:
        for t in targets:
            t.stop()
        subprocess.run(["rm", "-rf", work])
    first = targets[0].name
    print(f"{size // MiB} MiB, {rounds} rounds; median [min-max]; ratio = median of per-round ratios to {targets[0].label}")
    for t in targets:
        r = res[t.name]
        line = [f"{t.label}:"]
        for k, unit in (("push", "MB/s"), ("cpu", "CPU-s/GB"), ("first", "MB/s"), ("cpu1", "CPU-s/GB"),
                        ("later", "MB/s")):
            v = r[k]
            ratio = statistics.median(a / b for a, b in zip(v, res[first][k]) if b)
            line.append(f"{k} {statistics.median(v):,.2f} [{min(v):,.2f}-{max(v):,.2f}] {unit} x{ratio:.2f}")
        print("  " + " | ".join(line))


if __name__ == "__main__":
    main()
