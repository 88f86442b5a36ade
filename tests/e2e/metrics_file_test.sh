#!/usr/bin/env bash
# `freshet retrain --metrics-file`: a node_exporter textfile of the last run, written atomically
# whatever the outcome (published, no new data, locked, a bad config), in Prometheus' text format.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
F=$FRESHET
prom="$work/textfile/freshet_churn.prom"
mkdir -p "$work/textfile"
# valid FILE: every line a comment or `name{labels} value`, with HELP and TYPE for each family.
valid() {
  $py - "$1" <<'PY'
import re, sys
sample = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*",?)*\})? (NaN|[+-]Inf|-?[0-9.eE+-]+)$')
typed = set()
for line in open(sys.argv[1]):
    line = line.rstrip("\n")
    if line.startswith("# TYPE "):
        typed.add(line.split()[2])
    elif not line.startswith("#") and line:
        if not sample.match(line) or line.split("{")[0].split(" ")[0] not in typed:
            sys.exit("bad line: " + line)
PY
}
value() { grep -E "^$1 " "$prom" | awk '{print $2}'; }

setup_churn 3 200
for d in 1 2; do land $d; done
check "retrain publishes" 0 "$(rc_of "$F" -q retrain -c "$work/churn.yaml" --metrics-file "$prom")"
expect "the textfile is valid exposition text" valid "$prom"
check "exit code 0" 0 "$(value 'freshet_retrain_last_run_exit_code\{model="churn"\}')"
check "status published" 1 "$(value 'freshet_retrain_last_run_status\{model="churn",status="published"\}')"
check "status failed is 0" 0 "$(value 'freshet_retrain_last_run_status\{model="churn",status="failed"\}')"
check "the published version" 1 "$(value 'freshet_retrain_published_version\{model="churn"\}')"
check "the champion" 1 "$(value 'freshet_retrain_champion_version\{model="churn"\}')"
expect "a duration per stage" grep -q '^freshet_retrain_stage_duration_seconds{model="churn",stage="train"} ' "$prom"
expect "the main metrics" grep -q '^freshet_retrain_metric{metric="auc",model="churn"} 0\.' "$prom"
expect "the gate decision" grep -q '^freshet_retrain_gate_passed{model="churn"} 1' "$prom"
expect "the data-gate counts" grep -q '^freshet_retrain_data_anomalies{model="churn",severity="fail"} 0' "$prom"
check "no temporary file is left beside it" 1 "$(ls -A "$work/textfile" | wc -l)"

check "a rerun with no new data exits 3" 3 "$(rc_of "$F" -q retrain -c "$work/churn.yaml" --metrics-file "$prom")"
check "its status is no_new_data" 1 "$(value 'freshet_retrain_last_run_status\{model="churn",status="no_new_data"\}')"
check "it published nothing" "" "$(value 'freshet_retrain_published_version\{model="churn"\}')"

land 3
hold_lock "$work/registry/churn/.lock" 3
check "a locked run exits 6" 6 "$(rc_of "$F" -q retrain -c "$work/churn.yaml" --metrics-file "$prom")"
wait "$holder"
check "its status is locked" 1 "$(value 'freshet_retrain_last_run_status\{model="churn",status="locked"\}')"

sed 's/epochs: 1/epochs: many/' "$work/churn.yaml" > "$work/bad.yaml"
check "a bad config exits 2" 2 "$(rc_of "$F" -q retrain -c "$work/bad.yaml" --metrics-file "$work/textfile/bad.prom" 2>/dev/null)"
expect "its textfile says usage_error, labelled by the config's name" \
  grep -q '^freshet_retrain_last_run_status{model="bad",status="usage_error"} 1' "$work/textfile/bad.prom"
finish metrics_file
