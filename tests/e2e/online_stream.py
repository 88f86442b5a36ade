"""A synthetic labelled stream for the online tests: CSV (or JSON lines) on stdout.

Rows: id (a key), x1..x3 numeric, c1 (20 categories), c2 (a high-cardinality id, hashed), label y
drawn from a logistic model whose weights flip sign at --drift-at (0 = never). --bad K mixes K
malformed records in (a non-number, a wrong field count, invalid UTF-8, an unterminated quote
in the last line is not used: the stream must stay parseable after it). --delayed writes each
row's features with an empty label and its label --delay rows later as a line with only id and y.
"""
import argparse
import json
import math
import random
import sys

p = argparse.ArgumentParser()
p.add_argument("--rows", type=int, default=10000)
p.add_argument("--seed", type=int, default=1)
p.add_argument("--drift-at", type=int, default=0)
p.add_argument("--bad", type=int, default=0)
p.add_argument("--format", default="csv", choices=["csv", "jsonl"])
p.add_argument("--delayed", action="store_true")
p.add_argument("--delay", type=int, default=50)
p.add_argument("--no-header", action="store_true")
a = p.parse_args()
rng = random.Random(a.seed)
out = sys.stdout.buffer
cols = ["id", "x1", "x2", "x3", "c1", "c2", "y"]
if a.format == "csv" and not a.no_header:
    out.write((",".join(cols) + "\n").encode())
bad_at = set(rng.sample(range(1, a.rows), a.bad)) if a.bad else set()
bad_kinds = [b"{id},notanumber,1,1,a,b,1\n", b"{id},1,2\n", b"{id},1,1,1,\xff\xfe,b,0\n",
             b"{id},1,1,1,a,b,7\n"]
pending = []


def emit(fields):
    if a.format == "csv":
        out.write((",".join("" if v is None else str(v) for v in fields) + "\n").encode())
    else:
        out.write((json.dumps({k: v for k, v in zip(cols, fields) if v is not None}) + "\n").encode())


for i in range(a.rows):
    if i in bad_at and a.format == "csv":
        out.write(bad_kinds[i % len(bad_kinds)].replace(b"{id}", str(i).encode()))
    x = [round(rng.gauss(0, 1), 4) for _ in range(3)]
    c1 = rng.randrange(20)
    c2 = rng.randrange(5000)
    sign = -1.0 if a.drift_at and i >= a.drift_at else 1.0
    z = sign * (1.5 * x[0] - 1.0 * x[1] + 0.5 * x[2] + (0.8 if c1 % 2 else -0.8))
    y = 1 if rng.random() < 1 / (1 + math.exp(-z)) else 0
    key = "r%d" % i
    if a.delayed:
        emit([key, x[0], x[1], x[2], "c%d" % c1, "u%d" % c2, None])
        pending.append((i + a.delay, key, y))
        while pending and pending[0][0] <= i:
            _, k, yy = pending.pop(0)
            emit([k, None, None, None, None, None, yy])
    else:
        emit([key, x[0], x[1], x[2], "c%d" % c1, "u%d" % c2, y])
for _, k, yy in pending:
    emit([k, None, None, None, None, None, yy])
