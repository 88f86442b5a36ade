#!/usr/bin/env python3
"""The peer of freshet's feature benchmark: the pipeline of scripts/bench/features_bench.yaml
written with pandas + scikit-learn (SimpleImputer, StandardScaler, MinMaxScaler, MissingIndicator,
KBinsDiscretizer, OrdinalEncoder, FeatureHasher), on the same HDF5 file.

Fits every step once (timed), then times the transform of every step, `--repeats` times, and
reports the median total and the median of each step. Reading the file is not timed. Work that
scikit-learn needs to express an op (int codes to str for FeatureHasher, string concatenation for
a cross) is part of the step's transform time, as it would be in a real pipeline.

With --check HEAD.h5 (the first rows of freshet's CPU output, from freshet_feature_bench
--head-out), it also transforms those rows and compares: dense values (max |diff|), bucket indices
(freshet index - 2 vs KBinsDiscretizer's ordinal), and vocabularies (freshet's indices and
OrdinalEncoder's codes must map one to one; their order differs by design: freshet orders by
frequency, scikit-learn by value). Hashes use different functions (xxHash64 vs MurmurHash3) and
are not compared.
"""
import argparse
import json
import platform
import statistics
import sys
import time

import h5py
import numpy as np
import pandas as pd
import sklearn
from sklearn.feature_extraction import FeatureHasher
from sklearn.impute import MissingIndicator, SimpleImputer
from sklearn.pipeline import make_pipeline, make_union
from sklearn.preprocessing import (FunctionTransformer, KBinsDiscretizer, MinMaxScaler,
                                   OrdinalEncoder, StandardScaler)

STRINGS = ["str_200", "str_50k"]
CODES = ["code_10", "code_1k", "code_100k", "code_1m"]
NUMERIC = [f"n{j:02d}" for j in range(12)]


def clip_log1p(x):
    """{clip: [0, 100]}, then log1p as freshet defines it for every x: sign(x) * log1p(|x|)."""
    x = np.clip(x, 0, 100)
    return np.sign(x) * np.log1p(np.abs(x))


def one_string_per_row(values):
    """FeatureHasher(input_type="string") wants an iterable of samples, each an iterable of
    strings: a column of shape (n, 1)."""
    return np.asarray(values, dtype=object).reshape(-1, 1)


def ordinal():
    return OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1, dtype=np.int64)


# name, freshet outputs it corresponds to, how to compare them, estimator factory, input selection.
STEPS = [
    ("n00-n03 fill mean+standardize", ["n00", "n01", "n02", "n03"], "dense",
     lambda: make_pipeline(SimpleImputer(strategy="mean"), StandardScaler()),
     lambda df: df[["n00", "n01", "n02", "n03"]]),
    ("n04-n05 fill median+indicator+standardize",
     ["n04", "n05", "n04_missing", "n05_missing"], "dense",
     lambda: make_union(make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
                        MissingIndicator(features="all")),
     lambda df: df[["n04", "n05"]]),
    ("n06-n07 fill 0+clip+log1p+standardize", ["n06", "n07"], "dense",
     lambda: make_pipeline(SimpleImputer(strategy="constant", fill_value=0.0),
                           FunctionTransformer(clip_log1p), StandardScaler()),
     lambda df: df[["n06", "n07"]]),
    ("n08-n09 fill mean+minmax", ["n08", "n09"], "dense",
     lambda: make_pipeline(SimpleImputer(strategy="mean"), MinMaxScaler()),
     lambda df: df[["n08", "n09"]]),
    # quantile_method="linear" and no subsampling: numpy's linear quantiles of every row, as
    # freshet computes them.
    ("n10-n11 fill median+16 quantile bins", ["n10_bucket", "n11_bucket"], "bucket",
     lambda: make_pipeline(SimpleImputer(strategy="median"),
                           KBinsDiscretizer(n_bins=16, encode="ordinal", strategy="quantile",
                                            quantile_method="linear", subsample=None)),
     lambda df: df[["n10", "n11"]]),
    ("str_200 vocab (OrdinalEncoder)", ["str_200"], "vocab", ordinal, lambda df: df[["str_200"]]),
    ("code_10 vocab (OrdinalEncoder)", ["code_10"], "vocab", ordinal, lambda df: df[["code_10"]]),
    ("code_1k vocab (OrdinalEncoder)", ["code_1k"], "vocab", ordinal, lambda df: df[["code_1k"]]),
    ("code_100k vocab (OrdinalEncoder)", ["code_100k"], "vocab", ordinal,
     lambda df: df[["code_100k"]]),
    ("str_50k hash 2^20 (FeatureHasher)", ["str_50k"], "hash",
     lambda: FeatureHasher(n_features=1 << 20, input_type="string", alternate_sign=False),
     lambda df: one_string_per_row(df["str_50k"])),
    ("code_1m hash 2^20 (FeatureHasher)", ["code_1m"], "hash",
     lambda: FeatureHasher(n_features=1 << 20, input_type="string", alternate_sign=False),
     lambda df: one_string_per_row(df["code_1m"].astype(str))),
    ("str_200 x code_10 cross hash (FeatureHasher)", ["str_200_x_code_10"], "hash",
     lambda: FeatureHasher(n_features=4096, input_type="string", alternate_sign=False),
     lambda df: one_string_per_row(df["str_200"] + "_" + df["code_10"].astype(str))),
]


