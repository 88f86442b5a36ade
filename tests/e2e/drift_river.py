"""freshet's drift detectors against River 0.26.1's on the same seeded streams.

Generates streams with Python's random module (abrupt and gradual Bernoulli error-rate changes,
Gaussian mean shifts up and down, one far from zero, a long stream of several shifts, stationary
streams, and the streams of River's own docstring examples), writes each value with repr (so
River and freshet_drift_tool read the same doubles), and runs river.drift.ADWIN, PageHinkley
and binary.DDM (on the 0/1 streams) with their defaults and two other parameter sets each. The
detection indices, DDM's warning indices and the detector's final numbers (ADWIN's width, total
and variance; Page-Hinkley's sums; DDM's minimum) must be identical, bit for bit; so must those of
a second freshet run that moves the detector through Save/JSON/Restore every 97 values. Prints a
table: stream, detector, River's drifts, freshet's, and the delay of the first detection after
the change (or the false alarms of a stationary stream).
"""
import argparse
import json
import math
import random
import subprocess
import sys

try:
    from river import drift
except ImportError as e:  # the shell script checks first; this keeps the script usable alone
    print(f"drift_river: skipped: cannot import river ({e})", file=sys.stderr)
    sys.exit(77)

# (label, freshet kind, River class, parameters); None = River's defaults.
DETECTORS = [
    ("adwin", "adwin", drift.ADWIN, {}),
    ("adwin/b", "adwin", drift.ADWIN,
     {"delta": 0.01, "clock": 1, "max_buckets": 3, "min_window_length": 10, "grace_period": 50}),
    ("adwin/c", "adwin", drift.ADWIN,
     {"delta": 0.0005, "clock": 16, "max_buckets": 8, "min_window_length": 3, "grace_period": 5}),
    ("ph", "page_hinkley", drift.PageHinkley, {}),
    ("ph/up", "page_hinkley", drift.PageHinkley,
     {"min_instances": 50, "delta": 0.01, "threshold": 20.0, "alpha": 0.999, "mode": "up"}),
    ("ph/down", "page_hinkley", drift.PageHinkley,
     {"delta": 0.002, "threshold": 25.0, "mode": "down"}),
    ("ddm", "ddm", drift.binary.DDM, {}),
    ("ddm/b", "ddm", drift.binary.DDM,
     {"warm_start": 100, "warning_threshold": 1.5, "drift_threshold": 2.5}),
]
RESUME_EVERY = 97


def bernoulli(rng, probs):
    return [1.0 if rng.random() < p else 0.0 for p in probs]


