#!/usr/bin/env bash
# `freshet submit` on a real one-node Slurm cluster: munged, slurmctld and slurmd from Debian's
# packages are started for the test (../shared/notes/local-slurm.md) and stopped after it. A sweep
# of 3 entries runs as a job array; the dependent aggregation job publishes exactly one version
# with every task's results in its eval.json. A sweep with a failing task publishes nothing and
# the aggregation job says which task. Skipped, with the reason, where the daemons cannot start.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
skip_test() { echo "SKIP e2e slurm: $1"; exit 77; }
for b in /usr/sbin/munged /usr/sbin/slurmctld /usr/sbin/slurmd sbatch squeue sinfo sacct scontrol; do
  command -v "$b" > /dev/null || skip_test "$b not installed (scripts/setup.sh installs slurm-wlm and munge)"
done
[ "$(id -u)" -eq 0 ] || skip_test "starting munged and slurmd for a test needs root (SlurmdUser=root)"

# --- the cluster ------------------------------------------------------------------------------------
s="$work/slurm"
mkdir -p "$s/state" "$s/spool" "$s/log"
started_munge=0
stop_cluster() {
  for p in slurmd slurmctld; do
    [ -f "$s/$p.pid" ] && kill "$(cat "$s/$p.pid")" 2>/dev/null
  done
  [ "$started_munge" = 1 ] && kill "$(cat /run/munge/munged.pid)" 2>/dev/null
  sleep 0.5
  rm -rf "$work"
}
trap stop_cluster EXIT
munge_ok() { munge -n 2> /dev/null | unmunge > /dev/null 2>&1; }
if ! munge_ok; then
  if [ ! -s /etc/munge/munge.key ]; then
    mkdir -p /etc/munge
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 2> /dev/null
    chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
  fi
  mkdir -p /run/munge /var/log/munge /var/lib/munge
  chown munge:munge /run/munge /var/log/munge /var/lib/munge 2> /dev/null
  runuser -u munge -- /usr/sbin/munged 2> "$s/log/munged.err" ||
    skip_test "munged did not start: $(tail -1 "$s/log/munged.err")"
  started_munge=1
  for i in $(seq 1 20); do munge_ok && break; sleep 0.25; done
fi
munge_ok || skip_test "munge credentials do not round-trip (munged: $(tail -1 "$s/log/munged.err" 2> /dev/null))"
# Two free ports for this cluster (another Slurm on the machine keeps its own).
read -r p1 p2 < <("$py" -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')
host=$(hostname -s)
mem=$(awk '/MemTotal/ {print int($2 / 1024 / 2)}' /proc/meminfo)
export SLURM_CONF="$s/slurm.conf"
cat > "$SLURM_CONF" <<CONF
ClusterName=freshet-test
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$s/state
SlurmdSpoolDir=$s/spool
SlurmctldPidFile=$s/slurmctld.pid
SlurmdPidFile=$s/slurmd.pid
SlurmctldLogFile=$s/log/slurmctld.log
SlurmdLogFile=$s/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
SlurmctldPort=$p1
SlurmdPort=$p2
NodeName=$host CPUs=$(nproc) RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
/usr/sbin/slurmctld 2> "$s/log/slurmctld.err" || skip_test "slurmctld did not start: $(tail -1 "$s/log/slurmctld.err")"
/usr/sbin/slurmd 2> "$s/log/slurmd.err" || skip_test "slurmd did not start: $(tail -1 "$s/log/slurmd.err")"
for i in $(seq 1 60); do sinfo -h -o %t 2> /dev/null | grep -q idle && break; sleep 0.5; done
sinfo -h -o %t 2> /dev/null | grep -q idle ||
  skip_test "the node did not come up: $(tail -2 "$s/log/slurmd.log" "$s/log/slurmctld.log" 2> /dev/null | tr '\n' ' ')"
echo "a one-node Slurm cluster is up ($host, ports $p1 $p2)"

# wait_job ID: until Slurm no longer lists the job (at most 240 s); prints its final state.
wait_job() {
  local i
  for i in $(seq 1 480); do
    [ -z "$(squeue -h -j "$1" 2> /dev/null)" ] && break
    sleep 0.5
  done
  scontrol show job "$1" 2> /dev/null | grep -o 'JobState=[A-Z]*' | head -1 | cut -d= -f2
}

# --- a sweep of 3 entries, end to end -----------------------------------------------------------------
setup_churn 5 300
land 1; land 2; land 3
cfg="$work/churn.yaml"
setup_sweeps
out=$("$FRESHET" -q submit -c "$cfg" --sweep "$work/sweep.yaml" --partition debug)
check "submit: exit 0" 0 $?
echo "$out"
array=$(sed -nE 's/.*job array ([0-9]+),.*/\1/p' <<< "$out")
agg=$(sed -nE 's/.*aggregation job ([0-9]+);.*/\1/p' <<< "$out")
sub=$(sed -nE 's/.*; folder (.*)$/\1/p' <<< "$out")
expect "submit: two job ids" test -n "$array" -a -n "$agg"
check "the aggregation job waits on the array (afterany)" 1 "$(scontrol show job "$agg" | grep -c "Dependency=afterany:${array}")"
check "aggregation job: completed" COMPLETED "$(wait_job "$agg")"
check "array tasks: all completed" "COMPLETED COMPLETED COMPLETED" "$(for i in 0 1 2; do scontrol show job "${array}_$i" 2> /dev/null | grep -o 'JobState=[A-Z]*' | head -1 | cut -d= -f2; done | xargs)"
check "each task ran under Slurm and wrote its result" 3 "$(cat "$sub"/tasks/*/result.json | grep -c "\"slurm_job\": \"${array}_")"
check "exactly one version published" "v000001" "$(ls "$work/registry/churn" | grep '^v0' | xargs)"
ev="$work/registry/churn/v000001/eval.json"
check "eval.json: every task's results" 3 "$(json "$ev" 'sum("auc" in t["metrics"] for t in d["trials"]["tasks"])')"
check "eval.json: one winner" 1 "$(json "$ev" 'sum(t["winner"] for t in d["trials"]["tasks"])')"
expect "aggregation log: the winner" grep -q "winner task" "$sub/logs/aggregate.out"
check "the run is recorded (exit 0)" 0 "$(jrun 'd[0]["exit_code"]' "$FRESHET" -q registry runs -c "$cfg" churn --json)"

