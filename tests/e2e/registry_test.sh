#!/usr/bin/env bash
# End to end: the registry verbs on a real registry: list, show, diff, history, runs, promote,
# rollback, pin, unpin, gc, fsck (--repair, --rebuild); retrain's channels and --wait; bad names;
# the leftover-draft segfault of the issue; a newer index format.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
F=$FRESHET
reg() { "$F" -q registry "$@" --registry "$work/registry"; }

setup_churn 8 800
for d in 1 2 3; do land $d; done
check "retrain publishes v000001" 0 "$(rc_of "$F" -q retrain -c "$work/churn.yaml")"
land 4
check "retrain publishes v000002" 0 "$(rc_of "$F" -q retrain -c "$work/churn.yaml")"
land 5
sed -i 's/lr: 0.01/lr: 0.02/' "$work/churn.yaml"
check "retrain publishes v000003" 0 "$(rc_of "$F" -q retrain -c "$work/churn.yaml")"

check "list: the model, 3 versions, champion v000003" "churn 3 v000003" \
  "$(jrun 'd[0]["model"], d[0]["versions"], d[0]["champion"]' reg list --json | tr -d "(),'")"
check "list churn: versions and channels" "v000001 v000002 v000003 champion" \
  "$(jrun '" ".join(v["version"] for v in d), ",".join(d[2]["channels"])' reg list churn --json | tr -d "(),'")"
expect "list churn (text) shows the champion" sh -c "'$F' registry list churn --registry '$work/registry' | grep -q 'v000003 .*champion'"
check "show champion: v000003, 3 inputs, a manifest, warm-started from v000002" "v000003 3 v000002 v000002" \
  "$(jrun 'd["version"], len(d["inputs"]), d["manifest"]["version"] and d["parent"], d["warm_start"]' reg show churn champion --json | tr -d "(),'")"
expect "show (text) lists the inputs" sh -c "'$F' registry show churn 3 --registry '$work/registry' | grep -q 'input       eval  .*day-0005.h5'"
check "diff 1 3: the config change and the inputs" "train.lr 0.01 0.02 | day-0001.h5 day-0002.h5 | day-0004.h5 day-0005.h5" \
  "$(jrun '" ".join(str(x) for c in d["config"] for x in (c["key"], c["a"], c["b"])) + " | " + " ".join(sorted(i["path"].split("/")[-1] for i in d["inputs"]["only_a"])) + " | " + " ".join(sorted(i["path"].split("/")[-1] for i in d["inputs"]["only_b"]))' reg diff churn 1 3 --json)"
check "diff 1 3: metric deltas" True \
  "$(jrun 'any(m["name"] == "auc" and m["delta"] is not None for m in d["metrics"])' reg diff churn 1 3 --json)"

# Channels: promote, rollback (one promotion at a time), and the history that records them.
check "promote 1 to canary" 0 "$(rc_of reg promote churn 1 --channel canary --reason "try the old one")"
check "history --channel canary: who, where, what, why" "promote v000001 None try the old one True" \
  "$(jrun 'd[-1]["kind"], d[-1]["version"], d[-1]["previous"], d[-1]["reason"], bool(d[-1]["user"] and d[-1]["host"] and "promote" in d[-1]["command"])' reg history churn --channel canary --json | tr -d "(),'")"
check "rollback champion -> v000002" 0 "$(rc_of reg rollback churn --reason "bad AUC")"
check "rollback champion again -> v000001" "v000001" \
  "$(reg rollback churn > /dev/null; jrun 'd["channels"] and d["version"]' reg show churn champion --json)"
out=$(reg rollback churn 2>&1); rc=$?
check "a third rollback: exit 2" 2 $rc
expect "  ... saying there is nothing earlier" grep -q "no earlier live holder than v000001" <<<"$out"
check "promote v000003 back" 0 "$(rc_of reg promote churn 3 --channel champion --reason "fixed")"
check "promoting the holder again changes nothing" "already holds" \
  "$(reg promote churn 3 --channel champion --reason x 2>&1 | grep -o 'already holds')"
