#!/usr/bin/env bash
# One fault, one error: the same truncated features.json is exit 1, with a message naming the file,
# from every verb that reads it (retrain warm-starting from it, predict scoring with it, features
# transform given it as --state).
set -uo pipefail
source "$(dirname "$0")/lib.sh"
F=$FRESHET
setup_churn 4 300
for d in 1 2 3; do land $d; done
"$F" -q retrain -c "$work/churn.yaml" > /dev/null
state="$work/registry/churn/v000001/features.json"
head -c 200 "$state" > "$work/t" && cat "$work/t" > "$state"
cp "$state" "$work/truncated.json"

land 4
out=$("$F" -q retrain -c "$work/churn.yaml" 2>&1); rc=$?
check "retrain: exit 1" 1 $rc
expect "  ... naming the file" grep -q "v000001/features.json: 200 bytes, manifest.json records" <<<"$out"
out=$("$F" -q predict -c "$work/churn.yaml" --input "$work/all/day-0001.h5" --output "$work/p.csv" 2>&1); rc=$?
check "predict: exit 1" 1 $rc
expect "  ... naming the file" grep -q "v000001/features.json: 200 bytes" <<<"$out"
out=$("$F" -q features transform --state "$work/truncated.json" --input "$work/all/day-0001.h5" \
  --output "$work/f.csv" 2>&1); rc=$?
check "features transform: exit 1" 1 $rc
expect "  ... naming the file" grep -q "truncated.json: not valid JSON" <<<"$out"
out=$("$F" -q features fit -c "$work/churn.yaml" --previous "$work/truncated.json" \
  --input "$work/all/day-0001.h5" --out "$work/g.json" 2>&1); rc=$?
check "features fit --previous: exit 1" 1 $rc
finish artifact_errors
