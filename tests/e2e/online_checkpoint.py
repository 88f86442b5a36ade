"""Compares two online checkpoints (src/online/checkpoint.h): the learner's bytes, the prequential
metrics, the detectors, the FeatureState, the position and the counters must be identical."""
import json
import sys


def read(path):
    b = open(path, "rb").read()
    first = b.index(b"\n")
    assert b[:first] == b"freshet.online_checkpoint/1", path
    second = b.index(b"\n", first + 1)
    j, l, c = map(int, b[first + 1:second].split())
    body = b[second + 1:]
    return json.loads(body[:j]), body[j:j + l], body[j + l:j + l + c]


a, la, _ = read(sys.argv[1])
b, lb, _ = read(sys.argv[2])
bad = []
if la != lb:
    bad.append("learner bytes differ (%d vs %d bytes)" % (len(la), len(lb)))
for k in ["position", "features", "metrics", "detectors", "pending", "counters"]:
    x, y = a[k], b[k]
    if k == "counters":
        x, y = dict(x), dict(y)
    if x != y:
        bad.append("%s differs: %s vs %s" % (k, json.dumps(x)[:300], json.dumps(y)[:300]))
print("trained %d, records %d, learner %d bytes" % (a["counters"]["trained"],
                                                   a["position"]["records"], len(la)))
for m in bad:
    print("DIFF", m)
sys.exit(1 if bad else 0)
