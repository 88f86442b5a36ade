#!/usr/bin/env bash
# freshet online from its three sources (standard input, a followed file that is rotated and
# truncated, a folder of CSV and HDF5 chunks), with dead letters, delayed labels, drift responses,
# Prometheus metrics, SIGTERM, the lock, a published version that `freshet predict` reads, and
# resume exactness: SIGKILL at random moments $FRESHET_ONLINE_KILLS times (default 20), restart
# each time, and the final weights, prequential metrics and counts equal an uninterrupted run's.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
F=$FRESHET
gen="$py $(dirname "$0")/online_stream.py"
ckpt_py="$(dirname "$0")/online_checkpoint.py"
mkdir -p "$work/landing"
config() {  # config NAME [EXTRA] [CHECKPOINT_RECORDS]: $work/NAME.yaml with its own registry
  local extra=${2:-} every=${3:-1000}
  cat > "$work/$1.yaml" <<YAML
model: clicks
data: {landing: landing, label: y}
features:
  - {column: x1, type: numeric, ops: [standardize]}
  - {column: x2, type: numeric, ops: [standardize]}
  - {column: x3, type: numeric, ops: [{clip: [-3, 3]}]}
  - {column: c1, type: categorical, ops: [{vocab: {max_size: 100}}]}
  - {column: c2, type: categorical, ops: [{hash: {buckets: 4096}}]}
registry: {path: reg-$1}
online: {batch_rows: 100, warmup_rows: 300, checkpoint_records: $every, publish_minutes: 0$extra}
YAML
}

# --- standard input: every record read once, bad ones to the dead-letter file --------------------
$gen --rows 5000 --bad 8 --seed 3 > "$work/s.csv"
config stdin
"$F" -q online -c "$work/stdin.yaml" --source - --json < "$work/s.csv" > "$work/o1.json"
rc=$?
check "stdin run exits 0" 0 $rc
check "stdin: every record read" 5008 "$(json "$work/o1.json" "d['records']")"
check "stdin: bad records are dead letters (3 unparseable, 2 bad labels)" 8 \
  "$(json "$work/o1.json" "d['dead_letters']")"
check "stdin: the rest learnt" 5000 "$(json "$work/o1.json" "d['trained']")"
check "stdin: stopped at the end of input" "end of input" "$(json "$work/o1.json" "d['stop_reason']")"
check "stdin: published v000001" "['v000001']" "$(json "$work/o1.json" "d['published']")"
dl="$work/reg-stdin/clicks/online/dead_letters.jsonl"
check "dead-letter lines" 8 "$(wc -l < "$dl")"
check "each names a reason and a position" 8 \
  "$($py -c "import json,sys; print(sum(1 for l in open(sys.argv[1]) if json.loads(l)['reason'] and json.loads(l)['position']))" "$dl")"
expect "a reason names the column" grep -q 'column x1' "$dl"
expect "invalid UTF-8 is named" grep -q 'UTF-8' "$dl"
auc=$(json "$work/o1.json" "d['metrics']['window']['auc']")
expect "the learner learnt (window AUC $auc > 0.75)" $py -c "import sys; sys.exit(0 if $auc > 0.75 else 1)"
"$F" -q registry list clicks --registry "$work/reg-stdin" > "$work/show.txt" 2>&1
expect "the version is champion" grep -q "^v000001 .*champion" "$work/show.txt"
expect "the manifest records the stream range" $py -c "
import json,sys; m=json.load(open('$work/reg-stdin/clicks/v000001/manifest.json'))
s=m['stream']; sys.exit(0 if s['from']['offset']==0 and s['to']['records']==5008 else 1)"
# The same input again: everything was checkpointed, nothing is learnt twice.
"$F" -q online -c "$work/stdin.yaml" --source - --json < "$work/s.csv" > "$work/o2.json"
check "stdin replayed: resumes at the end, nothing read" 0 "$(json "$work/o2.json" "d['records']")"
check "stdin replayed: nothing learnt twice" 0 "$(json "$work/o2.json" "d['trained']")"
check "stdin replayed: resumed" True "$(json "$work/o2.json" "d['resumed']")"
# The published model reads like a batch-trained one.
head -200 "$work/s.csv" > "$work/head.csv"
check "predict reads the published version" 0 \
  "$(rc_of "$F" -q predict -c "$work/stdin.yaml" --input "$work/head.csv" --output "$work/pred.csv")"

# --- a followed file: appended, rotated, truncated ------------------------------------------------
config follow
$gen --rows 3000 --seed 4 > "$work/all.csv"
head -1001 "$work/all.csv" > "$work/events.csv"
"$F" online -c "$work/follow.yaml" --source "$work/events.csv" --idle-exit 4 --json \
  > "$work/o3.json" 2> "$work/o3.err" &
