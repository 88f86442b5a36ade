#!/usr/bin/env bash
# Data-parallel retrain (issue 13): the same run as one process and as 2 MPI ranks on the CPU gives
# the same feature state and profile (byte for byte), the same weights within a float tolerance,
# one published version and one recorded run; a rank killed mid-training makes the job fail with
# nothing published; a data gate that fails on one rank's partitions stops every rank (exit 5).
# Skips (77) only when mpirun or freshet's MPI library is missing.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
F=$FRESHET
command -v mpirun > /dev/null || { echo "SKIP: no mpirun on PATH"; exit 77; }
[ -f "$(dirname "$F")/libfreshet_mpi.so" ] ||
  { echo "SKIP: freshet was built without MPI (no libfreshet_mpi.so beside $F)"; exit 77; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# One intra-op thread per process, the same for both runs: 2 cores, 2 ranks.
export OMP_NUM_THREADS=1
mpi() { mpirun --oversubscribe -np 2 -x OMP_NUM_THREADS -x FRESHET_DATA_PARALLEL "$@"; }
# Max abs difference allowed between the weights of 1 and 2 ranks: the only difference is the
# order of float32 sums (each batch's gradient is two stripes' sums added, not one sum), so the
# tolerance is a few float32 roundings grown over the run's steps. The runs use SGD, whose step is
# proportional to the gradient: Adam's is not (it divides by the gradient's running scale), so a
# parameter whose gradient is all but zero (a ReLU unit on the edge of dying) takes an lr-sized
# step from a rounding difference, and two equally right Adam runs can end 0.05 apart.
tol=1e-5

"$F" -q synth --out "$work/all" --days 6 --rows 3000 --seed 21 --drift-day 0
mkdir -p "$work/landing"
cp "$work"/all/day-000[1-4].h5 "$work/landing/"
config() {  # config NAME REGISTRY EPOCHS
  cat > "$work/$1.yaml" <<YAML
model: churn
data: {landing: landing, pattern: "day-*.h5", label: churned, window: {train: 3, eval: 1}}
features:
  - {column: age,         type: numeric,     ops: [{fill: median}, standardize]}
  - {column: income,      type: numeric,     ops: [{fill: mean}, {bucketize: {quantiles: 8}}]}
  - {column: sessions_7d, type: numeric,     ops: [{fill: 0}, standardize]}
  - {column: tenure_days, type: numeric,     ops: [standardize]}
  - {column: plan,        type: categorical, ops: [{vocab: {min_count: 1}}]}
  - {column: country,     type: categorical, ops: [{hash: {buckets: 32}}]}
model_spec: {kind: mlp, hidden: [16], dropout: 0}
train: {epochs: $3, batch_size: 128, lr: 0.05, optimizer: sgd, device: cpu, seed: 5}
registry: {path: $2}
YAML
}
config one regA 4
config two regB 4

rc=0; "$F" -q retrain -c "$work/one.yaml" > "$work/one.out" 2> "$work/one.err" || rc=$?
check "1 process publishes" 0 $rc
rc=0; mpi "$F" retrain -c "$work/two.yaml" > "$work/two.out" 2> "$work/two.err" || rc=$?
check "2 ranks publish" 0 $rc
[ $rc -eq 0 ] || tail -20 "$work/two.err"
# The work was split: rank 0 read 2 of the 4 partitions, and waited for rank 1 to finish training.
expect "rank 0 read its share (2 partitions) of 4" grep -q "rank 0 of 2: read 2 partition(s); gathered 9000 training and 3000 evaluation rows" "$work/two.err"
expect "rank 0 published after both ranks finished training" grep -q "all 2 ranks finished training" "$work/two.err"
a="$work/regA/churn/v000001" b="$work/regB/churn/v000001"
expect "one line of output (rank 0's)" test "$(grep -c '^published churn v000001' "$work/two.out")" = 1
expect "features.json identical" cmp -s "$a/features.json" "$b/features.json"
expect "profile.json identical" cmp -s "$a/profile.json" "$b/profile.json"
expect "schema.yaml identical" cmp -s "$a/schema.yaml" "$b/schema.yaml"
check "the manifests record the same inputs and rows" \
  "$(json "$a/manifest.json" '[(i["sha256"], i["rows"], i["role"]) for i in d["inputs"]]')" \
  "$(json "$b/manifest.json" '[(i["sha256"], i["rows"], i["role"]) for i in d["inputs"]]')"
cat > "$work/diff.py" <<'PY'
import sys
from safetensors.numpy import load_file
a, b = load_file(sys.argv[1]), load_file(sys.argv[2])
assert sorted(a) == sorted(b), (sorted(a), sorted(b))
worst = max(float(abs(a[k].astype("float64") - b[k].astype("float64")).max()) for k in a)
moved = max(float(abs(a[k].astype("float64")).max()) for k in a)
print("%.3g %.3g" % (worst, moved))
PY
for m in model model.fallback; do
  read -r d scale < <("$py" "$work/diff.py" "$a/$m.safetensors" "$b/$m.safetensors")
  echo "     $m.safetensors: max abs difference $d (largest weight $scale)"
  expect "$m weights within $tol" "$py" -c "import sys; sys.exit(0 if float('$d') <= $tol else 1)"
done
check "the same number of optimiser steps" "$(json "$a/eval.json" 'd["model"]["steps"]')" \
  "$(json "$b/eval.json" 'd["model"]["steps"]')"
auc() { json "$1/eval.json" 'round(d["metrics"]["auc"], 4)'; }
check "the same AUC to 4 places" "$(auc "$a")" "$(auc "$b")"
versions() { ls "$work/$1/churn" | grep -c '^v[0-9]'; }
runs() { "$py" -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT count(*) FROM runs').fetchone()[0])" "$work/$1/index.sqlite"; }
check "2 ranks publish exactly one version" 1 "$(versions regB)"
check "  ... and record one run" 1 "$(runs regB)"

# No new data: every rank exits 3.
rc=0; mpi "$F" -q retrain -c "$work/two.yaml" > /dev/null 2>&1 || rc=$?
check "2 ranks, no new data: exit 3" 3 $rc

# A rank killed mid-training: mpirun fails, nothing is published, no draft is left.
cp "$work/all/day-0005.h5" "$work/landing/"
config long regB 400
mpi "$F" retrain -c "$work/long.yaml" > "$work/kill.out" 2>&1 &
job=$!
rank1=""
for _ in $(seq 1 600); do
  if grep -q "epoch 1/" "$work/kill.out"; then
    for p in $(pgrep -f "retrain -c $work/long.yaml"); do
      [ "$p" = "$job" ] && continue
      tr '\0' '\n' < "/proc/$p/environ" 2>/dev/null | grep -qx OMPI_COMM_WORLD_RANK=1 && rank1=$p
    done
    break
  fi
  sleep 0.1
done
expect "found rank 1 training (pid ${rank1:-none})" test -n "$rank1"
[ -n "$rank1" ] && kill -9 "$rank1"
rc=0; wait $job || rc=$?
expect "mpirun fails when rank 1 is killed (exit $rc)" test $rc -ne 0
grep -q "^published" "$work/kill.out" && echo "FAIL: published after the kill" && fails=$((fails + 1))
check "nothing published after the kill" 1 "$(versions regB)"
expect "no draft or temporary folder left" \
  test -z "$(ls -A "$work/regB/churn" | grep -v -E '^(v[0-9]+|\.lock|schema\.yaml|runs)$')"
check "fsck clean" 0 "$(rc_of "$F" -q registry fsck --registry "$work/regB")"
expect "independent check clean" "$py" "$(dirname "$0")/registry_check.py" "$work/regB" churn

# A partition that only rank 1 reads (the 4th of days 2-5) fails the data gate: every rank stops,
# the job exits 5, rank 0 says another rank's partitions failed and rank 1's log names the check.
"$py" - "$work/all/day-0005.h5" "$work/landing/day-0005.h5" <<'PY'
import sys, h5py, numpy as np
with h5py.File(sys.argv[1]) as s, h5py.File(sys.argv[2], "w") as f:
    for k in s:
        if k != "income": f.create_dataset(k, data=s[k][:])
    f.create_dataset("income", data=np.array([b"x"] * len(s["income"])), dtype=h5py.string_dtype())
PY
rc=0; mpi "$F" -q retrain -c "$work/two.yaml" > "$work/gate.out" 2>&1 || rc=$?
check "a bad partition on rank 1: the job exits 5" 5 $rc
expect "  ... rank 0 says another rank's partitions failed" \
  grep -q "data gate failed on another rank's partitions" "$work/gate.out"
expect "  ... rank 1's log names the column and the check" \
  grep -q 'UNEXPECTED_DATA_TYPE.*"income"' "$work/gate.out"
check "  ... nothing published" 1 "$(versions regB)"
check "  ... the run's reason says so" True "$(jrun '"another rank" in d[0]["reason"]' \
  "$F" -q registry runs churn --registry "$work/regB" --json)"
expect "  ... the data report kept with the run record" \
  test -n "$(ls "$work"/regB/churn/runs/*/data_report.json 2>/dev/null)"

finish mpi
