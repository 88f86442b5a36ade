"""Per-core ratio of freshet's numeric feature ops against scikit-learn's, measured in alternating
rounds so that both sides see the same mix of the machine's fast and slow phases.

On a shared VM a single thread's speed can change by 1.7x from one minute to the next. A whole
features_bench.sh run can then time scikit-learn in one phase and freshet in another. Here each
round times the chosen scikit-learn steps three times each, then runs freshet_feature_bench once
(each op alone, median of 3 on one thread) on a config of the chosen steps' columns only, so that a
round takes seconds. The ratio is the median of scikit-learn's runs over the median of freshet's
rounds. Both sides run on the same CPU (--cpu, 0 by default): a VM's CPUs can be slowed apart from
each other by what shares their cores.

  python scripts/bench/features_per_core.py --bench build/freshet_feature_bench \
      --input ~/.cache/freshet/bench/features-10000000-seed2024.h5 [--rounds 9] [--steps n04 n06] \
      [--cpu 0]

--steps picks scikit-learn steps (scripts/bench/features_sklearn.py) by the start of their names;
each must be a numeric step named "nAA-nBB ...", whose freshet ops are columns nAA to nBB.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import features_sklearn as fs  # noqa: E402


def columns(step_name):
    first, last = step_name.split()[0].split("-")
    return [f"n{i:02d}" for i in range(int(first[1:]), int(last[1:]) + 1)]


def freshet_one_thread_ms(bench, config, data):
    """Each op's time alone on one thread (median of 3), from freshet_feature_bench's JSON."""
    with tempfile.TemporaryDirectory(prefix="per_core_") as tmp:
        report = os.path.join(tmp, "freshet.json")
        subprocess.run([bench, "--config", config, "--input", data, "--cpu-repeats", "3",
                        "--no-gpu", "--json", report], stdout=subprocess.DEVNULL, check=True)
        with open(report) as f:
            return {o["name"]: o["cpu_ms_1t"] for o in json.load(f)["ops"]}


def config_of(config, cols):
    """The config's text with, of its features (one a line), only those of the columns `cols`."""
    out, in_features = [], False
    with open(config) as f:
        for line in f:
            if not line.startswith(" "):  # a top-level key: `features:` or another
                in_features = line.startswith("features:")
                out.append(line)
            elif not in_features:
                out.append(line)
            elif "column:" in line and line.split("column:")[1].split(",")[0].strip() in cols:
                out.append(line)
    return "".join(out)


def rounds(a, fitted, df, config):
    """The times of each step: scikit-learn's runs and freshet's rounds, in alternation."""
    sk = {name: [] for name, _, _ in fitted}
    fr = {name: [] for name, _, _ in fitted}
    for r in range(a.rounds):
        for name, est, prep in fitted:
            for _ in range(3):
                t = time.perf_counter()
                y = est.transform(prep(df))
                sk[name].append((time.perf_counter() - t) * 1e3)
                del y
        ms = freshet_one_thread_ms(a.bench, config, a.input)
        for name in fr:
            fr[name].append(sum(ms[c] for c in columns(name)))
        print(f"round {r + 1}: " + "; ".join(
            f"{n.split()[0]} scikit-learn {statistics.median(sk[n][-3:]):.1f} ms, "
            f"freshet 1 thread {fr[n][-1]:.1f} ms" for n in sk), flush=True)
    return sk, fr


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bench", required=True, help="freshet_feature_bench")
    ap.add_argument("--input", required=True, help="the benchmark HDF5 file")
    ap.add_argument("--config", default=os.path.join(here, "features_bench.yaml"))
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--steps", nargs="+", default=["n04", "n06"])
    ap.add_argument("--cpu", type=int, default=0, help="the CPU both sides run on; -1: any")
    a = ap.parse_args()
    if a.rounds < 3:
        ap.error("--rounds must be at least 3 (medians)")
    if a.cpu >= 0:
        if a.cpu not in os.sched_getaffinity(0):
            ap.error(f"--cpu {a.cpu}: not one of this process's CPUs")
        os.sched_setaffinity(0, {a.cpu})  # freshet_feature_bench inherits it
    steps = [s for s in fs.STEPS if s[0].startswith(tuple(a.steps))]
    bad = [s[0] for s in steps if not s[0].startswith("n")]
    if not steps or bad:
        ap.error(f"--steps must name numeric steps (got {bad or a.steps})")
    df = fs.load(a.input, None)
    fitted = [(s[0], s[3]().fit(s[4](df)), s[4]) for s in steps]
    text = config_of(a.config, {c for s in steps for c in columns(s[0])})
    cfg = tempfile.NamedTemporaryFile("w", suffix=".yaml", prefix="per_core_", delete=False)
    with cfg:
        cfg.write(text)
    try:
        sk, fr = rounds(a, fitted, df, cfg.name)
    finally:
        os.unlink(cfg.name)
    for name in sk:
        s, f = statistics.median(sk[name]), statistics.median(fr[name])
        print(f"{name}: scikit-learn median {s:.1f} ms ({len(sk[name])} runs), freshet on 1 thread "
              f"median {f:.1f} ms ({len(fr[name])} rounds): {s / f:.2f}x per core")


if __name__ == "__main__":
    main()
