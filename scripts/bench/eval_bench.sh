#!/usr/bin/env bash
# The evaluation benchmark of issue 11: the paired bootstrap of one comparison (every binary metric
# of a challenger against a champion, 1000 resamples) by freshet (PairedBootstraps, as every
# retrain runs it; scripts/bench/eval_bench.cc) against the same loop in numpy + scikit-learn
# (scripts/bench/eval_peer.py), on the same rows (binormal scores, seeded), in the same run. The
# peer runs until --peer-budget seconds per repeat and its time is scaled to the full resamples.
# Prints the machine, the medians and the ratio; raw JSON goes to --out.
#
#   scripts/bench/eval_bench.sh [--rows 100000] [--resamples 1000] [--repeats 3] [--peer-budget 60] [--out DIR]
set -euo pipefail
source "$(dirname "$0")/../env.sh"
source "$(dirname "$0")/ninja_wait.sh"

rows=100000 resamples=1000 repeats=3 budget=60
out="$FRESHET_ROOT/out/bench/eval"
while (($#)); do
  case "$1" in
    --rows) rows=$2; shift 2 ;;
    --resamples) resamples=$2; shift 2 ;;
    --repeats) repeats=$2; shift 2 ;;
    --peer-budget) budget=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "usage: $0 [--rows N] [--resamples R] [--repeats K] [--peer-budget S] [--out DIR]" >&2; exit 2 ;;
  esac
done
((repeats >= 3)) || { echo "eval_bench: --repeats must be at least 3 (medians)" >&2; exit 2; }
mkdir -p "$out"
wait_for_other_ninja "$FRESHET_BUILD"
ninja -C "$FRESHET_BUILD" -j2 freshet_eval_bench >&2
data="$out/rows-$rows.csv"
"$FRESHET_PYTHON" - "$rows" "$data" <<'PY'
import sys, numpy as np
n = int(sys.argv[1]); rng = np.random.default_rng(11)
y = (rng.random(n) < 0.3).astype(int)
z1, z2 = rng.standard_normal(n), rng.standard_normal(n)
a = 1 / (1 + np.exp(-(1.0 * y + z1 - 0.8)))
b = 1 / (1 + np.exp(-(0.8 * y + 0.6 * z1 + 0.8 * z2 - 0.8)))
np.savetxt(sys.argv[2], np.column_stack([y, a, b]), delimiter=",", fmt=["%d", "%.7g", "%.7g"],
           header="label,score_a,score_b", comments="")
PY
echo "== machine"
echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) threads"
echo "data: $rows rows, $resamples resamples, 9 binary metrics, 2 models"
"$FRESHET_BUILD/freshet_eval_bench" "$data" "$resamples" "$repeats" > "$out/freshet.json"
"$FRESHET_PYTHON" "$FRESHET_ROOT/scripts/bench/eval_peer.py" "$data" "$resamples" "$repeats" "$budget" \
  > "$out/peer.json"
"$FRESHET_PYTHON" - "$out/freshet.json" "$out/peer.json" <<'PY'
import json, statistics, sys
f, p = (json.load(open(x)) for x in sys.argv[1:3])
fm, pm = statistics.median(f["seconds"]), statistics.median(p["seconds"])
print(f"freshet PairedBootstraps: {fm:.2f} s (runs {', '.join('%.2f' % s for s in f['seconds'])})")
print(f"numpy + scikit-learn:     {pm:.2f} s (runs {', '.join('%.2f' % s for s in p['seconds'])}; "
      f"{p['resamples_run']} of {p['resamples']} resamples timed, scaled)")
print(f"ratio: freshet is {pm / fm:.1f}x faster")
# The peer's order, TaskMetricNames(binary)'s.
names = ["auc", "pr_auc", "log_loss", "brier", "accuracy", "precision", "recall", "f1", "ece"]
worst = max(max(abs(f["intervals"][k]["lower"] - p["lower"][i]), abs(f["intervals"][k]["upper"] - p["upper"][i]))
            for i, k in enumerate(names))
print(f"intervals (different draws, same method): largest difference of an end {worst:.4f}")
PY
