"""Crash safety: SIGKILL the registry at random moments while pushers are busy,
restart it on the same data directory, and check the store through the API:

- the server starts every time;
- every blob/manifest the server acknowledged (201) before the kill is there;
- every tag resolves to a manifest whose bytes hash to its digest, and every
  blob that manifest names is served with bytes matching its digest;
- no blob HEAD 200 whose content does not match the digest;
- unfinished uploads are either resumable (status 204 with a Range we can
  resume from to a correct blob) or cleanly gone (404).

Also graceful shutdown: SIGTERM while a request is in flight lets it finish and
the server exits 0."""
import os
import random
import signal
import threading
import time
import uuid

import pytest

from regclient import (OCI_CONFIG, OCI_LAYER, REFERENCE, Registry, config_bytes, descriptor,
                       oci_manifest, sha256, verify_digest)

ROUNDS = int(os.environ.get("DD_CRASH_ROUNDS", "5"))
WORKERS = 6


class Ledger:
    def __init__(self):
        self.lock = threading.Lock()
        self.blobs = {}            # digest -> (repo, data) acknowledged
        self.attempted = {}        # digest -> (repo, data) tried (maybe unacknowledged)
        self.manifests = {}        # digest -> (repo, body) acknowledged
        self.tags = {}             # (repo, tag) -> set of digests ever PUT to it
        self.tag_acked = set()     # (repo, tag) acknowledged at least once
        self.uploads = []          # (repo, location, data) left unfinished


def worker(url, wid, ledger, stop, rnd):
    reg = Registry(url, timeout=10)
    repo = f"crash/w{wid}"
    n = 0
    while not stop.is_set():
        n += 1
        op = rnd.random()
        try:
            if op < 0.35:
                data = os.urandom(rnd.randint(1, 1_500_000))
                with ledger.lock:
                    ledger.attempted[sha256(data)] = (repo, data)
                mode = rnd.choice(["post_put", "chunked", "monolithic"])
                dg = reg.push_blob(repo, data, mode=mode, chunk=rnd.randint(50_000, 400_000))
                with ledger.lock:
                    ledger.blobs[dg] = (repo, data)
            elif op < 0.5:
                data = os.urandom(rnd.randint(100_000, 900_000))
                r = reg.start_upload(repo)
                loc = r.headers["Location"]
                cut = rnd.randint(2, len(data) - 1)
                r = reg.patch_chunk(loc, data[:cut], 0)
                if r.status_code == 202:
                    with ledger.lock:
                        ledger.uploads.append((repo, r.headers["Location"], data))
            else:
                cfg = config_bytes(f"{repo}-{n}-{rnd.random()}")
                layers = [os.urandom(rnd.randint(1, 300_000)) for _ in range(rnd.randint(1, 3))]
                for b in [cfg] + layers:
                    with ledger.lock:
                        ledger.attempted[sha256(b)] = (repo, b)
                    reg.push_blob(repo, b)
                    with ledger.lock:
                        ledger.blobs[sha256(b)] = (repo, b)
                body = oci_manifest(descriptor(OCI_CONFIG, cfg),
                                    [descriptor(OCI_LAYER, x) for x in layers])
                tag = f"t{rnd.randint(0, 5)}"
                with ledger.lock:
                    ledger.tags.setdefault((repo, tag), set()).add(sha256(body))
                r = reg.put_manifest(repo, tag, body)
                if r.status_code == 201:
                    with ledger.lock:
                        ledger.manifests[sha256(body)] = (repo, body)
                        ledger.tag_acked.add((repo, tag))
        except Exception:
            # the server died under us: stop quietly; the kill is the point
            if stop.wait(0.05):
                return


