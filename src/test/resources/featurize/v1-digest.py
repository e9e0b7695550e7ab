# Per-structure digests of featurizer output (JSON lines from `dimstream featurize`) for the v1/v2 agreement test:
# sha256 over little-endian float32 site features, float32 distances, int32 image_of; first 16 hex digits.
import sys, json, struct, hashlib
for line in sys.stdin:
    o = json.loads(line)
    h = hashlib.sha256()
    for row in o["site_features"]:
        h.update(struct.pack("<%df" % len(row), *row))
    for row in o["distances"]:
        h.update(struct.pack("<%df" % len(row), *row))
    img = o["image_of"]
    h.update(struct.pack("<%di" % len(img), *img))
    print("%s,%d,%d,%s" % (o["id"], o["prim_sites"], o["supercell_sites"], h.hexdigest()[:16]))
