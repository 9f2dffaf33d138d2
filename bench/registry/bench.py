#!/usr/bin/python3
"""Registry benchmark (not a test): the CNCF reference registry
(docker-registry), drydock and nginx (serving the same blob and manifest files
as static files: the ceiling) side by side on loopback.

Measures, each bounded in time:
  - blob push MB/s, monolithic (POST + one PUT) and chunked (PATCH 8 MiB chunks), 1 MiB .. 512 MiB,
    each push a blob the registry has not seen (a variant of the size's blob);
    bodies go out with sendfile(2) from a file (RawConn), so the client
    takes as little CPU as it can from the servers on this 2-core machine
  - blob pull MB/s (curl, body to /dev/null; one warm-up pull, then the
    median of 15 rounds of at least 256 MiB each; drydock's rounds alternate
    with nginx's, nginx's pull figures are those rounds, and the ratio is
    also given as the median of the per-round ratios); then the same with
    each server held to CPU 0 and curl to CPU 1, as with a remote client
  - single-stream pushes: median of 3 rounds
  - first pull after push: the largest blob, new each round, pulled (curl)
    right after its push was acknowledged (nginx: right after the file was
    written); median of 3 rounds. CI pipelines pull what they just pushed
  - 16 concurrent pushers (aggregate MB/s, and the server's CPU use), then the
    same with the server held to one CPU (taskset): the scaling with cores;
    and with the server in a cgroup limited to 0.5, 1 and 1.5 CPUs (CFS
    quota, cgroup v1), where the cores it may use grow while the client's
    don't shrink
  - requests/s and p99 latency for manifest GET, tags list and /v2/ (wrk), and
    manifest HEAD (headbench.c: Debian's wrk 4.1.0 hangs on HEAD); drydock's
    runs alternate with nginx's (3 each, medians)
  - SHA-256 rate of one core (hashlib, i.e. OpenSSL)
  - peak RSS (VmHWM from /proc/PID/status)
and prints a table with drydock/reference and drydock/nginx ratios.

Environment: DRYDOCK_BIN (default build/drydock; skipped if missing),
BENCH_QUICK=1 (sizes up to 64 MiB, 2 s per request-rate run), BENCH_SECONDS
(request-rate run length, default 4), BENCH_OUT (results file),
BENCH_ONLY=firstpull (only the largest size: its monolithic push, the first
pull after push and the later pulls; about 3 min).
"""
import hashlib
import http.client
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
DRYDOCK = os.environ.get("DRYDOCK_BIN", os.path.join(ROOT, "build", "drydock"))
QUICK = bool(os.environ.get("BENCH_QUICK"))
SECS = float(os.environ.get("BENCH_SECONDS", "2" if QUICK else "4"))
MiB = 1 << 20
SIZES = [1 * MiB, 16 * MiB, 64 * MiB] if QUICK else [1 * MiB, 16 * MiB, 128 * MiB, 512 * MiB]
ONLY = os.environ.get("BENCH_ONLY", "")
if ONLY == "firstpull":
    SIZES = SIZES[-1:]
FIRST_ROUNDS = 3
CHUNK = 8 * MiB
CONC = 16
CONC_SIZE = 16 * MiB if QUICK else 32 * MiB
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("server did not start")


def vm_hwm_kib(pid):
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class Target:
    def __init__(self, name, work):
        self.name = name
        self.port = free_port()
        self.dir = os.path.join(work, name)
        os.makedirs(self.dir)
        self.proc = None
        self.results = {}

    @property
    def host(self):
        return f"127.0.0.1:{self.port}"

    def pids(self):
        return [self.proc.pid]

    def peak_rss_mib(self):
        return max(vm_hwm_kib(p) for p in self.pids()) / 1024

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Reference(Target):
    def start(self):
        cfg = os.path.join(self.dir, "config.yml")
        with open(cfg, "w") as f:
            f.write("version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: true\n"
                    f"storage:\n  filesystem:\n    rootdirectory: {self.dir}/data\n"
                    "  delete:\n    enabled: true\n"
                    f"http:\n  addr: {self.host}\n  secret: bench\n")
        self.log = open(os.path.join(self.dir, "log"), "wb")
        self.proc = subprocess.Popen(["docker-registry", "serve", cfg], stdout=self.log,
                                     stderr=self.log)
        wait_port(self.port, self.proc)


