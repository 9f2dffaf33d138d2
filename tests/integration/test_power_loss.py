"""Power loss, not only kill -9 (issue 20; docs/storage.md, "Power loss").

The real server runs with tests/tools/ddpl_shim.c preloaded, which logs every
change it makes under its data directory (writes with their bytes, fsyncs,
renames, unlinks, mkdirs, truncates). Pushers using the python client push
images concurrently; after every acknowledged push (manifest PUT 201, or a
blob upload 201) the test appends a mark to the same log. Then
powerloss.Replay rebuilds, at random cut points of the log, a directory as a
disk could hold it after losing power there: what was fsynced before the cut
plus random subsets of what was not (see powerloss.py for the model). For
each crash state:

- the server starts on it;
- every push acknowledged before the cut is intact: the manifest by digest
  and by its (unique) tag, and every blob it names, with the right bytes;
- every acknowledged image has a scan record and its scan ends;
- an upload left unfinished (its PATCH acknowledged) is gone, or resumes to
  the right blob, or fails its digest with nothing published;
- after a clean stop, `drydock fsck --hash-all` reports 0 problems;
- meta.db, scans.db and vulndb/vuln.db (those that exist) pass
  PRAGMA integrity_check.

Default: a short workload and a few cuts (well under a minute). Long mode:
DD_POWERLOSS_CUTS=200 (and DD_POWERLOSS_PUSHES, DD_POWERLOSS_SEED).
"""
import os
import random
import sqlite3
import subprocess
import threading
import time

import pytest

from conftest import BIN, Server
from powerloss import count_records, cut_points, replay_cuts
from regclient import (OCI_CONFIG, OCI_INDEX, OCI_LAYER, OCI_MANIFEST, Registry, config_bytes,
                       descriptor, oci_index, oci_manifest, sha256)

SHIM = os.environ.get("DD_PL_SHIM", os.path.join(os.path.dirname(BIN), "libddpl_shim.so"))
CUTS = int(os.environ.get("DD_POWERLOSS_CUTS", "6"))
PUSHES = int(os.environ.get("DD_POWERLOSS_PUSHES", "4"))   # images per pusher
PUSHERS = 3

pytestmark = pytest.mark.skipif(not os.path.exists(SHIM), reason=f"no shim at {SHIM}")


def shim_env(root, log, extra=None):
    env = {"LD_PRELOAD": SHIM, "DD_PL_ROOT": str(root), "DD_PL_LOG": str(log)}
    # an ASan build wants its runtime first; the shim is preloaded before it
    env["ASAN_OPTIONS"] = os.environ.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0"
    env.update(extra or {})
    return env


class Marks:
    """Appends acknowledgement marks to the shim's log (O_APPEND, one write
    each, so they interleave whole with the server's records)."""

    def __init__(self, log):
        self.fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        self.lock = threading.Lock()
        self.pushes = []          # index -> ("m", repo, tag, digest, body, [(dg, data)]) / ("b", ...)

    def ack(self, entry):
        with self.lock:
            i = len(self.pushes)
            self.pushes.append(entry)
            os.write(self.fd, f"K {i}\n".encode())

    def close(self):
        os.close(self.fd)


