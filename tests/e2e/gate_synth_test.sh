#!/usr/bin/env bash
# End to end: `freshet synth --drift-day D` over several seeds. A version trained on days before D
# is the reference; `freshet validate --input day-K.h5` stays quiet (no drifted column, exit 0) for
# every day before D and, from D on, flags exactly the columns truth.json lists as drifting. Then a
# retrain on a drifted day publishes with the drift as warnings in eval.json and data_report.json.
source "$(dirname "$0")/lib.sh"
days=9 drift=6 rows=4000
for seed in 1 2 3; do
  d="$work/s$seed"
  mkdir -p "$d/landing"
  "$FRESHET" -q synth --out "$d/all" --days $days --rows $rows --seed $seed --drift-day $drift
  cat > "$d/gate.yaml" <<'YAML'
model: gate
data: {landing: landing, pattern: "day-*.h5", label: churned, window: {train: 3, eval: 1}}
features:
  - {column: age, type: numeric}
  - {column: income, type: numeric, ops: [log1p, standardize]}
  - {column: sessions_7d, type: numeric}
  - {column: spend_30d, type: numeric}
  - {column: tenure_days, type: numeric}
  - {column: support_tickets, type: numeric}
  - {column: country, type: categorical, ops: [{vocab: {}}]}
  - {column: plan, type: categorical, ops: [{vocab: {}}]}
  - {column: device, type: categorical, ops: [{vocab: {}}]}
  - {column: user_id, type: categorical, ops: [{hash: {buckets: 1000}}]}
model_spec: {kind: linear}
train: {epochs: 1, device: cpu, fallback: false}
YAML
  for k in 1 2 3 4; do cp "$d/all/day-000$k.h5" "$d/landing/"; done
  check "seed $seed: first retrain publishes" 0 "$(rc_of "$FRESHET" -q retrain -c "$d/gate.yaml")"
  check "seed $seed: the first run wrote schema.yaml" yes \
    "$([ -f "$d/registry/gate/schema.yaml" ] && echo yes || echo no)"
  want=$(json "$d/all/truth.json" "','.join(sorted(d['drifting_columns']))")
  for k in $(seq 5 $days); do
    f="$d/all/day-$(printf %04d $k).h5"
    rc=0
    "$FRESHET" -q validate -c "$d/gate.yaml" --input "$f" --json > "$d/v$k.json" || rc=$?
    got=$(json "$d/v$k.json" "','.join(sorted(d['drift']['drifted']))")
    if [ $k -lt $drift ]; then
      check "seed $seed day $k (before the drift): nothing drifted" "" "$got"
      check "seed $seed day $k: exit 0" 0 $rc
    else
      check "seed $seed day $k (from the drift on): drifted = truth's" "$want" "$got"
    fi
  done
done
# A retrain whose fresh partition drifted: published, the drift recorded as warnings.
d="$work/s1"
cp "$d/all/day-0006.h5" "$d/landing/"
check "retrain on the drift day publishes (drift warns)" 0 "$(rc_of "$FRESHET" -q retrain -c "$d/gate.yaml")"
check "data_report.json lists the drifted columns" "country,income,sessions_7d" \
  "$(json "$d/registry/gate/v000002/data_report.json" "','.join(sorted(d['drift']['drifted']))")"
check "eval.json carries the gate's warnings" warn \
  "$(json "$d/registry/gate/v000002/eval.json" "d['data_gate']['status']")"
check "profile.json saved with the version" freshet.profile/1 \
  "$(json "$d/registry/gate/v000002/profile.json" "d['format']")"
finish gate_synth
