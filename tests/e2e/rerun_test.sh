#!/usr/bin/env bash
# Reruns are idempotent (the registry's runs and each version's inputs are the watermark):
# - a retrain killed (SIGKILL) at a random moment, then run again, either publishes the partitions
#   (the killed run had not) or has nothing to do (it had): never two versions of the same inputs,
#   and a third run has nothing to do ($FRESHET_RERUN_KILLS rounds, default 8). The kill times are
#   spread over 0 to 1.25 times a whole run's duration, measured first on this machine, so that most
#   kills land inside a run however fast the machine is, and some after it;
# - a double trigger: of two runs started together one publishes and the other exits 6, or, with
#   --wait, waits and then has nothing to do;
# - a submission's aggregation killed and rerun publishes once; a rerun after it exits 3.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
rounds=${FRESHET_RERUN_KILLS:-8}
cfg="$work/churn.yaml"
setup_churn $((rounds + 5)) 2000
setup_sweeps
land 1; land 2; land 3
# A whole run, timed: the kills below are spread over its duration.
t0=$(date +%s%N)
check "a first run publishes" 0 "$(rc_of "$FRESHET" -q retrain -c "$cfg")"
run_ns=$(($(date +%s%N) - t0))
# Versions trained on exactly this run's partitions (by their inputs' sha256).
same_inputs() {
  "$py" - "$work/registry/churn" <<'PY'
import json, os, sys, collections
root = sys.argv[1]
seen = collections.Counter()
for v in sorted(os.listdir(root)):
    if not v.startswith("v0"): continue
    m = json.load(open(os.path.join(root, v, "manifest.json")))
    seen[tuple(sorted(i["sha256"] for i in m["inputs"]))] += 1
print(max(seen.values()) if seen else 0)
PY
}
published_rounds=0 nothing_rounds=0 killed=0
for r in $(seq 1 "$rounds"); do
  land $((r + 3))
  "$FRESHET" -q retrain -c "$cfg" > /dev/null 2>&1 &
  pid=$!
  # Round r kills in the r-th of `rounds` equal slices of 0 .. 1.25 run durations, at random in it.
  delay_us=$(((run_ns / 1000) * 5 * (1000 * (r - 1) + RANDOM % 1000) / (4 * 1000 * rounds)))
  sleep "$((delay_us / 1000000)).$(printf %06d $((delay_us % 1000000)))"
  kill -9 $pid 2> /dev/null
  wait $pid 2> /dev/null
  [ $? = 137 ] && killed=$((killed + 1))
  rc=$(rc_of "$FRESHET" -q retrain -c "$cfg")
  case $rc in
    0 | 4) published_rounds=$((published_rounds + 1)) ;;
    3) nothing_rounds=$((nothing_rounds + 1)) ;;
    *) echo "round $r: the rerun exited $rc" ;;
  esac
  [ "$rc" = 0 ] || [ "$rc" = 3 ] || [ "$rc" = 4 ] || fails=$((fails + 1))
  check "round $r: a third run has nothing to do" 3 "$(rc_of "$FRESHET" -q retrain -c "$cfg")"
done
echo "after $rounds kills ($killed inside a run of $((run_ns / 1000000)) ms): $published_rounds reruns published, $nothing_rounds found the killed run had"
check "no two versions of the same inputs" 1 "$(same_inputs)"
check "every round's partitions published exactly once" $((rounds + 1)) "$(ls "$work/registry/churn" | grep -c '^v0')"
check "the killed runs (those that had started one) are recorded as died" True "$(jrun 'any(r["ended"] is None for r in d) and all(r["status"] == "died" for r in d if r["ended"] is None)' "$FRESHET" -q registry runs churn -c "$cfg" --json --limit 1000)"
check "fsck after a repair: clean" 0 "$("$FRESHET" -q registry fsck -c "$cfg" --repair > /dev/null 2>&1; rc_of "$FRESHET" -q registry fsck -c "$cfg")"

# --- a double trigger -----------------------------------------------------------------------------------
land $((rounds + 4))
"$FRESHET" -q retrain -c "$cfg" > "$work/a.out" 2>&1 & a=$!
"$FRESHET" -q retrain -c "$cfg" > "$work/b.out" 2>&1 & b=$!
wait $a; ra=$?; wait $b; rb=$?
check "double trigger: one publishes, the other is locked out" "0 6" "$(echo $ra $rb | tr ' ' '\n' | sort | xargs)"
land $((rounds + 5))
"$FRESHET" -q retrain -c "$cfg" --wait 120 > /dev/null 2>&1 & a=$!
"$FRESHET" -q retrain -c "$cfg" --wait 120 > /dev/null 2>&1 & b=$!
wait $a; ra=$?; wait $b; rb=$?
check "double trigger with --wait: one publishes, the other then has nothing to do" "0 3" "$(echo $ra $rb | tr ' ' '\n' | sort | xargs)"
check "still no two versions of the same inputs" 1 "$(same_inputs)"

# --- a submission's aggregation killed, then rerun ----------------------------------------------------------
mkdir -p "$work/bin"
printf '#!/bin/sh\necho $$\n' > "$work/bin/sbatch"; chmod +x "$work/bin/sbatch"
PATH="$work/bin:$PATH" "$FRESHET" -q submit -c "$work/cold.yaml" --seeds 2 --out "$work/sub" > /dev/null
for i in 0 1; do "$FRESHET" -q trial --plan "$work/sub" --task $i > /dev/null; done
before=$(ls "$work/registry/churn" | grep -c '^v0')
"$FRESHET" -q aggregate --plan "$work/sub" > /dev/null 2>&1 & pid=$!
sleep 0.$((RANDOM % 10)); kill -9 $pid 2> /dev/null; wait $pid 2> /dev/null
rc=$(rc_of "$FRESHET" -q aggregate --plan "$work/sub")
check "aggregation rerun after a kill: published now (0, 4) or already (3)" True "$([[ $rc =~ ^[034]$ ]] && echo True || echo False)"
check "... one version for the submission" $((before + 1)) "$(ls "$work/registry/churn" | grep -c '^v0')"
check "... a further rerun has nothing to do" 3 "$(rc_of "$FRESHET" -q aggregate --plan "$work/sub")"
finish rerun