def pusher(url, wid, marks, rnd, n_images):
    reg = Registry(url, timeout=30)
    repo = f"pl/w{wid}"
    done = []
    for n in range(n_images):
        cfg = config_bytes(f"{repo}-{n}-{rnd.random()}")
        layers = []
        for _ in range(rnd.randint(1, 3)):
            # mostly small; one in five past 1 MiB, so the blob store's
            # ring (writer and hasher threads) takes part
            size = rnd.randint(1_100_000, 2_500_000) if rnd.random() < 0.2 else rnd.randint(1, 200_000)
            layers.append(os.urandom(size))
        blobs = []
        for b in [cfg] + layers:
            mode = rnd.choice(["post_put", "chunked", "monolithic"])
            dg = reg.push_blob(repo, b, mode=mode, chunk=rnd.randint(30_000, 700_000))
            blobs.append((dg, b))
        if rnd.random() < 0.3:
            marks.ack(("b", repo, None, None, None, [blobs[-1]]))
        if rnd.random() < 0.3:
            # an upload left unfinished: PATCH bytes are not fsynced, so
            # after power loss it may resume or be gone, never be wrong
            full = os.urandom(rnd.randint(2000, 300_000))
            loc = reg.start_upload(repo).headers["Location"]
            r = reg.patch_chunk(loc, full[:len(full) // 2], 0)
            if r.status_code == 202:
                marks.ack(("u", repo, r.headers["Location"], sha256(full), full, []))
        body = oci_manifest(descriptor(OCI_CONFIG, cfg),
                            [descriptor(OCI_LAYER, x) for x in layers])
        tag = f"t{n}"
        r = reg.put_manifest(repo, tag, body)
        assert r.status_code == 201, (r.status_code, r.text)
        marks.ack(("m", repo, tag, sha256(body), body, blobs))
        done.append(body)
        if len(done) >= 2 and rnd.random() < 0.3:
            # an index over the last two images (child references in meta.db)
            idx = oci_index([descriptor(OCI_MANIFEST, b, platform={"architecture": a, "os": "linux"})
                             for b, a in zip(done[-2:], ("amd64", "arm64"))])
            r = reg.put_manifest(repo, f"i{n}", idx, OCI_INDEX)
            assert r.status_code == 201, (r.status_code, r.text)
            marks.ack(("m", repo, f"i{n}", sha256(idx), idx, []))


def run_workload(tmp_path, seed, pushes):
    data = tmp_path / "data"
    data.mkdir()
    log = tmp_path / "pl.log"
    srv = Server(data, env=shim_env(data, log))
    srv.start()
    marks = Marks(log)
    rnd = random.Random(seed)
    errors = []

    def run(w, r):
        try:
            pusher(srv.url, w, marks, r, pushes)
        except Exception as e:  # noqa: BLE001
            errors.append(repr(e))
    threads = [threading.Thread(target=run, args=(w, random.Random(rnd.random()))) for w in range(PUSHERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    srv.kill()                # the last cut is the end of the log
    marks.close()
    assert not errors, errors
    return data, log, marks


def integrity(db):
    con = sqlite3.connect(str(db))
    try:
        return con.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        con.close()


def check_crash_state(state, acked):
    """Problems found in one crash state (an empty list when it is good)."""
    problems = []
    srv = Server(state)
    try:
        srv.start()
    except RuntimeError as e:
        return [f"server does not start: {e}"]
    try:
        reg = Registry(srv.url, timeout=30)
        for kind, repo, tag, dg, body, blobs in acked:
            if kind == "m":
                for ref in (dg, tag):
                    g = reg.get_manifest(repo, ref)
                    if g.status_code != 200 or g.content != body:
                        problems.append(f"acknowledged manifest {repo}@{ref}: {g.status_code}")
            for bdg, data in blobs:
                g = reg.get_blob(repo, bdg)
                if g.status_code != 200 or g.content != data:
                    problems.append(f"acknowledged blob {repo}@{bdg}: {g.status_code}")
        # unfinished uploads: gone, or resumable from the offset the server
        # reports; a resumed upload whose bytes were lost (a file that kept
        # its length, not its data) ends in DIGEST_INVALID and publishes
        # nothing
        for kind, repo, loc, dg, full, _ in acked:
            if kind != "u":
                continue
            st = reg.upload_status(loc)
            if st.status_code == 404:
                continue
            rng = st.headers.get("Range", "")
            if st.status_code != 204 or not rng.startswith("0-"):
                problems.append(f"unfinished upload status {st.status_code} {rng!r}")
                continue
            off = int(rng.split("-")[1]) + 1 if rng != "0-0" else 0
            if off > len(full) // 2:
                problems.append(f"unfinished upload reports {off} bytes, {len(full) // 2} were sent")
                continue
            loc2 = st.headers.get("Location", loc)
            r = reg.patch_chunk(loc2, full[off:], off)
            if r.status_code != 202:
                problems.append(f"resume PATCH at {off}: {r.status_code} {r.text[:200]}")
                continue
            r = reg.put_upload(r.headers["Location"], dg)
            if r.status_code == 400 and "DIGEST_INVALID" in r.text:
                if reg.head_blob(repo, dg).status_code != 404:
                    problems.append(f"upload {dg} failed its digest yet the blob is there")
            elif r.status_code != 201 or reg.get_blob(repo, dg).content != full:
                problems.append(f"resumed upload {dg}: {r.status_code} {r.text[:200]}")
        # every acknowledged image has a scan record, and its scan ends
        # (these layers are no tars: "unsupported" is the usual end)
        deadline = time.time() + 20
        for kind, repo, tag, dg, body, blobs in acked:
            if kind != "m":
                continue
            while True:
                r = reg.req("GET", f"/api/v1/repositories/{repo}/images/{dg}")
                scan = r.json().get("scan", {}).get("state") if r.status_code == 200 else None
                if scan not in ("queued", "analyzing") or time.time() > deadline:
                    break
                time.sleep(0.05)
            if r.status_code != 200 or scan not in ("queued", "analyzing", "done", "failed", "unsupported"):
                # "not-scanned" would mean its push was never recorded for scanning
                problems.append(f"acknowledged image {repo}@{dg} has no scan record: {r.status_code} {scan}")
            elif scan in ("queued", "analyzing"):
                problems.append(f"scan of acknowledged image {repo}@{dg} stuck in {scan}")
    finally:
        rc = srv.stop()
    if rc != 0:
        problems.append(f"server exit status {rc}: {srv.read_log()[-1500:]}")
    p = subprocess.run([BIN, "fsck", "--data-dir", str(state), "--hash-all"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
    out = p.stdout.decode("utf-8", "replace")
    if p.returncode != 0 or ": 0 problems" not in out:
        problems.append(f"fsck: {out[-1500:]}")
    for db in ("meta.db", "scans.db", "vulndb/vuln.db"):
        f = state / db
        if f.exists():
            r = integrity(f)
            if r != "ok":
                problems.append(f"{db}: integrity_check {r!r}")
    return problems


@pytest.mark.slow
def test_power_loss_keeps_acknowledged_pushes(tmp_path):
    seed = int(os.environ.get("DD_POWERLOSS_SEED", str(int(time.time()))))
    t0 = time.time()
    data, log, marks = run_workload(tmp_path, seed, PUSHES)
    t_work = time.time() - t0
    n, mark_list = count_records(log)
    rnd = random.Random(seed)
    cuts = cut_points(n, mark_list, CUTS, rnd)
    if CUTS > 0:
        cuts[-1] = n          # always the end of the log too
    failures = []
    dropped = [0, 0]
    stats = {}
    for k, (cut, rp) in enumerate(replay_cuts(log, str(data), cuts)):
        state = tmp_path / f"cut{k}"
        dns, dw = rp.build_crash_state(str(state), random.Random(rnd.random()))
        dropped[0] += dns
        dropped[1] += dw
        acked = [marks.pushes[int(text)] for _, text in rp.marks]
        problems = check_crash_state(state, acked)
        if problems:
            failures.append(f"cut {cut}/{n} ({len(acked)} acknowledged): " + "; ".join(problems[:5]))
        else:
            subprocess.run(["rm", "-rf", str(state), str(state) + ".log"])
        stats = rp.stats
    print(f"seed {seed}: {len(marks.pushes)} acknowledged pushes, {n} log records "
          f"({stats}), workload {t_work:.1f} s; {len(cuts)} cuts in {time.time() - t0 - t_work:.1f} s, "
          f"dropped {dropped[0]} unsynced name changes and {dropped[1]} unsynced writes")
    assert not failures, f"seed {seed}:\n" + "\n".join(failures[:20])


def crash_at_mark(tmp_path, data, log, mark_text, name="state"):
    """The harshest crash state right after the mark mark_text: nothing
    that was not durable by then survives."""
    n, marks = count_records(log)
    at = [i + 1 for i, t in marks if t == mark_text]
    assert at, f"no mark {mark_text!r} in the log"
    for cut, rp in replay_cuts(log, str(data), at[:1]):
        state = tmp_path / name
        rp.build_crash_state(str(state), random.Random(0), keep=0.0)
        return state


def test_power_loss_duplicate_commit_waits_for_durable_blob(tmp_path):
    """Two pushes of the same blob: the second finds it already published
    (renamed into place) while the first is still in the directory fsync
    that makes that rename durable. The second must not be acknowledged
    before the blob's name is durable: power lost right after its 201 must
    not lose the blob."""
    data = tmp_path / "data"
    data.mkdir()
    log = tmp_path / "pl.log"
    srv = Server(data, env=shim_env(data, log, {"DD_PL_SLOW_DIRSYNC": "/blobs/sha256/:600"}))
    srv.start()
    marks = Marks(log)
    blob = os.urandom(150_000)
    dg = sha256(blob)
    reg = Registry(srv.url, timeout=30)
    first = threading.Thread(target=lambda: reg.push_blob("pl/a", blob, mode="monolithic"))
    # both uploads are open before the first commit starts its slow fsync
    loc = reg.start_upload("pl/b").headers["Location"]
    first.start()
    time.sleep(0.3)
    r = reg.put_upload(loc, dg, blob)
    assert r.status_code == 201, r.text
    marks.ack(("b", "pl/b", None, None, None, [(dg, blob)]))
    first.join(30)
    srv.kill()
    marks.close()
    state = crash_at_mark(tmp_path, data, log, "0")
    problems = check_crash_state(state, marks.pushes)
    assert not problems, problems


def test_power_loss_duplicate_manifest_waits_for_durable_bytes(tmp_path):
    """The same for manifest bytes (the blob store's put()): a second push
    of the same manifest finds its bytes in place while the first push is
    still syncing their directory."""
    data = tmp_path / "data"
    data.mkdir()
    log = tmp_path / "pl.log"
    srv = Server(data, env=shim_env(data, log))
    srv.start()
    reg = Registry(srv.url, timeout=30)
    cfg, layer = config_bytes("dup"), os.urandom(5000)
    for repo in ("pl/a", "pl/b"):
        for b in (cfg, layer):
            reg.push_blob(repo, b)
    srv.kill()
    # the same server and log, now with slow syncs of blob directories
    srv = Server(data, env=shim_env(data, log, {"DD_PL_SLOW_DIRSYNC": "/blobs/sha256/:600"}))
    srv.start()
    reg = Registry(srv.url, timeout=30)
    marks = Marks(log)
    body = oci_manifest(descriptor(OCI_CONFIG, cfg), [descriptor(OCI_LAYER, layer)])
    first = threading.Thread(target=lambda: reg.put_manifest("pl/a", "one", body))
    first.start()
    time.sleep(0.3)
    r = reg.put_manifest("pl/b", "two", body)
    assert r.status_code == 201, r.text
    marks.ack(("m", "pl/b", "two", sha256(body), body, [(sha256(cfg), cfg), (sha256(layer), layer)]))
    first.join(30)
    srv.kill()
    marks.close()
    state = crash_at_mark(tmp_path, data, log, "0")
    problems = check_crash_state(state, marks.pushes)
    assert not problems, problems


def test_power_loss_new_data_directory_is_durable(tmp_path):
    """drydock serve creates a missing data directory: its name must be
    durable (its parent synced) before pushes into it are acknowledged,
    or a power loss takes the whole store."""
    root = tmp_path / "root"
    root.mkdir()
    data = root / "data"
    log = tmp_path / "pl.log"
    srv = Server(data, env=shim_env(root, log))
    srv.start()
    marks = Marks(log)
    reg = Registry(srv.url, timeout=30)
    body, dg, blobs = reg.push_image("pl/new", "t", layers=(os.urandom(3000),))
    marks.ack(("m", "pl/new", "t", dg, body,
               [(b, reg.get_blob("pl/new", b).content) for b in blobs]))
    srv.kill()
    marks.close()
    state = crash_at_mark(tmp_path, root, log, "0")
    problems = check_crash_state(state / "data", marks.pushes)
    assert not problems, problems


def test_power_loss_keeps_jwt_key(tmp_path):
    """The token signing key made at first start is durable once the server
    listens (tokens signed with it must keep working), and never an empty
    file that would stop the next start."""
    data = tmp_path / "data"
    data.mkdir()
    log = tmp_path / "pl.log"
    srv = Server(data, env=shim_env(data, log))
    srv.start()
    marks = Marks(log)
    marks.ack(("s", None, None, None, None, []))
    srv.kill()
    marks.close()
    state = crash_at_mark(tmp_path, data, log, "0")
    assert (state / "jwt.key").exists(), "jwt.key lost"
    assert (state / "jwt.key").read_bytes() == (data / "jwt.key").read_bytes()
    assert check_crash_state(state, []) == []
