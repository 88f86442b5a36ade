#!/usr/bin/env bash
# End to end: the data gate's drift statistics equal SciPy's (ks_2samp, wasserstein_distance,
# jensenshannon, chi2_contingency) and a hand-computed PSI to 1e-6, and its default method, score
# and decision per column equal Evidently's (tests/e2e/drift_parity.py). Needs $FRESHET and
# $FRESHET_PYTHON with scipy, pandas, h5py and evidently (scripts/setup.sh installs them).
set -uo pipefail
: "${FRESHET:?set FRESHET to the freshet binary}"
py=${FRESHET_PYTHON:-python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$py" "$(dirname "$0")/drift_parity.py" --freshet "$FRESHET" --work "$work"