pid=$!
sleep 1.5
sed -n 1002,2001p "$work/all.csv" >> "$work/events.csv"
sleep 1.5
mv "$work/events.csv" "$work/events.csv.1"  # rotation: a new file at the path, with a header
(head -1 "$work/all.csv"; sed -n 2002,2501p "$work/all.csv") > "$work/events.csv"
sleep 1.5
(head -1 "$work/all.csv"; sed -n 2502,2801p "$work/all.csv") > "$work/events.csv"  # truncation
wait $pid
check "follow run exits 0" 0 $?
check "follow: every record of the file, its rotation and its truncation" 2800 \
  "$(json "$work/o3.json" "d['records']")"
check "follow: stopped when idle" idle "$(json "$work/o3.json" "d['stop_reason']")"
expect "follow: the rotation was logged" grep -qi rotat "$work/o3.err"
expect "follow: the truncation was logged" grep -qi truncat "$work/o3.err"

# --- a folder of chunks: CSV and HDF5, in name order, each once; a truncated one is a dead letter --
config folder
mkdir -p "$work/chunks"
$gen --rows 1500 --seed 5 > "$work/c.csv"
(head -1 "$work/c.csv"; sed -n 2,501p "$work/c.csv") > "$work/chunks/0001.csv"
$py - "$work/c.csv" "$work/chunks/0002.h5" <<'PY'
import csv, sys, h5py, numpy as np
rows = list(csv.DictReader(open(sys.argv[1])))[500:1000]
with h5py.File(sys.argv[2], "w") as f:
    for c in ["x1", "x2", "x3", "y"]:
        f[c] = np.array([float(r[c]) for r in rows])
    for c in ["id", "c1", "c2"]:
        f.create_dataset(c, data=[r[c].encode() for r in rows])
PY
head -c 3000 "$work/chunks/0002.h5" > "$work/chunks/0003.h5"
(head -1 "$work/c.csv"; sed -n 1002,1501p "$work/c.csv") > "$work/chunks/0004.csv"
"$F" -q online -c "$work/folder.yaml" --source "$work/chunks" --idle-exit 2 --json > "$work/o4.json"
check "folder run exits 0" 0 $?
check "folder: the rows of every good chunk learnt" 1500 "$(json "$work/o4.json" "d['trained']")"
check "folder: the truncated HDF5 chunk is one dead letter" 1 "$(json "$work/o4.json" "d['dead_letters']")"
expect "folder: the dead letter names the chunk" grep -q 0003.h5 "$work/reg-folder/clicks/online/dead_letters.jsonl"
cp "$work/chunks/0004.csv" "$work/chunks/0005.csv"
"$F" -q online -c "$work/folder.yaml" --source "$work/chunks" --idle-exit 2 --json > "$work/o5.json"
check "folder again: only the new chunk" 500 "$(json "$work/o5.json" "d['trained']")"

# --- malformed records: bad quoting, a 10 MB line; the stream goes on ------------------------------
config malformed
$gen --rows 2000 --seed 3 > "$work/clean.csv"
$py - "$work/clean.csv" "$work/m.csv" <<'PY'
import sys
lines = open(sys.argv[1]).read().splitlines()
bad = ['q2,1"x,1,1,c1,u1,1', 'q3,"1.5"x,1,1,c1,u1,1', 'q4,1,1,1,c1,' + 'z' * (10 << 20) + ',1']
open(sys.argv[2], 'w').write('\n'.join(lines[:1000] + bad + lines[1000:] + ['q1,"1.0,2,3,c1,u1,1']) + '\n')
PY
"$F" -q online -c "$work/malformed.yaml" --source - --json < "$work/m.csv" > "$work/o12.json"
check "malformed: every good record learnt, four dead letters" "2000 4" \
  "$(json "$work/o12.json" "'%d %d' % (d['trained'], d['dead_letters'])")"
dl="$work/reg-malformed/clicks/online/dead_letters.jsonl"
expect "malformed: a quote inside a field is named" grep -q 'expected a number, got' "$dl"
expect "malformed: text after a closing quote is named" grep -q 'after a closing quote' "$dl"
expect "malformed: the 10 MB line is refused by its length, 1 KiB of it kept" $py -c "
import json, sys
d = [json.loads(l) for l in open('$dl')]
sys.exit(0 if any('longer than' in x['reason'] and len(x['record']) <= 1024 for x in d) else 1)"
expect "malformed: the unterminated quote at the end is named" grep -q 'unterminated quoted field' "$dl"

