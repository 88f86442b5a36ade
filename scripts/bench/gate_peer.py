"""The peers of the data gate benchmark (scripts/bench/gate_bench.sh) on the same two HDF5 files.

pandas + SciPy: the same work as freshet's gate, written the way a team would write it — the
reference profile (quantile bins, moments, a 10 000-value sample per numeric column, category
counts), then on the current rows: missing shares, moments, quantiles, the histogram on the
reference's bins, out-of-range counts, duplicates, and per column PSI, Jensen-Shannon, KS and
Wasserstein (on samples of the same size as freshet's) or chi-squared, Jensen-Shannon, L-infinity
and PSI on category counts. Evidently: its legacy DataDriftPreset with default settings on the
first N rows of both files, N growing until a run takes longer than --evidently-budget seconds.
Prints one JSON object.
"""
import argparse
import json
import time

import h5py
import numpy as np
import pandas as pd
from scipy import stats
from scipy.spatial import distance

NUMERIC = [f"n{i:02d}" for i in range(12)]
CATEGORICAL = ["str_200", "code_10", "code_1k", "code_100k", "str_50k", "code_1m"]
QS = [0.0, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1.0]


def load(path, rows=None):
    out = {}
    with h5py.File(path) as f:
        for c in NUMERIC + CATEGORICAL:
            v = f[c][:rows] if rows else f[c][:]
            if v.dtype.kind in "OS":
                v = pd.array(v.astype(str), dtype=object)
            out[c] = v
    return pd.DataFrame(out)


def psi(p, q):
    def fill(s):
        s = s / s.sum()
        nz = s[s != 0]
        if len(nz) == 0:
            return s
        f = nz.min() / 1e6 if nz.min() <= 0.0001 else 0.0001
        return np.where(s == 0, f, s)
    p, q = fill(p), fill(q)
    return float(np.sum((p - q) * np.log(p / q)))


def reference_profile(df, rng):
    prof = {}
    for c in NUMERIC:
        v = df[c].to_numpy(np.float64)
        v = v[~np.isnan(v)]
        edges = np.unique(np.quantile(v, np.linspace(0, 1, 21)))
        prof[c] = {"edges": edges, "mean": v.mean(), "std": v.std(), "min": v.min(),
                   "max": v.max(), "hist": np.bincount(np.searchsorted(edges[1:-1], v, "right"),
                                                        minlength=len(edges) - 1),
                   "sample": np.sort(rng.choice(v, min(10000, len(v)), replace=False))}
    for c in CATEGORICAL:
        prof[c] = {"counts": df[c].value_counts()}
    return prof


def check(df, prof, rng):
    out = {"duplicates": int(df.duplicated().sum())}
    for c in NUMERIC:
        col = df[c].to_numpy(np.float64)
        missing = np.isnan(col).mean()
        v = col[~np.isnan(col)]
        r = prof[c]
        q = np.quantile(v, QS)
        h = np.bincount(np.searchsorted(r["edges"][1:-1], v, "right"),
                        minlength=len(r["edges"]) - 1)
        oor = int(((v < r["min"]) | (v > r["max"])).sum())
        s = np.sort(rng.choice(v, min(10000, len(v)), replace=False))
        ks = stats.ks_2samp(r["sample"], s)
        w = stats.wasserstein_distance(r["sample"], s) / max(r["std"], 0.001)
        out[c] = [missing, v.mean(), v.std(), v.min(), v.max(), q[5], oor, psi(r["hist"], h),
                  distance.jensenshannon(r["hist"], h), ks.statistic, ks.pvalue, w]
    for c in CATEGORICAL:
        cur = df[c].value_counts()
        ref = prof[c]["counts"]
        keys = ref.index.union(cur.index)
        rc = ref.reindex(keys, fill_value=0).to_numpy(np.float64)
        kc = cur.reindex(keys, fill_value=0).to_numpy(np.float64)
        chi2, p, dof, _ = stats.chi2_contingency(np.vstack([rc, kc]))
        out[c] = [chi2, p, distance.jensenshannon(rc, kc),
                  float(np.max(np.abs(rc / rc.sum() - kc / kc.sum()))), psi(rc, kc),
                  df[c].isna().mean()]
    return out


def evidently(ref_path, cur_path, budget):
    from evidently.legacy.metric_preset import DataDriftPreset
    from evidently.legacy.pipeline.column_mapping import ColumnMapping
    from evidently.legacy.report import Report
    runs = []
    for n in [10_000, 30_000, 100_000, 300_000, 1_000_000, 3_000_000]:
        ref, cur = load(ref_path, n), load(cur_path, n)
        mapping = ColumnMapping(target=None, prediction=None, numerical_features=NUMERIC,
                                categorical_features=CATEGORICAL)
        t = time.perf_counter()
        report = Report(metrics=[DataDriftPreset()])
        report.run(reference_data=ref, current_data=cur, column_mapping=mapping)
        report.as_dict()
        s = time.perf_counter() - t
        runs.append({"rows": n, "seconds": s, "rows_per_s": n / s})
        if s > budget:
            break
    return runs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reference", required=True)
    ap.add_argument("--current", required=True)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--evidently-budget", type=float, default=60)
    a = ap.parse_args()
    t = time.perf_counter()
    ref, cur = load(a.reference), load(a.current)
    out = {"read_s": time.perf_counter() - t, "rows": len(cur)}
    rng = np.random.default_rng(0)
    t = time.perf_counter()
    prof = reference_profile(ref, rng)
    out["reference_profile_s"] = time.perf_counter() - t
    times = []
    for _ in range(a.repeats):
        t = time.perf_counter()
        check(cur, prof, rng)
        times.append(time.perf_counter() - t)
    out["check_s"] = times
    out["check_median_s"] = sorted(times)[len(times) // 2]
    del ref, cur
    out["evidently"] = evidently(a.reference, a.current, a.evidently_budget)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
