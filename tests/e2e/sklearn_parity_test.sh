#!/usr/bin/env bash
# End to end: freshet with default model and training settings (no model_spec:, no train:) on
# small real data shipped in scikit-learn (breast cancer, iris, wine, digits, diabetes) and on a
# generated regression with and without a label offset of 1e4 and scale of 1e3, each cut into four
# HDF5 partitions: the fallback within 0.005 of scikit-learn's LogisticRegression() / Ridge() and
# converged, the main model no more than 0.01 below the fallback (tests/e2e/sklearn_parity.py).
# Needs $FRESHET and $FRESHET_PYTHON with scikit-learn and h5py (scripts/setup.sh installs them).
set -uo pipefail
: "${FRESHET:?set FRESHET to the freshet binary}"
py=${FRESHET_PYTHON:-python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$py" "$(dirname "$0")/sklearn_parity.py" --freshet "$FRESHET" --work "$work"
