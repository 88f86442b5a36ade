#!/usr/bin/env bash
# Builds freshet and runs the whole test suite (unit tests and end-to-end CLI tests) with CTest.
# Installs what is missing first. GPU tests (suffix _CUDA) skip with a message where no GPU is visible.
set -euo pipefail
source "$(dirname "$0")/env.sh"
FRESHET_CMAKE_ARGS="${FRESHET_CMAKE_ARGS:-} -DFRESHET_WERROR=${FRESHET_WERROR:-OFF}" \
  "$FRESHET_ROOT/scripts/build.sh"
cd "$FRESHET_BUILD"
ctest --output-on-failure -j "${FRESHET_JOBS:-2}" "$@"
