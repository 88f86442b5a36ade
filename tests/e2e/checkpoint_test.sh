#!/usr/bin/env bash
# End to end: every model family and task is retrained from a config, then rebuilt in PyTorch by
# scripts/load_checkpoint.py from model.json + model.safetensors, which must reproduce freshet's
# predictions on the same transformed features to 1e-5 (and model.pt must hold the same weights).
# Damaged, changed or mismatched checkpoints give clear errors and publish nothing.
# Needs $FRESHET, $FRESHET_SOURCE and $FRESHET_PYTHON (torch, safetensors, h5py, numpy).
set -uo pipefail
: "${FRESHET:?set FRESHET to the freshet binary}"
: "${FRESHET_SOURCE:?set FRESHET_SOURCE to the repository root}"
py=${FRESHET_PYTHON:-python3}
loader="$FRESHET_SOURCE/scripts/load_checkpoint.py"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fails=0 passes=0
check() {  # check NAME EXPECTED ACTUAL
  if [ "$2" != "$3" ]; then echo "FAIL $1: got $3, expected $2"; fails=$((fails + 1));
  else echo "ok   $1"; passes=$((passes + 1)); fi
}
expect() {  # expect NAME COMMAND...: the command must succeed
  if "${@:2}" > "$work/last.txt" 2>&1; then echo "ok   $1"; passes=$((passes + 1));
  else echo "FAIL $1"; sed 's/^/     /' "$work/last.txt" | tail -5; fails=$((fails + 1)); fi
}
versions() { ls "$work/registry/$1" 2>/dev/null | grep -c '^v' ; }

