#!/usr/bin/env bash
# End to end: the promotion gate. A first run is promoted when it beats its fallback; a challenger
# made worse on purpose (a config whose features carry no signal) is published but kept out
# (exit 4, champion unchanged, held by `challenger`); `registry promote` refuses it without
# --force and records the override with it; `report` renders the page again; `shadow` judges a
# challenger on logged traffic and moves a staged one on to champion; a changed golden file stops
# the run. Needs $FRESHET; $FRESHET_PYTHON (numpy, h5py) reads JSON and HDF5.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
src=${FRESHET_SOURCE:-$(cd "$(dirname "$0")/../.." && pwd)}
reg=(--registry "$work/registry")
channel() { "$FRESHET" registry list churn "${reg[@]}" --json 2>/dev/null |
  "$py" -c "import json,sys; print(' '.join(v['version'] for v in json.load(sys.stdin) if '$1' in v['channels']))"; }

"$FRESHET" -q synth --out "$work/all" --days 9 --rows 3000 --seed 5 --drift-day 0
mkdir -p "$work/landing"
cp "$work"/all/day-000[1-3].h5 "$work/landing/"
cp "$work/all/day-0009.h5" "$work/golden.h5"
good_config() {  # good_config NAME [EXTRA YAML]
  cat > "$work/$1.yaml" <<YAML
model: churn
data: {landing: landing, pattern: "day-*.h5", label: churned, window: {train: 2, eval: 1}}
features:
  - {column: age,         type: numeric,     ops: [{fill: median}, standardize]}
  - {column: income,      type: numeric,     ops: [log1p, standardize]}
  - {column: sessions_7d, type: numeric,     ops: [{fill: 0}, standardize]}
  - {column: tenure_days, type: numeric,     ops: [standardize]}
  - {column: plan,        type: categorical, ops: [vocab]}
  - {column: country,     type: categorical, ops: [{vocab: {max_size: 32}}]}
model_spec: {kind: linear}
train: {epochs: 3, batch_size: 256, lr: 0.05, device: cpu}
evaluation:
  bootstrap: {resamples: 300, seed: 1}
  sets: [{name: latest}, {name: golden, files: [golden.h5]}]
  slices: [{column: country, top: 4}, {column: age, boundaries: [30, 50]}]
  min_slice_rows: 100
  product_metrics:
    - {name: value_per_row, payoff: {tp: 20, fp: -2, fn: -20, tn: 0}}
    - {name: precision_at_10pct, top_fraction: 0.1}
${2:-}
YAML
}
good_config good
# The same model, its features cut from the label: every numeric input clipped to one value, every
# category hashed into one bucket.
sed -e 's/ops: \[.*standardize\]}/ops: [{clip: [0, 0]}]}/' \
  -e 's/ops: \[vocab\]}/ops: [{hash: {buckets: 1}}]}/' \
  -e 's/ops: \[{vocab: {max_size: 32}}\]}/ops: [{hash: {buckets: 1}}]}/' \
  -e 's/^train: {/train: {warm_start: false, /' "$work/good.yaml" > "$work/broken.yaml"

# 1. The first run: no champion; promoted because it beats its fallback.
rc=0; "$FRESHET" -q retrain -c "$work/good.yaml" > "$work/out1.txt" || rc=$?
check "first run: exit 0" 0 $rc
expect "  ... stdout says the gate passed" grep -q "gate: pass; champion: v000001" "$work/out1.txt"
v1="$work/registry/churn/v000001"
check "  ... eval.json freshet.eval/2, first run, pass" "freshet.eval/2 True pass" \
  "$(json "$v1/eval.json" 'd["format"], d["gate"]["first_run"], d["gate"]["decision"]' | tr -d "(),'")"
check "  ... the champion rules skipped, the fallback rule applied" "True False" \
  "$(json "$v1/eval.json" '[r["skipped"] for r in d["gate"]["rules"]]' | tr -d "[],")"
check "  ... two sets, each scored by the challenger and the fallback" \
  "latest:challenger,fallback golden:challenger,fallback" \
  "$(json "$v1/eval.json" '" ".join(s["name"] + ":" + ",".join(sorted(s["models"])) for s in d["evaluation"]["sets"])')"
