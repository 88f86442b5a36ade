#!/usr/bin/env bash
# Data-parallel retrain (issue 13): wall time of `freshet retrain` as 1 process and as 2 MPI ranks
# on the CPU, over the same synthetic data, median of 3 runs each (a fresh registry per run), with
# the train stage's own seconds from the manifest. One intra-op thread per process, so 2 ranks use
# the 2 cores that 1 process with 1 thread leaves idle; a second line gives 1 process 2 threads.
# usage: FRESHET=build/freshet scripts/bench/mpi_scaling.sh [DAYS] [ROWS_PER_DAY]
set -euo pipefail
F=${FRESHET:-build/freshet}
py=${FRESHET_PYTHON:-python3}
days=${1:-6}
rows=${2:-50000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

"$F" -q synth --out "$work/landing" --days "$days" --rows "$rows" --seed 3 --drift-day 0
cat > "$work/bench.yaml" <<'YAML'
model: churn
data: {landing: landing, pattern: "day-*.h5", label: churned, window: {train: 5, eval: 1}}
features:
  - {column: age,         type: numeric,     ops: [{fill: median}, standardize]}
  - {column: income,      type: numeric,     ops: [{fill: mean}, standardize]}
  - {column: sessions_7d, type: numeric,     ops: [{fill: 0}, standardize]}
  - {column: tenure_days, type: numeric,     ops: [standardize]}
  - {column: support_tickets, type: numeric, ops: [standardize]}
  - {column: plan,        type: categorical, ops: [{vocab: {min_count: 1}}]}
  - {column: country,     type: categorical, ops: [{hash: {buckets: 64}}]}
model_spec: {kind: mlp, hidden: [128, 64], dropout: 0}
train: {epochs: 3, batch_size: 512, lr: 0.003, device: cpu, seed: 1}
validate: {enabled: false}
registry: {path: REGISTRY}
YAML

one() {  # one COMMAND...: prints "seconds train_seconds" of a run into a fresh registry
  local dir t0 t1
  dir=$(mktemp -d "$work/run.XXXXXX")
  sed "s|REGISTRY|$dir/reg|" "$work/bench.yaml" > "$dir/bench.yaml"
  # The config sits beside the landing folder it names.
  ln -s "$work/landing" "$dir/landing"
  t0=$(date +%s.%N)
  "$@" -q retrain -c "$dir/bench.yaml" > /dev/null
  t1=$(date +%s.%N)
  "$py" -c "import json,sys; m=json.load(open(sys.argv[1])); s=m['stage_seconds']; print('%.2f %.2f' % ($t1-$t0, s['train']))" \
    "$dir/reg/churn/v000001/manifest.json"
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
measure() {  # measure LABEL COMMAND...
  local label=$1; shift
  local out=()
  for _ in 1 2 3; do out+=("$(one "$@")"); done
  local wall train
  wall=$(printf '%s\n' "${out[@]}" | cut -d' ' -f1 | median)
  train=$(printf '%s\n' "${out[@]}" | cut -d' ' -f2 | median)
  printf '| %-34s | %8s | %8s | %s |\n' "$label" "$wall" "$train" "$(printf '%s ' "${out[@]}" | tr ' ' ' ')"
}
echo "rows: $((days * rows)) ($days partitions of $rows; train on 5, evaluate on 1); $(nproc) cores"
echo "| run | wall s (median) | train s (median) | all runs (wall train) |"
echo "|---|---|---|---|"
OMP_NUM_THREADS=1 measure "1 process, 1 thread" "$F"
OMP_NUM_THREADS=1 measure "2 ranks (mpirun -np 2), 1 thread each" \
  mpirun --oversubscribe -np 2 -x OMP_NUM_THREADS "$F"
OMP_NUM_THREADS=2 measure "1 process, 2 threads" "$F"