# --- delayed labels joined by key -------------------------------------------------------------------
config delayed ", labels: {key: id, window_records: 1000}"
$gen --rows 3000 --seed 6 --delayed --delay 40 > "$work/d.csv"
"$F" -q online -c "$work/delayed.yaml" --source - --json < "$work/d.csv" > "$work/o6.json"
check "delayed: every label joined its record and was learnt" 3000 "$(json "$work/o6.json" "d['trained']")"
check "delayed: none expired" 0 "$(json "$work/o6.json" "d['labels_expired']")"
config delayed2 ", labels: {key: id, window_records: 20}"
"$F" -q online -c "$work/delayed2.yaml" --source - --json < "$work/d.csv" > "$work/o7.json"
expect "delayed: records whose label comes after the window expire unlearnt, their labels unmatched" \
  $py -c "import json,sys; d=json.load(open('$work/o7.json')); e=d['labels_expired']
sys.exit(0 if d['trained'] < 20 and d['trained'] + e == 3000 and d['labels_unmatched'] == e else 1)"

# --- drift: detectors signal, responses run ---------------------------------------------------------
config drift ", detectors: [{kind: adwin, responses: [log, boost_lr, command]}, {kind: page_hinkley}, {kind: ddm}], response: {command: 'echo \$FRESHET_DETECTOR \$FRESHET_RECORD >> $work/drift.log'}"
$gen --rows 20000 --seed 7 --drift-at 10000 > "$work/drift.csv"
"$F" -q online -c "$work/drift.yaml" --source - --json < "$work/drift.csv" > "$work/o8.json" 2> "$work/o8.err"
expect "drift: detected ($(json "$work/o8.json" "d['drift_events']") events)" \
  test "$(json "$work/o8.json" "d['drift_events']")" -ge 1
sleep 0.5
expect "drift: the command response ran after the drift point" $py -c "
import sys; ls=[l.split() for l in open('$work/drift.log')]; sys.exit(0 if ls and any(int(r)>=10000 for _,r in ls) else 1)"

# --- Prometheus: /metrics on loopback and the textfile; SIGTERM checkpoints and publishes ---------
config prom
port=$($py -c "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])")
cp "$work/s.csv" "$work/p.csv"
"$F" -q online -c "$work/prom.yaml" --source "$work/p.csv" --metrics-port "$port" \
  --metrics-file "$work/freshet.prom" --json > "$work/o9.json" 2> "$work/o9.err" &
pid=$!
got=""
for i in $(seq 1 50); do
  got=$(curl -s "http://127.0.0.1:$port/metrics" || true)
  echo "$got" | grep -q '^freshet_online_records_total{model="clicks"} 5008' && break
  sleep 0.2
done
expect "/metrics serves the record count" grep -q '^freshet_online_records_total{model="clicks"} 5008' <<< "$got"
expect "/metrics has the prequential AUC" grep -q '^freshet_online_prequential_auc{model="clicks",window="window"}' <<< "$got"
expect "/metrics has the dead letters" grep -q '^freshet_online_dead_letters_total{model="clicks"} 8' <<< "$got"
check "another path is 404" 404 "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/other")"
check "a second run of the same model is refused (exit 6)" 6 \
  "$(rc_of "$F" -q online -c "$work/prom.yaml" --source "$work/p.csv" --idle-exit 1)"
kill -TERM $pid
wait $pid
check "SIGTERM: exits 0" 0 $?
check "SIGTERM: stopped by the signal" signal "$(json "$work/o9.json" "d['stop_reason']")"
check "SIGTERM: published" "['v000001']" "$(json "$work/o9.json" "d['published']")"
expect "the textfile holds the metrics" grep -q '^freshet_online_trained_total{model="clicks"} 5000' "$work/freshet.prom"

# --- a second publish is gated against the champion on the same records ---------------------------
$gen --rows 4000 --seed 9 --no-header >> "$work/p.csv"
"$F" -q online -c "$work/prom.yaml" --source "$work/p.csv" --idle-exit 1 --json > "$work/o10.json"
check "resumed run publishes v000002" "['v000002']" "$(json "$work/o10.json" "d['published']")"
check "v000002 learnt only the new records" 4000 "$(json "$work/o10.json" "d['trained']")"
e2="$work/reg-prom/clicks/v000002/eval.json"
check "its gate compared with the champion v000001" "v000001 stream" \
  "$(json "$e2" "d['gate']['champion'] + ' ' + d['gate']['rules'][0]['set']")"
check "both scored on the same records" True \
  "$(json "$e2" "set(d['evaluation']['sets'][0]['models']) == {'challenger', 'champion'}")"

# --- the config's model family through LibTorch ----------------------------------------------------
config mlp ", learner: model"
sed -i 's/^registry:/model_spec: {kind: mlp, hidden: [16]}\ntrain: {lr: 0.01, device: cpu}\nregistry:/' "$work/mlp.yaml"
"$F" -q online -c "$work/mlp.yaml" --source - --json < "$work/s.csv" > "$work/o11.json"
check "learner: model learns and publishes" "5000 ['v000001']" \
  "$(json "$work/o11.json" "str(d['trained']) + ' ' + str(d['published'])")"
