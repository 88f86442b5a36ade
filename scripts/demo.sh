#!/usr/bin/env bash
# The main job on built-in sample data: installs what is missing, builds freshet, writes a
# synthetic drifting dataset (8 days), and retrains the churn model twice — once on days 1-7,
# then again when day 8 lands — showing the published versions. Idempotent: a rerun starts
# from fresh demo data.
set -euo pipefail
source "$(dirname "$0")/env.sh"
"$FRESHET_ROOT/scripts/build.sh" freshet
freshet="$FRESHET_BUILD/freshet"
demo="$FRESHET_ROOT/demo"
rm -rf "$demo" "$FRESHET_ROOT/registry/churn"
mkdir -p "$demo/landing"

"$freshet" synth --out "$demo/all" --days 8 --rows 50000 --seed 7 --drift-day 6
cp "$demo"/all/day-000[1-7].h5 "$demo/landing/"

echo "== retrain on days 1-7 (evaluated on day 7)"
"$freshet" retrain -c "$FRESHET_ROOT/configs/churn.yaml"
echo "== again, with no new data: exit code 3"
rc=0; "$freshet" -q retrain -c "$FRESHET_ROOT/configs/churn.yaml" || rc=$?
echo "exit code $rc"
echo "== day 8 lands: retrain, warm-started from v000001"
cp "$demo/all/day-0008.h5" "$demo/landing/"
"$freshet" retrain -c "$FRESHET_ROOT/configs/churn.yaml"
echo "== registry"
ls "$FRESHET_ROOT/registry/churn"