def check_store(url, ledger):
    reg = Registry(url, timeout=30)
    problems = []
    # acknowledged blobs and manifests survive
    for dg, (repo, data) in ledger.blobs.items():
        g = reg.get_blob(repo, dg)
        if g.status_code != 200 or g.content != data:
            problems.append(f"acknowledged blob {dg} in {repo}: {g.status_code}")
    for dg, (repo, body) in ledger.manifests.items():
        g = reg.get_manifest(repo, dg)
        if g.status_code != 200 or g.content != body:
            problems.append(f"acknowledged manifest {dg} in {repo}: {g.status_code}")
    # attempted-but-unacknowledged blobs: absent, or correct
    for dg, (repo, data) in ledger.attempted.items():
        h = reg.head_blob(repo, dg)
        if h.status_code == 200:
            g = reg.get_blob(repo, dg)
            if g.status_code != 200 or not verify_digest(g.content, dg) or g.content != data:
                problems.append(f"blob {dg} HEAD 200 but content wrong")
            if int(h.headers.get("Content-Length", -1)) != len(data):
                problems.append(f"blob {dg} HEAD Content-Length wrong")
        elif h.status_code != 404:
            problems.append(f"blob {dg} HEAD {h.status_code}")
    # every tag resolves to an intact manifest whose blobs are intact
    for (repo, tag), digests in ledger.tags.items():
        g = reg.get_manifest(repo, tag)
        if g.status_code == 404:
            if (repo, tag) in ledger.tag_acked:
                problems.append(f"acknowledged tag {repo}:{tag} lost")
            continue
        if g.status_code != 200:
            problems.append(f"tag {repo}:{tag}: {g.status_code}")
            continue
        dg = sha256(g.content)
        if g.headers.get("Docker-Content-Digest") != dg:
            problems.append(f"tag {repo}:{tag}: digest header does not match bytes")
        if dg not in digests:
            problems.append(f"tag {repo}:{tag} names a manifest never pushed to it")
        m = g.json()
        for d in [m["config"]] + m["layers"]:
            b = reg.get_blob(repo, d["digest"])
            if b.status_code != 200 or sha256(b.content) != d["digest"]:
                problems.append(f"tag {repo}:{tag}: blob {d['digest']} {b.status_code}")
    # tags list only names resolvable tags
    for w in range(WORKERS):
        repo = f"crash/w{w}"
        t = reg.tags(repo)
        if t.status_code == 200:
            for tag in t.json().get("tags") or []:
                if reg.head_manifest(repo, tag).status_code != 200:
                    problems.append(f"listed tag {repo}:{tag} does not resolve")
    return problems


def check_uploads(url, ledger):
    """Unfinished uploads: resumable from the reported offset, or gone."""
    reg = Registry(url, timeout=30)
    problems = []
    resumed = gone = 0
    for repo, loc, data in ledger.uploads[:40]:
        s = reg.upload_status(loc)
        if s.status_code == 404:
            gone += 1
            continue
        if s.status_code != 204:
            problems.append(f"upload status {s.status_code}")
            continue
        rng = s.headers.get("Range", "")
        try:
            end = int(rng.split("-")[1])
        except (IndexError, ValueError):
            problems.append(f"upload status Range {rng!r}")
            continue
        loc2 = s.headers.get("Location", loc)
        off = end + 1 if not (rng == "0-0" and end == 0) else 0
        if off > len(data):
            problems.append(f"upload reports {off} bytes, only {len(data)} ever sent")
            continue
        if off < len(data):
            r = reg.patch_chunk(loc2, data[off:], off)
            if r.status_code != 202:
                problems.append(f"resume PATCH at {off}: {r.status_code}")
                continue
            loc2 = r.headers["Location"]
        r = reg.put_upload(loc2, sha256(data))
        if r.status_code != 201:
            problems.append(f"resumed upload did not complete: {r.status_code} {r.text[:200]}")
            continue
        if reg.get_blob(repo, sha256(data)).content != data:
            problems.append("resumed upload stored wrong bytes")
        resumed += 1
    return problems, resumed, gone


