# Sourced by the end-to-end tests: checks that count, a JSON reader, a small churn setup.
# Needs $FRESHET (the binary); $FRESHET_PYTHON reads JSON and HDF5.
: "${FRESHET:?set FRESHET to the freshet binary}"
py=${FRESHET_PYTHON:-python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fails=0 passes=0 skips=0
check() {  # check NAME EXPECTED ACTUAL
  if [ "$2" != "$3" ]; then echo "FAIL $1: got $3, expected $2"; fails=$((fails + 1));
  else echo "ok   $1"; passes=$((passes + 1)); fi
}
expect() {  # expect NAME COMMAND...: the command must succeed
  if "${@:2}"; then echo "ok   $1"; passes=$((passes + 1));
  else echo "FAIL $1"; fails=$((fails + 1)); fi
}
skip() { echo "SKIP $1"; skips=$((skips + 1)); }
json() { "$py" -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }
# jq-like: json of a command's stdout. jrun EXPR COMMAND...
jrun() { local e=$1; shift; "$@" > "$work/.j" 2>/dev/null; json "$work/.j" "$e"; }
# rc_of COMMAND...: its exit code (its stdout is dropped).
rc_of() { local rc=0; "$@" > /dev/null || rc=$?; echo $rc; }
# setup_churn DAYS ROWS: synthetic days in $work/all, a config $work/churn.yaml training on 2 and
# evaluating on 1, with its registry in $work/registry and its landing folder $work/landing. Its
# promotion gate is off (every version becomes champion): these tests are about the registry's
# mechanics; tests/e2e/promotion_gate_test.sh tests the gate.
setup_churn() {
  "$FRESHET" -q synth --out "$work/all" --days "$1" --rows "$2" --seed 7 --drift-day 0
  mkdir -p "$work/landing"
  cat > "$work/churn.yaml" <<'YAML'
model: churn
data: {landing: landing, pattern: "day-*.h5", label: churned, window: {train: 2, eval: 1}}
features:
  - {column: age,     type: numeric,     ops: [{fill: median}, standardize]}
  - {column: income,  type: numeric,     ops: [standardize]}
  - {column: plan,    type: categorical, ops: [{hash: {buckets: 8}}]}
  - {column: country, type: categorical, ops: [{vocab: {max_size: 16}}]}
model_spec: {kind: mlp, hidden: [8]}
train: {epochs: 1, batch_size: 256, lr: 0.01, device: cpu}
gate: false
YAML
}
# setup_sweeps: beside setup_churn's config, $work/sweep.yaml (3 entries: two learning rates, one
# linear model), $work/sweep_fail.yaml (its second task reads a column the data lacks), and
# $work/cold.yaml (the config without warm start: an mlp cannot warm-start from a linear winner).
setup_sweeps() {
  printf '%s\n' '- {train.lr: 0.05}' '- {train.lr: 0.001, model_spec.hidden: [4]}' \
    '- {model_spec.kind: linear}' > "$work/sweep.yaml"
  printf '%s\n' '- {train.lr: 0.01}' '- {features: [{column: nope, type: numeric}]}' \
    > "$work/sweep_fail.yaml"
  sed -e 's/train: {epochs: 1,/train: {warm_start: false, epochs: 1,/' "$work/churn.yaml" \
    > "$work/cold.yaml"
}
land() { cp "$work/all/day-$(printf %04d "$1").h5" "$work/landing/"; }
finish() { echo "e2e $1: $passes checks passed, $fails failed, $skips skipped"; [ $fails -eq 0 ]; }
# hold_lock FILE SECONDS: holds an flock on FILE in the background for SECONDS, returning once it
# is held (so a test under load never races it); the holder's pid is in $holder.
hold_lock() {
  flock "$1" sleep "$2" & holder=$!
  local i
  for i in $(seq 1 200); do flock -n "$1" true 2>/dev/null || return 0; sleep 0.05; done
}