class Drydock(Target):
    def start(self):
        self.log = open(os.path.join(self.dir, "log"), "wb")
        self.proc = subprocess.Popen([DRYDOCK, "serve", "--data-dir", self.dir + "/data",
                                      "--listen", self.host], stdout=self.log, stderr=self.log)
        wait_port(self.port, self.proc)


class Nginx(Target):
    """Static files laid out under the same URL paths as the registries."""

    def start(self):
        self.root = os.path.join(self.dir, "root")
        os.makedirs(os.path.join(self.root, "v2"))
        with open(os.path.join(self.root, "v2", "index.json"), "w") as f:
            f.write("{}")
        conf = os.path.join(self.dir, "nginx.conf")
        with open(conf, "w") as f:
            f.write(f"""user root;
worker_processes auto;
pid {self.dir}/nginx.pid;
error_log {self.dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log {self.dir}/access.log;
  sendfile on; tcp_nopush on; keepalive_requests 1000000; keepalive_timeout 60;
  default_type application/octet-stream;
  server {{
    listen {self.host};
    root {self.root};
    index index.json;
    location /v2/bench/img/manifests/ {{ default_type {OCI_MANIFEST}; }}
    location /v2/bench/img/tags/ {{ default_type application/json; }}
  }}
}}
""")
        self.proc = subprocess.Popen(["nginx", "-p", self.dir, "-c", conf, "-g", "daemon off;"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(self.port, self.proc)

    def pids(self):
        out = [self.proc.pid]
        try:
            kids = open(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read().split()
            out += [int(k) for k in kids]
        except OSError:
            pass
        return out

    def put_file(self, path, data):
        p = os.path.join(self.root, path.lstrip("/"))
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(data)


# ------------------------------------------------------------------ client
def conn(t):
    return http.client.HTTPConnection("127.0.0.1", t.port, timeout=300)


def request(c, method, url, body=None, headers=None):
    c.request(method, url, body=body, headers=headers or {})
    r = c.getresponse()
    data = r.read()
    return r.status, r, data


def loc_path(loc):
    if loc.startswith("http"):
        u = urllib.parse.urlsplit(loc)
        return u.path + ("?" + u.query if u.query else "")
    return loc


def add_q(url, **kw):
    return url + ("&" if "?" in url else "?") + urllib.parse.urlencode(kw)


class RawConn:
    """HTTP/1.1 over a raw socket whose request bodies go out with sendfile(2)
    from a file: python's http.client spends the better part of a core per
    GB/s sending from memory, which on a 2-core machine is taken from the
    server under test. Every registry gets the same client."""

    def __init__(self, t):
        """t: anything with a .port (a Target)."""
        self.s = socket.create_connection(("127.0.0.1", t.port), timeout=30)
        # blocking (no timeout): with one, python's sendfile turns non-blocking
        # and moves a socket buffer per select() round (run.sh bounds the run)
        self.s.settimeout(None)
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.rf = self.s.makefile("rb")

    def req(self, method, url, f=None, off=0, n=0, headers=None):
        head = f"{method} {url} HTTP/1.1\r\nHost: bench\r\nContent-Length: {n}\r\n"
        for k, v in (headers or {}).items():
            head += f"{k}: {v}\r\n"
        self.s.sendall((head + "\r\n").encode())
        if n:
            self.s.sendfile(f, off, n)
        status = int(self.rf.readline().split()[1])
        hdr = {}
        while True:
            line = self.rf.readline()
            if line in (b"\r\n", b""):
                break
            k, v = line.decode().split(":", 1)
            hdr[k.strip().lower()] = v.strip()
        self.body = b""
        if hdr.get("transfer-encoding", "").lower() == "chunked":
            while True:
                size = int(self.rf.readline().split(b";")[0], 16)
                self.body += self.rf.read(size + 2)[:size]
                if size == 0:
                    break
        else:
            self.body = self.rf.read(int(hdr.get("content-length", 0)))
        return status, hdr

    def close(self):
        self.rf.close()
        self.s.close()


SPOOL = {}


def spooled(data):
    """A file holding data (written once, then served from the page cache).
    Keyed by the object's identity (kept alive here), so a lookup costs
    nothing inside the timed pushes."""
    key = id(data)
    if key not in SPOOL:
        path = os.path.join(WORK, f"spool-{len(SPOOL)}")
        with open(path, "wb") as f:
            f.write(data)
        SPOOL[key] = (path, data)
    return SPOOL[key][0]


def variant(data, tag):
    """(bytes, digest): data with its first bytes replaced by tag, spooled to
    a file and synced before any clock starts."""
    b = bytearray(data)
    t = tag.encode()[:len(b)]
    b[:len(t)] = t
    b = bytes(b)
    spooled(b)
    os.sync()
    return b, "sha256:" + hashlib.sha256(b).hexdigest()


def unspool(data):
    """Forgets data's file, which stays on disk until the run ends: deleting
    a 512 MiB file here (ext4 mounted with discard) kept the virtual disk
    busy during the next timed push, 860-875 instead of 1,000-1,040 MB/s
    for the same drydock push."""
    SPOOL.pop(id(data))


def push(t, repo, data, digest, chunked=False):
    path = spooled(data)
    size = len(data)
    c = RawConn(t)
    with open(path, "rb") as f:
        st, h = c.req("POST", f"/v2/{repo}/blobs/uploads/")
        assert st == 202, st
        loc = loc_path(h["location"])
        if chunked:
            for off in range(0, size, CHUNK):
                n = min(CHUNK, size - off)
                st, h = c.req("PATCH", loc, f, off, n, {
                    "Content-Type": "application/octet-stream",
                    "Content-Range": f"{off}-{off + n - 1}"})
                assert st == 202, st
                loc = loc_path(h["location"])
            st, h = c.req("PUT", add_q(loc, digest=digest))
        else:
            st, h = c.req("PUT", add_q(loc, digest=digest), f, 0, size,
                          {"Content-Type": "application/octet-stream"})
    assert st == 201, (st, t.name)
    c.close()


def curl_pull(t, url, reps=1, cpu=None):
    """(bytes, seconds) pulling url reps times over one keep-alive connection
    (curl held to CPU cpu if given)."""
    cmd = (["taskset", "-c", str(cpu)] if cpu is not None else []) + [
        "curl", "-s", "-w", "%{size_download} %{time_total}\\n"]
    for _ in range(reps):
        cmd += ["-o", "/dev/null", f"http://{t.host}{url}"]
    out = subprocess.run(cmd, stdout=subprocess.PIPE, check=True,
                         timeout=120).stdout.decode().split()
    n = sum(int(x) for x in out[0::2])
    secs = sum(float(x) for x in out[1::2])
    return n, secs


PULL_ROUNDS = 15


def pull_rates(pairs, size, cpu=None):
    """Per (target, url) in pairs: the median MB/s of PULL_ROUNDS rounds,
    the targets taking turns round by round (this machine's speed drifts by
    2x within minutes, so servers measured minutes apart can't be
    compared), each pull over one keep-alive connection after one untimed
    pull (so every server serves from the page cache; the first pull after
    a push has its own row, first_pull_rate).
    Each round moves at least 256 MiB. Also returns, for each target, the
    median over rounds of its rate divided by the first target's in the
    same round: the drift cancels out of such a ratio."""
    reps = max(1, (256 * MiB) // size)
    rates = [[] for _ in pairs]
    for t, url in pairs:
        n, _ = curl_pull(t, url, 1, cpu)
        assert n == size, (t.name, n, size)
    for _ in range(PULL_ROUNDS):
        for k, (t, url) in enumerate(pairs):
            n, secs = curl_pull(t, url, reps, cpu)
            assert n == size * reps, (t.name, n, size)
            rates[k].append(mbps(n, secs))
    meds = [statistics.median(r) for r in rates]
    paired = [statistics.median(a / b for a, b in zip(r, rates[0]) if b) for r in rates]
    return meds, paired


def first_pull_rate(t, data, size):
    """Median MB/s of FIRST_ROUNDS pulls each made right after the push of
    a new blob of data's size (nginx: right after its file was written):
    whether a fresh blob is served from memory."""
    rates = []
    for rnd in range(FIRST_ROUNDS):
        d, g = variant(data, f"first{rnd}")
        if isinstance(t, Nginx):
            t.put_file(f"/v2/bench/first/blobs/{g}", d)
        else:
            push(t, "bench/first", d, g)
        n, secs = curl_pull(t, f"/v2/bench/first/blobs/{g}")
        assert n == size, (t.name, n, size)
        rates.append(mbps(n, secs))
        unspool(d)
    return statistics.median(rates)


def mbps(nbytes, secs):
    return nbytes / MiB / secs if secs > 0 else 0.0


def wrk(t, path, accept=None):
    cmd = ["wrk", "-t2", "-c32", f"-d{int(SECS)}s", "--latency", "--timeout", "5s"]
    if accept:
        cmd += ["-H", f"Accept: {accept}"]
    out = subprocess.run(cmd + [f"http://{t.host}{path}"], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, timeout=SECS + 30).stdout.decode()
    rps = re.search(r"Requests/sec:\s*([\d.]+)", out)
    p99 = re.search(r"^\s*99%\s+([\d.]+)(us|ms|s)\b", out, re.M)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", out)
    lat = None
    if p99:
        lat = float(p99.group(1)) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[p99.group(2)]
    return (float(rps.group(1)) if rps else 0.0), lat, int(non2xx.group(1)) if non2xx else 0


def headbench(t, path, accept=None):
    exe = os.path.join(WORK, "headbench")
    cmd = [exe, "127.0.0.1", str(t.port), path, "32", str(SECS), "HEAD"]
    if accept:
        cmd.append(accept)
    out = subprocess.run(cmd, stdout=subprocess.PIPE, timeout=SECS + 30).stdout.decode()
    kv = dict(x.split("=") for x in out.split())
    return float(kv["rps"]), float(kv["p99_ms"]), int(kv["errors"])


def sha256_rate():
    """MB/s of one core hashing 1 MiB blocks (openssl speed -evp sha256)."""
    out = subprocess.run(["openssl", "speed", "-evp", "sha256", "-seconds", "2", "-bytes",
                          str(MiB)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         timeout=60).stdout.decode()
    m = re.search(r"^sha256\s+([\d.]+)k", out, re.M)
    return float(m.group(1)) * 1000 / MiB if m else 0.0


# ------------------------------------------------------------------ runs
def cpu_seconds(pids):
    tck = os.sysconf("SC_CLK_TCK")
    total = 0
    for p in pids:
        try:
            f = open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()
            total += int(f[11]) + int(f[12])  # utime, stime (all threads)
        except OSError:
            pass
    return total / tck


def set_affinity(t, cpus):
    for p in t.pids():
        subprocess.run(["taskset", "-a", "-p", "-c", cpus, str(p)], stdout=subprocess.DEVNULL,
                       check=True)


def concurrent_push(t, prefix, cblobs, cdig):
    """(aggregate MB/s, server CPU cores busy) pushing every blob at once."""
    for b in cblobs:
        spooled(b)  # before the clock, and not from many threads
    ths = [threading.Thread(target=push, args=(t, f"bench/{prefix}{i}", cblobs[i], cdig[i]))
           for i in range(len(cblobs))]
    c0 = cpu_seconds(t.pids())
    t0 = time.perf_counter()
    for th in ths:
        th.start()
    for th in ths:
        th.join()
    wall = time.perf_counter() - t0
    cores = (cpu_seconds(t.pids()) - c0) / wall
    return mbps(sum(len(b) for b in cblobs), wall), cores


CG_CPU = "/sys/fs/cgroup/cpu"  # cgroup v1 cpu controller


def quota_runs(t, cblobs, cdig, quotas=(0.5, 1.0, 1.5)):
    """{quota: MB/s} of the concurrent pushes with the server in a cgroup
    whose CFS quota is that many CPUs (the client is not limited). How the
    rate grows with the quota shows whether the server turns more CPU into
    more throughput, i.e. scales with cores, which a 2-core machine can't
    show by adding cores. None where the v1 cpu controller isn't writable."""
    if not os.path.isdir(CG_CPU) or not os.access(CG_CPU, os.W_OK):
        return None
    cg = os.path.join(CG_CPU, f"dd-bench-{os.getpid()}-{t.name}")
    out = {}
    try:
        os.mkdir(cg)
        for p in t.pids():
            with open(os.path.join(cg, "cgroup.procs"), "w") as f:
                f.write(str(p))
        with open(os.path.join(cg, "cpu.cfs_period_us"), "w") as f:
            f.write("100000")
        for q in quotas:
            with open(os.path.join(cg, "cpu.cfs_quota_us"), "w") as f:
                f.write(str(int(q * 100000)))
            out[q], _ = concurrent_push(t, f"q{q}-", cblobs, cdig)
    except OSError as e:
        print(f"[{t.name}] cpu quota runs skipped: {e}", file=sys.stderr)
        return None
    finally:
        for p in t.pids():
            try:
                with open(os.path.join(CG_CPU, "cgroup.procs"), "w") as f:
                    f.write(str(p))
            except OSError:
                pass
        try:
            os.rmdir(cg)
        except OSError:
            pass
    return out


def bench_registry(t, blobs, manifest):
    R = t.results
    repo = "bench/img"
    for data, _ in blobs.values():
        spooled(data)
    for size, (data, dg) in blobs.items():
        for mode in ("mono", "chunk") if ONLY != "firstpull" else ("mono",):
            # median of 3 rounds, each of at least 8 MiB (one push for 16 MiB and up)
            reps = max(1, (8 * MiB) // size)
            rates = []
            for rnd in range(3):
                # every push sends a blob the registry has not seen: a repeat
                # would measure its handling of duplicates, not of new data
                fresh = [variant(data, f"{mode}{rnd}-{i}") for i in range(reps)]
                t0 = time.perf_counter()
                for i, (d, g) in enumerate(fresh):
                    push(t, f"bench/{mode}{rnd}-{i}", d, g, chunked=(mode == "chunk"))
                rates.append(mbps(size * reps, time.perf_counter() - t0))
                for d, _ in fresh:
                    unspool(d)
            R[f"push {mode} {size // MiB} MiB (MB/s)"] = statistics.median(rates)
        push(t, repo, data, dg)
    big, (bdata, _) = max(blobs.items())
    R[f"first pull after push {big // MiB} MiB (MB/s)"] = first_pull_rate(t, bdata, big)
    ncpu = os.cpu_count() or 1
    for size, (data, dg) in blobs.items():
        key = f"pull {size // MiB} MiB (MB/s)"
        if NGINX is not None and t.name == "drydock":
            # nginx's figure comes from the rounds interleaved with drydock's
            pairs = [(t, f"/v2/{repo}/blobs/{dg}"), (NGINX, f"/v2/bench/img/blobs/{dg}")]
            (R[key], NGINX.results[key]), (_, back) = pull_rates(pairs, size)
            R[f"pull {size // MiB} MiB: drydock/nginx, median of rounds"] = 1 / back if back else None
            if ncpu > 1 and shutil.which("taskset") and ONLY != "firstpull":
                # as with a client on another machine: each server on CPU 0,
                # curl on CPU 1 (unpinned, the scheduler sometimes puts
                # curl on the server's core, which costs the servers unevenly)
                key1 = f"pull {size // MiB} MiB, server CPU 0, client CPU 1 (MB/s)"
                for x in (t, NGINX):
                    set_affinity(x, "0")
                try:
                    (R[key1], NGINX.results[key1]), (_, back) = pull_rates(pairs, size, cpu=1)
                finally:
                    for x in (t, NGINX):
                        set_affinity(x, f"0-{ncpu - 1}")
                R[f"pull {size // MiB} MiB pinned: drydock/nginx, median of rounds"] = 1 / back if back else None
        else:
            (R[key],), _ = pull_rates([(t, f"/v2/{repo}/blobs/{dg}")], size)
    if ONLY == "firstpull":
        return
    # concurrent pushers: distinct blobs
    cblobs = [os.urandom(CONC_SIZE) for _ in range(CONC)]
    cdig = ["sha256:" + hashlib.sha256(b).hexdigest() for b in cblobs]
    label = f"{CONC} concurrent pushes x {CONC_SIZE // MiB} MiB"
    rate, cores = concurrent_push(t, "c", cblobs, cdig)
    R[f"{label} (MB/s)"] = rate
    R[f"{label}: server CPU (cores busy)"] = cores
    # scaling with cores: the same with the server held to one CPU
    if ncpu > 1 and shutil.which("taskset"):
        set_affinity(t, "0")
        try:
            one, _ = concurrent_push(t, "c1", cblobs, cdig)
        finally:
            set_affinity(t, f"0-{ncpu - 1}")
        R[f"{label}, server on 1 CPU (MB/s)"] = one
        R[f"concurrent push scaling, {ncpu} CPUs / 1 CPU"] = rate / one if one else None
    q = quota_runs(t, cblobs, cdig)
    if q:
        for k, v in q.items():
            R[f"{label}, server CPU quota {k:g} (MB/s)"] = v
        R["concurrent push scaling, quota 1.5 / 0.5 CPU (ideal 3)"] = q[1.5] / q[0.5] if q[0.5] else None
    # manifest + tags for the request-rate runs
    cfg, layer = manifest["blobs"]
    for b in (cfg, layer):
        push(t, repo, b, "sha256:" + hashlib.sha256(b).hexdigest())
    c = conn(t)
    for tag in ("bench", "a", "b", "c"):
        st, _, _ = request(c, "PUT", f"/v2/{repo}/manifests/{tag}", manifest["body"],
                           {"Content-Type": OCI_MANIFEST})
        assert st == 201, st
    c.close()
    request_rates(t)


RATE_ROUNDS = 3


def request_rates(t):
    """wrk (and headbench for HEAD) per endpoint. For drydock, with nginx
    running, the two take turns for RATE_ROUNDS runs each and the medians
    count (nginx's request-rate figures are those runs), as with pulls."""
    R = t.results
    turns = [t]
    if NGINX is not None and t.name == "drydock":
        turns.append(NGINX)
    runs = [("manifest GET", lambda x: wrk(x, "/v2/bench/img/manifests/bench", OCI_MANIFEST)),
            ("tags list GET", lambda x: wrk(x, "/v2/bench/img/tags/list")),
            ("/v2/ GET", lambda x: wrk(x, "/v2/")),
            ("manifest HEAD", lambda x: headbench(x, "/v2/bench/img/manifests/bench", OCI_MANIFEST))]
    for label, run in runs:
        got = {x.name: [] for x in turns}
        for _ in range(RATE_ROUNDS if len(turns) > 1 else 1):
            for x in turns:
                got[x.name].append(run(x))
        for x in turns:
            rps = statistics.median(g[0] for g in got[x.name])
            lats = [g[1] for g in got[x.name] if g[1] is not None]
            x.results[f"{label} (req/s)"] = rps
            x.results[f"{label} p99 (ms)"] = statistics.median(lats) if lats else None
            bad = sum(g[2] for g in got[x.name])
            if bad:
                x.results[f"{label} non-2xx" if label != "manifest HEAD" else f"{label} errors"] = bad


NGINX = None  # the running nginx, while the registries are measured


def nginx_files(t, blobs, manifest):
    for size, (data, dg) in blobs.items():
        t.put_file(f"/v2/bench/img/blobs/{dg}", data)
    t.put_file("/v2/bench/img/manifests/bench", manifest["body"])
    t.put_file("/v2/bench/img/tags/list", b'{"name":"bench/img","tags":["a","b","bench","c"]}')


def bench_nginx(t, blobs, manifest):
    R = t.results
    big, (bdata, _) = max(blobs.items())
    R[f"first pull after push {big // MiB} MiB (MB/s)"] = first_pull_rate(t, bdata, big)
    for size, (data, dg) in blobs.items():
        key = f"pull {size // MiB} MiB (MB/s)"
        if key not in R:  # not measured beside drydock
            (R[key],), _ = pull_rates([(t, f"/v2/bench/img/blobs/{dg}")], size)
    if "manifest GET (req/s)" not in R and ONLY != "firstpull":
        request_rates(t)


def fmt(v):
    if v is None:
        return "-"
    if isinstance(v, str):
        return v
    return f"{v:,.0f}" if v >= 100 else f"{v:.2f}"


def ratio(a, b):
    if not a or not b:
        return "-"
    return f"{a / b:.2f}x"


def main():
    global WORK, NGINX
    WORK = tempfile.mkdtemp(prefix="dd-bench-", dir=os.environ.get("BENCH_DIR"))
    subprocess.run(["cc", "-O2", "-std=c11", "-pthread", "-o", os.path.join(WORK, "headbench"),
                    os.path.join(HERE, "headbench.c")], check=True)
    targets = [Reference("reference", WORK)]
    if os.path.exists(DRYDOCK):
        targets.append(Drydock("drydock", WORK))
    else:
        print(f"(drydock binary {DRYDOCK} not found: measuring reference and nginx only)")
    ngx = Nginx("nginx", WORK)
    blobs = {}
    for size in SIZES:
        data = os.urandom(size)
        blobs[size] = (data, "sha256:" + hashlib.sha256(data).hexdigest())
    cfg = b'{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}'
    layer = os.urandom(4096)

    def desc(mt, b):
        return '{"mediaType":"%s","digest":"sha256:%s","size":%d}' % (
            mt, hashlib.sha256(b).hexdigest(), len(b))
    body = ('{"schemaVersion":2,"mediaType":"%s","config":%s,"layers":[%s]}' % (
        OCI_MANIFEST, desc("application/vnd.oci.image.config.v1+json", cfg),
        desc("application/vnd.oci.image.layer.v1.tar", layer))).encode()
    manifest = {"body": body, "blobs": (cfg, layer)}
    sha = sha256_rate()
    try:
        # nginx serves the same files from the start (idle until measured):
        # drydock's pulls are measured in rounds alternating with it
        ngx.start()
        nginx_files(ngx, blobs, manifest)
        NGINX = ngx
        for t in list(targets):
            try:
                t.start()
            except RuntimeError as e:
                print(f"[{t.name}] could not start ({e}); log: "
                      f"{open(os.path.join(t.dir, 'log'), errors='replace').read()[-300:]}",
                      file=sys.stderr)
                targets.remove(t)
                continue
            t0 = time.time()
            bench_registry(t, blobs, manifest)
            t.results["peak RSS (MiB)"] = t.peak_rss_mib()
            print(f"[{t.name}] done in {time.time() - t0:.0f}s", file=sys.stderr)
            t.stop()
        bench_nginx(ngx, blobs, manifest)
        ngx.results["peak RSS (MiB)"] = ngx.peak_rss_mib()
    finally:
        for t in targets + [ngx]:
            t.stop()
        # spooled blobs and the servers' data: several GB by now
        shutil.rmtree(WORK, ignore_errors=True)
    keys = []  # drydock's order first: its extra rows sit beside their kin
    for t in sorted(targets, key=lambda x: x.name != "drydock") + [ngx]:
        keys += [k for k in t.results if k not in keys]
    ref = targets[0].results if targets and targets[0].name == "reference" else {}
    dd = next((t.results for t in targets if t.name == "drydock"), {})
    ng = ngx.results
    lines = [f"SHA-256 one core (openssl speed, 1 MiB blocks): {sha:,.0f} MB/s",
             f"{'metric':44} {'reference':>11} {'drydock':>11} {'nginx':>11} {'dd/ref':>8} {'dd/nginx':>9}"]
    for k in keys:
        lines.append(f"{k:44} {fmt(ref.get(k)):>11} {fmt(dd.get(k)):>11} {fmt(ng.get(k)):>11} "
                     f"{ratio(dd.get(k), ref.get(k)):>8} {ratio(dd.get(k), ng.get(k)):>9}")
    if dd:
        single = max(v for k, v in dd.items() if k.startswith("push mono"))
        lines.append(f"drydock best single push stream / SHA-256 rate: {single / sha:.2f}")
    text = "\n".join(lines)
    print(text)
    out = os.environ.get("BENCH_OUT")
    if out:
        with open(out, "w") as f:
            f.write(time.strftime("%Y-%m-%d %H:%M UTC\n", time.gmtime()) + text + "\n")


if __name__ == "__main__":
    main()
