#!/usr/bin/env bash
# The CPU feature benchmark of issue 3: freshet's TransformFeatures against the same pipeline in
# pandas + scikit-learn (scripts/bench/features_bench.yaml, scripts/bench/features_sklearn.py), on
# the same HDF5 file, in the same run, and the numeric part against the same transform written as
# LibTorch ops. Prints the machine, the medians and the ratios; the raw JSON and logs go to --out.
#
#   scripts/bench/features_bench.sh [--rows 10000000] [--repeats 3] [--out DIR]
#
# The data set (12 numeric + 6 categorical columns, scripts/bench/bench_data.h) is generated once
# into the cache folder, not the repository: $FRESHET_CACHE/bench (default ~/.cache/freshet/bench).
set -euo pipefail
source "$(dirname "$0")/../env.sh"
source "$(dirname "$0")/ninja_wait.sh"

rows=10000000
repeats=3
out="$FRESHET_ROOT/out/bench/features"
while (($#)); do
  case "$1" in
    --rows) rows=$2; shift 2 ;;
    --repeats) repeats=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "usage: $0 [--rows N] [--repeats R] [--out DIR]" >&2; exit 2 ;;
  esac
done
((repeats >= 3)) || { echo "features_bench: --repeats must be at least 3 (medians)" >&2; exit 2; }

cache="${FRESHET_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/freshet}/bench"
data="$cache/features-${rows}-seed2024.h5"
config="$FRESHET_ROOT/scripts/bench/features_bench.yaml"
bench="$FRESHET_BUILD/freshet_feature_bench"
torch_bench="$FRESHET_BUILD/freshet_torch_feature_bench"
mkdir -p "$cache" "$out"

# Only our targets: others build in the same folder.
wait_for_other_ninja "$FRESHET_BUILD"
ninja -C "$FRESHET_BUILD" -j2 freshet_feature_bench freshet_torch_feature_bench >&2

if ! "$FRESHET_PYTHON" -c 'import pandas, sklearn, h5py' 2>/dev/null; then
  echo "features_bench: installing pandas and scikit-learn into $FRESHET_VENV" >&2
  "$FRESHET_PYTHON" -m pip install -q --disable-pip-version-check pandas scikit-learn h5py >&2
fi

if [ ! -f "$data" ]; then
  # Written under a temporary name so an interrupted run never leaves half a file behind.
  "$bench" --generate "$data.tmp.h5" --rows "$rows"
  mv "$data.tmp.h5" "$data"
fi

echo "== machine"
{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "host: $(uname -srm); $(. /etc/os-release && echo "$PRETTY_NAME")"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) threads"
  echo "memory: $(free -g | awk '/^Mem:/ {print $2 " GiB"}')"
  echo "load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
  build_type=$(grep -m1 '^CMAKE_BUILD_TYPE' "$FRESHET_BUILD/CMakeCache.txt" | cut -d= -f2)
  echo "compiler: $(c++ --version | head -1);" \
    "build type: ${build_type:-RelWithDebInfo (the CMakeLists default)}"
  echo "data: $data ($(du -h "$data" | cut -f1))"
  echo "command: $0 --rows $rows --repeats $repeats"
} | tee "$out/machine.txt"

echo "== freshet (C++): fit once, transform median of $((repeats + 2)) runs"
"$bench" --config "$config" --input "$data" --cpu-repeats $((repeats + 2)) --no-gpu \
  --json "$out/freshet.json" --table "$out/freshet.txt" --state-out "$out/features.json" \
  --head-out "$out/freshet_head.h5" --head-rows 100000 | tee "$out/freshet.log"

echo "== LibTorch tensor ops, numeric part, CPU"
"$torch_bench" --config "$config" --input "$data" --state "$out/features.json" --device cpu \
  --repeats "$repeats" --json "$out/torch.json" 2>&1 | tee "$out/torch.log"

echo "== pandas + scikit-learn: fit once, transform median of $repeats runs"
"$FRESHET_PYTHON" "$FRESHET_ROOT/scripts/bench/features_sklearn.py" --input "$data" \
  --repeats "$repeats" --check "$out/freshet_head.h5" --json "$out/sklearn.json" \
  | tee "$out/sklearn.log"
echo "load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/machine.txt"

echo "== freshet vs pandas + scikit-learn"
"$FRESHET_PYTHON" "$FRESHET_ROOT/scripts/bench/features_report.py" --freshet "$out/freshet.json" \
  --sklearn "$out/sklearn.json" --torch "$out/torch.json" | tee "$out/report.txt"
"$FRESHET_PYTHON" "$FRESHET_ROOT/scripts/bench/features_report.py" --freshet "$out/freshet.json" \
  --sklearn "$out/sklearn.json" --torch "$out/torch.json" --markdown > "$out/report.md"
# The table's per-core column times freshet and scikit-learn minutes apart; on a shared VM a single
# thread's speed can change by 1.7x in that time. The numeric steps again, the two sides in turns.
echo "== per core, numeric steps: freshet and scikit-learn timed in alternating rounds"
"$FRESHET_PYTHON" "$FRESHET_ROOT/scripts/bench/features_per_core.py" --bench "$bench" \
  --input "$data" --config "$config" --rounds 5 --steps n00 n04 n06 n08 n10 \
  | tee "$out/per_core.log"
# The ratios under the report's table: indented in report.txt, a list in report.md.
per_core_section() {
  echo
  echo "per core, numeric steps timed in alternating rounds (scripts/bench/features_per_core.py):"
  [ "$1" = "- " ] && echo
  grep 'x per core$' "$out/per_core.log" | sed "s/^/$1/"
}
per_core_section "  " | tee -a "$out/report.txt"
per_core_section "- " >> "$out/report.md"
echo "(results in $out)"
