#!/usr/bin/env bash
# The data gate benchmark of issue 10: freshet's gate (profile + schema checks + every drift
# statistic of 18 columns, scripts/bench/gate_bench.cc) against the same work in pandas + SciPy and
# against Evidently's data drift report (scripts/bench/gate_peer.py), on the same two HDF5 files
# (the feature benchmark's table, scripts/bench/bench_data.h, with seeds 2024 and 2025), in the
# same run. Prints the machine, the medians and the ratios; raw JSON goes to --out.
#
#   scripts/bench/gate_bench.sh [--rows 10000000] [--repeats 3] [--evidently-budget 60] [--out DIR]
set -euo pipefail
source "$(dirname "$0")/../env.sh"
source "$(dirname "$0")/ninja_wait.sh"

rows=10000000 repeats=3 budget=60
out="$FRESHET_ROOT/out/bench/gate"
while (($#)); do
  case "$1" in
    --rows) rows=$2; shift 2 ;;
    --repeats) repeats=$2; shift 2 ;;
    --evidently-budget) budget=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "usage: $0 [--rows N] [--repeats R] [--evidently-budget S] [--out DIR]" >&2; exit 2 ;;
  esac
done
((repeats >= 3)) || { echo "gate_bench: --repeats must be at least 3 (medians)" >&2; exit 2; }
cache="${FRESHET_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/freshet}/bench"
mkdir -p "$cache" "$out"
wait_for_other_ninja "$FRESHET_BUILD"
ninja -C "$FRESHET_BUILD" -j2 freshet_gate_bench freshet_feature_bench >&2
for seed in 2024 2025; do
  f="$cache/features-${rows}-seed${seed}.h5"
  if [ ! -f "$f" ]; then
    "$FRESHET_BUILD/freshet_feature_bench" --generate "$f.tmp.h5" --rows "$rows" --seed $seed >&2
    mv "$f.tmp.h5" "$f"
  fi
done
ref="$cache/features-${rows}-seed2024.h5" cur="$cache/features-${rows}-seed2025.h5"
echo "== machine"
echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) threads"
echo "data: $rows rows x 18 columns, reference $ref, current $cur"
"$FRESHET_BUILD/freshet_gate_bench" --config "$FRESHET_ROOT/scripts/bench/features_bench.yaml" \
  --reference "$ref" --current "$cur" --repeats "$repeats" > "$out/freshet.json"
FRESHET_THREADS=1 "$FRESHET_BUILD/freshet_gate_bench" \
  --config "$FRESHET_ROOT/scripts/bench/features_bench.yaml" \
  --reference "$ref" --current "$cur" --repeats "$repeats" > "$out/freshet_1thread.json"
"$FRESHET_PYTHON" "$FRESHET_ROOT/scripts/bench/gate_peer.py" --reference "$ref" --current "$cur" \
  --repeats "$repeats" --evidently-budget "$budget" > "$out/peers.json"
"$FRESHET_PYTHON" - "$out" <<'PY'
import json, sys
d = sys.argv[1]
f, f1, p = (json.load(open(f"{d}/{n}.json")) for n in ("freshet", "freshet_1thread", "peers"))
rows = f["rows"]
print("== results (medians; reading the files is not timed on either side)")
print(f"freshet gate checks, {f['threads']} threads: {f['check_median_s']:.3f} s "
      f"({rows / f['check_median_s'] / 1e6:.2f} M rows/s); 1 thread: {f1['check_median_s']:.3f} s")
print(f"freshet reference profile: {f['reference_profile_s']:.3f} s; pandas + SciPy: {p['reference_profile_s']:.3f} s")
print(f"pandas + SciPy checks: {p['check_median_s']:.3f} s -> freshet is "
      f"{p['check_median_s'] / f['check_median_s']:.1f}x ({p['check_median_s'] / f1['check_median_s']:.1f}x on one thread)")
for e in p["evidently"]:
    print(f"Evidently DataDriftPreset, {e['rows']} rows: {e['seconds']:.2f} s ({e['rows_per_s']:.0f} rows/s)")
best = max(e["rows_per_s"] for e in p["evidently"])
print(f"freshet per row vs Evidently's best rate: {rows / f['check_median_s'] / best:.0f}x "
      f"({rows / f1['check_median_s'] / best:.0f}x on one thread)")
print(f"freshet gate status on the two files: {f['status']}, drifted columns {f['drifted']}")
PY