def load(path, rows):
    sel = slice(None) if rows is None else slice(0, rows)
    with h5py.File(path, "r") as f:
        data = {}
        for name in NUMERIC + CODES:
            data[name] = f[name][sel]
        for name in STRINGS:
            data[name] = f[name].asstr()[sel]
    return pd.DataFrame(data)


def compare(head_path, fitted, df):
    """Transforms the first rows with the fitted steps and compares them with freshet's output."""
    with h5py.File(head_path, "r") as f:
        fr = {k: f[k][:] for k in f.keys()}
    k = len(next(iter(fr.values())))
    head = df.iloc[:k]
    out = []
    for (name, cols, kind, _, prep), est in zip(STEPS, fitted):
        if kind == "hash":
            out.append({"step": name, "kind": kind, "result": "not compared (different hash)"})
            continue
        y = est.transform(prep(head))
        y = y.toarray() if hasattr(y, "toarray") else np.asarray(y)
        res = {"step": name, "kind": kind}
        if kind == "dense":
            f_vals = np.stack([fr[c] for c in cols], axis=1).astype(np.float64)
            res["max_abs_diff"] = float(np.max(np.abs(f_vals - y)))
            res["result"] = f"max |freshet - sklearn| = {res['max_abs_diff']:.3g}"
        elif kind == "bucket":
            f_vals = np.stack([fr[c] for c in cols], axis=1) - 2
            res["mismatches"] = int(np.sum(f_vals != y.astype(np.int64)))
            res["result"] = f"{res['mismatches']} of {f_vals.size} bucket indices differ"
        else:
            f_vals = fr[cols[0]]
            pairs = len(set(zip(f_vals.tolist(), y[:, 0].tolist())))
            nf, ns = len(np.unique(f_vals)), len(np.unique(y[:, 0]))
            res["one_to_one"] = bool(pairs == nf == ns)
            res["result"] = (f"{nf} freshet indices, {ns} sklearn codes, {pairs} pairs: " +
                             ("one to one" if res["one_to_one"] else "NOT one to one"))
        out.append(res)
    return k, out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--input", required=True, help="the benchmark HDF5 file")
    ap.add_argument("--rows", type=int, default=None, help="use only the first ROWS rows")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", help="write the results here")
    ap.add_argument("--check", help="freshet's output for the first rows (HDF5) to compare with")
    a = ap.parse_args()

    t0 = time.perf_counter()
    df = load(a.input, a.rows)
    load_s = time.perf_counter() - t0
    n = len(df)
    print(f"pandas {pd.__version__}, scikit-learn {sklearn.__version__}, numpy {np.__version__}, "
          f"python {platform.python_version()}: read {n} rows in {load_s:.1f} s", flush=True)

    fitted, fit_s = [], []
    for name, _, _, make, prep in STEPS:
        t = time.perf_counter()
        est = make().fit(prep(df))
        fit_s.append(time.perf_counter() - t)
        fitted.append(est)
    print(f"fit: {sum(fit_s):.2f} s", flush=True)

    runs = [[] for _ in STEPS]
    totals = []
    for r in range(a.repeats):
        total = 0.0
        for j, ((name, _, _, _, prep), est) in enumerate(zip(STEPS, fitted)):
            t = time.perf_counter()
            y = est.transform(prep(df))
            dt = time.perf_counter() - t
            del y
            runs[j].append(dt)
            total += dt
        totals.append(total)
        print(f"transform run {r + 1}/{a.repeats}: {total:.2f} s", flush=True)

    print(f"{'step':48s} {'fit s':>8s} {'transform ms':>13s}")
    for (name, *_), f, rs in zip(STEPS, fit_s, runs):
        print(f"{name:48s} {f:8.2f} {1e3 * statistics.median(rs):13.1f}")
    med = statistics.median(totals)
    print(f"{'total':48s} {sum(fit_s):8.2f} {1e3 * med:13.1f}")

    result = {
        "rows": n, "load_s": load_s, "fit_s": sum(fit_s), "transform_s": med,
        "transform_runs_s": totals,
        "steps": [{"step": s[0], "freshet": s[1], "fit_s": f,
                   "transform_ms": 1e3 * statistics.median(rs)}
                  for s, f, rs in zip(STEPS, fit_s, runs)],
        "versions": {"pandas": pd.__version__, "sklearn": sklearn.__version__,
                     "numpy": np.__version__, "python": platform.python_version()},
    }
    if a.check:
        k, checks = compare(a.check, fitted, df)
        print(f"parity with freshet on the first {k} rows:")
        for c in checks:
            print(f"  {c['step']:48s} {c['result']}")
        result["parity_rows"] = k
        result["parity"] = checks
    if a.json:
        with open(a.json, "w") as f:
            json.dump(result, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