check "  ... the golden file's SHA-256 recorded" "$(sha256sum "$work/golden.h5" | cut -c1-64)" \
  "$(json "$v1/eval.json" 'd["evaluation"]["sets"][1]["files"][0]["sha256"]')"
expect "  ... slices of country and of age buckets" test \
  "$(json "$v1/eval.json" 'sorted(set(s["column"] for s in d["evaluation"]["sets"][0]["slices"]))')" = "['age', 'country']"
expect "  ... product metrics for each model" test \
  "$(json "$v1/eval.json" 'sorted(d["evaluation"]["sets"][0]["models"]["fallback"]["product_metrics"])')" = "['precision_at_10pct', 'value_per_row']"
expect "  ... report.html in the version, valid and self-contained" \
  "$py" "$src/tests/e2e/report_check.py" "$v1/report.html"
check "  ... champion v000001, challenger v000001" "v000001 v000001" "$(channel champion) $(channel challenger)"

# 2. A challenger worse on purpose is published but kept out.
cp "$work/all/day-0004.h5" "$work/landing/"
rc=0; "$FRESHET" retrain -c "$work/broken.yaml" > "$work/out2.txt" 2> "$work/err2.txt" || rc=$?
check "worse challenger: exit 4" 4 $rc
expect "  ... stdout says the gate failed and names the champion" \
  grep -q "published churn v000002 .*gate: FAIL; champion: v000001" "$work/out2.txt"
expect "  ... stderr gives the failed rule with its numbers" \
  grep -q "gate rule 'auc vs champion': FAIL: the upper 95% bound of the relative improvement of auc over the champion v000001" "$work/err2.txt"
check "  ... champion unchanged, challenger v000002" "v000001 v000002" "$(channel champion) $(channel challenger)"
v2="$work/registry/churn/v000002"
check "  ... eval.json: fail, held by challenger, nothing promoted" "fail challenger []" \
  "$(json "$v2/eval.json" 'd["gate"]["decision"], d["gate"]["held_by"], d["gate"]["promoted_to"]' | tr -d "(),'")"
expect "  ... the champion scored with its own features beats the challenger" "$py" -c "
import json,sys; s=json.load(open('$v2/eval.json'))['evaluation']['sets'][0]
m=s['models']; sys.exit(0 if m['champion']['metrics']['auc'] > m['challenger']['metrics']['auc'] + 0.05
  and s['comparisons']['champion']['auc']['improvement_upper'] < 0 else 1)"
check "  ... the run is recorded with exit 4" 4 \
  "$(jrun 'd[0]["exit_code"]' "$FRESHET" registry runs churn "${reg[@]}" --json)"
expect "  ... its reason says the gate kept the champion" test -n \
  "$(jrun 'd[0]["reason"]' "$FRESHET" registry runs churn "${reg[@]}" --json | grep "the gate kept champion v000001")"
rc=0; "$FRESHET" -q predict -c "$work/good.yaml" --input "$work/all/day-0005.h5" --output "$work/p.csv" > "$work/p.txt" || rc=$?
expect "  ... predict still scores with v000001" grep -q "of churn v000001" "$work/p.txt"

# 3. promote refuses it without --force; --force is recorded as such.
rc=0; "$FRESHET" registry promote churn 2 --channel champion --reason "try" "${reg[@]}" 2> "$work/err3.txt" || rc=$?
check "promote a gate failure: exit 4" 4 $rc
expect "  ... saying it did not pass the gate" grep -q "v000002 did not pass the promotion gate" "$work/err3.txt"
check "  ... champion unchanged" v000001 "$(channel champion)"
rc=0; "$FRESHET" -q registry promote churn 2 --channel champion --force --reason "on-call says so" "${reg[@]}" > /dev/null || rc=$?
check "promote --force: exit 0" 0 $rc
check "  ... champion v000002" v000002 "$(channel champion)"
expect "  ... the history records the override and its reason" test -n \
  "$(jrun '[e["reason"] for e in d if e["channel"] == "champion"][-1]' "$FRESHET" registry history churn "${reg[@]}" --json | grep '^FORCED past the gate (v000002 did not pass.*): on-call says so$')"
check "  ... report --json shows it forced" "champion" \
  "$(jrun 'd["gate"]["forced"]["channel"]' "$FRESHET" report churn 2 "${reg[@]}" --json)"
