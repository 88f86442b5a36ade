#!/usr/bin/env bash
# The tree's style checks: clang-format (.clang-format) and clang-tidy (.clang-tidy) over every C++
# file of src/, include/, kernels/, tests/ and scripts/bench/ (CUDA files: clang-format only).
# Uses $FRESHET_BUILD/compile_commands.json (run scripts/build.sh first); GCC's precompiled headers
# are taken out of the commands, since clang cannot read them; clang's warnings are errors, as in a
# FRESHET_WERROR build. Exit 1 on any finding.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${FRESHET_BUILD:-$root/build}
cd "$root"
status=0
files=$(git ls-files 'src/*' 'include/*' 'kernels/*' 'tests/*' 'scripts/bench/*' |
  grep -E '\.(cc|h|hpp|cu|cuh)$')
if ! clang-format --dry-run --Werror $files; then
  echo "lint: clang-format would change the files above (run clang-format -i on them)" >&2
  status=1
fi
[ -f "$build/compile_commands.json" ] || { echo "lint: no $build/compile_commands.json" >&2; exit 1; }
tidy=$(mktemp -d)
trap 'rm -rf "$tidy"' EXIT
python3 - "$build/compile_commands.json" "$tidy/compile_commands.json" <<'PY'
import json, re, sys
cmds = json.load(open(sys.argv[1]))
out = []
for c in cmds:
    if not c["file"].endswith(".cc"):
        continue
    cmd = re.sub(r"-include \S*cmake_pch\.hxx|-Winvalid-pch|-Werror\b", "", c["command"])
    # clang's own warnings count too, whether or not the build used FRESHET_WERROR (CI does).
    cmd += " -Werror"
    out.append(dict(c, command=cmd))
json.dump(out, open(sys.argv[2], "w"))
PY
units=$(echo "$files" | grep -E '\.cc$')
if ! echo "$units" | xargs -P "${FRESHET_JOBS:-2}" -n 4 clang-tidy -p "$tidy" --quiet \
    > "$tidy/out.txt" 2> "$tidy/err.txt"; then
  status=1
fi
grep -E "(warning|error):" "$tidy/out.txt" && status=1
[ $status -eq 0 ] && echo "lint: clang-format and clang-tidy report nothing on $(echo "$files" | wc -l) files"
exit $status
