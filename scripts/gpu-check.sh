#!/usr/bin/env bash
# The GPU check of issue 3, run ON a GPU machine from the repository root, with the binaries of
# scripts/gpu-bundle.sh carried in gpu-bundle/ (that machine has no network and probably no -dev
# libraries to build with; see ../shared/notes/gpu-machine.md):
#   1. checks that a GPU is visible (nvidia-smi -L) and records the machine;
#   2. runs every _CUDA test of each bundled test binary;
#   3. the feature benchmark: fused kernels on device-resident inputs next to a device-to-device
#      copy, the chunked host-to-device TransformFeatures, each output against the CPU result;
#   4. the numeric transform as LibTorch tensor ops against the fused kernel, same GPU;
#   5. `freshet retrain` on synthetic data with device cuda and device cpu, timed;
#   6. compute-sanitizer memcheck on the kernels' _CUDA tests, if time is left;
# then prints a short table. Everything (each step's full output, the environment) goes to
# OUTDIR/gpu-check.log and OUTDIR/<step>.log. A failing step is logged and the script goes on, so
# the summary always comes; the exit code is the number of failed steps (capped at 100).
#
#   bash scripts/gpu-check.sh OUTDIR
#
# Budget: about five minutes on an H100/H200; each step gets a timeout and the whole run stops
# starting steps after GPU_CHECK_BUDGET seconds (default 420). Without a GPU it still runs the CPU
# parts (on GPU_CHECK_ROWS rows, default 1M there instead of 10M) and says so: a dry run.
set -uo pipefail  # not -e: steps may fail; each failure is recorded and the run goes on.

