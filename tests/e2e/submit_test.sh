#!/usr/bin/env bash
# A submission's tasks and aggregation without Slurm (tests/e2e/slurm_test.sh runs them under a
# real one-node Slurm): `freshet submit --dry-run` prints the scripts and writes nothing; the plan
# pins the inputs; `freshet trial` runs each task; `freshet aggregate` publishes the winner once
# with every task's results, refuses when a task failed or left no result, and has nothing to do
# on a rerun; bad sweeps, flags, a changed config and a changed input are refused with the exit
# codes of DESIGN.md.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
setup_churn 5 300
land 1; land 2; land 3
cfg="$work/churn.yaml"
setup_sweeps

# --- dry run: the scripts, nothing written --------------------------------------------------------
out=$("$FRESHET" -q submit -c "$cfg" --sweep "$work/sweep.yaml" --partition debug --time 0:10:00 --dry-run)
check "dry run: exit 0" 0 $?
check "dry run: an array of 3 tasks" 1 "$(grep -c '^#SBATCH --array=0-2$' <<< "$out")"
check "dry run: the task command" 1 "$(grep -c 'trial --plan .* --task "$SLURM_ARRAY_TASK_ID"' <<< "$out")"
check "dry run: the aggregation command" 1 "$(grep -c "aggregate --plan '" <<< "$out")"
check "dry run: partition and time in both scripts" 4 "$(grep -cE '^#SBATCH --(partition=debug|time=0:10:00)$' <<< "$out")"
check "dry run: the example sweep (examples/slurm/sweep.yaml), 4 tasks" 1 "$("$FRESHET" -q submit -c "$cfg" --sweep "$FRESHET_SOURCE/examples/slurm/sweep.yaml" --dry-run | grep -c '^#SBATCH --array=0-3$')"
check "dry run: wrote nothing" 0 "$(find "$work" -name plan.json | wc -l)"
check "dry run: --gpus-per-task" 1 "$("$FRESHET" -q submit -c "$cfg" --seeds 2 --gpus-per-task 1 --dry-run | grep -c '^#SBATCH --gpus-per-task=1$')"

# --- bad input --------------------------------------------------------------------------------------
err() { "$FRESHET" -q submit -c "$cfg" "$@" --dry-run 2>&1 >/dev/null | tail -1; }
check "no mode: exit 2" 2 "$(rc_of "$FRESHET" -q submit -c "$cfg" --dry-run)"
check "two modes: exit 2" 2 "$(rc_of "$FRESHET" -q submit -c "$cfg" --seeds 2 --folds 2 --dry-run)"
check "one fold: exit 2" 2 "$(rc_of "$FRESHET" -q submit -c "$cfg" --folds 1 --dry-run)"
echo '- {train.lr: fast}' > "$work/bad1.yaml"
check "a sweep entry of the wrong type: exit 2" 2 "$(rc_of "$FRESHET" -q submit -c "$cfg" --sweep "$work/bad1.yaml" --dry-run)"
expect "... naming the file, the entry and the key" grep -q "bad1.yaml: entry 1: .*train.lr" <<< "$(err --sweep "$work/bad1.yaml")"
echo '- {train.nope: 1}' > "$work/bad2.yaml"
expect "an unknown key names it" grep -q "entry 1: .*train.nope" <<< "$(err --sweep "$work/bad2.yaml")"
echo '- {data.label: plan}' > "$work/bad3.yaml"
check "a sweep that changes the data: exit 2" 2 "$(rc_of "$FRESHET" -q submit -c "$cfg" --sweep "$work/bad3.yaml" --dry-run)"
echo 'grid: {train.lr: []}' > "$work/bad4.yaml"
expect "an empty grid list names the key" grep -q "bad4.yaml: grid.train.lr" <<< "$(err --sweep "$work/bad4.yaml")"
echo '[]' > "$work/bad5.yaml"
expect "an empty sweep is refused" grep -q "bad5.yaml: the sweep has no entries" <<< "$(err --sweep "$work/bad5.yaml")"
check "a missing sweep file: exit 1" 1 "$(rc_of "$FRESHET" -q submit -c "$cfg" --sweep "$work/none.yaml" --dry-run)"
echo 'grid: {train.lr: [0.01, 0.1], model_spec.hidden: [[4], [8]]}' > "$work/grid.yaml"
check "a grid: the cartesian product" 1 "$("$FRESHET" -q submit -c "$cfg" --sweep "$work/grid.yaml" --dry-run | grep -c '^#SBATCH --array=0-3$')"
mkdir -p "$work/empty"
sed -e 's|landing: landing|landing: empty|' "$cfg" > "$work/empty.yaml"
check "no data: exit 3" 3 "$(rc_of "$FRESHET" -q submit -c "$work/empty.yaml" --seeds 2 --dry-run)"

