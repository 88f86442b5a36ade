"""The online-learning benchmark's data and peers (scripts/bench/online_bench.sh).

  gen OUT_DIR ROWS SEED      the synthetic stream, as stream.csv (freshet) and stream.vw (VW)
  vw OUT_DIR [ARGS]          Vowpal Wabbit through its native driver on stream.vw
  river OUT_DIR ROWS         River's LogisticRegression, test-then-train, on the same features
  phishing OUT_DIR           river.datasets.Phishing as phishing.csv, and River's LogisticRegression
                             on it (no preprocessing on either side)

Every peer prints one JSON line: records, seconds, records_per_second, log_loss, accuracy
(prequential: each record scored before it is learnt from).

The stream: 5 numeric features (standard normal) and 6 categorical ones with 10 to 100 000
categories; the label is drawn from a logistic model of the numeric features and a random effect
per category of the first four categorical ones. VW and River see the same features: each numeric
one by name with its value, each categorical one as "column=value" with value 1 (VW and River hash
or key them by that name; freshet hashes the value into the column's buckets).
"""
import json
import math
import sys
import time

import numpy as np

CARDS = [10, 100, 1000, 10000, 100000, 100000]


def gen(out, rows, seed):
    rng = np.random.default_rng(seed)
    x = np.round(rng.standard_normal((rows, 5)), 4)
    w = np.array([0.8, -0.6, 0.4, 0.3, -0.2])
    z = x @ w
    cats = np.empty((rows, 6), dtype=np.int64)
    for j, k in enumerate(CARDS):
        cats[:, j] = rng.integers(0, k, rows)
        if j < 4:
            z += rng.normal(0, 0.7, k)[cats[:, j]]
    y = (rng.random(rows) < 1 / (1 + np.exp(-(z - 0.3)))).astype(int)
    np.save(out + "/x.npy", x)
    np.save(out + "/cats.npy", cats)
    np.save(out + "/y.npy", y)
    names = ["x%d" % i for i in range(1, 6)] + ["c%d" % i for i in range(1, 7)]
    with open(out + "/stream.csv", "w") as f, open(out + "/stream.vw", "w") as v:
        f.write(",".join(names) + ",y\n")
        step = 200000
        for s in range(0, rows, step):
            e = min(rows, s + step)
            xs = [["%g" % t for t in row] for row in x[s:e]]
            lines, vlines = [], []
            for i in range(e - s):
                c = cats[s + i]
                lines.append(",".join(xs[i]) + "," + ",".join("v%d" % t for t in c) + ",%d" % y[s + i])
                vlines.append("%d |n " % (1 if y[s + i] else -1) +
                              " ".join("x%d:%s" % (j + 1, xs[i][j]) for j in range(5)) +
                              " |c " + " ".join("c%d=v%d" % (j + 1, c[j]) for j in range(6)))
            f.write("\n".join(lines) + "\n")
            v.write("\n".join(vlines) + "\n")


def vw(out, args):
    import vowpalwabbit
    rows = int(np.load(out + "/y.npy", mmap_mode="r").shape[0])
    t0 = time.perf_counter()
    ws = vowpalwabbit.Workspace("-d %s/stream.vw --loss_function logistic --quiet %s" % (out, args))
    ws.run_parser()
    seconds = time.perf_counter() - t0
    loss = ws.get_sum_loss() / ws.get_weighted_examples()
    ws.finish()
    # Accuracy: the same run with predictions written (not timed).
    ws = vowpalwabbit.Workspace("-d %s/stream.vw --loss_function logistic --link logistic --quiet "
                                "-p %s/vw.pred %s" % (out, out, args))
    ws.run_parser()
    ws.finish()
    p = np.loadtxt(out + "/vw.pred", usecols=0)
    y = np.load(out + "/y.npy")
    acc = float(np.mean((p >= 0.5) == (y == 1)))
    print(json.dumps({"peer": "vw", "args": args, "records": rows, "seconds": seconds,
                      "records_per_second": rows / seconds, "log_loss": loss, "accuracy": acc}))


def river_lr(xs, ys, learn_rows):
    from river import linear_model
    model = linear_model.LogisticRegression()
    ll = 0.0
    right = 0
    n = 0
    t0 = time.perf_counter()
    for x, y in zip(xs, ys):
        p = model.predict_proba_one(x).get(True, 0.5)
        p = min(max(p, 1e-15), 1 - 1e-15)
        ll -= math.log(p) if y else math.log(1 - p)
        right += (p >= 0.5) == bool(y)
        model.learn_one(x, bool(y))
        n += 1
        if n >= learn_rows:
            break
    seconds = time.perf_counter() - t0
    return {"records": n, "seconds": seconds, "records_per_second": n / seconds,
            "log_loss": ll / n, "accuracy": right / n}


def river(out, rows):
    x = np.load(out + "/x.npy", mmap_mode="r")
    cats = np.load(out + "/cats.npy", mmap_mode="r")
    y = np.load(out + "/y.npy", mmap_mode="r")
    rows = min(rows, y.shape[0])
    names = ["x%d" % i for i in range(1, 6)]

    def records():
        for s in range(0, rows, 100000):
            xb, cb = x[s:s + 100000].tolist(), cats[s:s + 100000].tolist()
            for xr, cr in zip(xb, cb):
                d = dict(zip(names, xr))
                for j, c in enumerate(cr):
                    d["c%d=v%d" % (j + 1, c)] = 1.0
                yield d

    r = river_lr(records(), (int(t) for t in y[:rows]), rows)
    r["peer"] = "river"
    print(json.dumps(r))


def phishing(out):
    from river import datasets
    data = list(datasets.Phishing())
    names = list(data[0][0].keys())
    with open(out + "/phishing.csv", "w") as f:
        f.write(",".join(names) + ",y\n")
        for x, y in data:
            f.write(",".join(repr(float(x[k])) for k in names) + ",%d\n" % int(y))
    r = river_lr((x for x, _ in data), (int(y) for _, y in data), len(data))
    r["peer"] = "river"
    r["features"] = names
    print(json.dumps(r))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "gen":
        gen(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif cmd == "vw":
        vw(sys.argv[2], " ".join(sys.argv[3:]))
    elif cmd == "river":
        river(sys.argv[2], int(sys.argv[3]))
    elif cmd == "phishing":
        phishing(sys.argv[2])
