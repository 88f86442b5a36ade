#!/usr/bin/env bash
# LibTorch is loaded only by the verbs that need a model: --version, --help, synth, the registry
# verbs, report and a retrain with nothing to do never map it (LD_DEBUG=files lists every library the
# dynamic linker loads, dlopen'ed ones included); a retrain that trains, and predict, do. A missing
# libfreshet_torch.so is one error naming the file, and only for the verbs that need it.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
F=$FRESHET
loads_torch() {  # loads_torch COMMAND...: "yes" if the process loaded libtorch
  LD_DEBUG=files LD_DEBUG_OUTPUT="$work/ld" "$@" > /dev/null 2>&1
  if cat "$work"/ld.* 2>/dev/null | grep -Eq 'file=[^ ]*libtorch(_cpu)?\.so'; then echo yes; else echo no; fi
  rm -f "$work"/ld.*
}
setup_churn 4 300
for d in 1 2 3; do land $d; done
check "retrain that trains loads LibTorch" yes "$(loads_torch "$F" -q retrain -c "$work/churn.yaml")"
check "--version does not" no "$(loads_torch "$F" --version)"
check "--help does not" no "$(loads_torch "$F" --help)"
check "synth does not" no "$(loads_torch "$F" -q synth --out "$work/s" --days 1 --rows 10)"
check "a no-op retrain does not" no "$(loads_torch "$F" -q retrain -c "$work/churn.yaml")"
for verb in "list" "list churn" "show churn champion" "history churn" "runs churn" "fsck"; do
  check "registry $verb does not" no "$(loads_torch "$F" -q registry $verb --registry "$work/registry")"
done
check "report does not" no \
  "$(loads_torch "$F" -q report churn latest --registry "$work/registry" --out "$work/r.html")"
check "no library: report works" 0 "$(cp "$F" "$work/f2" && rc_of "$work/f2" -q report churn latest --registry "$work/registry" --out "$work/r2.html")"
check "features fit does not" no \
  "$(loads_torch "$F" -q features fit -c "$work/churn.yaml" --input "$work/all/day-0001.h5" --out "$work/f.json")"
check "predict does" yes \
  "$(loads_torch "$F" -q predict -c "$work/churn.yaml" --input "$work/all/day-0001.h5" --output "$work/p.csv")"

# Without the library beside the binary: model-free verbs work, the others say which file is missing.
mkdir "$work/bin"
cp "$F" "$work/bin/freshet"
check "no library: --version works" 0 "$(rc_of "$work/bin/freshet" --version)"
check "no library: a no-op retrain exits 3" 3 "$(rc_of "$work/bin/freshet" -q retrain -c "$work/churn.yaml")"
land 4
out=$("$work/bin/freshet" -q retrain -c "$work/churn.yaml" 2>&1); rc=$?
check "no library: a retrain that trains exits 1" 1 $rc
expect "  ... naming the file" grep -q "$work/bin/libfreshet_torch.so: cannot load the training and scoring library" <<<"$out"
check "  ... and publishes nothing" 1 "$(jrun 'len(d)' "$F" -q registry list churn --registry "$work/registry" --json)"
finish startup
