#!/usr/bin/env bash
# Training benchmark: `freshet retrain` end to end against a plain PyTorch script with a standard
# DataLoader (scripts/bench/train_torch.py), on the same synthetic partitions, with the same MLP,
# batch size, optimiser and epochs, in the same run. Reports the median wall time of each over
# RUNS runs, their ratio, and the AUC of each on the held-out day.
#
#   scripts/bench/train_bench.sh [--rows-per-day N] [--days D] [--runs R] [--epochs E]
#                                [--batch-size B] [--device cpu|cuda] [--work DIR]
#
# Defaults: 10 training days of 100000 rows (1 M rows) + 1 held-out day, 3 runs, 2 epochs,
# batch 1024, MLP [64, 32] with 8-wide embeddings, AdamW lr 0.003. $FRESHET is the binary
# (default build/freshet), $FRESHET_PYTHON a Python with torch, h5py and numpy.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
freshet=${FRESHET:-$root/build/freshet}
py=${FRESHET_PYTHON:-python3}
rows=100000 days=10 runs=3 epochs=2 batch=1024 device=cpu work=""
while [ $# -gt 0 ]; do
  case $1 in
    --rows-per-day) rows=$2; shift 2 ;;
    --days) days=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --epochs) epochs=$2; shift 2 ;;
    --batch-size) batch=$2; shift 2 ;;
    --device) device=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[ -n "$work" ] || { work=$(mktemp -d); trap 'rm -rf "$work"' EXIT; }
mkdir -p "$work"

"$freshet" -q synth --out "$work/landing" --days $((days + 1)) --rows "$rows" --seed 1 --drift-day 0
rm -f "$work/landing/truth.json"
cat > "$work/bench.yaml" <<YAML
model: bench
data: {landing: landing, pattern: "day-*.h5", label: churned, window: {train: $days, eval: 1}}
features:
  - {column: age,             type: numeric,     ops: [{fill: median}, standardize]}
  - {column: income,          type: numeric,     ops: [{fill: mean}, standardize]}
  - {column: sessions_7d,     type: numeric,     ops: [{fill: 0}, standardize]}
  - {column: spend_30d,       type: numeric,     ops: [{fill: mean}, standardize]}
  - {column: tenure_days,     type: numeric,     ops: [standardize]}
  - {column: support_tickets, type: numeric,     ops: [standardize]}
  - {column: country,         type: categorical, ops: [vocab]}
  - {column: plan,            type: categorical, ops: [vocab]}
  - {column: device,          type: categorical, ops: [vocab]}
model_spec: {kind: mlp, hidden: [64, 32], embedding_dim: 8}
train: {epochs: $epochs, batch_size: $batch, lr: 0.003, optimizer: adamw, weight_decay: 0,
        seed: 42, warm_start: false, device: $device}
YAML

median() { sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
: > "$work/freshet.txt"
: > "$work/pytorch.txt"
for run in $(seq "$runs"); do
  rm -rf "$work/registry"
  start=$(date +%s.%N)
  "$freshet" retrain -c "$work/bench.yaml" > /dev/null 2> "$work/freshet-$run.log"
  end=$(date +%s.%N)
  auc=$("$py" -c "import json, sys; print(json.load(open(sys.argv[1]))['metrics']['auc'])" \
    "$work/registry/bench/v000001/eval.json")
  echo "$(awk "BEGIN {print $end - $start}") $auc" >> "$work/freshet.txt"
  cp "$work/registry/bench/v000001/manifest.json" "$work/manifest-$run.json"
  echo "run $run: freshet $(tail -1 "$work/freshet.txt")" >&2
  "$py" "$root/scripts/bench/train_torch.py" "$work/landing" --epochs "$epochs" \
    --batch-size "$batch" --device "$device" | "$py" -c "import json, sys; d = json.load(sys.stdin); print(d['seconds'], d['auc'])" \
    >> "$work/pytorch.txt"
  echo "run $run: pytorch $(tail -1 "$work/pytorch.txt")" >&2
done
f_s=$(cut -d' ' -f1 "$work/freshet.txt" | median)
f_auc=$(cut -d' ' -f2 "$work/freshet.txt" | median)
p_s=$(cut -d' ' -f1 "$work/pytorch.txt" | median)
p_auc=$(cut -d' ' -f2 "$work/pytorch.txt" | median)
echo "train rows $((rows * days)), eval rows $rows, epochs $epochs, batch $batch, device $device, runs $runs"
printf "freshet retrain (end to end): median %.1f s, AUC %.4f\n" "$f_s" "$f_auc"
printf "PyTorch + DataLoader:          median %.1f s, AUC %.4f\n" "$p_s" "$p_auc"
printf "speed-up %.2fx, AUC difference (freshet - PyTorch) %+.4f\n" \
  "$(awk "BEGIN {print $p_s / $f_s}")" "$(awk "BEGIN {print $f_auc - $p_auc}")"
# Where freshet's time went: the median seconds of each stage over the runs (manifest.json's
# stage_seconds; train.* are parts of the train stage).
"$py" - "$work"/manifest-*.json <<'PY'
import json, statistics, sys
runs = [json.load(open(p))["stage_seconds"] for p in sys.argv[1:]]
order = ["config", "discover", "ingest", "validate", "fit_features", "train", "train.features",
         "train.fallback", "train.main", "train.fit", "evaluate", "gate", "publish"]
names = [k for k in order if k in runs[0]] + sorted(k for k in runs[0] if k not in order)
print("freshet stages (median s): " + ", ".join(
    f"{k} {statistics.median(r.get(k, 0.0) for r in runs):.2f}" for k in names))
PY
