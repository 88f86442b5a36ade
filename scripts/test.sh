#!/usr/bin/env bash
# Builds freshet and runs the whole test suite (unit tests and end-to-end CLI tests) with CTest.
# Installs what is missing first. GPU tests (suffix _CUDA) skip with a message where no GPU is visible.
# Then checks the CPU-only configuration (FRESHET_CUDA=OFF, in $FRESHET_BUILD-cpu): builds the
# kernels, io and core suites and runs them, and builds the LibTorch library (libfreshet_torch.so,
# with src/train/torch_nocuda.cc), which holds every line that differs without CUDA
# (FRESHET_CPU_ONLY_CHECK=0 skips);
# and last the style checks, clang-format and clang-tidy (scripts/lint.sh; FRESHET_LINT=0 skips).
set -euo pipefail
source "$(dirname "$0")/env.sh"
FRESHET_CMAKE_ARGS="${FRESHET_CMAKE_ARGS:-} -DFRESHET_WERROR=${FRESHET_WERROR:-OFF}" \
  "$FRESHET_ROOT/scripts/build.sh"
(cd "$FRESHET_BUILD" && ctest --output-on-failure -j "${FRESHET_JOBS:-2}" "$@")

if [ "${FRESHET_CPU_ONLY_CHECK:-1}" != 0 ]; then
  cpu="$FRESHET_BUILD-cpu"
  echo "== the CPU-only configuration (-DFRESHET_CUDA=OFF) in $cpu" >&2
  FRESHET_BUILD=$cpu \
    FRESHET_CMAKE_ARGS="${FRESHET_CMAKE_ARGS:-} -DFRESHET_CUDA=OFF -DFRESHET_WERROR=${FRESHET_WERROR:-OFF}" \
    "$FRESHET_ROOT/scripts/build.sh" freshet_kernels_tests freshet_io_tests freshet_core_tests \
    freshet_torch_module
  for suite in kernels io core; do
    "$cpu/tests/freshet_${suite}_tests" --gtest_brief=1
  done
fi

if [ "${FRESHET_LINT:-1}" != 0 ]; then
  echo "== clang-format and clang-tidy" >&2
  "$FRESHET_ROOT/scripts/lint.sh"
fi