# --- tasks and aggregation by hand (what the Slurm jobs run) -------------------------------------
# A plan is written by submit; without sbatch on PATH it fails after writing it, so the test
# writes it through a stand-in sbatch that only answers job ids.
mkdir -p "$work/bin"
printf '#!/bin/sh\necho $$\n' > "$work/bin/sbatch"; chmod +x "$work/bin/sbatch"
sub="$work/sub1"
out=$(PATH="$work/bin:$PATH" "$FRESHET" -q submit -c "$cfg" --sweep "$work/sweep.yaml" --out "$sub")
check "submit: exit 0" 0 $?
expect "submit: prints the job ids" grep -qE "as job array [0-9]+, aggregation job [0-9]+" <<< "$out"
check "plan: 3 tasks" 3 "$(json "$sub/plan.json" 'len(d["tasks"])')"
check "plan: pinned inputs with their sha256" 3 "$(json "$sub/plan.json" 'sum(len(i["sha256"]) == 64 for i in d["inputs"])')"
check "submit again into the same folder: exit 2" 2 "$(PATH="$work/bin:$PATH" rc_of "$FRESHET" -q submit -c "$cfg" --seeds 2 --out "$sub")"
check "trial: a task out of range: exit 2" 2 "$(rc_of "$FRESHET" -q trial --plan "$sub" --task 3)"
check "trial 0: exit 0" 0 "$(rc_of "$FRESHET" -q trial --plan "$sub" --task 0)"
check "trial 0: result ok" ok "$(json "$sub/tasks/0/result.json" 'd["status"]')"
expect "trial 0: its model files" test -f "$sub/tasks/0/model.safetensors" -a -f "$sub/tasks/0/features.json"
check "aggregate with tasks 1 and 2 missing: exit 1" 1 "$(rc_of "$FRESHET" -q aggregate --plan "$sub")"
expect "... naming them" grep -q "task 1: no result" <<< "$("$FRESHET" -q aggregate --plan "$sub" 2>&1)"
check "... and publishing nothing" 0 "$(ls "$work/registry/churn" | grep -c '^v0')"
check "... recorded as a failed run" 1 "$(jrun 'd[0]["exit_code"]' "$FRESHET" -q registry runs -c "$cfg" churn --json)"
"$FRESHET" -q trial --plan "$sub" --task 1 > /dev/null
"$FRESHET" -q trial --plan "$sub" --task 2 > /dev/null
check "aggregate: exit 0" 0 "$(rc_of "$FRESHET" -q aggregate --plan "$sub")"
ev="$work/registry/churn/v000001/eval.json"
check "aggregate: published v000001 with 3 tasks' results" 3 "$(json "$ev" 'len(d["trials"]["tasks"])')"
check "... every task with its metrics" 3 "$(json "$ev" 'sum("auc" in t["metrics"] for t in d["trials"]["tasks"])')"
check "... one winner, the best auc" True "$(json "$ev" '[x["metrics"]["auc"] for x in d["trials"]["tasks"] if x["winner"]] == [max(x["metrics"]["auc"] for x in d["trials"]["tasks"])]')"
check "... the published metrics are the winner's" True "$(json "$ev" 'abs([x for x in d["trials"]["tasks"] if x["winner"]][0]["metrics"]["auc"] - d["metrics"]["auc"]) < 1e-9')"
man="$work/registry/churn/v000001/manifest.json"
check "manifest: the submission and the winner's config" True "$(json "$man" 'd["submission"]["id"] != "" and (d["config"]["model_spec"]["kind"] == "linear") == (d["submission"]["winner"] == 2)')"
check "aggregate again: nothing to do (exit 3)" 3 "$(rc_of "$FRESHET" -q aggregate --plan "$sub")"
check "... still one version" 1 "$(ls "$work/registry/churn" | grep -c '^v0')"
check "fsck clean" 0 "$(rc_of "$FRESHET" -q registry fsck -c "$cfg")"

