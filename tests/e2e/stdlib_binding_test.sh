#!/usr/bin/env bash
# Every libstdc++ symbol that freshet (or the LibTorch test binary) uses must bind to libstdc++,
# never to the copies libtorch exports: with LD_BIND_NOW every symbol binds at start-up, and
# LD_DEBUG=bindings shows where each went. A binding into libtorch*/libc10* of a symbol that
# libstdc++ defines is a failure. (It once made std::filesystem::remove_all jump to address 0.)
set -uo pipefail
: "${FRESHET:?set FRESHET to the freshet binary}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fails=0
for bin in "$FRESHET" ${FRESHET_TORCH_TESTS:-}; do
  [ -x "$bin" ] || continue
  stdcxx=$(ldd "$bin" | awk '/libstdc\+\+\.so/ {print $3; exit}')
  if [ -z "$stdcxx" ]; then echo "FAIL $bin: no libstdc++ in ldd"; fails=$((fails + 1)); continue; fi
  nm -D --defined-only "$stdcxx" | awk '{print $3}' | sed 's/@.*//' | sort -u > "$work/std.txt"
  arg=--version; [ "$bin" = "$FRESHET" ] || arg=--gtest_list_tests
  LD_BIND_NOW=1 LD_DEBUG=bindings LD_DEBUG_OUTPUT="$work/ld" "$bin" $arg > /dev/null 2>&1
  cat "$work"/ld.* > "$work/bindings.txt"
  total=$(grep -c "binding file" "$work/bindings.txt")
  grep -E "to [^ ]*/(libtorch|libc10)[^ /]* " "$work/bindings.txt" |
    grep -oE "symbol \`[^']*'" | sed "s/^symbol \`//; s/'$//" | sort -u > "$work/torch.txt"
  bad=$(comm -12 "$work/std.txt" "$work/torch.txt")
  rm -f "$work"/ld.*
  if [ "$total" -lt 1000 ]; then
    echo "FAIL $(basename "$bin"): LD_DEBUG showed only $total bindings; the check saw nothing"
    fails=$((fails + 1))
  elif [ -n "$bad" ]; then
    echo "FAIL $(basename "$bin"): $(echo "$bad" | wc -l) libstdc++ symbol(s) bound into LibTorch, e.g.:"
    echo "$bad" | head -5 | sed 's/^/    /'
    fails=$((fails + 1))
  else
    echo "ok   $(basename "$bin"): $total bindings, none of libstdc++'s symbols into LibTorch"
  fi
done
[ $fails -eq 0 ]
