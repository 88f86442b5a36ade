#!/usr/bin/env bash
# The trainer's GPU check, in two halves (the GPU machines have CUDA and a Python with torch 2.11,
# h5py and safetensors, but no network and none of the -dev libraries freshet builds against):
#
#   scripts/bench/train_gpu.sh bundle BUILD_DIR   # here: copies freshet, freshet_torch_tests and
#                                                 # the shared libraries they need (not glibc's,
#                                                 # LibTorch's or CUDA's) into .train-gpu/
#   scripts/bench/train_gpu.sh run OUTDIR         # there, from the repository root, with
#                                                 # .train-gpu/ carried along
#
# `run`: checks that a GPU is visible; runs freshet_torch_tests (the _CUDA tests compare the GPU
# with the CPU); retrains on synthetic data on the GPU (resident, streamed through a small memory
# budget, bf16 + deterministic), scores with `freshet predict` there and checks the PyTorch rebuild
# (scripts/load_checkpoint.py) against it; then the training benchmark on the GPU
# (scripts/bench/train_bench.sh --device cuda). Logs go to OUTDIR; a summary is printed last.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bundle="$root/.train-gpu"

if [ "${1:-}" = bundle ]; then
  build=${2:?usage: train_gpu.sh bundle BUILD_DIR}
  rm -rf "$bundle" && mkdir -p "$bundle/bin" "$bundle/lib"
  for b in freshet tests/freshet_torch_tests; do
    cp "$build/$b" "$bundle/bin/" && strip --strip-debug "$bundle/bin/$(basename "$b")"
  done
  skip='^(linux-vdso|ld-linux|libc|libm|libdl|libpthread|librt|libutil|libresolv|libcuda|libcudart|libnvrtc|libstdc\+\+|libgcc_s)\.so'
  for b in "$bundle"/bin/*; do ldd "$b" | awk '$2 == "=>" && $3 ~ /^\// {print $1, $3}'; done |
    sort -u | while read -r name file; do
      case "$file" in */site-packages/* | /usr/local/cuda*) continue ;; esac
      [[ $name =~ $skip ]] && continue
      cp -L "$file" "$bundle/lib/$name" && chmod u+w "$bundle/lib/$name" &&
        strip --strip-unneeded "$bundle/lib/$name"
    done
  grep -q '^/.train-gpu/' "$root/.git/info/exclude" 2>/dev/null ||
    echo /.train-gpu/ >> "$root/.git/info/exclude"
  du -sh "$bundle"
  exit 0
fi

[ "${1:-}" = run ] || { echo "usage: train_gpu.sh bundle BUILD_DIR | run OUTDIR" >&2; exit 2; }
out=${2:?usage: train_gpu.sh run OUTDIR}
mkdir -p "$out" && out=$(cd "$out" && pwd)
summary=()
note() { summary+=("$*"); echo "$*"; }
card=$(nvidia-smi -L 2>&1) || card="none"
note "card: $card"
torch_lib=$(python3 -c 'import torch, os; print(os.path.dirname(torch.__file__) + "/lib")')
export LD_LIBRARY_PATH="$bundle/lib:$torch_lib:$torch_lib/../../nvidia/cu13/lib:/usr/local/cuda/lib64"
cat > /tmp/freshet <<SH
#!/usr/bin/env bash
exec "$bundle/bin/freshet" "\$@"
SH
chmod +x /tmp/freshet
export FRESHET=/tmp/freshet FRESHET_PYTHON=python3
"$FRESHET" --version || { note "freshet does not start here"; exit 1; }

# 1. The unit tests, _CUDA ones included.
timeout 240 "$bundle/bin/freshet_torch_tests" > "$out/tests.log" 2>&1
note "freshet_torch_tests: exit $? — $(grep -E '^\[  (PASSED|FAILED|SKIPPED) +\] [0-9]+ tests?' "$out/tests.log" | tr '\n' ' ')"
grep -E '^\[  FAILED' "$out/tests.log" | head -5

# 2. retrain / predict / PyTorch rebuild on the GPU.
w=/tmp/train-gpu-e2e
rm -rf "$w" && mkdir -p "$w"
"$FRESHET" -q synth --out "$w/all" --days 3 --rows 50000 --seed 4 --drift-day 0
mkdir -p "$w/landing" && cp "$w"/all/day-000[12].h5 "$w/landing/"
for variant in resident streamed bf16; do
  extra=""
  [ $variant = streamed ] && extra=", device_memory_budget_mb: 1"
  [ $variant = bf16 ] && extra=", precision: bf16, deterministic: true"
  cat > "$w/$variant.yaml" <<YAML
model: $variant
data: {landing: landing, pattern: "day-*.h5", label: churned, window: {train: 1, eval: 1}}
features:
  - {column: age,         type: numeric,     ops: [{fill: median}, standardize]}
  - {column: income,      type: numeric,     ops: [{fill: mean}, indicator, standardize]}
  - {column: tenure_days, type: numeric,     ops: [standardize]}
  - {column: country,     type: categorical, ops: [vocab]}
  - {column: user_id,     type: categorical, ops: [{hash: {buckets: 1024}}]}
model_spec: {kind: wide_deep, hidden: [64, 32], norm: batch}
train: {epochs: 2, batch_size: 1024, lr: 0.003, device: cuda$extra}
YAML
  "$FRESHET" retrain -c "$w/$variant.yaml" > "$w/$variant.out" 2> "$w/$variant.err"
  rc=$?
  "$FRESHET" -q predict -c "$w/$variant.yaml" --input "$w/all/day-0003.h5" --output "$w/$variant.h5" \
    --with-features >> "$w/$variant.out" 2>> "$w/$variant.err"
  rcp=$?
  python3 "$root/scripts/load_checkpoint.py" "$w/registry/$variant/v000001" --pt \
    --check "$w/$variant.h5" > "$w/$variant.check" 2>&1
  rcc=$?
  note "retrain $variant on cuda: exit $rc ($(grep -o 'AUC [0-9.]*' "$w/$variant.out"); $(grep -o 'features: .*' "$w/$variant.err" | head -1 | cut -c1-80)); predict exit $rcp; PyTorch rebuild: $(tail -1 "$w/$variant.check") (exit $rcc)"
  [ $rc -eq 0 ] || tail -3 "$w/$variant.err"
  cat "$w/$variant.err" "$w/$variant.check" > "$out/e2e-$variant.log"
done

# 3. The training benchmark on the GPU.
timeout 420 bash "$root/scripts/bench/train_bench.sh" --device cuda --runs "${RUNS:-3}" \
  --work /tmp/train-gpu-bench > "$out/bench.log" 2>&1
note "benchmark exit $?:"
summary+=("$(tail -4 "$out/bench.log")")
cp /tmp/train-gpu-bench/freshet-1.log "$out/bench-freshet-1.log" 2>/dev/null
summary+=("freshet run 1: $(grep -oE '(stage [a-z_]+ done in [0-9.]+ s|epoch [0-9/]+: .*batches, [0-9.]+ s\))' "$out/bench-freshet-1.log" | sed 's/train loss [0-9.]* //' | tr '\n' ';')")

echo "==================== train_gpu summary $(date -u '+%Y-%m-%d %H:%M UTC') ===================="
printf '%s\n' "${summary[@]}"
