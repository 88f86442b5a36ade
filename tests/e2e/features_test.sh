#!/usr/bin/env bash
# End to end: synth → `features fit` with several ops → `features transform` to .csv and .h5 (read
# back with h5py: columns, rows, index ranges from features.json) → `--previous` grows a vocabulary
# without moving old indices; a bad state exits 5, an unknown output extension 2, `--device cuda`
# without a GPU 2. Each freshet start costs seconds (LibTorch), so the script starts it eight times;
# config errors and malformed states are covered by the unit tests. Needs $FRESHET (the binary) and
# $FRESHET_PYTHON (numpy, h5py).
set -uo pipefail
source "$(dirname "$0")/lib.sh"
pycheck() {  # pycheck NAME SCRIPT ARGS...: the Python script must exit 0 (it prints why not)
  if "$py" -c "$2" "${@:3}"; then echo "ok   $1"; passes=$((passes + 1));
  else echo "FAIL $1"; fails=$((fails + 1)); fi
}

"$FRESHET" -q synth --out "$work/data" --days 3 --rows 3000 --seed 5 --drift-day 3 ||
  { echo "FAIL synth"; exit 1; }
d1="$work/data/day-0001.h5" d2="$work/data/day-0002.h5" d3="$work/data/day-0003.h5"

cat > "$work/features.yaml" <<'YAML'
model: feat
data: {landing: data, pattern: "day-*.h5", label: churned}
features:
  - {column: age,             type: numeric, ops: [{fill: median}, indicator, {clip: [18, 80]}, standardize]}
  - {column: income,          type: numeric, ops: [log1p, minmax]}
  - {column: sessions_7d,     type: numeric, ops: [indicator, {bucketize: {quantiles: 5}}]}
  - {column: tenure_days,     type: numeric, ops: [{bucketize: {boundaries: [365, 730, 1825]}}]}
  - {column: support_tickets, type: numeric, ops: [{fill: 0}, {clip: [null, 5]}]}
  - {column: country,         type: categorical, ops: [{vocab: {min_count: 5, max_size: 10}}]}
  - {column: plan,            type: categorical, ops: [vocab]}
  - {column: device,          type: categorical, ops: [{hash: {buckets: 8, seed: 3}}]}
  - {cross: [plan, device], ops: [{hash: {buckets: 32}}]}
model_spec: {kind: mlp, hidden: [8]}
YAML
dense='age,age_missing,income,sessions_7d_missing,support_tickets'
cats='sessions_7d_bucket,tenure_days_bucket,country,plan,device,plan_x_device'

# --- fit ------------------------------------------------------------------------------------------
rc=0; "$FRESHET" -q features fit -c "$work/features.yaml" --input "$d1" --out "$work/f1.json" \
  > "$work/fit.txt" 2> "$work/err.txt" || rc=$?
check "features fit exits 0" 0 $rc
expect "fit reports what it fitted" \
  grep -q "fitted 5 numeric and 4 categorical features on 3000 rows" "$work/fit.txt"
pycheck "features.json: outputs, index contract, vocabularies" '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["format"] == "freshet.features/2", d["format"]
assert d["index_contract"] == {"missing": 0, "out_of_vocabulary": 1, "first": 2}, d["index_contract"]
assert ",".join(d["dense_outputs"]) == sys.argv[2], d["dense_outputs"]
assert ",".join(d["categorical_outputs"]) == sys.argv[3], d["categorical_outputs"]
num = {n["column"]: n for n in d["numeric"]}
cat = {c["column"]: c for c in d["categorical"]}
assert num["age"]["scaling"] == "standardize" and num["age"]["indicator"]
assert num["age"]["clip"] == [18.0, 80.0] and num["support_tickets"]["clip"] == [None, 5.0]
assert num["income"]["log1p"] and num["income"]["scaling"] == "minmax"
assert num["tenure_days"]["boundaries"] == [365.0, 730.0, 1825.0]
b = num["sessions_7d"]["boundaries"]
assert 1 <= len(b) <= 4 and all(x < y for x, y in zip(b, b[1:])), b
assert len(cat["country"]["vocab"]) == 10, cat["country"]["vocab"]
assert sorted(cat["plan"]["vocab"]) == ["basic", "enterprise", "free", "pro"], cat["plan"]["vocab"]
assert cat["plan"]["vocab"][0] == "free"  # the most frequent plan first
assert cat["device"]["cardinality"] == 10 and cat["plan_x_device"]["cross"] == ["plan", "device"]
' "$work/f1.json" "$dense" "$cats"

# --- transform to .h5 and .csv ----------------------------------------------------------------------
# --device auto: the CPU here, a GPU where one is visible (then `--device cuda` is checked below).
rc=0; "$FRESHET" -q features transform --state "$work/f1.json" --input "$d2" \
  --output "$work/t2.h5" --device auto --chunk-rows 1000 > "$work/tr.txt" 2> "$work/err.txt" ||
  rc=$?
check "transform to .h5 exits 0" 0 $rc
expect "transform reports rows, device and widths" grep -Eq \
  "transformed 3000 rows on (cpu|cuda:0) into 5 dense and 6 categorical columns" "$work/tr.txt"
# Two partitions into one CSV: the rows of day 1, then those of day 2.
rc=0; "$FRESHET" -q features transform --state "$work/f1.json" --input "$d1" --input "$d2" \
  --output "$work/t12.csv" --device cpu > /dev/null 2> "$work/err.txt" || rc=$?
