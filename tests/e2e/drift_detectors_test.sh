#!/usr/bin/env bash
# End to end: freshet's drift detectors (ADWIN, PageHinkley, DDM) signal at exactly the indices
# River 0.26.1's do, warnings included, and end in bit-identical states, on seeded streams with
# abrupt and gradual changes, mean shifts and none, with River's defaults and other parameters,
# also when the detector is saved and restored every 97 values (tests/e2e/drift_river.py). Runs
# freshet_drift_tool: from $FRESHET_DRIFT_TOOL when set, else from the build folder's tests/ next
# to $FRESHET. Needs $FRESHET_PYTHON with river (scripts/setup.sh installs it); skipped (exit 77)
# without it.
set -uo pipefail
py=${FRESHET_PYTHON:-python3}
tool=${FRESHET_DRIFT_TOOL:-}
if [ -z "$tool" ]; then
  : "${FRESHET:?set FRESHET to the freshet binary or FRESHET_DRIFT_TOOL to freshet_drift_tool}"
  tool=$(dirname "$FRESHET")/tests/freshet_drift_tool
fi
if [ ! -x "$tool" ]; then
  echo "drift_detectors: no freshet_drift_tool at $tool (build the freshet_drift_tool target)" >&2
  exit 1
fi
if ! why=$("$py" -c 'import river' 2>&1); then
  echo "drift_detectors: skipped: $py cannot import river: ${why##*$'\n'}" >&2
  exit 77
fi
"$py" "$(dirname "$0")/drift_river.py" --tool "$tool"
