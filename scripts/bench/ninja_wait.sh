# shellcheck shell=bash
# Sourced by the benchmark and bundle scripts. Two ninja processes in one build folder can corrupt
# its .ninja_deps (it happened here: every later ninja run segfaulted while loading it), and other
# engineers build in the same folder; so wait, up to ten minutes, until no other ninja works there.
# A race remains (one may start right after), but the window shrinks from a build to a moment.
wait_for_other_ninja() {
  local dir waited=0 p cwd args i target busy
  dir=$(realpath "$1")
  while :; do
    busy=""
    for p in $(pgrep -x ninja || true); do
      cwd=$(readlink "/proc/$p/cwd" 2>/dev/null) || continue
      mapfile -d '' -t args <"/proc/$p/cmdline" 2>/dev/null || continue
      target=$cwd
      for ((i = 0; i < ${#args[@]}; i++)); do
        [ "${args[i]}" = "-C" ] && target=$(cd "$cwd" && realpath -m "${args[i + 1]:-.}")
      done
      [ "$target" = "$dir" ] && busy=$p
    done
    [ -z "$busy" ] && return 0
    ((waited == 0)) && echo "waiting for another ninja (pid $busy) to finish in $dir" >&2
    ((waited >= 600)) && { echo "still busy after 10 minutes; building anyway" >&2; return 0; }
    sleep 2
    waited=$((waited + 2))
  done
}