check "transform of two partitions to .csv exits 0" 0 $rc
pycheck "h5: columns, rows, dtypes, index ranges, values" '
import json, sys, h5py, numpy as np
state = json.load(open(sys.argv[1]))
dense, cats = sys.argv[3].split(","), sys.argv[4].split(",")
card = {n["column"] + "_bucket": len(n["boundaries"]) + 3 for n in state["numeric"] if n["bucketize"]}
card.update({c["column"]: c["cardinality"] for c in state["categorical"]})
with h5py.File(sys.argv[2], "r") as f:
    assert sorted(f.keys()) == sorted(dense + cats), sorted(f.keys())
    for name in dense:
        v = f[name][()]
        assert v.shape == (3000,) and v.dtype == np.float32, (name, v.shape, v.dtype)
        assert np.isfinite(v).all(), name
    for name in cats:
        v = f[name][()]
        assert v.shape == (3000,) and v.dtype == np.int64, (name, v.shape, v.dtype)
        assert v.min() >= 0 and v.max() < card[name], (name, v.min(), v.max(), card[name])
    age, miss = f["age"][()], f["age_missing"][()]
    assert set(np.unique(miss)) <= {0.0, 1.0} and 0 < miss.sum() < 600, miss.sum()
    assert abs(age.mean()) < 0.15 and 0.8 < age.std() < 1.2, (age.mean(), age.std())
    assert (f["support_tickets"][()] <= 5).all() and (f["support_tickets"][()] >= 0).all()
    assert set(np.unique(f["tenure_days_bucket"][()])) == {2, 3, 4, 5}
    assert (f["plan"][()] >= 2).all()           # every plan is in the vocabulary, none missing
    c = f["country"][()]
    assert (c == 0).any() and (c == 1).any() and (c >= 2).any()  # missing, OOV and known
    assert (f["device"][()] != 1).all()          # hashing never gives out-of-vocabulary
' "$work/f1.json" "$work/t2.h5" "$dense" "$cats"
# The CSV (CPU) against the h5 (from --device auto: the GPU's where one is visible, with the GPU
# tests' tolerance for dense values; indices exact).
pycheck "csv: header, 6000 rows, day 2 equal to the h5" '
import csv, sys, h5py, numpy as np
rows = list(csv.reader(open(sys.argv[1])))
header, body = rows[0], rows[1:]
assert header == sys.argv[3].split(",") + sys.argv[4].split(","), header
assert len(body) == 6000, len(body)
with h5py.File(sys.argv[2], "r") as f:
    for j, name in enumerate(header):
        want = f[name][()]
        got = np.array([r[j] for r in body[3000:]], dtype=want.dtype)
        if want.dtype == np.int64:
            assert (got == want).all(), name
        else:
            assert (np.abs(got - want) <= 1e-6 * np.maximum(1, np.abs(got))).all(), name
' "$work/t12.csv" "$work/t2.h5" "$dense" "$cats"

# --- --previous: the vocabulary grows, old indices stay -------------------------------------------
sed 's/max_size: 10}/max_size: 25}/' "$work/features.yaml" > "$work/grow.yaml"
rc=0; "$FRESHET" -q features fit -c "$work/grow.yaml" --input "$d3" --previous "$work/f1.json" \
  --out "$work/f2.json" > /dev/null 2> "$work/err.txt" || rc=$?
check "fit with --previous exits 0" 0 $rc
pycheck "the vocabulary grew and kept its order" '
import json, sys
v1 = {c["column"]: c["vocab"] for c in json.load(open(sys.argv[1]))["categorical"] if "vocab" in c}
v2 = {c["column"]: c["vocab"] for c in json.load(open(sys.argv[2]))["categorical"] if "vocab" in c}
# index = 2 + position: the first ten keep their indices, the new ones get 12, 13, ...
assert v2["country"][:10] == v1["country"], (v1["country"], v2["country"][:10])
assert 10 < len(v2["country"]) <= 25, len(v2["country"])
assert v2["plan"] == v1["plan"]
' "$work/f1.json" "$work/f2.json"

# --- errors -------------------------------------------------------------------------------------
printf '{"format": "freshet.features/2", "numeric": [' > "$work/broken.json"
rc=0; "$FRESHET" -q features transform --state "$work/broken.json" --input "$d2" \
  --output "$work/x.h5" 2> "$work/err.txt" || rc=$?
check "truncated state exits 1 (an unreadable artifact, as in retrain and predict)" 1 $rc
expect "error names the state file" grep -q "broken.json" "$work/err.txt"
expect "nothing written for a bad state" test ! -e "$work/x.h5"
rc=0; "$FRESHET" -q features transform --state "$work/f1.json" --input "$d2" \
  --output "$work/t2.parquet" 2> "$work/err.txt" || rc=$?
check "unknown output extension exits 2" 2 $rc
expect "error names the format" grep -q "unknown output format" "$work/err.txt"
expect "no .parquet written" test ! -e "$work/t2.parquet"
rc=0; "$FRESHET" -q features transform --state "$work/f1.json" --input "$d2" \
  --output "$work/cuda.h5" --device cuda > /dev/null 2> "$work/err.txt" || rc=$?
if grep -q " on cpu " "$work/tr.txt"; then
  check "--device cuda without a GPU exits 2" 2 $rc
  expect "error says why" grep -Eq \
    "device: cuda: (0 CUDA device\(s\) visible|freshet was built without CUDA)" "$work/err.txt"
  expect "nothing written for --device cuda" test ! -e "$work/cuda.h5"
else  # a GPU is visible (and gave t2.h5, checked against the CPU's CSV above)
  check "--device cuda exits 0" 0 $rc
  pycheck "--device cuda gives what --device auto gave" '
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r") as a, h5py.File(sys.argv[2], "r") as b:
    for k in a.keys():
        x, y = a[k][()], b[k][()]
        assert x.dtype == y.dtype and (x == y).all(), k
' "$work/t2.h5" "$work/cuda.h5"
fi

echo "e2e features: $passes checks passed, $fails failed"
[ $fails -eq 0 ]
