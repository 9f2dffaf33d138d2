#!/usr/bin/env bash
# Peak memory of `drydock scan` on a 1 GiB image (issue 3: at most 64 MiB):
# an OCI layout whose first layer is a Debian 11 package database and whose
# second is a 1 GiB layer of file data (random bytes, so the compressed layer
# is ~1 GiB too), scanned from the layout; peak RSS from /usr/bin/time.
# Usage: bench/scan/memory.sh   (needs build/drydock: scripts/build.sh release)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=bench/out/scan/mem; mkdir -p "$out"
if [ ! -s "$out/layer.tar.gz" ]; then
  rm -rf "$out/root"; mkdir -p "$out/root/opt/data"
  for i in 0 1 2 3; do head -c 268435456 /dev/urandom > "$out/root/opt/data/f$i.bin"; done
  tar -C "$out/root" -cf - opt | igzip -1 > "$out/layer.tar.gz"
  rm -rf "$out/root"
fi
/usr/bin/python3 - "$out" <<'PY'
import hashlib, json, os, shutil, sys
sys.path.insert(0, "tests/integration")
import ocigen
out = sys.argv[1]
lay = os.path.join(out, "layout")
shutil.rmtree(lay, ignore_errors=True)
ocigen.layout(lay, [ocigen.debian_rootfs("11", "bullseye", [("libssl1.1", "1.1.1n-0+deb11u3", "openssl")] +
                                           [(f"p{i}", "1.0-1", None) for i in range(400)])], tag="big")
# append the big layer to the image
idx = json.load(open(os.path.join(lay, "index.json")))
md = idx["manifests"][0]["digest"].split(":")[1]
man = json.load(open(os.path.join(lay, "blobs", "sha256", md)))
h = hashlib.sha256()
size = 0
with open(os.path.join(out, "layer.tar.gz"), "rb") as f:
    for chunk in iter(lambda: f.read(1 << 20), b""):
        h.update(chunk); size += len(chunk)
d = h.hexdigest()
os.link(os.path.join(out, "layer.tar.gz"), os.path.join(lay, "blobs", "sha256", d))
man["layers"].append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": "sha256:" + d, "size": size})
cd = man["config"]["digest"].split(":")[1]
cfg = json.load(open(os.path.join(lay, "blobs", "sha256", cd)))
cfg["rootfs"]["diff_ids"].append("sha256:" + "0" * 64)
cb = json.dumps(cfg).encode(); cdg = hashlib.sha256(cb).hexdigest()
open(os.path.join(lay, "blobs", "sha256", cdg), "wb").write(cb)
man["config"].update(digest="sha256:" + cdg, size=len(cb))
mb = json.dumps(man).encode(); mdg = hashlib.sha256(mb).hexdigest()
open(os.path.join(lay, "blobs", "sha256", mdg), "wb").write(mb)
idx["manifests"][0].update(digest="sha256:" + mdg, size=len(mb))
json.dump(idx, open(os.path.join(lay, "index.json"), "w"))
print(f"image: {size / 2**30:.2f} GiB compressed layer + package layer")
PY
/usr/bin/time -v ./build/drydock scan --no-cache --no-progress --format json --data-dir "$out/data" "oci:$out/layout:big" \
  > "$out/report.json" 2> "$out/time.txt" || true
grep -E "Maximum resident|Elapsed" "$out/time.txt"
python3 -c "import json,sys; r=json.load(open('$out/report.json')); print('packages', len(r['inventory']))"