rc=0; (cd "$work" && "$FRESHET" -q report churn 2 "${reg[@]}" > /dev/null) || rc=$?
check "report: exit 0" 0 $rc
expect "  ... writes churn-v000002-report.html, valid and self-contained" \
  "$py" "$src/tests/e2e/report_check.py" "$work/churn-v000002-report.html"
expect "  ... which shows the forced chip" grep -q "forced by" "$work/churn-v000002-report.html"
"$FRESHET" -q registry rollback churn --reason "undo the override" "${reg[@]}" > /dev/null
check "rollback: champion v000001 again" v000001 "$(channel champion)"

# 4. A good challenger replaces the champion; fallback follows to the champion it replaced.
cp "$work/all/day-0005.h5" "$work/landing/"
rc=0; "$FRESHET" -q retrain -c "$work/good.yaml" > /dev/null || rc=$?
check "good challenger: exit 0" 0 $rc
check "  ... champion v000003, fallback v000001 (the champion it replaced)" "v000003 v000001" \
  "$(channel champion) $(channel fallback)"
check "  ... eval.json: the three models on both sets" "3 3" \
  "$(json "$work/registry/churn/v000003/eval.json" '" ".join(str(len(s["models"])) for s in d["evaluation"]["sets"])')"
check "  ... the history of the primary metric lists every version" "v000001 v000002 v000003" \
  "$(json "$work/registry/churn/v000003/eval.json" '" ".join(h["version"] for h in d["history"])')"

# 5. shadow: the broken v000002 against champion v000003 on labelled logged rows.
rc=0; "$FRESHET" -q shadow -c "$work/good.yaml" --input "$work/all/day-0007.h5" --challenger 2 --json > "$work/sh.json" || rc=$?
check "shadow of the worse version: exit 4" 4 $rc
check "  ... labelled, 3000 rows, the metric check failed" "True 3000 False" \
  "$(json "$work/sh.json" 'd["labelled"], d["rows"], [c["passed"] for c in d["checks"] if c["name"] == "max_metric_drop"][0]' | tr -d "(),'")"
expect "  ... agreement, flips and the score shift reported" "$py" -c "
import json,sys; d=json.load(open('$work/sh.json'))
sys.exit(0 if 0 <= d['agreement'] <= 1 and d['flips']['total'] == d['flips']['to_positive'] + d['flips']['to_negative']
  and d['score_shift']['psi'] > 0 and 'champion' in d['evaluation']['comparisons'] else 1)"
check "  ... recorded against v000002, failed" "1 False" \
  "$(jrun 'len(d["shadow"]), d["shadow"][0]["passed"]' "$FRESHET" report churn 2 "${reg[@]}" --json | tr -d "(),'")"
check "  ... no channel moved" "v000003" "$(channel champion)"
# Unlabelled logged traffic: no metrics, the rest is reported.
"$py" - "$work/all/day-0007.h5" "$work/logged.csv" <<'PY'
import sys, h5py, csv
f = h5py.File(sys.argv[1], "r")
cols = [c for c in f.keys() if c != "churned"]
data = {c: f[c][:] for c in cols}
with open(sys.argv[2], "w", newline="") as out:
    w = csv.writer(out); w.writerow(cols)
    for i in range(len(data[cols[0]])):
        w.writerow([(v.decode() if isinstance(v, bytes) else ("" if v != v else v)) for v in (data[c][i] for c in cols)])
PY
rc=0; "$FRESHET" -q shadow -c "$work/good.yaml" --input "$work/logged.csv" --challenger 1 --json > "$work/sh2.json" || rc=$?
check "shadow on unlabelled traffic: exit 0" 0 $rc
check "  ... unlabelled, no evaluation" "False False" \
  "$(json "$work/sh2.json" 'd["labelled"], "evaluation" in d' | tr -d "(),'")"

