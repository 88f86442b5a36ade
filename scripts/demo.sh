#!/usr/bin/env bash
# The main job on built-in sample data: installs what is missing, builds freshet, writes a
# synthetic drifting dataset (9 days), and retrains the churn model as the days land: on days 1-7,
# again when day 8 lands (the promotion gate compares it with the champion and promotes it), then
# with a config whose features are cut from the label when day 9 lands (published, but the gate
# keeps the champion: exit 4), writes that version's report, and shows the registry: versions,
# the champion's history, a rollback and scoring with the champion. Idempotent: a rerun starts
# from fresh demo data and a fresh registry.
set -euo pipefail
source "$(dirname "$0")/env.sh"
"$FRESHET_ROOT/scripts/build.sh" freshet
freshet="$FRESHET_BUILD/freshet"
demo="$FRESHET_ROOT/demo"
rm -rf "$demo" "$FRESHET_ROOT/registry"
mkdir -p "$demo/landing"

"$freshet" synth --out "$demo/all" --days 9 --rows 50000 --seed 7 --drift-day 6
cp "$demo"/all/day-000[1-7].h5 "$demo/landing/"

echo "== retrain on days 1-7 (evaluated on day 7)"
"$freshet" retrain -c "$FRESHET_ROOT/configs/churn.yaml"
echo "== again, with no new data: exit code 3"
rc=0; "$freshet" -q retrain -c "$FRESHET_ROOT/configs/churn.yaml" || rc=$?
echo "exit code $rc"
echo "== day 8 lands: retrain, warm-started from v000001"
cp "$demo/all/day-0008.h5" "$demo/landing/"
"$freshet" retrain -c "$FRESHET_ROOT/configs/churn.yaml"
echo "== day 9 lands with a config whose features carry no signal: published, kept out (exit 4)"
cp "$demo/all/day-0009.h5" "$demo/landing/"
sed -e 's/ops: \[.*\]}$/ops: [{hash: {buckets: 1}}]}/' -e '/type: numeric/s/ops: \[.*\]}$/ops: [{clip: [0, 0]}]}/' \
  -e 's/warm_start: true/warm_start: false/' -e 's#\.\./demo/landing#landing#' \
  "$FRESHET_ROOT/configs/churn.yaml" > "$demo/broken.yaml"
rc=0; "$freshet" -q retrain -c "$demo/broken.yaml" || rc=$?
echo "exit code $rc"
"$freshet" -q report churn v000003 --registry "$FRESHET_ROOT/registry" --out "$demo/report-v000003.html"
echo "its report (open it in a browser): $demo/report-v000003.html"
reg=(--registry "$FRESHET_ROOT/registry")
echo "== the registry: versions, and the champion's history"
"$freshet" registry list churn "${reg[@]}"
"$freshet" registry history churn --channel champion "${reg[@]}"
echo "== roll the champion back to v000001, and score day 8 with it"
"$freshet" -q registry rollback churn --channel champion --reason "demo: roll back" "${reg[@]}"
"$freshet" -q predict -c "$FRESHET_ROOT/configs/churn.yaml" --input "$demo/all/day-0008.h5" \
  --output "$demo/predictions.csv"
echo "== the runs the scheduler would see"
"$freshet" registry runs churn "${reg[@]}"
