#!/usr/bin/env bash
# End to end: freshet's evaluation metrics (TaskMetrics, curves, calibration bins, expected value,
# top fraction) equal scikit-learn 1.9's and numpy's on random data with ties and with and
# without weights, to 1e-9 (tests/e2e/metrics_parity.py). Runs freshet_metrics_tool: from
# $FRESHET_METRICS_TOOL when set, else from the build folder's tests/ next to $FRESHET. Needs
# $FRESHET_PYTHON with numpy and scikit-learn (scripts/setup.sh installs them); skipped (exit 77)
# without them.
set -uo pipefail
py=${FRESHET_PYTHON:-python3}
tool=${FRESHET_METRICS_TOOL:-}
if [ -z "$tool" ]; then
  : "${FRESHET:?set FRESHET to the freshet binary or FRESHET_METRICS_TOOL to freshet_metrics_tool}"
  tool=$(dirname "$FRESHET")/tests/freshet_metrics_tool
fi
if [ ! -x "$tool" ]; then
  echo "metrics_parity: no freshet_metrics_tool at $tool (build the freshet_metrics_tool target)" >&2
  exit 1
fi
if ! "$py" -c 'import numpy, sklearn' 2>/dev/null; then
  echo "metrics_parity: skipped: $py cannot import numpy and sklearn" >&2
  exit 77
fi
"$py" "$(dirname "$0")/metrics_parity.py" --tool "$tool"
