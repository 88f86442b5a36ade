#!/usr/bin/env bash
# Configures and builds freshet into $FRESHET_BUILD (default: build/). Extra arguments are ninja
# targets. Quick when nothing changed.
set -euo pipefail
source "$(dirname "$0")/env.sh"
if [ ! -f "$FRESHET_BUILD/build.ninja" ]; then
  cmake -S "$FRESHET_ROOT" -B "$FRESHET_BUILD" -G Ninja -DTorch_DIR="$Torch_DIR" \
    -DFRESHET_PYTHON="$FRESHET_PYTHON" ${FRESHET_CMAKE_ARGS:-} >&2
fi
cmake --build "$FRESHET_BUILD" -j "${FRESHET_JOBS:-2}" ${1:+--target "$@"} >&2