check "history of champion: 5 moves, reasons kept" "promote promote promote rollback rollback promote" \
  "$(jrun '" ".join(e["kind"] for e in d)' reg history churn --channel champion --json)"

# gc keeps channel holders, rollback targets, pins and the newest N; numbers are never reused.
land 6
check "retrain publishes v000004 (champion, warm-started from v000003)" "v000004" \
  "$("$F" -q retrain -c "$work/churn.yaml" | grep -o 'v000004' | head -1)"
reg pin churn 1 --reason "audit 2026-Q4" > /dev/null
check "gc --dry-run says what it would remove" "['v000002'] True" \
  "$(jrun 'd["removed"], d["dry_run"]' reg gc churn --keep-last 1 --dry-run --json | tr -d "(),")"
expect "  ... and removes nothing" test -d "$work/registry/churn/v000002"
check "gc --keep-last 1 removes only v000002" "['v000002']" "$(jrun 'd["removed"]' reg gc churn --keep-last 1 --json)"
expect "  ... and its folder" test ! -e "$work/registry/churn/v000002"
out=$(reg show churn 2 2>&1); rc=$?
check "show a gc'd version: exit 2" 2 $rc
expect "  ... saying gc removed it" grep -q "version v000002 was removed by gc" <<<"$out"
check "gc kept v000001 (canary, pinned), v000003 (rollback target), v000004" \
  "v000001 v000003 v000004" "$(jrun '" ".join(v["version"] for v in d)' reg list churn --json)"
land 7
check "the next retrain is v000005: numbers are never reused" "v000005" \
  "$("$F" -q retrain -c "$work/churn.yaml" | grep -o 'v000005' | head -1)"
reg unpin churn 1 > /dev/null
check "unpin recorded" "unpin" "$(jrun 'd[-1]["kind"]' reg history churn --json)"
check "runs: every retrain recorded, newest first, with exit codes" "[0, 0, 0, 0, 0]" \
  "$(jrun '[r["exit_code"] for r in d]' reg runs churn --json)"
check "a no-op retrain exits 3 and is recorded" "3 nothing to do" \
  "$("$F" -q retrain -c "$work/churn.yaml"; echo $? $(jrun 'd[0]["reason"][:13]' reg runs churn --json))"
check "fsck: clean" 0 "$(rc_of reg fsck)"

# Bad names and unknown things: exit 2, naming them.
for bad in "a/b" ".." ".hidden" "" "$(printf 'x\001y')" "$(head -c 65 /dev/zero | tr '\0' m)"; do
  out=$(reg show "$bad" latest 2>&1); rc=$?
  check "model name $(printf %q "$bad" | head -c 30): exit 2" 2 $rc
  expect "  ... naming the model" grep -q 'model "' <<<"$out"
done
out=$(reg promote churn 3 --channel "can/ary" --reason x 2>&1); rc=$?
check "channel with a slash: exit 2" 2 $rc
expect "  ... naming it" grep -q 'channel "can/ary": holds a path separator' <<<"$out"
out=$(reg show fraud latest 2>&1); rc=$?
check "unknown model: exit 2" 2 $rc
expect "  ... listing the models" grep -q 'model "fraud": not in the registry .* (models: churn)' <<<"$out"
out=$(reg show churn v000099 2>&1); rc=$?
check "unknown version: exit 2, listing what exists" "2 1" "$rc $(grep -c 'versions v000001 to v000005; channels: canary, champion' <<<"$out")"
out=$(reg rollback churn --channel shadow 2>&1); rc=$?
check "rollback of an unknown channel: exit 2" "2 1" "$rc $(grep -c 'channel "shadow" does not exist (channels: canary, champion)' <<<"$out")"
check "registry without --registry or -c: exit 2" 2 "$(rc_of "$F" -q registry list 2>/dev/null)"
check "registry in a folder with none: exit 2" 2 "$(rc_of "$F" -q registry list --registry "$work" 2>/dev/null)"
for verb in list show diff history runs promote rollback pin unpin gc fsck; do
  check "registry $verb --help" 0 "$(rc_of "$F" registry $verb --help)"
