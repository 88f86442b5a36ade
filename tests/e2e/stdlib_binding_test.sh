#!/usr/bin/env bash
# Every libstdc++ symbol that freshet, libfreshet_torch.so or the LibTorch test binary use must bind
# to libstdc++, never to the copies libtorch exports: with LD_BIND_NOW every symbol binds when its
# library loads, and LD_DEBUG=bindings shows where each went. A binding into libtorch*/libc10* of a
# symbol that libstdc++ defines is a failure. (It once made std::filesystem::remove_all jump to
# address 0.) The freshet run is a retrain that trains, so libfreshet_torch.so and LibTorch load.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
setup_churn 3 200
for d in 1 2 3; do land $d; done
stdcxx=$(ldd "$FRESHET" | awk '/libstdc\+\+\.so/ {print $3; exit}')
nm -D --defined-only "$stdcxx" | awk '{print $3}' | sed 's/@.*//' | sort -u > "$work/std.txt"
run() {  # run NAME COMMAND...
  local name=$1; shift
  LD_BIND_NOW=1 LD_DEBUG=bindings LD_DEBUG_OUTPUT="$work/ld" "$@" > /dev/null 2>&1
  cat "$work"/ld.* > "$work/bindings.txt"; rm -f "$work"/ld.*
  local total torch bad
  total=$(grep -c "binding file" "$work/bindings.txt")
  torch=$(grep -c -E "to [^ ]*/(libtorch|libc10)[^ /]* " "$work/bindings.txt")
  grep -E "to [^ ]*/(libtorch|libc10)[^ /]* " "$work/bindings.txt" |
    grep -oE "symbol \`[^']*'" | sed "s/^symbol \`//; s/'$//" | sort -u > "$work/torch.txt"
  bad=$(comm -12 "$work/std.txt" "$work/torch.txt")
  if [ "$torch" -lt 1000 ]; then
    echo "FAIL $name: only $torch bindings into LibTorch ($total in all): LibTorch did not load"
    fails=$((fails + 1))
  elif [ -n "$bad" ]; then
    echo "FAIL $name: $(echo "$bad" | wc -l) libstdc++ symbol(s) bound into LibTorch, e.g.:"
    echo "$bad" | head -5 | sed 's/^/    /'
    fails=$((fails + 1))
  else
    echo "ok   $name: $total bindings, $torch into LibTorch, none of them libstdc++'s"
    passes=$((passes + 1))
  fi
}
run "freshet retrain (libfreshet_torch.so)" "$FRESHET" -q retrain -c "$work/churn.yaml"
[ -n "${FRESHET_TORCH_TESTS:-}" ] && run "freshet_torch_tests" "$FRESHET_TORCH_TESTS" --gtest_list_tests
finish stdlib_binding
