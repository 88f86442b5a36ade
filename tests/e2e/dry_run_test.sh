#!/usr/bin/env bash
# `freshet retrain --dry-run`: the plan and the exit code the real run would give (3 no new data,
# 5 data refused, 6 locked, 0 would publish), with nothing written: the registry's files are
# byte-identical before and after, and no run is recorded.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
F=$FRESHET
# Every file but SQLite's shared-memory and WAL files, which any reader of a WAL database opens.
snapshot() {
  (cd "$work" && find registry -type f ! -name '*-shm' ! -name '*-wal' -exec md5sum {} + | sort | md5sum)
}

setup_churn 4 200
check "no data yet: exit 3" 3 "$(rc_of "$F" -q retrain -c "$work/churn.yaml" --dry-run)"
check "nothing was created" no "$([ -e "$work/registry" ] && echo yes || echo no)"
land 1; land 2
check "a first run: exit 0" 0 "$(rc_of "$F" -q retrain -c "$work/churn.yaml" --dry-run)"
check "still nothing created" no "$([ -e "$work/registry" ] && echo yes || echo no)"
"$F" -q retrain -c "$work/churn.yaml" --dry-run --json > "$work/plan.json"
check "the plan lists both partitions" "train eval" "$(json "$work/plan.json" "' '.join(i['role'] for i in d['inputs'])")"
check "the plan says what would be trained" mlp "$(json "$work/plan.json" "d['train']['model']")"
check "the real run agrees: exit 0" 0 "$(rc_of "$F" -q retrain -c "$work/churn.yaml")"
before=$(snapshot)
check "the same partitions again: exit 3" 3 "$(rc_of "$F" -q retrain -c "$work/churn.yaml" --dry-run)"
land 3
"$F" -q retrain -c "$work/churn.yaml" --dry-run --json > "$work/plan2.json"
check "new data: exit 0, warm start from the champion" "0 v000001" \
  "$(json "$work/plan2.json" "str(d['exit_code']) + ' ' + str(d['train']['warm_start_from'])")"
expect "the data gate ran" $py -c "import json,sys; sys.exit(0 if json.load(open('$work/plan2.json'))['data_gate']['status'] in ('pass','warn') else 1)"
check "the registry is byte-identical after dry runs" "$before" "$(snapshot)"
check "no run was recorded by them" 1 "$("$F" -q registry runs churn -c "$work/churn.yaml" | grep -c '^[0-9]')"
hold_lock "$work/registry/churn/.lock" 3
check "a held lock: exit 6" 6 "$(rc_of "$F" -q retrain -c "$work/churn.yaml" --dry-run)"
wait "$holder"
# A partition the data gate refuses (every label missing).
$py - "$work/landing/day-0003.h5" <<'PY'
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r+") as f:
    n = f["churned"].shape[0]
    del f["churned"]
    f["churned"] = np.full(n, np.nan)
PY
check "refused data: exit 5" 5 "$(rc_of "$F" -q retrain -c "$work/churn.yaml" --dry-run 2>/dev/null)"
check "the real run agrees: exit 5" 5 "$(rc_of "$F" -q retrain -c "$work/churn.yaml" 2>/dev/null)"
finish dry_run
