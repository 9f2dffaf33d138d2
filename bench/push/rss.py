#!/usr/bin/python3
"""Peak memory of `drydock serve` with scanning. Not a test.

    rss.py DRYDOCK_BIN [serve flags...]      BIG=N: concurrent 32 MiB blob pushes (default 4)

Imports the sample feeds (tests/fixtures/feeds) into a fresh data dir, starts
the server on a free loopback port, pushes 6 small Debian/Alpine images built
with tests/integration/ocigen.py via skopeo while BIG threads push 32 MiB
blobs, waits until every image is scanned, and prints VmHWM/VmRSS (idle and
after), the anonymous/file split (smaps_rollup) and the manifest PUT times
from the request log."""
import os, sys, subprocess, time, json, tempfile, socket, threading, hashlib, http.client, shutil
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import ocigen
BIN = sys.argv[1]; extra = sys.argv[2:]
FEEDS = os.path.join(ROOT, "tests", "fixtures", "feeds")
d = tempfile.mkdtemp(prefix="dd-rss.")
subprocess.run([BIN, "db", "import", "--data-dir", d, f"{FEEDS}/debian-osv/all.zip", f"{FEEDS}/nvd", f"{FEEDS}/alpine-secdb"],
               check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
log = open(d + ".log", "wb")
p = subprocess.Popen([BIN, "serve", "--data-dir", d, "--listen", f"127.0.0.1:{port}"] + extra, stdout=log, stderr=log)
for _ in range(100):
    try: socket.create_connection(("127.0.0.1", port)).close(); break
    except OSError: time.sleep(0.05)
def status():
    return {l.split(":")[0]: l.split(":")[1].strip() for l in open(f"/proc/{p.pid}/status") if l.startswith(("VmHWM", "VmRSS", "Threads"))}
print("idle:", status())
OLD = [("libssl1.1", "1.1.1n-0+deb11u3", "openssl"), ("openssl", "1.1.1n-0+deb11u3", None),
       ("zlib1g", "1:1.2.11.dfsg-2+deb11u1", "zlib"), ("bash", "5.1-2+deb11u1", None)]
lay = os.path.join(d, "lay")
for i in range(6):
    if i % 2 == 0:
        ocigen.layout(lay, [ocigen.debian_rootfs("11", "bullseye", OLD), {f"app/{i}": os.urandom(2 << 20)}], tag=f"t{i}")
    else:
        ocigen.layout(lay, [ocigen.alpine_rootfs("3.10.2", [("musl", "1.1.22-r2", None)]), {f"app/{i}": os.urandom(2 << 20)}], tag=f"t{i}")
def big(k):
    c = http.client.HTTPConnection("127.0.0.1", port)
    data = os.urandom(32 << 20)
    dg = "sha256:" + hashlib.sha256(data).hexdigest()
    c.request("POST", f"/v2/big/b{k}/blobs/uploads/?digest={dg}", body=data); r = c.getresponse(); r.read()
ths = [threading.Thread(target=big, args=(k,)) for k in range(int(os.environ.get('BIG', '4')))]
for t in ths: t.start()
for i in range(6):
    subprocess.run(["skopeo", "copy", "--quiet", "--dest-tls-verify=false", f"oci:{lay}:t{i}",
                    f"docker://127.0.0.1:{port}/img/r{i}:v1"], check=True, stdin=subprocess.DEVNULL)
for t in ths: t.join()
for i in range(6):
    for _ in range(300):
        c = http.client.HTTPConnection("127.0.0.1", port); c.request("GET", f"/api/v1/repositories/img/r{i}/images/v1")
        r = c.getresponse(); b = r.read()
        if r.status == 200 and json.loads(b)["scan"]["state"] not in ("queued", "analyzing"): break
        time.sleep(0.1)
    print(f"r{i}:", json.loads(b)["scan"]["state"], end="  ")
print()
print("after:", status())
print({l.split(":")[0]: l.split(":")[1].strip() for l in open(f"/proc/{p.pid}/smaps_rollup") if l.startswith(("Rss", "Anonymous", "Pss_File", "Pss_Anon"))})
p.terminate(); p.wait()
puts = []
for l in open(d + ".log"):
    try: j = json.loads(l)
    except ValueError: continue
    if j.get("method") == "PUT" and "/manifests/" in j.get("path", ""): puts.append(j["duration_ms"])
print("manifest PUT ms:", sorted(puts))
shutil.rmtree(d, ignore_errors=True)
os.unlink(d + ".log")
