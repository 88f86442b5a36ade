"""The data gate's drift values against SciPy's and Evidently's on the same data.

Publishes a reference version whose training rows are a generated partition, then runs
`freshet validate --input CURRENT --json` and compares every column's statistics with
scipy.stats.ks_2samp, scipy.stats.wasserstein_distance (normalised by the reference's std),
scipy.spatial.distance.jensenshannon and a hand-computed PSI on the reference's quantile bins,
scipy.stats.chi2_contingency on category counts (to 1e-6), and Evidently's column drift test,
score and decision (legacy DataDriftPreset, default settings). Two sizes of reference: 800 rows
(Evidently decides with KS, chi-squared and z-tests) and 4000 rows (normalised Wasserstein and
Jensen-Shannon), both within the profile's sample, so every value is exact.
"""
import argparse
import json
import os
import subprocess
import sys

import h5py
import numpy as np
import pandas as pd
from scipy import stats
from scipy.spatial import distance

TOL = 1e-6
failures = []


def check(name, got, want, tol=TOL):
    ok = (got is None and want is None) or (
        got is not None and want is not None and abs(got - want) <= tol * max(1.0, abs(want)))
    print(("ok   " if ok else "FAIL ") + f"{name}: freshet {got} reference {want}")
    if not ok:
        failures.append(name)


def frame(rng, n, shift):
    cats = np.array(["red", "green", "blue", "amber", "violet"])
    p = np.array([0.4, 0.3, 0.15, 0.1, 0.05])
    if shift:
        p = np.array([0.25, 0.3, 0.2, 0.15, 0.1])
    return pd.DataFrame({
        "x_norm": rng.normal(0.3 if shift else 0.0, 1.0, n),
        "x_same": rng.normal(5.0, 2.0, n),
        "x_few": rng.choice(4, n, p=[0.4, 0.3, 0.2, 0.1] if shift else [0.25] * 4).astype(np.int64),
        "x_bin": (rng.random(n) < (0.5 if shift else 0.3)).astype(np.int64),
        "color": rng.choice(cats, n, p=p),
        "binary_cat": rng.choice(np.array(["yes", "no"]), n, p=[0.5, 0.5] if shift else [0.7, 0.3]),
        "y": (rng.random(n) < 0.4).astype(np.int32),
    })


def write(df, path):
    with h5py.File(path, "w") as f:
        for c in df.columns:
            v = df[c].to_numpy()
            if v.dtype == object:
                f.create_dataset(c, data=v.astype(str).astype(object), dtype=h5py.string_dtype())
            else:
                f.create_dataset(c, data=v)


CONFIG = """model: parity
data: {landing: landing, pattern: "*.h5", label: y, window: {train: 1, eval: 1}}
features:
  - {column: x_norm, type: numeric}
  - {column: x_same, type: numeric}
  - {column: x_few, type: numeric}
  - {column: x_bin, type: numeric}
  - {column: color, type: categorical, ops: [{vocab: {}}]}
  - {column: binary_cat, type: categorical, ops: [{vocab: {}}]}
model_spec: {kind: linear}
train: {epochs: 1, device: cpu, fallback: false}
validate: {drift_share: {warn: none}}
"""


def binned(values, edges):
    """Counts on freshet's bins: numpy.histogram's, with open outer bins."""
    idx = np.searchsorted(np.asarray(edges[1:-1]), values, side="right")
    return np.bincount(idx, minlength=len(edges) - 1).astype(float)


def psi(p, q):
    def fill(s):
        s = s / s.sum()
        nz = s[s != 0]
        f = nz.min() / 1e6 if nz.min() <= 0.0001 else 0.0001
        return np.where(s == 0, f, s)
    p, q = fill(p), fill(q)
    return float(np.sum((p - q) * np.log(p / q)))


def evidently_drift(ref, cur):
    from evidently.legacy.metric_preset import DataDriftPreset
    from evidently.legacy.pipeline.column_mapping import ColumnMapping
    from evidently.legacy.report import Report
    mapping = ColumnMapping(target=None, prediction=None,
                            numerical_features=["x_norm", "x_same", "x_few", "x_bin"],
                            categorical_features=["color", "binary_cat"])
    cols = ["x_norm", "x_same", "x_few", "x_bin", "color", "binary_cat"]
    report = Report(metrics=[DataDriftPreset()])
    report.run(reference_data=ref[cols], current_data=cur[cols], column_mapping=mapping)
    for m in report.as_dict()["metrics"]:
        if "drift_by_columns" in m["result"]:
            return m["result"]["drift_by_columns"]
    raise RuntimeError("no drift_by_columns in Evidently's report")


EV_NAMES = {"ks": "ks", "chisquare": "chisquare", "z": "z", "wasserstein": "wasserstein",
            "jensenshannon": "jensenshannon"}


