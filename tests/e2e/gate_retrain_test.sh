#!/usr/bin/env bash
# End to end: the data gate inside `retrain` and `freshet validate` alone. A refused batch exits 5
# with the failing column and check on stderr, publishes nothing, and keeps its data_report.json
# with the run record; the first run infers schema.yaml; the cases found by trying freshet as a new
# user (one-class evaluation rows, a column missing in every training row, a zero-row partition)
# are refused naming the file or column; validate checks logged serving traffic without labels.
source "$(dirname "$0")/lib.sh"
setup_churn 6 1500
reg() { "$FRESHET" -q registry "$1" --registry "$work/registry" "${@:2}"; }
versions() { ls "$work/registry/churn" | grep -c '^v[0-9]*$'; }
h5() {  # h5 SRC DST PYTHON: copies a partition, then runs PYTHON on its datasets (dict `f`)
  "$py" - "$1" "$2" "$3" <<'PY'
import sys, h5py, numpy as np
src, dst, code = sys.argv[1:]
with h5py.File(src) as s, h5py.File(dst, "w") as f:
    for k in s:
        f.create_dataset(k, data=s[k][:])
    exec(code)
PY
}
for d in 1 2 3; do land $d; done
check "first run publishes" 0 "$(rc_of "$FRESHET" -q retrain -c "$work/churn.yaml")"
expect "the first run inferred schema.yaml beside the model" test -f "$work/registry/churn/schema.yaml"
expect "  ... which records the ranges and domains" \
  grep -q -E '^    (range|domain): \[' "$work/registry/churn/schema.yaml"
expect "the version holds profile.json, data_report.json and a copy of the schema" \
  test -f "$work/registry/churn/v000001/profile.json" -a -f "$work/registry/churn/v000001/data_report.json" -a -f "$work/registry/churn/v000001/schema.yaml"

# A column stored as strings: refused, exit 5, the report kept with the run.
h5 "$work/all/day-0004.h5" "$work/landing/day-0004.h5" \
  'del f["income"]; f.create_dataset("income", data=np.array([b"x"] * len(s["income"])), dtype=h5py.string_dtype())'
rc=0; "$FRESHET" -q retrain -c "$work/churn.yaml" 2> "$work/err.txt" || rc=$?
check "a retyped column exits 5" 5 $rc
expect "  ... stderr names the column and the check" grep -q 'UNEXPECTED_DATA_TYPE.*"income"' "$work/err.txt"
check "  ... nothing published" 1 "$(versions)"
run_report=$(ls "$work"/registry/churn/runs/*/data_report.json | tail -1)
check "  ... data_report.json kept with the run record" fail "$(json "$run_report" 'd["status"]')"
check "  ... the run's reason names the gate and the report" True \
  "$(jrun '"data gate" in d[0]["reason"] and "data_report.json" in d[0]["reason"]' reg runs churn --json)"
check "  ... validate alone says the same" 5 "$(rc_of "$FRESHET" -q validate -c "$work/churn.yaml")"

# One-class evaluation rows.
h5 "$work/all/day-0004.h5" "$work/landing/day-0004.h5" 'f["churned"][...] = 0'
rc=0; "$FRESHET" -q retrain -c "$work/churn.yaml" 2> "$work/err.txt" || rc=$?
check "evaluation rows of one class exit 5" 5 $rc
expect "  ... naming the file" grep -q 'LABEL_SINGLE_CLASS: .*day-0004.h5' "$work/err.txt"

# A numeric column missing in every training row (the newest training partition and the others).
rm "$work/landing/day-0004.h5"
mkdir -p "$work/nan"
for d in 1 2 3; do
  h5 "$work/all/day-000$d.h5" "$work/nan/day-000$d.h5" 'f["age"][...] = np.nan'
done
sed "s|landing: landing|landing: nan|; s|^registry:.*||" "$work/churn.yaml" > "$work/nan.yaml"
echo "registry: {path: registry-nan}" >> "$work/nan.yaml"
rc=0; "$FRESHET" -q retrain -c "$work/nan.yaml" 2> "$work/err.txt" || rc=$?
check "a column missing in every training row exits 5" 5 $rc
expect "  ... naming the column" grep -q 'FEATURE_TYPE_NOT_PRESENT: column "age"' "$work/err.txt"

# A zero-row training partition and a zero-row evaluation partition: each named.
mkdir -p "$work/empty"
cp "$work/all/day-0001.h5" "$work/all/day-0002.h5" "$work/empty/"
h5 "$work/all/day-0003.h5" "$work/empty/day-0003.h5" \
  'import numpy as np
for k in list(f): d = f[k][:0]; del f[k]; f.create_dataset(k, data=d, dtype=s[k].dtype)'
sed "s|landing: landing|landing: empty|; s|^registry:.*||" "$work/churn.yaml" > "$work/empty.yaml"
echo "registry: {path: registry-empty}" >> "$work/empty.yaml"
rc=0; "$FRESHET" -q retrain -c "$work/empty.yaml" 2> "$work/err.txt" || rc=$?
check "a zero-row evaluation partition exits 5" 5 $rc
expect "  ... naming the file" grep -q 'PARTITION_EMPTY: .*empty/day-0003.h5: the evaluation partition holds no rows' "$work/err.txt"
cp "$work/empty/day-0003.h5" "$work/empty/day-0002.h5"
cp "$work/all/day-0003.h5" "$work/empty/day-0003.h5"
rc=0; "$FRESHET" -q retrain -c "$work/empty.yaml" 2> "$work/err.txt" || rc=$?
check "a zero-row training partition exits 5" 5 $rc
expect "  ... naming the file" grep -q 'PARTITION_EMPTY: .*empty/day-0002.h5: the training partition holds no rows' "$work/err.txt"

# Logged serving traffic (CSV, no label column) against the champion.
"$py" - "$work/all/day-0005.h5" "$work/serving.csv" <<'PY'
import sys, h5py, csv
with h5py.File(sys.argv[1]) as f, open(sys.argv[2], "w", newline="") as out:
    cols = ["age", "income", "plan", "country"]
    w = csv.writer(out); w.writerow(cols)
    data = [f[c][:] for c in cols]
    for row in zip(*data):
        w.writerow([v.decode() if isinstance(v, bytes) else ("" if v != v else repr(float(v))) for v in row])
PY
rc=0; "$FRESHET" -q validate -c "$work/churn.yaml" --input "$work/serving.csv" --json > "$work/serving.json" || rc=$?
check "validate on serving logs without labels: exit 0" 0 $rc
check "  ... drift checked against the champion" v000001 "$(json "$work/serving.json" 'd["drift"]["reference"]')"
check "  ... every column's values reported" "age,country,income,plan" \
  "$(json "$work/serving.json" '",".join(sorted(d["drift"]["columns"]))')"
"$py" -c "
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
w = csv.writer(open(sys.argv[2], 'w', newline=''))
for r in rows: w.writerow([r[0], r[2], r[3]])" "$work/serving.csv" "$work/skew.csv"
rc=0; "$FRESHET" -q validate -c "$work/churn.yaml" --input "$work/skew.csv" > "$work/skew.txt" || rc=$?
check "serving logs missing a feature: exit 5" 5 $rc
expect "  ... the summary names it" grep -q 'SCHEMA_MISSING_COLUMN: .*skew.csv: column "income" is missing' "$work/skew.txt"
check "validate wrote nothing" 1 "$(versions)"
check "an unknown --against is a usage error" 2 \
  "$(rc_of "$FRESHET" -q validate -c "$work/churn.yaml" --against v000099 2>/dev/null)"
finish gate_retrain
