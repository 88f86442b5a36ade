#!/usr/bin/env python3
"""freshet's evaluation metrics against scikit-learn 1.9 and numpy.

Random data sets (binary, multiclass with k = 3 and 4, regression) are drawn in float32, with
ties (scores rounded to a few levels, probabilities of exactly 0, 0.5 and 1), with and without
weights (some of them 0), and written as CSV with each float32 printed as its shortest
round-trip decimal, so freshet_metrics_tool reads the very values scikit-learn is given (as
float64). Every metric of TaskMetrics, the ROC and precision-recall curves, the calibration bins,
the confusion counts, ExpectedValue and TopFractionMetrics are compared, unweighted and weighted,
to --tolerance (1e-9) absolute, relative beyond magnitude 1.

Reference per check: scikit-learn for auc (roc_auc_score), pr_auc (average_precision_score),
log_loss, brier (brier_score_loss), accuracy, precision, recall, f1, macro_f1, rmse
(root_mean_squared_error), mae, r2, mape, roc (roc_curve, drop_intermediate=False), pr
(precision_recall_curve, reversed), calibration (calibration_curve, unweighted); numpy for the
documented definitions of ece, the weighted calibration bins, the confusion counts, expected value
and the top fraction.

Log loss: scikit-learn 1.9 clips y_proba to [eps, 1 - eps] with eps the machine epsilon of its
dtype. freshet reads float32 and clips as scikit-learn does on float32 (1 - p in float32, eps =
2^-23) but sums in double, so the exact check gives scikit-learn the float32-clipped [1 - p, p]
as float64, and a second check (log_loss_f32) compares with log_loss on the raw float32 array to
1e-5 relative (scikit-learn then sums in float32).

Known, documented differences, checked as such: pr_auc is NaN (null) where the positives have zero
weight (scikit-learn warns and returns 0); curves are empty where a class has zero weight
(scikit-learn returns NaN rates).

Usage: metrics_parity.py --tool BIN [--seed N] [--tolerance T]
Exit 0 when every check holds, 1 otherwise; one line per check, a summary line last.
"""
import argparse
import json
import math
import subprocess
import sys
import warnings

import numpy as np
from sklearn import metrics as skm
from sklearn.calibration import calibration_curve

EPS32 = np.finfo(np.float32).eps
PAYOFF = (5.0, -1.5, -3.0, 0.25)  # tp, fp, fn, tn
FRACTIONS = (0.1, 0.3)


class Checker:
    def __init__(self, tolerance):
        self.tolerance = tolerance
        self.passed = 0
        self.failed = []

    def close(self, got, want, tolerance=None, relative=False):
        tol = self.tolerance if tolerance is None else tolerance
        if got is None:
            got = math.nan
        if math.isnan(want) or math.isnan(got):
            return math.isnan(want) and math.isnan(got), math.nan
        scale = max(1.0, abs(want)) if not relative else abs(want)
        err = abs(got - want)
        return err <= tol * scale, err

    def value(self, name, got, want, tolerance=None, relative=False):
        ok, err = self.close(got, float(want), tolerance, relative)
        self.report(name, ok, f"freshet {got!r} reference {float(want)!r} err {err:.3g}")

    def points(self, name, got, want_x, want_y):
        got = [(math.nan if x is None else x, math.nan if y is None else y) for x, y in got]
        if len(got) != len(want_x):
            self.report(name, False, f"{len(got)} points, reference {len(want_x)}")
            return
        worst = 0.0
        ok = True
        for (gx, gy), wx, wy in zip(got, want_x, want_y):
            for g, w in ((gx, wx), (gy, wy)):
                good, err = self.close(g, float(w))
                ok &= good
                if not math.isnan(err):
                    worst = max(worst, err)
        self.report(name, ok, f"{len(got)} points, max err {worst:.3g}")

    def report(self, name, ok, detail):
        print(f"{'ok  ' if ok else 'FAIL'} {name}: {detail}")
        if ok:
            self.passed += 1
        else:
            self.failed.append(name)