# Three days of tabular data with a binary, a 4-class and a real-valued label.
"$py" - "$work/landing" <<'PY'
import os, sys
import h5py, numpy as np
out = sys.argv[1]
os.makedirs(out)
rng = np.random.default_rng(5)
for day in range(1, 4):
    n = 1500
    x0, x1 = rng.normal(size=n), rng.normal(size=n)
    x1[rng.random(n) < 0.05] = np.nan
    city = rng.choice(["ams", "ber", "cph", "dub", "edi"][: 3 + day // 2], size=n)
    effect = {"ams": -1.0, "ber": 0.5, "cph": 1.0, "dub": -0.5, "edi": 0.0}
    z = 1.5 * x0 - np.nan_to_num(x1) + np.array([effect[c] for c in city])
    with h5py.File(os.path.join(out, "day-%04d.h5" % day), "w") as f:
        f["x0"], f["x1"] = x0, x1
        f.create_dataset("city", data=city.astype(object), dtype=h5py.string_dtype())
        f["binary"] = (z + rng.normal(scale=0.5, size=n) > 0).astype(np.int32)
        f["klass"] = np.digitize(z, [-1.5, 0.0, 1.5]).astype(np.int64)
        f["value"] = z + rng.normal(scale=0.1, size=n)
PY
mkdir "$work/in"
mv "$work/landing/day-0003.h5" "$work/in/"

config() {  # config NAME TASK LABEL MODEL_SPEC [TRAIN_EXTRA]
  cat > "$work/$1.yaml" <<YAML
model: $1
task: $2
data: {landing: landing, pattern: "day-*.h5", label: $3, window: {train: 1, eval: 1}}
features:
  - {column: x0,   type: numeric,     ops: [standardize]}
  - {column: x1,   type: numeric,     ops: [{fill: mean}, indicator, standardize]}
  - {column: city, type: categorical, ops: [vocab]}
model_spec: $4
train: {epochs: 3, batch_size: 128, lr: 0.02, device: cpu${5:-}}
gate: false
YAML
}
config bin_mlp binary binary "{kind: mlp, hidden: [16, 8], norm: batch, dropout: 0.1}"
config bin_wd binary binary "{kind: wide_deep, hidden: [8], activation: gelu, norm: layer}"
config multi_lin multiclass klass "{kind: linear}"
config multi_mlp multiclass klass "{kind: mlp, hidden: [16], activation: tanh}" ", optimizer: adagrad"
config reg_wd regression value "{kind: wide_deep, hidden: [16], embedding_dims: {city: 3}}" \
  ", loss: huber, lr_schedule: {kind: cosine, warmup_steps: 5}"

for m in bin_mlp bin_wd multi_lin multi_mlp reg_wd; do
  rc=0; "$FRESHET" -q retrain -c "$work/$m.yaml" > /dev/null 2> "$work/err.txt" || rc=$?
  check "$m: retrain publishes" 0 $rc
  [ $rc -eq 0 ] || sed 's/^/     /' "$work/err.txt"
  v="$work/registry/$m/v000001"
  rc=0; "$FRESHET" -q predict -c "$work/$m.yaml" --version 1 --input "$work/in/day-0003.h5" \
    --output "$work/$m.h5" --with-features > /dev/null || rc=$?
  check "$m: predict exits 0" 0 $rc
  expect "$m: PyTorch rebuild reproduces freshet's predictions to 1e-5" \
    "$py" "$loader" "$v" --check "$work/$m.h5" --pt
  expect "$m: the fallback's model.pt and safetensors agree" "$py" "$loader" "$v" --fallback --pt
done
expect "CSV output reproduces too" "$FRESHET" -q predict -c "$work/multi_mlp.yaml" \
  --input "$work/in/day-0003.h5" --output "$work/multi.csv" --with-features
expect "  ... in PyTorch" "$py" "$loader" "$work/registry/multi_mlp/v000001" --check "$work/multi.csv"

# A main model that fails its checksum: predict falls back; the rebuilt fallback matches.
cp "$work/registry/bin_wd/v000001/model.safetensors" "$work/saved.safetensors"
printf 'XXXX' | dd of="$work/registry/bin_wd/v000001/model.safetensors" bs=1 seek=100 conv=notrunc 2>/dev/null
rc=0; "$FRESHET" predict -c "$work/bin_wd.yaml" --input "$work/in/day-0003.h5" \
  --output "$work/fb.h5" --with-features > /dev/null 2> "$work/err.txt" || rc=$?
check "corrupt main model: predict still exits 0" 0 $rc
expect "  ... and says the main model failed" grep -q "main model failed" "$work/err.txt"
expect "  ... naming the file" grep -q "model.safetensors" "$work/err.txt"
expect "  ... reports every row guarded" grep -q "guarded rows: 1500" "$work/err.txt"
expect "  ... and the fallback rebuilt in PyTorch gives those predictions" \
  "$py" "$loader" "$work/registry/bin_wd/v000001" --fallback --check "$work/fb.h5"
cp "$work/saved.safetensors" "$work/registry/bin_wd/v000001/model.safetensors"

# Warm start from damaged or incompatible checkpoints: clear errors, nothing published.
cp "$work/in/day-0003.h5" "$work/landing/"
pt="$work/registry/bin_mlp/v000001/model.pt"
cp "$pt" "$work/saved.pt"
head -c 3000 "$work/saved.pt" > "$pt"
rc=0; "$FRESHET" -q retrain -c "$work/bin_mlp.yaml" 2> "$work/err.txt" || rc=$?
check "truncated model.pt: exit 1" 1 $rc
expect "  ... the error names model.pt" grep -q "v000001/model.pt" "$work/err.txt"
check "  ... and nothing is published" 1 "$(versions bin_mlp)"
cp "$work/saved.pt" "$pt"

sed 's/hidden: \[16, 8\]/hidden: [32]/' "$work/bin_mlp.yaml" > "$work/bin_mlp2.yaml"
rc=0; "$FRESHET" -q retrain -c "$work/bin_mlp2.yaml" 2> "$work/err.txt" || rc=$?
check "changed architecture: exit 2" 2 $rc
expect "  ... the error names the key and the change" \
  grep -q "train.warm_start: .*model_spec.hidden: \[16,8\] → \[32\].*train.warm_start: false" "$work/err.txt"
check "  ... and nothing is published" 1 "$(versions bin_mlp)"

sed 's/device: cpu/device: cpu, warm_start: false/' "$work/bin_mlp2.yaml" > "$work/bin_mlp3.yaml"
rc=0; "$FRESHET" -q retrain -c "$work/bin_mlp3.yaml" > /dev/null 2>&1 || rc=$?
check "warm_start: false starts cold on the changed architecture" 0 $rc

# A grown vocabulary: day 3 brings a new city; the warm-started model's tables grow.
rc=0; "$FRESHET" -q retrain -c "$work/reg_wd.yaml" > /dev/null 2> "$work/err.txt" || rc=$?
check "grown vocabulary: warm-started retrain publishes" 0 $rc
expect "  ... its city tables grew and the rebuild still matches" "$py" - "$work/registry/reg_wd" <<'PY'
import json, sys
v1, v2 = (json.load(open("%s/%s/model.json" % (sys.argv[1], v))) for v in ("v000001", "v000002"))
m = json.load(open(sys.argv[1] + "/v000002/manifest.json"))
c1, c2 = v1["categorical"][0], v2["categorical"][0]
assert m["warm_started_from"] == "v000001", m["warm_started_from"]
assert c2["cardinality"] > c1["cardinality"], (c1, c2)
assert c2["embedding_dim"] == c1["embedding_dim"] == 3
# The label scaler: fitted on day 1's rows, inherited by the warm start.
s1 = v1["label_scaler"]
assert v1["format"] == v2["format"] == "freshet.model/2", (v1["format"], v2["format"])
assert v2["label_scaler"] == s1 and abs(s1["mean"]) < 0.5 and 1.0 < s1["std"] < 3.0, s1
PY

echo "e2e checkpoint: $passes checks passed, $fails failed"
[ $fails -eq 0 ]