# --- a failing task: reported, nothing published --------------------------------------------------
land 4
out=$("$FRESHET" -q submit -c "$work/cold.yaml" --sweep "$work/sweep_fail.yaml")
agg=$(sed -nE 's/.*aggregation job ([0-9]+);.*/\1/p' <<< "$out")
sub=$(sed -nE 's/.*; folder (.*)$/\1/p' <<< "$out")
check "with a failing task, the aggregation job fails" FAILED "$(wait_job "$agg")"
check "... the other task completed" ok "$(json "$sub/tasks/0/result.json" 'd["status"]')"
expect "... its log names the task and the error" grep -q "task 1 failed (exit 5): .*nope" "$sub/logs/aggregate.out"
check "... nothing more was published" "v000001" "$(ls "$work/registry/churn" | grep '^v0' | xargs)"
check "fsck clean" 0 "$(rc_of "$FRESHET" -q registry fsck -c "$cfg")"

# --- data-parallel retrain: 2 ranks started by srun inside a batch job --------------------------------------
if [ -f "$(dirname "$FRESHET")/libfreshet_mpi.so" ] && srun --mpi=list 2>&1 | grep -qw pmix; then
  cat > "$work/dp.sbatch" <<EOF2
#!/bin/bash
#SBATCH --ntasks=2
#SBATCH --output=$work/dp.out
srun --mpi=pmix "$FRESHET" retrain -c "$work/cold.yaml"
EOF2
  job=$(sbatch --parsable "$work/dp.sbatch")
  check "srun: the 2-rank batch job completed" COMPLETED "$(wait_job "$job")" ||
    tail -5 "$work/dp.out"
  expect "srun: freshet ran as 2 ranks started by srun" grep -q "data-parallel: 2 ranks (srun)" "$work/dp.out"
  check "srun: exactly one more version" "v000001 v000002" "$(ls "$work/registry/churn" | grep '^v0' | xargs)"
  check "srun: fsck clean" 0 "$(rc_of "$FRESHET" -q registry fsck -c "$cfg")"
  # A submission whose array tasks each train data-parallel: 2 seeds x 2 ranks.
  land 5
  out=$("$FRESHET" -q submit -c "$work/cold.yaml" --seeds 2 --ranks-per-node 2)
  agg=$(sed -nE 's/.*aggregation job ([0-9]+);.*/\1/p' <<< "$out")
  sub=$(sed -nE 's/.*; folder (.*)$/\1/p' <<< "$out")
  check "submit --ranks-per-node 2: the aggregation completed" COMPLETED "$(wait_job "$agg")" ||
    tail -5 "$sub"/logs/*.out
  check "... each task trained by 2 ranks" "2 2" "$(for i in 0 1; do json "$sub/tasks/$i/result.json" 'd["ranks"]'; done | xargs)"
  check "... one more version" "v000001 v000002 v000003" "$(ls "$work/registry/churn" | grep '^v0' | xargs)"
else
  skip "srun data-parallel: no libfreshet_mpi.so beside the binary or no pmix plugin in srun"
fi
finish slurm