done

# The issue's repro: a draft left by a SIGKILL during publish must not wedge the model.
mkdir "$work/registry/churn/.v000006.tmp-1-1"
echo x > "$work/registry/churn/.v000006.tmp-1-1/model.json"
land 8
check "retrain after a leftover draft publishes (no segfault)" 0 "$(rc_of "$F" -q retrain -c "$work/churn.yaml" 2>/dev/null)"
expect "  ... and the draft is gone" test ! -e "$work/registry/churn/.v000006.tmp-1-1"

# --wait: a held lock is exit 6 at once, or waited for.
if command -v flock > /dev/null; then
  "$F" -q synth --out "$work/more" --days 9 --rows 800 --seed 8 --drift-day 0
  cp "$work/more/day-0009.h5" "$work/landing/"
  hold_lock "$work/registry/churn/.lock" 2
  check "locked: exit 6" 6 "$(rc_of "$F" -q retrain -c "$work/churn.yaml" 2>/dev/null)"
  check "locked, --wait 20: waits and publishes" 0 "$(rc_of "$F" -q retrain -c "$work/churn.yaml" --wait 20)"
  wait $holder
  check "the locked run is recorded with exit 6" True \
    "$(jrun 'any(r["exit_code"] == 6 for r in d)' reg runs churn --json)"
else
  skip "--wait: flock(1) is not installed"
fi

# fsck --repair and --rebuild.
mkdir "$work/registry/churn/v000002"; echo '{}' > "$work/registry/churn/v000002/manifest.json"
mkdir -p "$work/registry/fraud/v000001"; echo '{}' > "$work/registry/fraud/v000001/manifest.json"
out=$(reg fsck 2>&1); rc=$?
check "fsck: problems found, exit 1" 1 $rc
expect "  ... the folder of a gc'd version" grep -q "PROBLEM .*deleted_folder .*churn/v000002" <<<"$out"
expect "  ... a model folder the index does not know" grep -q "PROBLEM .*orphan_folder .*fraud/v000001" <<<"$out"
out=$(reg fsck --repair 2>&1); rc=$?
check "fsck --repair removes the gc'd folder, cannot adopt fraud: exit 1" "1 1" \
  "$rc $(grep -c 'repaired  deleted_folder' <<<"$out")"
expect "  ... and says to rebuild for it" grep -q "fsck --rebuild to adopt it" <<<"$out"
before=$(jrun '[v["version"] for v in d]' reg list churn --json)
champ=$(jrun 'd["version"]' reg show churn champion --json)
rm "$work/registry/index.sqlite"*
out=$(reg list churn 2>&1); rc=$?
check "index deleted: readers exit 1 and point at fsck --rebuild" "1 1" "$rc $(grep -c 'fsck --rebuild' <<<"$out")"
out=$("$F" -q retrain -c "$work/churn.yaml" 2>&1); rc=$?
check "index deleted: a retrain refuses (exit 1) and points at fsck --rebuild" "1 1" "$rc $(grep -c 'fsck --rebuild' <<<"$out")"
check "fsck --rebuild: exit 0" 0 "$(rc_of reg fsck --rebuild)"
check "  ... every version is back" "$before" "$(jrun '[v["version"] for v in d]' reg list churn --json)"
check "  ... champion set to the newest" "$champ" "$(jrun 'd["version"]' reg show churn champion --json)"
check "  ... and fsck is clean" 0 "$(rc_of reg fsck)"
expect "  ... the unverifiable fraud folder moved aside, not deleted" \
  sh -c "ls '$work/registry/fraud/.orphaned' | grep -q '^v000001-'"

# An index written by a newer freshet is refused, not misread.
"$py" -c "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute('PRAGMA user_version = 99'); c.commit()" "$work/registry/index.sqlite"
out=$(reg list 2>&1); rc=$?
check "newer index format: exit 1" 1 $rc
expect "  ... saying so" grep -q "index.sqlite: the registry index has format 99, newer than this freshet reads (1)" <<<"$out"

finish registry