out=${1:?usage: bash scripts/gpu-check.sh OUTDIR}
mkdir -p "$out" && out=$(cd "$out" && pwd)
root=$(cd "$(dirname "$0")/.." && pwd)
bundle="$root/gpu-bundle"
log="$out/gpu-check.log"
: >"$log"
# Results of an earlier run in the same folder must not pass for this run's.
rm -f "$out"/*.json "$out"/*.txt "$out"/*.xml
deadline=$((SECONDS + ${GPU_CHECK_BUDGET:-420}))
failures=0
summary=()

say() { echo "$*" | tee -a "$log"; }

# step NAME LIMIT_S CMD...: runs CMD with a timeout (never past the budget), output to
# OUTDIR/NAME.log and the main log; prints one status line. Returns CMD's exit code.
step() {
  local name=$1 limit=$2 left rc t0 status
  shift 2
  left=$((deadline - SECONDS))
  if ((left < 20)); then
    say "$(printf '%-34s %-9s' "$name" "SKIPPED") out of time budget"
    summary+=("$(printf '%-34s %s' "$name" "skipped: out of time")")
    return 99
  fi
  ((limit > left)) && limit=$left
  echo "== $name (limit ${limit}s): $*" >>"$log"
  t0=$SECONDS
  timeout --kill-after=10 "$limit" "$@" >"$out/$name.log" 2>&1
  rc=$?
  cat "$out/$name.log" >>"$log"
  case $rc in
    0) status=ok ;;
    124 | 137) status=TIMEOUT ;;
    *) status="FAILED($rc)" ;;
  esac
  ((rc == 0)) || failures=$((failures + 1))
  say "$(printf '%-34s %-9s %4ds  %s' "$name" "$status" $((SECONDS - t0)) "$out/$name.log")"
  return $rc
}

# --- 1. the GPU, the machine ---------------------------------------------------------------------
gpu=0
if card=$(nvidia-smi -L 2>&1) && [ -n "$card" ]; then
  gpu=1
  say "GPU: $card"
else
  say "NO GPU VISIBLE (nvidia-smi -L: ${card:-no output}): CPU parts only, a dry run"
  card=""
fi
{
  echo "== environment"
  date -u '+%Y-%m-%d %H:%M:%S UTC'
  (. /etc/os-release && echo "$PRETTY_NAME")
  ldd --version | head -1
  echo "cpus: $(nproc); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)"
  nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm,clocks.max.mem \
    --format=csv 2>&1
  nvcc --version 2>&1 | tail -2
  command -v cmake ninja compute-sanitizer 2>&1
  cat "$bundle/MANIFEST" 2>&1
} >>"$log" 2>&1
[ -d "$bundle/bin" ] || say "no $bundle/bin: run scripts/gpu-bundle.sh on the build machine first"

# The machine's own LibTorch (same version as the build's, so the same ABI) and CUDA runtime. Only
# the bundled binaries get this library path: python3 and the system tools keep theirs.
py=${GPU_CHECK_PYTHON:-python3}  # another Python with torch, for a dry run elsewhere
torch_lib=$("$py" -c 'import torch, os; print(os.path.dirname(torch.__file__) + "/lib")' 2>>"$log")
[ -n "$torch_lib" ] || say "$py cannot import torch: the LibTorch steps will fail"
say "torch: $("$py" -c 'import torch; print(torch.__version__, "cuda", torch.version.cuda)' 2>&1 |
  tail -1)"
ldpath="$bundle/lib:$torch_lib:$torch_lib/../../nvidia/cu13/lib:/usr/local/cuda/lib64"
if [ -x "$bundle/bin/freshet" ] &&
  ! LD_LIBRARY_PATH=$ldpath "$bundle/bin/freshet" --version >>"$log" 2>&1; then
  # Most likely a C++ runtime older than the build machine's: use the bundled one.
  ldpath="$ldpath:$bundle/lib-fallback"
  LD_LIBRARY_PATH=$ldpath "$bundle/bin/freshet" --version >>"$log" 2>&1 &&
    say "using the bundled libstdc++ (the machine's is older)"
fi
for b in "$bundle"/bin/*; do
  missing=$(LD_LIBRARY_PATH=$ldpath ldd "$b" 2>&1 | grep -E 'not found|version .* not found')
  [ -z "$missing" ] || say "$(basename "$b") misses libraries: $missing"
done
# A prefix for the bundled binaries; `timeout` runs programs, not shell functions.
run=(env "LD_LIBRARY_PATH=$ldpath")

# --- 2. every _CUDA test -------------------------------------------------------------------------
# gtest_count PASSED|SKIPPED|FAILED LOG: the count on GoogleTest's closing line, 0 if none.
gtest_count() {
  local n
  n=$(sed -n "s/^\[  $1 *\] \([0-9]*\) tests\?[,.].*/\1/p" "$2")
  echo "${n:-0}"
}
for t in "$bundle"/bin/*_tests; do
  [ -x "$t" ] || continue
  name=$(basename "$t")
  step "cuda-tests-$name" 90 "${run[@]}" "$t" --gtest_filter='*_CUDA*' \
    --gtest_output="xml:$out/$name.xml"
  f="$out/cuda-tests-$name.log"
  summary+=("$(printf '%-34s passed %s, skipped %s, failed %s' "$name _CUDA" \
    "$(gtest_count PASSED "$f")" "$(gtest_count SKIPPED "$f")" "$(gtest_count FAILED "$f")")")
  grep -q '^\[  FAILED  \] [A-Za-z]' "$f" && summary+=("$(grep '^\[  FAILED  \] [A-Za-z]' "$f" |
    sed 's/^\[  FAILED  \]/    failed:/')")
done

# --- 3. the feature benchmark --------------------------------------------------------------------
rows=${GPU_CHECK_ROWS:-$((gpu ? 10000000 : 1000000))}
((gpu)) || say "feature benchmark on $rows rows (no GPU: CPU numbers only)"
step feature-bench 200 "${run[@]}" "$bundle/bin/freshet_feature_bench" \
  --config "$root/scripts/bench/features_bench.yaml" --synthetic "$rows" --repeats 20 \
  --cpu-repeats 3 --json "$out/feature_bench.json" --table "$out/feature_bench.txt" \
  --state-out "$out/features.json"

# --- 4. LibTorch tensor ops vs the fused numeric kernel ------------------------------------------
state_arg=()
[ -s "$out/features.json" ] && state_arg=(--state "$out/features.json")
step torch-bench 120 "${run[@]}" "$bundle/bin/freshet_torch_feature_bench" \
  --config "$root/scripts/bench/features_bench.yaml" --synthetic "$rows" "${state_arg[@]}" \
  --device "$( ((gpu)) && echo cuda || echo cpu)" --json "$out/torch_bench.json" \
  --table "$out/torch_bench.txt"

# --- 5. freshet retrain, cuda and cpu ------------------------------------------------------------
work="$out/retrain"
rm -rf "$work" && mkdir -p "$work"
retrain_rows=${GPU_CHECK_RETRAIN_ROWS:-100000}
step synth 60 "${run[@]}" "$bundle/bin/freshet" synth --out "$work/landing" --days 8 \
  --rows "$retrain_rows" --seed 7 --drift-day 6
devices=(cpu)
((gpu)) && devices=(cuda cpu)
for dev in "${devices[@]}"; do
  # The example config, pointed at this data and registry, on one device.
  sed -e "s|^\( *landing:\).*|\1 $work/landing|" \
    -e "s|^registry:.*|registry: {path: $work/registry-$dev}|" \
    -e "s|device: *[a-z:0-9]*|device: $dev|" \
    "$root/configs/churn.yaml" >"$work/churn-$dev.yaml"
  t0=$SECONDS
  step "retrain-$dev" 120 "${run[@]}" "$bundle/bin/freshet" retrain -c "$work/churn-$dev.yaml"
  rc=$?
  summary+=("$(printf '%-34s %s' "retrain device $dev" \
    "exit $rc, $((SECONDS - t0)) s: $(grep -m1 '^published' "$out/retrain-$dev.log" |
      sed 's/.*(//; s/)$//')")")
done

# --- 6. compute-sanitizer, with what time is left ------------------------------------------------
# DeviceCuda.LaunchErrorsThrow_CUDA provokes an out-of-memory on purpose: memcheck would count it.
if ((gpu)) && command -v compute-sanitizer >/dev/null &&
  [ -x "$bundle/bin/freshet_kernels_tests" ]; then
  step memcheck-kernels 90 "${run[@]}" compute-sanitizer --tool memcheck --error-exitcode 1 \
    "$bundle/bin/freshet_kernels_tests" \
    --gtest_filter='*_CUDA*:-DeviceCuda.LaunchErrorsThrow_CUDA'
  summary+=("$(printf '%-34s %s' "memcheck kernels _CUDA" \
    "$(grep -m1 'ERROR SUMMARY' "$out/memcheck-kernels.log" || echo 'no summary (see log)')")")
fi

# --- the short table -----------------------------------------------------------------------------
{
  echo
  echo "================ gpu-check summary: $(date -u '+%Y-%m-%d %H:%M UTC') ================"
  echo "card: ${card:-none}"
  printf '%s\n' "${summary[@]}"
  echo "-- feature transform (max|gpu-cpu|: dense max abs diff, or 'N idx' = indices that differ)"
  cat "$out/feature_bench.txt" 2>/dev/null || echo "(no feature benchmark table)"
  echo "-- numeric transform, LibTorch tensor ops vs the fused kernel"
  cat "$out/torch_bench.txt" 2>/dev/null || echo "(no LibTorch comparison)"
  echo "failed steps: $failures; full log: $log"
} | tee -a "$log"
exit $((failures > 100 ? 100 : failures))