@pytest.mark.slow
def test_kill9_during_pushes(registry_factory, tmp_path):
    seed = int(os.environ.get("DD_CRASH_SEED", str(int(time.time()))))
    rnd = random.Random(seed)
    srv = registry_factory(data_dir=tmp_path / "crashdata")
    ledger = Ledger()
    for rnd_no in range(ROUNDS):
        srv.start()
        stop = threading.Event()
        threads = [threading.Thread(target=worker,
                                    args=(srv.url, w, ledger, stop, random.Random(rnd.random())),
                                    daemon=True) for w in range(WORKERS)]
        for t in threads:
            t.start()
        time.sleep(rnd.uniform(0.5, 2.0))
        srv.proc.send_signal(signal.SIGKILL)
        srv.proc.wait()
        srv.proc = None
        stop.set()
        for t in threads:
            t.join(30)
    srv.start()
    try:
        problems = check_store(srv.url, ledger)
        up_problems, resumed, gone = check_uploads(srv.url, ledger)
        assert len(ledger.blobs) > 0, "no push was acknowledged at all"
        assert not problems + up_problems, (f"seed {seed}: " + "\n".join((problems + up_problems)[:30]))
        print(f"seed {seed}: {len(ledger.blobs)} blobs, {len(ledger.manifests)} manifests, "
              f"uploads resumed {resumed} gone {gone}")
    finally:
        srv.stop()


@pytest.mark.slow
@pytest.mark.xfail(condition=REFERENCE, reason="reference deviation: SIGTERM does not drain "
                                               "in-flight requests by default")
def test_sigterm_finishes_inflight_request(registry_factory):
    srv = registry_factory().start()
    reg = Registry(srv.url)
    repo = "crash/term"
    data = os.urandom(4 << 20)
    loc = reg.start_upload(repo).headers["Location"]
    result = {}
    started = threading.Event()

    def gen():
        for i in range(0, len(data), 256 * 1024):
            if i == 512 * 1024:
                started.set()
            yield data[i:i + 256 * 1024]
            time.sleep(0.1)

    def put():
        try:
            result["r"] = reg.put_upload(loc, sha256(data), gen())
        except Exception as e:  # noqa: BLE001
            result["e"] = e
    t = threading.Thread(target=put)
    t.start()
    assert started.wait(20)
    srv.proc.send_signal(signal.SIGTERM)
    t.join(60)
    rc = srv.proc.wait(timeout=60)
    srv.proc = None
    assert "e" not in result, f"in-flight request failed: {result.get('e')}"
    assert result["r"].status_code == 201
    assert rc == 0
    srv.start()
    assert Registry(srv.url).get_blob(repo, sha256(data)).content == data
    assert srv.stop() == 0


@pytest.mark.slow
def test_restart_keeps_everything(registry_factory, tmp_path):
    srv = registry_factory(data_dir=tmp_path / "keep").start()
    reg = Registry(srv.url)
    body, dg, blobs = reg.push_image("crash/keep", "v1", layers=(os.urandom(5000),))
    loc = reg.start_upload("crash/keep").headers["Location"]
    loc = reg.patch_chunk(loc, b"a" * 100, 0).headers["Location"]
    srv.stop()
    srv.start()
    reg = Registry(srv.url)
    assert reg.get_manifest("crash/keep", "v1").content == body
    for b in blobs:
        assert reg.head_blob("crash/keep", b).status_code == 200
    s = reg.upload_status(loc)
    assert s.status_code == 204 and s.headers.get("Range") == "0-99"
    srv.stop()


@pytest.mark.slow
def test_stale_uploads_expire(registry_factory):
    """Upload sessions nobody writes to expire (issue 2). Drydock runs with
    its shortest upload-max-age (60 s) and a 1 s janitor; waits at most 100 s."""
    if REFERENCE:
        pytest.skip("reference purges uploads only on its own weekly-scale schedule")
    srv = registry_factory(env={"DRYDOCK_UPLOAD_MAX_AGE": "60s",
                                "DRYDOCK_JANITOR_INTERVAL": "1s"}).start()
    reg = Registry(srv.url)
    loc = reg.start_upload("crash/stale").headers["Location"]
    loc = reg.patch_chunk(loc, b"x" * 1000, 0).headers["Location"]
    time.sleep(55)
    deadline = time.time() + 45
    st = None
    while time.time() < deadline:
        st = reg.upload_status(loc).status_code
        if st == 404:
            break
        time.sleep(0.5)
    assert st == 404, "stale upload session did not expire"
    # a fresh session still works
    assert reg.push_blob("crash/stale", b"fresh") == sha256(b"fresh")
