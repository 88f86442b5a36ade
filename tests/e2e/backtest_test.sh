#!/usr/bin/env bash
# `freshet backtest`: on 12 synthetic days with an abrupt drift on day 7, retraining every day
# recovers after the drift while retraining every 7 days keeps the pre-drift model, at a higher
# training cost; the JSON, the table and the HTML report; bad flags (exit 2), a bad config key
# (exit 2) and too few partitions (exit 3). Nothing is written to the registry.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
F=$FRESHET
src=${FRESHET_SOURCE:-$(cd "$(dirname "$0")/../.." && pwd)}

mkdir -p "$work/tmp"
export TMPDIR="$work/tmp"  # where the backtest keeps its models while it runs
"$F" -q synth --out "$work/landing" --days 12 --rows 3000 --seed 7 --drift-day 7
cat > "$work/churn.yaml" <<'YAML'
model: churn
data: {landing: landing, pattern: "day-*.h5", label: churned, window: {train: 3, eval: 1}}
features:
  - {column: age,         type: numeric,     ops: [{fill: median}, standardize]}
  - {column: income,      type: numeric,     ops: [{fill: median}, log1p, standardize]}
  - {column: sessions_7d, type: numeric,     ops: [{fill: 0}, {clip: [0, 30]}, standardize]}
  - {column: tenure_days, type: numeric,     ops: [standardize]}
  - {column: country,     type: categorical, ops: [{vocab: {max_size: 32}}]}
  - {column: plan,        type: categorical, ops: [vocab]}
model_spec: {kind: linear}
train: {epochs: 2, batch_size: 512, lr: 0.01, device: cpu, warm_start: true}
online: {learner: ftrl, batch_rows: 500}
YAML

"$F" -q backtest -c "$work/churn.yaml" --cadence 1,3,7 --online --json \
  --html "$work/backtest.html" > "$work/bt.json"
check "the backtest exits 0" 0 $?
check "JSON: format, metric and its direction" "freshet.backtest/1 auc True" \
  "$(json "$work/bt.json" "d['format'] + ' ' + d['metric'] + ' ' + str(d['higher_is_better'])")"
check "JSON: the cadences in order, online last" "k=1 k=3 k=7 online" \
  "$(json "$work/bt.json" "' '.join(c['name'] for c in d['cadences'])")"
check "JSON: every cadence has its compute fields" True \
  "$(json "$work/bt.json" "all(set(c) >= {'retrains','updates','train_seconds','train_rows','mean_metric','scores'} for c in d['cadences'])")"
# Window 3: every cadence is scored on day-0004 .. day-0012, the same 9 partitions.
check "every cadence is scored on the same partitions" "True 9 day-0004.h5" \
  "$(json "$work/bt.json" "str(len({tuple(s['partition'] for s in c['scores']) for c in d['cadences']}) == 1) + ' ' + str(len(d['cadences'][0]['scores'])) + ' ' + d['cadences'][0]['scores'][0]['partition']")"
check "retrains: every day 9, every 3 days 3, every 7 days 2, online 0" "9 3 2 0" \
  "$(json "$work/bt.json" "' '.join(str(c['retrains']) for c in d['cadences'])")"
check "k=7 scores day-0008 .. day-0010 with the model of day-0004 (pre-drift)" "4 4 4" \
  "$(json "$work/bt.json" "' '.join(str(s['trained_at'] + 1) for s in d['cadences'][2]['scores'] if s['partition'] in ('day-0008.h5','day-0009.h5','day-0010.h5'))")"
# The days after the drift (day 7): day 8 .. 10, which k=1 retrains into and k=7 does not.
after="[s['metric'] for s in d['cadences'][IDX]['scores'] if s['partition'] in ('day-0008.h5','day-0009.h5','day-0010.h5')]"
k1=$(json "$work/bt.json" "sum(${after//IDX/0}) / 3")
k7=$(json "$work/bt.json" "sum(${after//IDX/2}) / 3")
echo "     mean AUC on days 8-10: k=1 $k1, k=7 $k7"
check "after the drift, retraining daily beats retraining weekly" True \
  "$($py -c "print($k1 > $k7 + 0.01)")"
check "retraining daily costs more training rows than weekly" True \
  "$(json "$work/bt.json" "d['cadences'][0]['train_rows'] > 3 * d['cadences'][2]['train_rows'] > 0")"
check "... and more training seconds" True \
  "$(json "$work/bt.json" "d['cadences'][0]['train_seconds'] > d['cadences'][2]['train_seconds'] > 0")"
check "the online learner learnt every row once and has a metric on every day" "36000 True" \
  "$(json "$work/bt.json" "str(d['cadences'][3]['train_rows']) + ' ' + str(all(s['metric'] is not None for s in d['cadences'][3]['scores']))")"
check "no registry was made" no "$([ -e "$work/registry" ] && echo yes || echo no)"
check "no temporary model folder is left" 0 "$(ls -A "$work/tmp" | wc -l)"

expect "the HTML report exists" test -s "$work/backtest.html"
check "it holds an inline SVG chart" 1 "$(grep -c '<svg data-chart="backtest"' "$work/backtest.html")"
expect "the HTML report is one self-contained page with its two charts" \
  "$py" "$src/tests/e2e/report_check.py" "$work/backtest.html" --charts backtest,backtest-online

"$F" -q backtest -c "$work/churn.yaml" --cadence 7 > "$work/table.txt"
check "the table: exit 0" 0 $?
check "the table has a row per scored day" 9 "$(grep -c '^day-00' "$work/table.txt")"
check "the table has the compute of the cadence" 1 "$(grep -c '^k=7 ' "$work/table.txt")"

# Bad input.
for bad in 0 x 1,1 "" 1,,3 -2; do
  rc=0; "$F" backtest -c "$work/churn.yaml" --cadence "$bad" > /dev/null 2> "$work/err" || rc=$?
  check "--cadence '$bad': exit 2" 2 $rc
  check "--cadence '$bad': one line naming the flag" 1 "$(grep -c -- '--cadence' "$work/err")"
done
sed 's/epochs: 2/epochs: two/' "$work/churn.yaml" > "$work/bad.yaml"
rc=0; "$F" backtest -c "$work/bad.yaml" --cadence 1 > /dev/null 2> "$work/err" || rc=$?
check "a bad config: exit 2" 2 $rc
check "... naming the key" 1 "$(grep -c 'train.epochs' "$work/err")"
mkdir -p "$work/few"
cp "$work/landing/day-0001.h5" "$work/landing/day-0002.h5" "$work/landing/day-0003.h5" "$work/few/"
sed 's/landing: landing/landing: few/' "$work/churn.yaml" > "$work/few.yaml"
rc=0; "$F" backtest -c "$work/few.yaml" --cadence 1 > /dev/null 2> "$work/err" || rc=$?
check "3 partitions with a window of 3: exit 3" 3 $rc
check "... one line naming the folder and the counts" 1 \
  "$(grep -c "$work/few holds 3 partition(s).*needs at least 4" "$work/err")"

finish backtest
