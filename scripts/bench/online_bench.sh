#!/usr/bin/env bash
# The online-learning benchmark of issue 12, on one CPU core (taskset -c 0, FRESHET_THREADS=1):
#   1. hashed logistic regression over a synthetic stream (scripts/bench/online_peers.py gen; 11
#      features) by `freshet online` (FTRL-Proximal, CSV on standard input, test-then-train,
#      prequential metrics) against Vowpal Wabbit's native driver (Workspace("-d FILE ...") then
#      run_parser(), its default adaptive SGD) and River's LogisticRegression on the same features:
#      records/s, prequential log loss and accuracy, medians of --repeats runs, and the ratios;
#   2. accuracy on river.datasets.Phishing, freshet against River's LogisticRegression, no
#      preprocessing on either side (freshet with FTRL, and with SGD at River's learning rate).
#
#   scripts/bench/online_bench.sh [--rows 5000000] [--river-rows N] [--repeats 3] [--out DIR]
set -euo pipefail
source "$(dirname "$0")/../env.sh"
source "$(dirname "$0")/ninja_wait.sh"

rows=5000000 river_rows=0 repeats=3
out="$FRESHET_ROOT/out/bench/online"
while (($#)); do
  case "$1" in
    --rows) rows=$2; shift 2 ;;
    --river-rows) river_rows=$2; shift 2 ;;
    --repeats) repeats=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "usage: $0 [--rows N] [--river-rows N] [--repeats K] [--out DIR]" >&2; exit 2 ;;
  esac
done
((repeats >= 3)) || { echo "online_bench: --repeats must be at least 3 (medians)" >&2; exit 2; }
((river_rows > 0)) || river_rows=$rows
peers="$(dirname "$0")/online_peers.py"
data="$out/rows-$rows"
mkdir -p "$data"
wait_for_other_ninja "$FRESHET_BUILD"
ninja -C "$FRESHET_BUILD" -j2 freshet freshet_torch_module >&2
F="$FRESHET_BUILD/freshet"
if [ ! -f "$data/.done" ]; then
  echo "online_bench: writing $rows records" >&2
  "$FRESHET_PYTHON" "$peers" gen "$data" "$rows" 12
  touch "$data/.done"
fi
one="taskset -c 0"
export FRESHET_THREADS=1

cat > "$out/bench.yaml" <<YAML
model: online_bench
data: {landing: ., label: y}
features:
$(for i in 1 2 3 4 5; do echo "  - {column: x$i, type: numeric}"; done)
$(for i in 1 2 3 4 5 6; do echo "  - {column: c$i, type: categorical, ops: [{hash: {buckets: 262144}}]}"; done)
registry: {path: registry}
online: {learner: ftrl, batch_rows: 4096, warmup_rows: 1000, checkpoint_records: 1000000, checkpoint_seconds: 3600}
YAML
median() { "$FRESHET_PYTHON" -c "import sys, statistics as s; print(s.median(float(x) for x in sys.argv[1:]))" "$@"; }
field() { "$FRESHET_PYTHON" -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }

declare -a f_s v_s r_s
for r in $(seq 1 "$repeats"); do
  rm -rf "$out/registry"
  t0=$(date +%s.%N)
  fj=$($one "$F" -q online -c "$out/bench.yaml" --source - --no-publish --json < "$data/stream.csv")
  t1=$(date +%s.%N)
  f_s+=("$(echo "$t1 - $t0" | bc -l)")
  vj=$($one "$FRESHET_PYTHON" "$peers" vw "$data")
  v_s+=("$(field "$vj" seconds)")
  echo "online_bench: repeat $r: freshet ${f_s[-1]} s, vw ${v_s[-1]} s" >&2
done
echo "online_bench: River on $river_rows records" >&2
rj=$($one "$FRESHET_PYTHON" "$peers" river "$data" "$river_rows")
fsec=$(median "${f_s[@]}") vsec=$(median "${v_s[@]}")
echo "$fj" > "$out/freshet.json"; echo "$vj" > "$out/vw.json"; echo "$rj" > "$out/river.json"
"$FRESHET_PYTHON" - "$out" "$rows" "$fsec" "$vsec" <<'PY'
import json, sys
out, rows, fsec, vsec = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
f = json.load(open(out + "/freshet.json")); v = json.load(open(out + "/vw.json"))
r = json.load(open(out + "/river.json"))
ft = f["metrics"]["total"]
frate, vrate, rrate = rows / fsec, rows / vsec, r["records_per_second"]
print("records %d, one core (taskset -c 0), medians of the repeats" % rows)
print("%-8s %12s %10s %10s" % ("", "records/s", "log loss", "accuracy"))
print("%-8s %12.0f %10.4f %10.4f" % ("freshet", frate, ft["log_loss"], ft["accuracy"]))
print("%-8s %12.0f %10.4f %10.4f" % ("vw", vrate, v["log_loss"], v["accuracy"]))
print("%-8s %12.0f %10.4f %10.4f   (%d records)" % ("river", rrate, r["log_loss"], r["accuracy"], r["records"]))
print("freshet / vw throughput %.2fx, freshet / river %.0fx; accuracy freshet - vw %+.2f points"
      % (frate / vrate, frate / rrate, 100 * (ft["accuracy"] - v["accuracy"])))
PY

# River's Phishing stream, side by side.
pj=$("$FRESHET_PYTHON" "$peers" phishing "$out")
features=$("$FRESHET_PYTHON" -c "import json,sys; print(' '.join(json.loads(sys.argv[1])['features']))" "$pj")
for learner in ftrl sgd; do
  {
    echo "model: phishing_$learner"
    echo "data: {landing: ., label: y}"
    echo "features:"
    for c in $features; do echo "  - {column: $c, type: numeric}"; done
    echo "registry: {path: registry-phishing}"
    echo "online: {learner: $learner, lr: 0.01, power_t: 0, batch_rows: 1, warmup_rows: 1, checkpoint_records: 100000}"
  } > "$out/phishing_$learner.yaml"
  rm -rf "$out/registry-phishing"
  "$F" -q online -c "$out/phishing_$learner.yaml" --source - --no-publish --json \
    < "$out/phishing.csv" > "$out/phishing_$learner.json"
done
"$FRESHET_PYTHON" - "$out" "$pj" <<'PY'
import json, sys
out, r = sys.argv[1], json.loads(sys.argv[2])
print("river.datasets.Phishing (%d records), prequential accuracy / log loss:" % r["records"])
print("  river LogisticRegression (SGD 0.01)  %.4f / %.4f" % (r["accuracy"], r["log_loss"]))
for l in ["ftrl", "sgd"]:
    t = json.load(open("%s/phishing_%s.json" % (out, l)))["metrics"]["total"]
    print("  freshet %-4s                         %.4f / %.4f" % (l, t["accuracy"], t["log_loss"]))
PY