auc=$(json "$work/o11.json" "d['metrics']['window']['auc']")
expect "learner: model learnt (window AUC $auc > 0.7)" $py -c "import sys; sys.exit(0 if $auc > 0.7 else 1)"
check "predict reads its mlp" 0 \
  "$(rc_of "$F" -q predict -c "$work/mlp.yaml" --input "$work/head.csv" --output "$work/pred2.csv")"

# --- a batch-trained linear champion: the stream starts from its features and weights --------------
mkdir -p "$work/lc/landing"
$gen --rows 2500 --seed 20 > "$work/lc/landing/p1.csv"
$gen --rows 500 --seed 21 > "$work/lc/landing/p2.csv"
cat > "$work/lc/c.yaml" <<'YAML'
model: clicks
data: {landing: landing, pattern: "*.csv", label: y, window: {train: 1, eval: 1}}
features:
  - {column: x1, type: numeric, ops: [standardize]}
  - {column: x2, type: numeric, ops: [standardize]}
  - {column: x3, type: numeric, ops: [{clip: [-3, 3]}]}
  - {column: c1, type: categorical, ops: [{vocab: {max_size: 100}}]}
  - {column: c2, type: categorical, ops: [{hash: {buckets: 4096}}]}
model_spec: {kind: linear}
train: {device: cpu}
online: {batch_rows: 100, publish_minutes: 0}
YAML
check "a batch retrain makes a linear champion" 0 "$(rc_of "$F" -q retrain -c "$work/lc/c.yaml")"
$gen --rows 1000 --seed 22 | "$F" online -c "$work/lc/c.yaml" --source - --json > "$work/o13.json" 2> "$work/o13.err"
expect "online starts from the champion's features and weights" grep -q 'starting from the champion v000001 (features and weights)' "$work/o13.err"
check "and its first publish is gated against that champion" v000001 \
  "$(json "$work/lc/registry/clicks/v000002/eval.json" "d['gate']['champion']")"

# --- bad config and bad source -----------------------------------------------------------------------
config bad ", learner: bogus"
"$F" -q online -c "$work/bad.yaml" --source - < /dev/null 2> "$work/bad.err"
check "an unknown learner is a config error (exit 2)" 2 $?
expect "the message names the key" grep -q "online.learner" "$work/bad.err"

# --- resume exactness under SIGKILL ------------------------------------------------------------------
kills_wanted=${FRESHET_ONLINE_KILLS:-20}
$gen --rows 200000 --bad 30 --seed 8 --drift-at 100000 > "$work/k.csv"
config ref ", detectors: [{kind: adwin, responses: [boost_lr]}, {kind: ddm}]" 2000
config kill ", detectors: [{kind: adwin, responses: [boost_lr]}, {kind: ddm}]" 2000
t0=$(date +%s%N)
"$F" -q online -c "$work/ref.yaml" --source "$work/k.csv" --idle-exit 1 --no-publish --json > "$work/ref.json"
t_ref=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "     the uninterrupted run takes ${t_ref} ms"
kills=0 runs=0
while [ $runs -lt $((kills_wanted * 3)) ]; do
  runs=$((runs + 1))
  "$F" -q online -c "$work/kill.yaml" --source "$work/k.csv" --idle-exit 1 --no-publish --json \
    > "$work/kill.json" 2>> "$work/kill.err" &
  pid=$!
  if [ $kills -lt "$kills_wanted" ]; then
    # Each killed run gets a moment of work (about a tenth of the uninterrupted run's), so that
    # every kill lands while records remain: in start-up, mid-batch, mid-checkpoint.
    sleep "$($py -c "import random; print(round(random.uniform(0.02, max(0.1, $t_ref / 10000)), 3))")"
    if kill -KILL $pid 2>/dev/null; then kills=$((kills + 1)); fi
    wait $pid 2>/dev/null
  else
    wait $pid
    break
  fi
done
check "killed $kills_wanted times" "$kills_wanted" "$kills"
expect "after $kills kills the final weights, metrics, detectors and counts equal the uninterrupted run's" \
  $py "$ckpt_py" "$work/reg-ref/clicks/online/checkpoint" "$work/reg-kill/clicks/online/checkpoint"
strip_time() { $py -c "import json,sys; [print(json.dumps({k: v for k, v in json.loads(l).items() if k != 'time'})) for l in open(sys.argv[1])]" "$1" | md5sum; }
check "dead letters neither lost nor doubled across kills" \
  "$(strip_time "$work/reg-ref/clicks/online/dead_letters.jsonl")" \
  "$(strip_time "$work/reg-kill/clicks/online/dead_letters.jsonl")"
finish online
