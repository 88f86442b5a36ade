#!/usr/bin/env bash
# End to end: synth → retrain → no new data (3) → new day → warm-started v000002; bad inputs give
# their exit codes and write nothing. Needs $FRESHET (the binary); $FRESHET_PYTHON reads JSON.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
versions() { ls "$work/registry/churn" 2>/dev/null | grep -c '^v' ; }
no_temp() { [ -z "$(ls -A "$work/registry/churn" | grep -v -E '^(v[0-9]*|\.lock|schema\.yaml|runs)$')" ]; }

"$FRESHET" -q synth --out "$work/all" --days 5 --rows 4000 --seed 11 --drift-day 0
mkdir -p "$work/landing"
cp "$work"/all/day-000[1-3].h5 "$work/landing/"
cat > "$work/churn.yaml" <<'YAML'
model: churn
data: {landing: landing, pattern: "day-*.h5", label: churned, window: {train: 2, eval: 1}}
features:
  - {column: age,         type: numeric,     ops: [{fill: median}, standardize]}
  - {column: income,      type: numeric,     ops: [standardize]}
  - {column: sessions_7d, type: numeric,     ops: [{fill: 0}, standardize]}
  - {column: tenure_days, type: numeric,     ops: [standardize]}
  - {column: support_tickets, type: numeric, ops: [standardize]}
  - {column: plan,        type: categorical, ops: [{hash: {buckets: 8}}]}
  - {column: country,     type: categorical, ops: [{hash: {buckets: 32}}]}
model_spec: {kind: mlp, hidden: [16]}
train: {epochs: 4, batch_size: 256, lr: 0.01, device: cpu}
YAML

rc=0; "$FRESHET" -q retrain -c "$work/churn.yaml" > "$work/out1.txt" || rc=$?
check "first retrain publishes" 0 $rc
v1="$work/registry/churn/v000001"
for f in model.pt features.json manifest.json eval.json; do
  expect "v000001 has $f" test -s "$v1/$f"
done
expect "stdout names the version and AUC" grep -q "published churn v000001 .*AUC" "$work/out1.txt"
auc=$(json "$v1/eval.json" 'd["metrics"]["auc"]')
expect "AUC well above 0.5 (got $auc)" "$py" -c "import sys; sys.exit(0 if float('$auc') > 0.65 else 1)"
expect "eval.json records the main model and its training" \
  test "$(json "$v1/eval.json" '(d["model"]["kind"], d["train"]["loss"], len(d["model"]["history"]))')" = "('mlp', 'bce', 4)"
fb_auc=$(json "$v1/eval.json" 'd["fallback"]["metrics"]["auc"]')
expect "eval.json records the linear fallback's AUC (got $fb_auc)" \
  "$py" -c "import sys; sys.exit(0 if float('$fb_auc') > 0.6 else 1)"
check "model.json describes the architecture" "mlp [16] 5" \
  "$(json "$v1/model.json" 'd["kind"], d["hidden"], d["dense_dim"]' | tr -d "(),'")"
expect "manifest records 3 inputs with sha256" \
  test "$(json "$v1/manifest.json" 'sum(len(i["sha256"]) == 64 for i in d["inputs"])')" = 3
expect "manifest records artifact checksums" \
  test "$(json "$v1/manifest.json" 'sorted(d["artifacts"])')" = "['data_report.json', 'eval.json', 'features.json', 'model.fallback.json', 'model.fallback.pt', 'model.fallback.safetensors', 'model.json', 'model.pt', 'model.safetensors', 'profile.json', 'report.html', 'schema.yaml']"

rc=0; "$FRESHET" -q retrain -c "$work/churn.yaml" || rc=$?
check "no new data exits 3" 3 $rc
check "no new data writes nothing" 1 "$(versions)"

cp "$work/all/day-0004.h5" "$work/landing/"
rc=0; "$FRESHET" -q retrain -c "$work/churn.yaml" || rc=$?
check "new day publishes v000002" 0 $rc
expect "v000002 warm-started from v000001" \
  test "$(json "$work/registry/churn/v000002/manifest.json" 'd["warm_started_from"]')" = v000001
expect "  ... and so did its fallback" \
  test "$(json "$work/registry/churn/v000002/eval.json" 'd["fallback"]["warm_started"]')" = True
rc=0; "$FRESHET" -q retrain -c "$work/churn.yaml" || rc=$?
check "third run with no new data exits 3" 3 $rc

# Bad input: nothing is published, nothing half-written is left.
head -c 20000 "$work/all/day-0005.h5" > "$work/landing/day-0005.h5"
rc=0; "$FRESHET" -q retrain -c "$work/churn.yaml" 2> "$work/err.txt" || rc=$?
check "truncated partition exits 5" 5 $rc
expect "error names the file" grep -q "day-0005.h5" "$work/err.txt"
check "truncated partition writes nothing" 2 "$(versions)"
expect "no temporary folder left" no_temp

sed 's/column: plan, /column: plan_tier, /' "$work/churn.yaml" > "$work/missing.yaml"
cp "$work/all/day-0005.h5" "$work/landing/day-0005.h5"
rc=0; "$FRESHET" -q retrain -c "$work/missing.yaml" 2> "$work/err.txt" || rc=$?
check "missing column exits 5" 5 $rc
expect "error names the column" grep -q "plan_tier" "$work/err.txt"

sed 's/lr: 0.01/lr: fast/' "$work/churn.yaml" > "$work/bad.yaml"
rc=0; "$FRESHET" -q retrain -c "$work/bad.yaml" 2> "$work/err.txt" || rc=$?
check "bad config value exits 2" 2 $rc
expect "error names the key path" grep -q 'train.lr: expected a number, got "fast"' "$work/err.txt"
sed 's/lr: 0.01/lr: 0.003, lr: -5/' "$work/churn.yaml" > "$work/dup.yaml"
rc=0; "$FRESHET" -q retrain -c "$work/dup.yaml" 2> "$work/err.txt" || rc=$?
check "a key given twice exits 2" 2 $rc
expect "error names the key" grep -q 'dup.yaml: train.lr: duplicate key' "$work/err.txt"
rc=0; "$FRESHET" -q retrain -c "$work/nope.yaml" 2>/dev/null || rc=$?
check "missing config exits 2" 2 $rc
rc=0; "$FRESHET" retrain --bogus 2>/dev/null || rc=$?
check "unknown flag exits 2" 2 $rc

if command -v flock >/dev/null; then
  hold_lock "$work/registry/churn/.lock" 3
  rc=0; "$FRESHET" -q retrain -c "$work/churn.yaml" 2>/dev/null || rc=$?
  check "a held lock exits 6" 6 $rc
  wait
fi
check "bad inputs changed no version" 2 "$(versions)"

rc=0; "$FRESHET" --log-format json retrain -c "$work/churn.yaml" 2> "$work/log.json" >/dev/null || rc=$?
check "retrain with the good day 5 publishes" 0 $rc
expect "json logs parse, one object a line" "$py" -c "
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert lines and all('msg' in json.loads(l) for l in lines)" "$work/log.json"

echo "e2e retrain: $passes checks passed, $fails failed"
[ $fails -eq 0 ]