# 6. Stages: a passing challenger goes to shadow first; a passing shadow run makes it champion.
good_config staged "gate: {stages: [shadow]}"
cp "$work/all/day-0006.h5" "$work/landing/"
rc=0; "$FRESHET" -q retrain -c "$work/staged.yaml" > "$work/out6.txt" || rc=$?
check "staged: exit 0" 0 $rc
check "  ... shadow v000004, champion still v000003" "v000004 v000003" "$(channel shadow) $(channel champion)"
rc=0; "$FRESHET" registry promote churn 4 --channel champion --reason "skip shadow" "${reg[@]}" 2> "$work/err6.txt" || rc=$?
check "  ... promote to champion before a shadow run: exit 4" 4 $rc
expect "  ... saying a shadow run is needed" grep -q "no passing shadow run" "$work/err6.txt"
rc=0; "$FRESHET" shadow -c "$work/staged.yaml" --input "$work/all/day-0008.h5" > "$work/sh3.txt" 2>&1 || rc=$?
check "  ... shadow (the shadow channel's version): exit 0" 0 $rc
expect "  ... and says it was promoted" grep -q "shadow churn v000004 vs champion v000003 on 3000 rows: PASS; promoted to champion" "$work/sh3.txt"
check "  ... champion v000004, fallback v000003" "v000004 v000003" "$(channel champion) $(channel fallback)"
expect "  ... the move's reason cites the shadow run" test -n \
  "$(jrun '[e["reason"] for e in d if e["channel"] == "champion"][-1]' "$FRESHET" registry history churn "${reg[@]}" --json | grep '^the shadow run passed')"

# A passing shadow run never moves a version its gate kept out (v000002), even when the config
# now asks for stages: exit 4, nothing moved.
rc=0; "$FRESHET" shadow -c "$work/staged.yaml" --input "$work/logged.csv" --challenger 2 > "$work/sh4.txt" 2>&1 || rc=$?
check "shadow of a gate failure under stages: exit 4" 4 $rc
expect "  ... saying it did not pass the gate" grep -q "not promoted: v000002 did not pass the promotion gate" "$work/sh4.txt"
check "  ... champion still v000004" v000004 "$(channel champion)"
# A first run has no champion to shadow against: a staged config promotes it straight to champion.
sed 's/^model: churn/model: fresh/' "$work/staged.yaml" > "$work/fresh.yaml"
rc=0; "$FRESHET" -q retrain -c "$work/fresh.yaml" > /dev/null || rc=$?
check "a staged first run: exit 0" 0 $rc
check "  ... champion v000001" v000001 \
  "$("$FRESHET" registry list fresh "${reg[@]}" --json | "$py" -c "import json,sys; print(' '.join(v['version'] for v in json.load(sys.stdin) if 'champion' in v['channels']))")"

# 7. Bad input: a pinned golden file that changed stops the run (exit 5); a bad rule is exit 2.
good_config pinned "" 
sed -i "s|files: \[golden.h5\]|files: [{path: golden.h5, sha256: $(printf '0%.0s' $(seq 64))}]|" "$work/pinned.yaml"
cp "$work/all/day-0007.h5" "$work/landing/"
rc=0; "$FRESHET" -q retrain -c "$work/pinned.yaml" 2> "$work/err7.txt" || rc=$?
check "a changed golden file: exit 5" 5 $rc
expect "  ... naming the file and both checksums" grep -q "golden.h5: evaluation set \"golden\" pins SHA-256 0000" "$work/err7.txt"
check "  ... nothing published" "v000004" "$(ls "$work/registry/churn" | grep '^v' | tail -1)"
good_config badrule "gate: {rules: [{metric: auc_roc, min: 0.5}]}"
rc=0; "$FRESHET" -q retrain -c "$work/badrule.yaml" 2> "$work/err8.txt" || rc=$?
check "an unknown metric in a rule: exit 2" 2 $rc
expect "  ... naming the key" grep -q "gate.rules\[0\].metric: \"auc_roc\" is neither" "$work/err8.txt"
rc=0; "$FRESHET" -q shadow -c "$work/good.yaml" --input "$work/nope.h5" --challenger 2 2> "$work/err9.txt" || rc=$?
check "shadow of a missing file: exit 5" 5 $rc
expect "  ... naming it" grep -q "nope.h5" "$work/err9.txt"
rc=0; "$FRESHET" -q shadow -c "$work/good.yaml" --input "$work/all/day-0008.h5" 2> "$work/err10.txt" || rc=$?
check "shadow when the challenger is the champion: exit 2" 2 $rc
expect "  ... saying so" grep -q "v000004 is the champion" "$work/err10.txt"
rc=0; "$FRESHET" -q report churn 99 "${reg[@]}" 2> /dev/null || rc=$?
check "report of an unknown version: exit 2" 2 $rc
finish promotion_gate
