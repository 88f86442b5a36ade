#!/usr/bin/env bash
# The real binary killed with SIGKILL at random moments of retrain, promote and rollback,
# $FRESHET_KILLS times (default 200): after every kill an independent checker (registry_check.py,
# reading index.sqlite and the folders itself) finds no half-visible version, no channel that moved
# without its event, and no folder the index does not explain; every 25 kills and at the end
# freshet's own fsck agrees (leftovers of the killed writer only, which --repair removes), the
# version numbers are consecutive, and every committed version loads and scores.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
F=$FRESHET
kills_wanted=${FRESHET_KILLS:-200}
checker="$(dirname "$0")/registry_check.py"
reg() { "$F" -q registry "$@" --registry "$work/registry"; }
start=$(date +%s)

setup_churn 3 200
# A partition for every retrain the loop may start (at most one an iteration, 3 x kills_wanted
# iterations), so that none of them finds nothing new and ends early.
"$F" -q synth --out "$work/more" --days $((kills_wanted * 3 + 20)) --rows 200 --seed 5 --drift-day 0
for d in 1 2 3; do land $d; done
check "first retrain publishes" 0 "$(rc_of "$F" -q retrain -c "$work/churn.yaml")"
next_day=1
land_next() { cp "$work/more/day-$(printf %04d $next_day).h5" "$work/landing/day-$(printf %04d $((next_day + 3))).h5"; next_day=$((next_day + 1)); }
# How long each operation takes when left alone: the kills land anywhere in that span.
ms() { date +%s%N | cut -c1-13; }
land_next; t0=$(ms); "$F" -q retrain -c "$work/churn.yaml" > /dev/null; t_retrain=$(( $(ms) - t0 ))
t0=$(ms); reg promote churn 1 --channel champion --reason measure > /dev/null; t_promote=$(( $(ms) - t0 ))
echo "     retrain takes ${t_retrain} ms, promote ${t_promote} ms"

kills=0 completed=0 inconsistent=0 iter=0 last_checked=0
declare -A killed_by=([retrain]=0 [promote]=0 [rollback]=0)
while [ $kills -lt "$kills_wanted" ] && [ $iter -lt $((kills_wanted * 3)) ]; do
  iter=$((iter + 1))
  r=$((RANDOM % 10))
  if [ $r -lt 6 ]; then
    op=retrain; span=$t_retrain; land_next
    cmd=("$F" -q retrain -c "$work/churn.yaml")
  elif [ $r -lt 8 ]; then
    op=promote; span=$t_promote
    cmd=("$F" -q registry promote churn "$(( (RANDOM % (next_day + 1)) + 1 ))" --channel champion
         --reason "kill test" --registry "$work/registry")
  else
    op=rollback; span=$t_promote
    cmd=("$F" -q registry rollback churn --reason "kill test" --registry "$work/registry")
  fi
  # Within the operation's measured time: a kill after it (or in the exit's last microseconds)
  # tests nothing.
  delay_ms=$(( RANDOM % (span + 1) ))
  "${cmd[@]}" > /dev/null 2>&1 &
  pid=$!
  sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
  if kill -KILL $pid 2>/dev/null; then
    wait $pid 2>/dev/null
    kills=$((kills + 1)); killed_by[$op]=$((killed_by[$op] + 1))
  else
    wait $pid 2>/dev/null; completed=$((completed + 1))
  fi
  if ! "$py" "$checker" "$work/registry" churn > "$work/check.txt" 2>&1; then
    inconsistent=$((inconsistent + 1))
    echo "     after $op killed at ${delay_ms} ms:"; grep -v '^checked' "$work/check.txt" | sed 's/^/       /'
  fi
  if [ $((kills % 25)) -ne 0 ] || [ $kills -eq $last_checked ]; then continue; fi
  last_checked=$kills
  # freshet's own fsck: only the killed writer's leftovers, and --repair makes it clean.
  reg fsck --json > "$work/fsck.json" 2>/dev/null
  bad=$(json "$work/fsck.json" 'sorted({p["kind"] for p in d["problems"]} - {"draft_folder", "orphan_folder", "model_locked"})')
  [ "$bad" = "[]" ] || { inconsistent=$((inconsistent + 1)); echo "     fsck after $kills kills: $bad"; }
  reg fsck --repair > /dev/null 2>&1
  [ "$(rc_of reg fsck)" = 0 ] || { inconsistent=$((inconsistent + 1)); echo "     fsck --repair left problems"; }
done
elapsed=$(( $(date +%s) - start ))
echo "     $kills kills (retrain ${killed_by[retrain]}, promote ${killed_by[promote]}, rollback ${killed_by[rollback]}), $completed runs finished before their kill, $iter iterations, ${elapsed} s"
check "at least $kills_wanted kills" True "$([ $kills -ge "$kills_wanted" ] && echo True || echo False)"
check "zero inconsistent registries" 0 $inconsistent

"$F" -q registry fsck --repair --registry "$work/registry" > /dev/null 2>&1
check "fsck after the last kill and a repair: clean" 0 "$(rc_of reg fsck)"
check "version numbers consecutive" 0 "$(rc_of "$py" "$checker" "$work/registry" churn --consecutive)"
n=$(jrun 'len(d)' reg list churn --json)
bad_loads=0
for v in $(seq 1 "$n"); do
  "$F" -q predict -c "$work/churn.yaml" --version "$v" --input "$work/all/day-0001.h5" \
    --output "$work/p.csv" > "$work/pred.txt" 2>&1 || bad_loads=$((bad_loads + 1))
  grep -q "guarded rows: 0" "$work/pred.txt" || bad_loads=$((bad_loads + 1))
done
check "every committed version ($n) loads and scores with its own model" 0 $bad_loads
finish kill
