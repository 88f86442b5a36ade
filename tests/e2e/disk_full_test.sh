#!/usr/bin/env bash
# A registry on a real 2 MB tmpfs that fills up: at each of several amounts of free space (so the
# disk fills at a different write of the publish each time) a retrain exits 1 with one line naming
# the path, leaves nothing half-written and nothing visible, fsck stays clean, and the next run on
# a disk with room publishes. Needs root (mount); skipped (exit 77) where tmpfs cannot be mounted.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
F=$FRESHET
mkdir -p "$work/registry"
if ! mount -t tmpfs -o size=2m tmpfs "$work/registry" 2> "$work/mount.err"; then
  echo "SKIP disk full: cannot mount a tmpfs here ($(head -1 "$work/mount.err"))"
  exit 77
fi
trap 'umount "$work/registry" 2>/dev/null; rm -rf "$work"' EXIT

setup_churn 16 600
for d in 1 2 3; do land $d; done
check "first version fits" 0 "$(rc_of "$F" -q retrain -c "$work/churn.yaml")"
size=$(du -sb "$work/registry/churn/v000001" | cut -f1)
echo "     a version takes $size bytes"
versions() { "$F" -q registry list churn --registry "$work/registry" --json | "$py" -c "import json,sys; print(len(json.load(sys.stdin)))"; }
leftovers() { ls -A "$work/registry/churn" | grep -v -E '^(v[0-9]{6}|\.lock|schema\.yaml|runs)$' | tr '\n' ' '; }

day=4 tried=0
for free_kb in 0 8 16 32 48 64 80 96 112 128 144; do
  land $day
  before=$(versions)
  avail=$(df -B1 --output=avail "$work/registry" | tail -1)
  fill=$((avail - free_kb * 1024))
  [ $fill -gt 0 ] && head -c $fill /dev/zero > "$work/registry/filler" 2>/dev/null
  rc=0; "$F" -q retrain -c "$work/churn.yaml" > "$work/out.txt" 2> "$work/err.txt" || rc=$?
  [ $rc -ne 0 ] && echo "     ${free_kb} KiB free: $(grep -m1 error "$work/err.txt" | sed "s|$work/||g")"
  rm -f "$work/registry/filler"
  tried=$((tried + 1))
  if [ $rc -eq 0 ]; then
    # Enough room after all (the run fitted in what was left): fine, but then it must be whole.
    check "${free_kb} KiB free: published, fsck clean" 0 "$(rc_of "$F" -q registry fsck --registry "$work/registry")"
  else
    check "${free_kb} KiB free: exit 1" 1 $rc
    expect "  ... one error line naming a registry path and the cause" \
      grep -Eq "$work/registry/[^ ]*: .*(No space left on device|database or disk is full)" "$work/err.txt"
    check "  ... no C++ abort or frame dump" 0 "$(grep -c -E 'terminate called|what\(\)|Exception raised from' "$work/err.txt")"
    check "  ... no new version visible" "$before" "$(versions)"
    check "  ... nothing half-written left" "" "$(leftovers)"
    check "  ... fsck clean" 0 "$(rc_of "$F" -q registry fsck --registry "$work/registry")"
    check "  ... with room again, the same data publishes" 0 "$(rc_of "$F" -q retrain -c "$work/churn.yaml")"
  fi
  day=$((day + 1))
  # Keep the tmpfs for the next round: drop old versions (the champion and its rollback stay).
  "$F" -q registry gc churn --keep-last 1 --registry "$work/registry" > /dev/null
done
echo "     $tried disk-full points tried"
check "every committed version still loads" 0 "$(rc_of "$F" -q registry fsck --registry "$work/registry")"
finish disk_full