def scenario(freshet, work, n_ref, n_cur, seed):
    d = os.path.join(work, f"ref{n_ref}")
    os.makedirs(os.path.join(d, "landing"), exist_ok=True)
    rng = np.random.default_rng(seed)
    ref = frame(rng, n_ref, False)
    cur = frame(rng, n_cur, True)
    write(ref, os.path.join(d, "landing", "day-1.h5"))
    write(frame(rng, 200, False), os.path.join(d, "landing", "day-2.h5"))
    write(cur, os.path.join(d, "current.h5"))
    cfg = os.path.join(d, "parity.yaml")
    open(cfg, "w").write(CONFIG)
    subprocess.run([freshet, "-q", "retrain", "-c", cfg], check=True, stdout=subprocess.DEVNULL)
    out = subprocess.run([freshet, "validate", "-c", cfg, "--input", os.path.join(d, "current.h5"),
                          "--json"], stdout=subprocess.PIPE, check=False)
    if out.returncode not in (0, 5):
        failures.append(f"validate exit {out.returncode}")
        return
    rep = json.loads(out.stdout)
    prof = json.load(open(os.path.join(d, "registry", "parity", "v000001", "profile.json")))
    edges = {c["name"]: c["numeric"]["histogram"]["edges"] for c in prof["columns"]
             if c["kind"] == "numeric"}
    cols = rep["drift"]["columns"]
    tag = f"ref {n_ref}"
    for c in ["x_norm", "x_same", "x_few", "x_bin"]:
        s = cols[c]["stats"]
        r, k = ref[c].to_numpy(float), cur[c].to_numpy(float)
        ks = stats.ks_2samp(r, k)
        check(f"{tag} {c} ks statistic", s["ks"]["statistic"], float(ks.statistic))
        check(f"{tag} {c} ks p-value", s["ks"]["p_value"], float(ks.pvalue))
        check(f"{tag} {c} wasserstein", s["wasserstein"]["value"],
              float(stats.wasserstein_distance(r, k)))
        check(f"{tag} {c} wasserstein normed", s["wasserstein"]["normed"],
              float(stats.wasserstein_distance(r, k) / max(np.std(r), 0.001)))
        if "psi" in s:
            hr, hk = binned(r, edges[c]), binned(k, edges[c])
            check(f"{tag} {c} jensenshannon (binned)", s["jensenshannon"]["value"],
                  float(distance.jensenshannon(hr, hk)))
            check(f"{tag} {c} psi (binned)", s["psi"]["value"], psi(hr, hk))
    for c in ["color", "binary_cat"]:
        s = cols[c]["stats"]
        keys = sorted(set(ref[c]) | set(cur[c]))
        rc = np.array([(ref[c] == v).sum() for v in keys], float)
        kc = np.array([(cur[c] == v).sum() for v in keys], float)
        chi2, p, dof, _ = stats.chi2_contingency(np.vstack([rc, kc]))
        check(f"{tag} {c} chi2_contingency statistic", s["chi2_contingency"]["statistic"], float(chi2))
        check(f"{tag} {c} chi2_contingency p-value", s["chi2_contingency"]["p_value"], float(p))
        check(f"{tag} {c} jensenshannon", s["jensenshannon"]["value"],
              float(distance.jensenshannon(rc, kc)))
        check(f"{tag} {c} psi", s["psi"]["value"], psi(rc, kc))
        check(f"{tag} {c} linf", s["linf"]["value"], float(np.max(np.abs(rc / rc.sum() - kc / kc.sum()))))
    ev = evidently_drift(ref, cur)
    for c, e in ev.items():
        mine = cols[c]
        name = e["stattest_name"]
        want_method = next((m for key, m in EV_NAMES.items() if name.lower().startswith(key)), None)
        if name.lower().startswith("k-s"):
            want_method = "ks"
        elif name.lower().startswith("chi"):
            want_method = "chisquare"
        elif name.lower().startswith("z-test") or name.lower().startswith("z "):
            want_method = "z"
        elif "wasserstein" in name.lower():
            want_method = "wasserstein"
        elif "jensen" in name.lower():
            want_method = "jensenshannon"
        ok = mine["method"] == want_method
        print(("ok   " if ok else "FAIL ") + f"{tag} {c} method: freshet {mine['method']} Evidently {name}")
        if not ok:
            failures.append(f"{tag} {c} method")
        check(f"{tag} {c} Evidently score", mine["value"], float(e["drift_score"]))
        got = mine["status"] == "drift"
        ok = got == bool(e["drift_detected"])
        print(("ok   " if ok else "FAIL ") + f"{tag} {c} decision: freshet {got} Evidently {e['drift_detected']}")
        if not ok:
            failures.append(f"{tag} {c} decision")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--freshet", required=True)
    ap.add_argument("--work", required=True)
    a = ap.parse_args()
    scenario(a.freshet, a.work, 800, 600, 11)
    scenario(a.freshet, a.work, 4000, 3000, 12)
    scenario(a.freshet, a.work, 1000, 1000, 13)  # equal sizes: the other exact KS path
    print(f"drift parity: {len(failures)} failure(s)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