def f32_text(values):
    """The shortest decimal text that reads back as each float32 (numpy's str)."""
    out = [str(v) for v in np.asarray(values, dtype=np.float32)]
    back = np.array([np.float32(t) for t in out], dtype=np.float32)
    assert np.array_equal(back, np.asarray(values, dtype=np.float32)), "float32 text round trip"
    return out


def run_tool(tool, task, k, threshold, labels, weights, preds):
    preds = np.asarray(preds, dtype=np.float32).reshape(len(labels), -1)
    lines = ["label,weight," + ",".join(f"p{c}" for c in range(preds.shape[1]))]
    label_text = f32_text(labels)
    weight_text = f32_text(weights)
    pred_text = [f32_text(row) for row in preds]
    for i in range(len(labels)):
        lines.append(",".join([label_text[i], weight_text[i]] + pred_text[i]))
    args = [tool, task, str(k), repr(threshold)] + [repr(v) for v in PAYOFF]
    done = subprocess.run(args, input="\n".join(lines) + "\n", capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed: {done.stderr.strip()}")
    return json.loads(done.stdout)


def sk(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return float(fn(*args, **kwargs))
        except ValueError:
            return math.nan


def numpy_bins(p, y, w, bins=10):
    """calibration_curve's binning (searchsorted on linspace's inner edges), weighted."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    ids = np.searchsorted(edges[1:-1], p)
    weight = np.bincount(ids, weights=w, minlength=bins)
    pred = np.bincount(ids, weights=w * p, minlength=bins)
    true = np.bincount(ids, weights=w * y, minlength=bins)
    rows = np.bincount(ids, minlength=bins)
    keep = weight > 0
    return {
        "lower": edges[:-1][keep], "upper": edges[1:][keep], "weight": weight[keep],
        "rows": rows[keep], "mean_predicted": pred[keep] / weight[keep],
        "fraction_positive": true[keep] / weight[keep],
    }


def check_binary(c, name, section, y, p32, w, threshold):
    """One section (weighted or not) of a binary data set. w: float64 weights or None."""
    p = p32.astype(np.float64)
    ww = np.ones_like(p) if w is None else w
    m = section["metrics"]
    pos_w, neg_w = ww[y == 1].sum(), ww[y == 0].sum()
    c.value(f"{name} auc", m["auc"], sk(skm.roc_auc_score, y, p, sample_weight=w)
            if pos_w > 0 and neg_w > 0 else math.nan)
    ap = sk(skm.average_precision_score, y, p, sample_weight=w) if pos_w > 0 else math.nan
    c.value(f"{name} pr_auc", m["pr_auc"], ap)
    q = np.clip(np.stack([np.float32(1) - p32, p32], axis=1), EPS32, np.float32(1) - EPS32)
    c.value(f"{name} log_loss", m["log_loss"],
            sk(skm.log_loss, y, q.astype(np.float64), labels=[0, 1], sample_weight=w))
    c.value(f"{name} log_loss_f32", m["log_loss"],
            sk(skm.log_loss, y, p32, labels=[0, 1], sample_weight=w), 1e-5, relative=True)
    c.value(f"{name} brier", m["brier"], sk(skm.brier_score_loss, y, p, sample_weight=w))
    yhat = (p >= threshold).astype(int)
    c.value(f"{name} accuracy", m["accuracy"], sk(skm.accuracy_score, y, yhat, sample_weight=w))
    for metric, fn in (("precision", skm.precision_score), ("recall", skm.recall_score),
                       ("f1", skm.f1_score)):
        c.value(f"{name} {metric}", m[metric], sk(fn, y, yhat, sample_weight=w, zero_division=0))
    bins = numpy_bins(p, y, ww)
    total = bins["weight"].sum()
    ece = np.sum(bins["weight"] / total * np.abs(bins["fraction_positive"] -
                                                  bins["mean_predicted"]))
    c.value(f"{name} ece", m["ece"], ece)
    got = section["calibration"]
    same = len(got) == len(bins["weight"])
    for key in ("lower", "upper", "weight", "rows", "mean_predicted", "fraction_positive"):
        same = same and all(c.close(g[key], float(b))[0] for g, b in zip(got, bins[key]))
    c.report(f"{name} calibration_bins", same, f"{len(got)} bins, numpy {len(bins['weight'])}")
    if w is None:
        prob_true, prob_pred = calibration_curve(y, p, n_bins=10, strategy="uniform")
        c.points(f"{name} calibration_curve", [(b["mean_predicted"], b["fraction_positive"])
                                               for b in got], prob_pred, prob_true)
    counts = {"tp": ww[(yhat == 1) & (y == 1)].sum(), "fp": ww[(yhat == 1) & (y == 0)].sum(),
              "fn": ww[(yhat == 0) & (y == 1)].sum(), "tn": ww[(yhat == 0) & (y == 0)].sum()}
    for key, want in counts.items():
        c.value(f"{name} confusion.{key}", section["confusion"][key], want)
    if pos_w > 0 and neg_w > 0:
        fpr, tpr, _ = skm.roc_curve(y, p, sample_weight=w, drop_intermediate=False)
        c.points(f"{name} roc_curve", section["roc"], fpr, tpr)
        precision, recall, _ = skm.precision_recall_curve(y, p, sample_weight=w)
        c.points(f"{name} pr_curve", section["pr"], recall[::-1], precision[::-1])
    else:
        c.report(f"{name} curves_empty", not section["roc"] and not section["pr"],
                 "a class of zero weight: no curves")
    tp, fp, fn, tn = PAYOFF
    acted = p >= threshold
    payoff = np.where(y == 1, np.where(acted, tp, fn), np.where(acted, fp, tn))
    payoff = payoff.astype(np.float32).astype(np.float64)
    ev = np.sum(ww * payoff) / ww.sum() if ww.sum() > 0 else math.nan
    c.value(f"{name} expected_value", section["expected_value"], ev)
    order = np.argsort(-p32, kind="stable")
    for fraction in FRACTIONS:
        take = min(len(p), math.ceil(fraction * len(p)))
        top = order[:take]
        top_w, top_pos = ww[top].sum(), (ww[top] * y[top]).sum()
        all_pos = (ww * y).sum()
        precision = top_pos / top_w if top_w > 0 else math.nan
        recall = top_pos / all_pos if all_pos > 0 else math.nan
        base = all_pos / ww.sum() if ww.sum() > 0 else math.nan
        lift = precision / base if base > 0 else math.nan
        got = section["top_fraction"][f"{fraction}"]
        c.value(f"{name} top{fraction}.precision", got["precision"], precision)
        c.value(f"{name} top{fraction}.recall", got["recall"], recall)
        c.value(f"{name} top{fraction}.lift", got["lift"], lift)
        c.report(f"{name} top{fraction}.rows", got["rows"] == take, f"{got['rows']} vs {take}")


def check_multiclass(c, name, section, y, p32, w, k):
    m = section["metrics"]
    q = np.clip(p32, EPS32, np.float32(1) - EPS32).astype(np.float64)
    labels = list(range(k))
    c.value(f"{name} log_loss", m["log_loss"],
            sk(skm.log_loss, y, q, labels=labels, sample_weight=w))
    c.value(f"{name} log_loss_f32", m["log_loss"],
            sk(skm.log_loss, y, p32, labels=labels, sample_weight=w), 1e-5, relative=True)
    yhat = p32.argmax(axis=1)
    c.value(f"{name} accuracy", m["accuracy"], sk(skm.accuracy_score, y, yhat, sample_weight=w))
    c.value(f"{name} macro_f1", m["macro_f1"],
            sk(skm.f1_score, y, yhat, average="macro", sample_weight=w))


def check_regression(c, name, section, y32, p32, w):
    m = section["metrics"]
    y, p = y32.astype(np.float64), p32.astype(np.float64)
    c.value(f"{name} rmse", m["rmse"], sk(skm.root_mean_squared_error, y, p, sample_weight=w))
    c.value(f"{name} mae", m["mae"], sk(skm.mean_absolute_error, y, p, sample_weight=w))
    c.value(f"{name} r2", m["r2"], sk(skm.r2_score, y, p, sample_weight=w))
    c.value(f"{name} mape", m["mape"],
            sk(skm.mean_absolute_percentage_error, y, p, sample_weight=w))


def weights_for(rng, n, zeros):
    w = np.round(rng.uniform(0.0, 3.0, n), 3).astype(np.float32)
    if zeros:
        w[rng.random(n) < 0.2] = 0
    return w


def binary_cases(rng):
    """(name, labels, probabilities, weights, threshold)."""
    cases = []
    for name, n, levels, zeros, threshold in (
            ("binary_small", 7, 0, False, 0.5), ("binary_ties", 600, 8, False, 0.5),
            ("binary_ties4", 400, 4, True, 0.3), ("binary_continuous", 3000, 0, True, 0.5),
            ("binary_extremes", 300, 2, False, 0.5)):
        y = (rng.random(n) < 0.35).astype(np.float32)
        y[0], y[1] = 1, 0
        s = np.clip(0.55 * rng.random(n) + 0.45 * y * rng.random(n), 0, 1)
        if levels:
            s = np.round(s * levels) / levels
        cases.append((name, y, s.astype(np.float32), weights_for(rng, n, zeros), threshold))
    n = 200
    y = np.zeros(n, dtype=np.float32)
    cases.append(("binary_negatives_only", y, rng.random(n).astype(np.float32),
                  weights_for(rng, n, False), 0.5))
    y = (rng.random(n) < 0.4).astype(np.float32)
    w = weights_for(rng, n, False)
    w[y == 1] = 0  # positives present but of zero weight
    cases.append(("binary_zero_weight_positives",
                  y, np.round(rng.random(n) * 10).astype(np.float32) / 10, w, 0.5))
    return cases


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tool", required=True, help="the freshet_metrics_tool binary")
    parser.add_argument("--seed", type=int, default=20240611)
    parser.add_argument("--tolerance", type=float, default=1e-9)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    c = Checker(args.tolerance)

    for name, y, p32, w32, threshold in binary_cases(rng):
        out = run_tool(args.tool, "binary", 0, threshold, y, w32, p32)
        yi = y.astype(int)
        check_binary(c, f"{name}/unweighted", out["unweighted"], yi, p32, None, threshold)
        check_binary(c, f"{name}/weighted", out["weighted"], yi, p32, w32.astype(np.float64),
                     threshold)

    for k, n, rounded, zeros in ((3, 500, True, True), (3, 300, False, False),
                                 (4, 800, True, False), (4, 50, False, True)):
        logits = rng.normal(size=(n, k)) * 1.5
        probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        if rounded:
            probs = np.round(probs * 10) / 10  # argmax ties, zeros, rows not summing to 1
        p32 = probs.astype(np.float32)
        y = rng.integers(0, k, n)
        y[:k] = np.arange(k)
        w32 = weights_for(rng, n, zeros)
        out = run_tool(args.tool, "multiclass", k, 0.5, y.astype(np.float32), w32, p32)
        name = f"multiclass_k{k}_n{n}{'_rounded' if rounded else ''}"
        check_multiclass(c, f"{name}/unweighted", out["unweighted"], y, p32, None, k)
        check_multiclass(c, f"{name}/weighted", out["weighted"], y, p32, w32.astype(np.float64),
                         k)

    for name, n, scale, zeros in (("regression", 500, 1.0, False),
                                  ("regression_near_zero", 400, 1e-3, True),
                                  ("regression_big", 300, 1e4, False)):
        y = rng.normal(size=n) * scale
        if name == "regression_near_zero":
            y[:10] = 0.0  # MAPE divides by DBL_EPSILON here
            y[10:20] = rng.normal(size=10) * 1e-7
        y32 = y.astype(np.float32)
        p32 = (y + rng.normal(size=n) * 0.3 * scale).astype(np.float32)
        w32 = weights_for(rng, n, zeros)
        out = run_tool(args.tool, "regression", 0, 0.5, y32, w32, p32)
        check_regression(c, f"{name}/unweighted", out["unweighted"], y32, p32, None)
        check_regression(c, f"{name}/weighted", out["weighted"], y32, p32,
                         w32.astype(np.float64))

    total = c.passed + len(c.failed)
    print(f"metrics parity: {c.passed}/{total} checks passed (tolerance {args.tolerance:g}, "
          f"scikit-learn {__import__('sklearn').__version__})")
    if c.failed:
        print("failed: " + ", ".join(c.failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
