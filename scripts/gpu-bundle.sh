#!/usr/bin/env bash
# Builds what scripts/gpu-check.sh runs on a GPU machine and copies it into gpu-bundle/ (git-
# ignored), so that it can travel there: the GPU machines have CUDA, CMake and a Python with torch,
# but no network and probably none of the Debian -dev libraries freshet builds against
# (../shared/notes/gpu-machine.md). The bundle holds:
#   bin/           freshet and libfreshet_torch.so, the test binaries with _CUDA tests, the feature benchmarks (debug info
#                  stripped, symbols kept for backtraces)
#   lib/           the shared libraries they need that are neither glibc's nor LibTorch's nor the
#                  CUDA runtime (HDF5, spdlog, fmt, yaml-cpp, OpenSSL, libcurl and its chain, ...),
#                  stripped: the GPU machine's own torch/lib and CUDA provide the rest
#   lib-fallback/  libstdc++ and libgcc_s, used by gpu-check.sh only if the machine's are too old
#   MANIFEST       what was built, from which tree, and the newest glibc symbol version needed
# The benchmark data is not bundled: freshet_feature_bench --synthetic generates it in memory.
#
#   scripts/gpu-bundle.sh            # then: bash scripts/gpu-check.sh OUTDIR on the GPU machine
set -euo pipefail
source "$(dirname "$0")/env.sh"
source "$(dirname "$0")/bench/ninja_wait.sh"

root=$FRESHET_ROOT
build=$FRESHET_BUILD
bundle="$root/gpu-bundle"
max_bytes=$((64 * 1024 * 1024))

grep -q '^FRESHET_CUDA:BOOL=ON' "$build/CMakeCache.txt" ||
  { echo "gpu-bundle: $build is not a CUDA build (FRESHET_CUDA=OFF)" >&2; exit 1; }

# Each target on its own, so that one that does not compile (tests being rewritten) leaves the
# others bundled; the list of what failed goes into the MANIFEST and the exit code.
declare -A path=(
  [freshet]="$build/freshet"
  [freshet_kernels_tests]="$build/tests/freshet_kernels_tests"
  [freshet_core_tests]="$build/tests/freshet_core_tests"
  [freshet_torch_tests]="$build/tests/freshet_torch_tests"
  [freshet_feature_bench]="$build/freshet_feature_bench"
  [freshet_torch_feature_bench]="$build/freshet_torch_feature_bench"
)
order=(freshet freshet_kernels_tests freshet_core_tests freshet_torch_tests freshet_feature_bench
  freshet_torch_feature_bench)
built=() failed=()
for t in "${order[@]}"; do
  if ! ninja -C "$build" -t query "$t" >/dev/null 2>&1; then
    echo "gpu-bundle: no target $t in this build (no sources yet?): skipped" >&2
    continue
  fi
  echo "gpu-bundle: building $t" >&2
  wait_for_other_ninja "$build"
  if ninja -C "$build" -j2 "$t" >"$build/gpu-bundle-$t.log" 2>&1; then
    built+=("$t")
  else
    echo "gpu-bundle: $t FAILED to build (log: $build/gpu-bundle-$t.log):" >&2
    grep -m5 -E 'error|FAILED' "$build/gpu-bundle-$t.log" >&2 || true
    failed+=("$t")
  fi
done

rm -rf "$bundle.tmp"
mkdir -p "$bundle.tmp/bin" "$bundle.tmp/lib" "$bundle.tmp/lib-fallback"
bins=()
for t in "${built[@]}"; do
  # A test binary without _CUDA tests has nothing to do on the GPU machine.
  if [[ $t == *_tests ]] &&
    ! "${path[$t]}" --gtest_list_tests --gtest_filter='*_CUDA*' 2>/dev/null | grep -q '^  '; then
    echo "gpu-bundle: $t has no _CUDA tests: not bundled" >&2
    continue
  fi
  cp "${path[$t]}" "$bundle.tmp/bin/$t"
  strip --strip-debug "$bundle.tmp/bin/$t"
  bins+=("$t")
  # freshet opens its training library from beside itself.
  if [ "$t" = freshet ]; then
    cp "$build/libfreshet_torch.so" "$bundle.tmp/bin/"
    strip --strip-debug "$bundle.tmp/bin/libfreshet_torch.so"
    bins+=(libfreshet_torch.so)
  fi
done

# Every resolved dependency except glibc's (must be the machine's own), the C++ runtime (fallback
# only), LibTorch and its CUDA wheels (the machine's torch provides them, same version), and the
# CUDA runtime and driver (the machine's CUDA 13 provides them).
skip='^(linux-vdso|ld-linux|libc|libm|libdl|libpthread|librt|libutil|libresolv'
skip+='|libcuda|libcudart|libnvrtc)\.so'
for b in "${bins[@]}"; do
  ldd "$bundle.tmp/bin/$b" | awk '$2 == "=>" && $3 ~ /^\// {print $1, $3}'
done | sort -u | while read -r name file; do
  case "$file" in
    */site-packages/*|/usr/local/cuda*) continue ;;
  esac
  [[ $name =~ $skip ]] && continue
  dest="$bundle.tmp/lib"
  [[ $name =~ ^(libstdc\+\+|libgcc_s)\.so ]] && dest="$bundle.tmp/lib-fallback"
  cp -L "$file" "$dest/$name"
  chmod u+w "$dest/$name"
  strip --strip-unneeded "$dest/$name"
done

# The GPU machine's glibc must be at least this new (the fallback C++ runtime is counted apart).
newest_glibc() { objdump -T "$@" 2>/dev/null | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1; }
glibc=$(newest_glibc "$bundle.tmp"/bin/* "$bundle.tmp"/lib/*)
glibc_fallback=$(newest_glibc "$bundle.tmp"/lib-fallback/*)
{
  echo "built: $(date -u '+%Y-%m-%d %H:%M UTC') on $(. /etc/os-release && echo "$PRETTY_NAME")," \
    "$(ldd --version | head -1)"
  echo "tree: $(git -C "$root" rev-parse --short HEAD) with" \
    "$(git -C "$root" status --porcelain | wc -l) uncommitted changes"
  echo "torch: $("$FRESHET_PYTHON" -c 'import torch; print(torch.__version__)' 2>/dev/null ||
    echo '?')"
  echo "nvcc targets: $(grep -o 'arch=compute_[0-9a-z]*,code=[a-z_0-9]*' "$build/build.ninja" |
    sort -u | tr '\n' ' ')"
  echo "newest glibc symbol needed: ${glibc:-none} (lib-fallback: ${glibc_fallback:-none})"
  echo "binaries: ${bins[*]}"
  echo "failed to build: ${failed[*]:-none}"
  echo "libraries:"
  (cd "$bundle.tmp" && du -b lib/* lib-fallback/* |
    awk '{printf "  %-40s %8.0f KiB\n", $2, $1 / 1024}')
} >"$bundle.tmp/MANIFEST"

size=$(du -sb "$bundle.tmp" | cut -f1)
if ((size > max_bytes)); then
  echo "gpu-bundle: $((size / 1048576)) MiB is over the 64 MiB a device run can carry" >&2
  exit 1
fi
rm -rf "$bundle"
mv "$bundle.tmp" "$bundle"
cat "$bundle/MANIFEST"
echo "gpu-bundle: $bundle, $((size / 1024)) KiB"
if ((${#failed[@]})); then
  echo "gpu-bundle: bundled without: ${failed[*]} (did not build)" >&2
  exit 3
fi