# A failed task: its reason is reported and nothing is published.
sub2="$work/sub2"
PATH="$work/bin:$PATH" "$FRESHET" -q submit -c "$work/cold.yaml" --sweep "$work/sweep_fail.yaml" --out "$sub2" > /dev/null
"$FRESHET" -q trial --plan "$sub2" --task 0 > /dev/null
check "a task on a missing column fails: exit 5" 5 "$(rc_of "$FRESHET" -q trial --plan "$sub2" --task 1)"
check "... its result says so" failed "$(json "$sub2/tasks/1/result.json" 'd["status"]')"
out=$("$FRESHET" -q aggregate --plan "$sub2" 2>&1); rc=$?
check "aggregate refuses: exit 1" 1 $rc
expect "... naming the task and its error" grep -q "task 1 failed (exit 5): .*nope" <<< "$out"
check "... publishing nothing" 1 "$(ls "$work/registry/churn" | grep -c '^v0')"

# Folds and seeds: the spread over tasks is in eval.json. (Cold starts: the sweep's winner may be
# the linear model, whose weights an mlp cannot warm-start from.)
land 4
sub3="$work/sub3"
PATH="$work/bin:$PATH" "$FRESHET" -q submit -c "$work/cold.yaml" --folds 2 --out "$sub3" > /dev/null
for i in 0 1; do "$FRESHET" -q trial --plan "$sub3" --task $i > /dev/null; done
check "folds: each task has its fold's metrics" "True True" "$(for i in 0 1; do json "$sub3/tasks/$i/result.json" '"auc" in d["fold_metrics"]'; done | xargs)"
rc=$(rc_of "$FRESHET" -q aggregate --plan "$sub3")
check "folds: aggregate publishes (0 or 4)" 1 "$([ "$rc" = 0 ] || [ "$rc" = 4 ]; echo $((1 - $?)))"
ev="$work/registry/churn/v000002/eval.json"
check "folds: cross-validation over 2 folds in eval.json" 2 "$(json "$ev" 'd["trials"]["cross_validation"]["runs"]')"
check "folds: the champion was compared" True "$(json "$ev" '"champion" in d["evaluation"]["sets"][0]["models"]')"

# A changed config or input after the submission is refused.
sub4="$work/sub4"
PATH="$work/bin:$PATH" "$FRESHET" -q submit -c "$cfg" --seeds 2 --out "$sub4" > /dev/null
cp "$cfg" "$work/churn.yaml.orig"
sed -i 's/lr: 0.01/lr: 0.02/' "$cfg"
check "a config changed since the submission: exit 2" 2 "$(rc_of "$FRESHET" -q trial --plan "$sub4" --task 0)"
cp "$work/churn.yaml.orig" "$cfg"
cp "$work/all/day-0001.h5" "$work/landing/day-0004.h5"
check "an input changed since the submission: exit 5" 5 "$(rc_of "$FRESHET" -q trial --plan "$sub4" --task 0)"
expect "... naming the file" grep -q "day-0004.h5: changed since the submission" <<< "$("$FRESHET" -q trial --plan "$sub4" --task 0 2>&1)"
cp "$work/all/day-0004.h5" "$work/landing/day-0004.h5"

# The data gate at aggregation: the tasks train (they do not check the data), but a fresh
# partition whose ages are ten times the schema's range fails the gate there (exit 5), with the
# column and check named, nothing published and the data report kept with the run.
"$py" - "$work/all/day-0005.h5" "$work/landing/day-0005.h5" <<'PY'
import sys, h5py
with h5py.File(sys.argv[1]) as s, h5py.File(sys.argv[2], "w") as f:
    for k in s:
        f.create_dataset(k, data=s[k][:] * 10 if k == "age" else s[k][:])
PY
sed 's/^gate: false$/&\nvalidate: {severity: {FLOAT_TYPE_BIG_FLOAT: fail}}/' "$work/cold.yaml" > "$work/strict.yaml"
sub5="$work/sub5"
PATH="$work/bin:$PATH" "$FRESHET" -q submit -c "$work/strict.yaml" --seeds 2 --out "$sub5" > /dev/null
for i in 0 1; do "$FRESHET" -q trial --plan "$sub5" --task $i > /dev/null; done
before=$(ls "$work/registry/churn" | grep -c '^v0')
out=$("$FRESHET" -q aggregate --plan "$sub5" 2>&1); rc=$?
check "a fresh partition out of the schema's range: aggregate exits 5" 5 $rc
expect "... naming the check and the column" grep -q 'FLOAT_TYPE_BIG_FLOAT: column "age"' <<< "$out"
check "... publishing nothing" "$before" "$(ls "$work/registry/churn" | grep -c '^v0')"
check "... the run's reason names the gate and its report" True "$(jrun '"data gate" in d[0]["reason"] and "data_report.json" in d[0]["reason"]' "$FRESHET" -q registry runs churn -c "$cfg" --json)"
finish submit
