"""The evaluation benchmark's peer: the paired bootstrap a Python user writes with numpy and
scikit-learn, on the same CSV (label,score_a,score_b): each resample draws N row indices with
replacement (the same for both models) and computes every binary metric freshet reports (roc_auc,
average precision, log loss, Brier, accuracy, precision, recall, F1 at 0.5, ECE on 10 bins) for both;
then the 2.5 % and 97.5 % percentiles of the differences. Runs `resamples` resamples, or as many as
fit in `budget` seconds (then reports the seconds per resample measured), `repeats` times.

    python eval_peer.py ROWS.csv RESAMPLES REPEATS BUDGET_SECONDS
"""
import json
import sys
import time

import numpy as np
from sklearn.metrics import (accuracy_score, average_precision_score, brier_score_loss, f1_score,
                             log_loss, precision_score, recall_score, roc_auc_score)


def ece(y, p, bins=10):
    edges = np.linspace(0, 1, bins + 1)
    b = np.searchsorted(edges[1:-1], p, side="left")
    total = 0.0
    for k in range(bins):
        m = b == k
        if m.any():
            total += m.sum() * abs(y[m].mean() - p[m].mean())
    return total / len(y)


def metrics(y, p):
    d = (p >= 0.5).astype(int)
    return [roc_auc_score(y, p), average_precision_score(y, p), log_loss(y, p, labels=[0, 1]),
            brier_score_loss(y, p), accuracy_score(y, d), precision_score(y, d, zero_division=0),
            recall_score(y, d, zero_division=0), f1_score(y, d, zero_division=0), ece(y, p)]


def main():
    path, resamples, repeats, budget = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    data = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float32)
    y, a, b = data[:, 0].astype(int), data[:, 1], data[:, 2]
    n = len(y)
    seconds, done = [], 0
    for _ in range(repeats):
        rng = np.random.default_rng(0)
        deltas = []
        t0 = time.perf_counter()
        for r in range(resamples):
            idx = rng.integers(0, n, n)
            deltas.append(np.subtract(metrics(y[idx], a[idx]), metrics(y[idx], b[idx])))
            if time.perf_counter() - t0 > budget:
                break
        done = len(deltas)
        seconds.append((time.perf_counter() - t0) / done * resamples)
    lo, hi = np.percentile(np.array(deltas), [2.5, 97.5], axis=0)
    print(json.dumps({"rows": n, "resamples": resamples, "resamples_run": done,
                      "seconds": seconds, "lower": lo.tolist(), "upper": hi.tolist()}))


if __name__ == "__main__":
    main()
