#!/usr/bin/env python3
"""freshet with default model and training settings against scikit-learn's defaults.

Each data set is shuffled (seeded), cut into four HDF5 partitions, and freshet retrains on the
first three and evaluates on the fourth with a config that has no `model_spec:` and no `train:`
section, only the features (every column standardised). scikit-learn fits StandardScaler +
LogisticRegression() (or Ridge()) on the same three partitions and scores the fourth.

Checks, per data set:
  fallback  freshet's linear fallback within --tolerance (0.005) of scikit-learn's model, on the
            task's headline metric (AUC, accuracy, R^2);
  main      freshet's default main model no more than --main-margin (0.01) below the fallback;
  converged the fallback's solver reports convergence in eval.json.

Usage: sklearn_parity.py --freshet BIN --work DIR [--only NAME ...] [--seed N] [--json OUT]
Exit 0 when every check holds, 1 otherwise; one line per check.
"""
import argparse
import json
import os
import subprocess
import sys

import h5py
import numpy as np
from sklearn import datasets
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import accuracy_score, r2_score, roc_auc_score
from sklearn.preprocessing import StandardScaler


def generated_regression(rows=400, columns=12, offset=0.0, scale=1.0, seed=3):
    """A label with an offset and a scale: linear terms, a nonlinearity and noise."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, columns))
    coef = rng.normal(size=columns)
    y = x @ coef + 0.8 * np.sin(2 * x[:, 0]) + 0.5 * x[:, 1] * x[:, 2]
    y += rng.normal(scale=0.5, size=rows)
    y = offset + scale * (y - y.mean()) / y.std()
    return x, y


def load(name):
    """(X, y, task) of a data set."""
    if name == "breast_cancer":
        d = datasets.load_breast_cancer()
        return d.data, d.target.astype(np.float64), "binary"
    if name in ("iris", "wine", "digits"):
        d = getattr(datasets, "load_" + name)()
        return d.data, d.target.astype(np.float64), "multiclass"
    if name == "diabetes":
        d = datasets.load_diabetes()
        return d.data, d.target.astype(np.float64), "regression"
    if name == "generated":
        x, y = generated_regression()
        return x, y, "regression"
    if name == "generated_offset":
        x, y = generated_regression(offset=1e4, scale=1e3)
        return x, y, "regression"
    raise ValueError(name)


DATASETS = ["breast_cancer", "iris", "wine", "digits", "diabetes", "generated",
            "generated_offset"]
HEADLINE = {"binary": "auc", "multiclass": "accuracy", "regression": "r2"}


def split(x, y, seed):
    """Four partitions of a seeded shuffle: (train rows, eval rows) index arrays, and all four."""
    order = np.random.default_rng(seed).permutation(len(y))
    parts = np.array_split(order, 4)
    return np.concatenate(parts[:3]), parts[3], parts


def sklearn_score(task, x, y, tr, ev):
    scaler = StandardScaler().fit(x[tr])
    xtr, xev = scaler.transform(x[tr]), scaler.transform(x[ev])
    if task == "regression":
        return r2_score(y[ev], Ridge().fit(xtr, y[tr]).predict(xev))
    model = LogisticRegression().fit(xtr, y[tr])
    if task == "binary":
        return roc_auc_score(y[ev], model.predict_proba(xev)[:, 1])
    return accuracy_score(y[ev], model.predict(xev))


def write_case(work, name, x, y, task, parts):
    """The landing folder and a defaults-only config; returns the config's path."""
    landing = os.path.join(work, "landing")
    os.makedirs(landing, exist_ok=True)
    cols = ["x%02d" % j for j in range(x.shape[1])]
    for i, rows in enumerate(parts):
        with h5py.File(os.path.join(landing, "part-%04d.h5" % (i + 1)), "w") as f:
            for j, c in enumerate(cols):
                f[c] = x[rows, j].astype(np.float64)
            f["label"] = y[rows].astype(np.int64 if task != "regression" else np.float64)
    config = os.path.join(work, "config.yaml")
    with open(config, "w") as f:
        f.write("model: %s\ntask: %s\n" % (name, task))
        f.write("data: {landing: landing, pattern: \"part-*.h5\", label: label, "
                "window: {train: 3, eval: 1}}\n")
        f.write("features:\n")
        for c in cols:
            f.write("  - {column: %s, type: numeric, ops: [standardize]}\n" % c)
        f.write("registry: {path: registry}\n")
    return config


def run_freshet(freshet, config, work):
    """eval.json of the version the run published."""
    proc = subprocess.run([freshet, "-q", "retrain", "-c", config],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        raise RuntimeError("freshet retrain exited %d: %s" % (proc.returncode, proc.stderr[-2000:]))
    root = os.path.join(work, "registry")
    model = [d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d))][0]
    versions = sorted(v for v in os.listdir(os.path.join(root, model)) if v.startswith("v"))
    with open(os.path.join(root, model, versions[-1], "eval.json")) as f:
        return json.load(f)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--freshet", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--only", nargs="*", default=DATASETS)
    ap.add_argument("--seed", type=int, default=0, help="seed of the shuffle into partitions")
    ap.add_argument("--tolerance", type=float, default=0.005)
    ap.add_argument("--main-margin", type=float, default=0.01)
    ap.add_argument("--json", help="write every number here")
    args = ap.parse_args()
    fails = 0
    results = {}
    for name in args.only:
        x, y, task = load(name)
        tr, ev, parts = split(x, y, args.seed)
        work = os.path.join(args.work, name)
        config = write_case(work, name, x, y, task, parts)
        metric = HEADLINE[task]
        peer = sklearn_score(task, x, y, tr, ev)
        ev_json = run_freshet(args.freshet, config, work)
        main_v = ev_json["metrics"][metric]
        fb = ev_json["fallback"]
        fb_v = fb["metrics"][metric]
        solver = fb.get("solver", {})
        results[name] = {"task": task, "metric": metric, "sklearn": peer, "fallback": fb_v,
                         "main": main_v, "solver": solver, "main_epochs": ev_json["model"]["epochs"],
                         "main_steps": ev_json["model"]["steps"]}
        checks = [
            ("fallback %s %.4f vs scikit-learn %.4f" % (metric, fb_v, peer),
             abs(fb_v - peer) <= args.tolerance),
            ("main %s %.4f vs fallback %.4f (%d epochs, %d steps)" %
             (metric, main_v, fb_v, ev_json["model"]["epochs"], ev_json["model"]["steps"]),
             main_v >= fb_v - args.main_margin),
            ("fallback converged in %s iterations (gradient %s)" %
             (solver.get("iterations"), solver.get("gradient_max_abs")),
             solver.get("converged") is True),
        ]
        for what, ok in checks:
            print("%s %-17s %s" % ("ok  " if ok else "FAIL", name, what))
            fails += not ok
    # The same rows and noise with the label shifted by 1e4 and scaled by 1e3: the same R^2.
    if "generated" in results and "generated_offset" in results:
        for which in ("fallback", "main"):
            a, b = results["generated"][which], results["generated_offset"][which]
            ok = abs(a - b) <= args.tolerance
            print("%s %-17s %s r2 %.4f with the label * 1e3 + 1e4, %.4f without" %
                  ("ok  " if ok else "FAIL", "generated_offset", which, b, a))
            fails += not ok
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    print("sklearn_parity: %d data sets, %d checks failed" % (len(args.only), fails))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