def streams():
    """(name, values, change index or None, binary) for each stream."""
    out = []
    for seed in (1, 2, 3):
        rng = random.Random(seed)
        out.append((f"bern_abrupt/{seed}", bernoulli(rng, [0.1] * 1500 + [0.5] * 1500), 1500, True))
        ramp = [0.1 + 0.4 * i / 1500 for i in range(1500)]
        out.append((f"bern_gradual/{seed}",
                    bernoulli(rng, [0.1] * 1000 + ramp + [0.5] * 1500), 1000, True))
        out.append((f"gauss_up/{seed}",
                    [rng.gauss(0.0, 1.0) for _ in range(1000)] +
                    [rng.gauss(1.0, 1.0) for _ in range(1500)], 1000, False))
        out.append((f"gauss_down/{seed}",
                    [rng.gauss(2.0, 1.0) for _ in range(1000)] +
                    [rng.gauss(1.0, 1.0) for _ in range(1500)], 1000, False))
        out.append((f"gauss_far/{seed}",
                    [rng.gauss(1e6, 3.0) for _ in range(1000)] +
                    [rng.gauss(1e6 + 2.0, 3.0) for _ in range(1500)], 1000, False))
        out.append((f"bern_still/{seed}", bernoulli(rng, [0.2] * 10000), None, True))
        out.append((f"gauss_still/{seed}", [rng.gauss(0.0, 1.0) for _ in range(10000)], None,
                    False))
    rng = random.Random(7)
    means = [0.0, 0.5, -0.5, 1.0]
    out.append(("gauss_multi/7", [rng.gauss(means[i // 5000], 1.0) for i in range(20000)], 5000,
                False))
    # The streams of River's ADWIN/PageHinkley and DDM docstrings (ADWIN 1023, PH 1006, DDM 1334).
    rng = random.Random(12345)
    doc = rng.choices([0, 1], k=1000) + rng.choices(range(4, 8), k=1000)
    out.append(("river_doc", [float(v) for v in doc], 1000, False))
    rng = random.Random(42)
    doc = rng.choices([0, 1], k=1000) + rng.choices([0, 1], k=1000, weights=[0.3, 0.7])
    out.append(("river_doc_ddm", [float(v) for v in doc], 1000, True))
    return out


def river_run(cls, params, values):
    det = cls(**params)
    drifts, warnings = [], []
    for i, x in enumerate(values):
        det.update(x)
        if det.drift_detected:
            drifts.append(i)
        if getattr(det, "warning_detected", False):
            warnings.append(i)
    return drifts, warnings, det


def river_state(det):
    """The River detector's numbers, keyed as freshet's Save() names them."""
    if isinstance(det, drift.ADWIN):
        return {"width": det.width, "total": det.total, "variance": det.variance}
    if isinstance(det, drift.PageHinkley):
        return {"n": det._x_mean.n, "mean": det._x_mean.get(), "sum_increase": det._sum_increase,
                "sum_decrease": det._sum_decrease, "min_increase": det._min_increase,
                "max_decrease": det._max_decrease}
    return {"n": det._p.n, "p": det._p.get(), "ps_min": det._ps_min,
            "p_min": math.nan if det._p_min is None else det._p_min,
            "s_min": math.nan if det._s_min is None else det._s_min}


def same_number(a, b):
    a, b = float(a), float(b)
    return (math.isnan(a) and math.isnan(b)) or a == b


def freshet_run(tool, kind, params, text, resume):
    args = [tool, kind] + [f"{k}={v!r}" if isinstance(v, float) else f"{k}={v}"
                           for k, v in params.items()]
    if resume:
        args.append(f"resume_every={RESUME_EVERY}")
    out = subprocess.run(args, input=text, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"drift_river: {' '.join(args)} failed: {out.stderr.strip()}")
    return json.loads(out.stdout)


def short(indices):
    if len(indices) <= 4:
        return str(indices)
    return "[" + ", ".join(map(str, indices[:3])) + f", ... +{len(indices) - 3}]"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tool", required=True)
    args = ap.parse_args()
    failures = []
    rows = []
    for name, values, change, binary in streams():
        text = "".join(repr(v) + "\n" for v in values)
        for label, kind, cls, params in DETECTORS:
            if kind == "ddm" and not binary:
                continue
            r_drifts, r_warnings, det = river_run(cls, params, values)
            want = river_state(det)
            for resume in (False, True):
                got = freshet_run(args.tool, kind, params, text, resume)
                what = f"{name} {label}{' resumed' if resume else ''}"
                if got["drifts"] != r_drifts:
                    failures.append(f"{what}: drifts river {r_drifts} freshet {got['drifts']}")
                if got["warnings"] != r_warnings:
                    failures.append(f"{what}: warnings differ ({len(r_warnings)} in river, "
                                    f"{len(got['warnings'])} in freshet)")
                for key, value in want.items():
                    if not same_number(got["state"][key], value):
                        failures.append(f"{what}: final {key} river {value!r} freshet "
                                        f"{got['state'][key]!r}")
                if not resume:
                    f_drifts = got["drifts"]
            if change is None:
                delay = f"{len(r_drifts)} false"
            else:
                after = [i for i in r_drifts if i >= change]
                delay = str(after[0] - change) if after else "missed"
            rows.append((name, label, short(r_drifts), short(f_drifts), delay,
                         str(len(r_warnings)) if kind == "ddm" else ""))
    head = ("stream", "detector", "river drifts", "freshet drifts", "delay", "warnings")
    widths = [max(len(r[i]) for r in rows + [head]) for i in range(len(head))]
    for r in [head] + rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
    for f in failures:
        print("FAIL " + f)
    print(f"drift_river: {len(rows)} stream/detector pairs, each run plain and resumed every "
          f"{RESUME_EVERY}; {len(failures)} mismatches")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
