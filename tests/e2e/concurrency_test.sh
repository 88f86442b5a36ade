#!/usr/bin/env bash
# Several processes publishing and promoting one model at once: 4 lanes retrain in parallel
# (--wait), each from its own landing folder, 3 times each, while 2 more processes promote and roll
# back the champion. Every version is recorded exactly once, numbering stays consecutive, no channel
# move is lost, and the history is complete.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
F=$FRESHET
lanes=4 rounds=3 moves=8
checker="$(dirname "$0")/registry_check.py"
reg() { "$F" -q registry "$@" --registry "$work/registry"; }

setup_churn 3 200
"$F" -q synth --out "$work/more" --days $((lanes * rounds)) --rows 200 --seed 9 --drift-day 0
for d in 1 2 3; do land $d; done
check "first retrain publishes" 0 "$(rc_of "$F" -q retrain -c "$work/churn.yaml")"
for l in $(seq 1 $lanes); do
  mkdir -p "$work/lane$l"
  cp "$work"/all/day-000[12].h5 "$work/lane$l/"
  sed "s|landing: landing|landing: lane$l|; s|^registry:.*||" "$work/churn.yaml" > "$work/lane$l.yaml"
  echo "registry: {path: registry}" >> "$work/lane$l.yaml"
done

lane() {  # lane L: ROUNDS retrains, each after landing a partition of its own
  local l=$1 r
  for r in $(seq 1 $rounds); do
    cp "$work/more/day-$(printf %04d $(( (l - 1) * rounds + r ))).h5" "$work/lane$l/day-9$r.h5"
    "$F" -q retrain -c "$work/lane$l.yaml" --wait 300 > /dev/null 2>> "$work/lane$l.err"
    echo $? >> "$work/lane$l.rc"
  done
}
mover() {  # mover M: promote a random live version, or roll back, MOVES times; logs what moved
  local m=$1 i out
  for i in $(seq 1 $moves); do
    if [ $((RANDOM % 2)) -eq 0 ]; then
      out=$(reg promote churn latest --channel champion --reason "mover $m" 2>&1)
    else
      out=$(reg rollback churn --reason "mover $m" 2>&1)
    fi
    grep -Eq "now holds|rolled back to" <<<"$out" && echo moved >> "$work/moves.log"
  done
}
for l in $(seq 1 $lanes); do lane $l & done
for m in 1 2; do mover $m & done
wait

check "every retrain of every lane published (exit 0)" "$(printf '0\n%.0s' $(seq 1 $((lanes * rounds))))" \
  "$(cat "$work"/lane*.rc | sort)"
n=$((lanes * rounds + 1))
check "$n versions, numbered 1..$n" "$(seq -s ' ' 1 $n)" "$(jrun '" ".join(str(v["number"]) for v in d)' reg list churn --json)"
check "each version published exactly once (publish events)" "$(seq -s ' ' 1 $n)" \
  "$(jrun '" ".join(sorted((str(int(e["version"][1:])) for e in d if e["kind"] == "publish"), key=int))' reg history churn --json)"
check "each version by exactly one run" "$(seq -s ' ' 1 $n)" \
  "$(jrun '" ".join(sorted((str(int(r["version"][1:])) for r in d if r["version"]), key=int))' reg runs churn --limit 1000 --json)"
manual=$(wc -l < "$work/moves.log" 2>/dev/null || echo 0)
check "no channel move lost: champion moves = $n promotions by retrain + $manual by the movers" \
  $((n + manual)) "$(jrun 'sum(1 for e in d if e["kind"] in ("promote", "rollback"))' reg history churn --channel champion --json)"
check "history complete: event ids consecutive" True \
  "$(jrun 'all(b["id"] == a["id"] + 1 for a, b in zip(d, d[1:]))' reg history churn --json)"
check "the champion holds what its last event says; nothing half-visible" 0 \
  "$(rc_of "$py" "$checker" "$work/registry" churn --consecutive)"
check "fsck clean" 0 "$(rc_of reg fsck)"
finish concurrency
