#!/usr/bin/env bash
# The scheduler examples in examples/ run as written: the crontab line (silent on 0 and 3, a line
# for cron to mail on 4 and failures, overlapping runs waiting on freshet's own lock), the systemd
# service and timer (systemd-analyze verify where it exists; the service's command and its
# SuccessExitStatus), the Airflow DAG (its command and skip_on_exit_code), and the Kubernetes
# CronJob (its command maps 3 and 4 to success). Each runs against a small registry under a
# stand-in for /srv/freshet.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
ex="$FRESHET_SOURCE/examples"
home="$work/srv"
mkdir -p "$home/configs" "$work/textfile"
ln -s "$(dirname "$FRESHET")" "$home/build"
setup_churn 4 200
sed -e 's|landing: landing|landing: ../landing|' "$work/churn.yaml" > "$home/configs/churn.yaml"
echo "registry: {path: ../registry}" >> "$home/configs/churn.yaml"
mkdir -p "$home/landing"
landh() { cp "$work/all/day-$(printf %04d "$1").h5" "$home/landing/"; }
landh 1; landh 2
# A file with the examples' paths pointed at the stand-ins.
localize() { sed -e "s|/srv/freshet|$home|g" -e "s|/var/lib/node_exporter/textfile|$work/textfile|g" "$1"; }

# --- cron ---------------------------------------------------------------------------------------
localize "$ex/cron/freshet.crontab" > "$work/crontab"
cronline=$(grep -E '^[0-9*]' "$work/crontab" | head -1)
cmd=$(echo "$cronline" | cut -d' ' -f6-)
cron_run() {  # runs the line as cron would: sh, the crontab's variables, no login environment
  env -i SHELL=/bin/sh PATH=/usr/bin:/bin $(grep -E '^[A-Z_]+=' "$work/crontab" | grep -v '^MAILTO') \
    /bin/sh -c "$cmd" 2>&1
}
check "cron: five time fields" "30 2 * * *" "$(echo "$cronline" | cut -d' ' -f1-5)"
check "cron: a published run prints nothing (nothing mailed)" "" "$(cron_run)"
expect "cron: the run published v000001" test -d "$home/registry/churn/v000001"
expect "cron: its metrics went to the textfile" grep -q 'status="published"} 1' "$work/textfile/freshet_churn.prom"
check "cron: a rerun with no new data prints nothing" "" "$(cron_run)"
landh 3
hold_lock "$home/registry/churn/.lock" 3
t0=$(date +%s)
check "cron: a run overlapping a held lock waits for it, then publishes silently" "" "$(cron_run)"
wait "$holder"
expect "cron: it waited for the lock" test $(( $(date +%s) - t0 )) -ge 2
expect "cron: and published v000002" test -d "$home/registry/churn/v000002"
mv "$home/configs/churn.yaml" "$home/configs/churn.yaml.good"
echo "model: [" > "$home/configs/churn.yaml"
out=$(cron_run)
check "cron: a failure prints one line for cron to mail" "freshet churn failed with exit 2; see $home/freshet-churn.log" "$out"
mv "$home/configs/churn.yaml.good" "$home/configs/churn.yaml"

# --- systemd ------------------------------------------------------------------------------------
localize "$ex/systemd/freshet-churn.service" > "$work/freshet-churn.service"
localize "$ex/systemd/freshet-churn.timer" > "$work/freshet-churn.timer"
if command -v systemd-analyze > /dev/null; then
  expect "systemd: the service and timer verify" \
    systemd-analyze verify "$work/freshet-churn.service" "$work/freshet-churn.timer"
  check "systemd: the timer fires at 02:30" "*-*-* 02:30:00" \
    "$(systemd-analyze calendar '*-*-* 02:30:00' | awk '/Normalized form/ {print $3, $4}')"
else
  skip "systemd: systemd-analyze is not installed (Debian's systemd package), the units are not verified"
fi
exec_start=$(sed -n 's/^ExecStart=//p' "$work/freshet-churn.service")
workdir=$(sed -n 's/^WorkingDirectory=//p' "$work/freshet-churn.service")
success=$(sed -n 's/^SuccessExitStatus=//p' "$work/freshet-churn.service")
rc=$(cd "$workdir" && $exec_start > /dev/null 2>&1; echo $?)
check "systemd: ExecStart with no new data exits 3" 3 "$rc"
expect "systemd: which SuccessExitStatus counts as success" grep -qw "$rc" <<< "$success"

# --- Airflow ------------------------------------------------------------------------------------
expect "airflow: the DAG file is valid Python" $py -c "import ast, sys; ast.parse(open(sys.argv[1]).read())" "$ex/airflow/freshet_churn.py"
read -r bash_command skip_codes < <($py - "$ex/airflow/freshet_churn.py" <<'PY'
import ast, sys
tree = ast.parse(open(sys.argv[1]).read())
for node in ast.walk(tree):
    if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "BashOperator":
        kw = {k.arg: ast.literal_eval(k.value) for k in node.keywords if k.arg in ("bash_command", "skip_on_exit_code")}
        print(kw["bash_command"].replace(" ", "\x1f"), ",".join(map(str, kw["skip_on_exit_code"])))
PY
)
check "airflow: exit codes 3 and 4 mark the task skipped" "3,4" "$skip_codes"
if $py -c "import airflow" 2> /dev/null; then
  expect "airflow: the DAG loads" $py -c "import runpy; runpy.run_path('$ex/airflow/freshet_churn.py')"
else
  skip "airflow: Apache Airflow is not installed here, the DAG is checked but not loaded"
fi
bash_command=${bash_command//$'\x1f'/ }
rc=$(cd "$home" && /bin/bash -c "$bash_command" > /dev/null 2>&1; echo $?)
check "airflow: the task's command with no new data exits 3 (skipped)" 3 "$rc"

# --- Kubernetes ---------------------------------------------------------------------------------
k8s_cmd=$($py -c "
import yaml, sys
d = yaml.safe_load(open('$ex/kubernetes/freshet-churn-cronjob.yaml'))
assert d['kind'] == 'CronJob' and d['spec']['concurrencyPolicy'] == 'Forbid'
c = d['spec']['jobTemplate']['spec']['template']['spec']['containers'][0]
assert c['command'] == ['/bin/sh', '-c'] and c['workingDir'] == '/srv/freshet'
print(c['args'][0])")
check "kubernetes: a CronJob that never overlaps, with its command" yes "$([ -n "$k8s_cmd" ] && echo yes)"
rc=$(cd "$home" && /bin/sh -c "$k8s_cmd" > /dev/null 2>&1; echo $?)
check "kubernetes: no new data ends the pod successfully" 0 "$rc"
echo "model: [" > "$home/configs/churn.yaml"
rc=$(cd "$home" && /bin/sh -c "$k8s_cmd" > /dev/null 2>&1; echo $?)
check "kubernetes: a bad config fails the pod with exit 2" 2 "$rc"
finish scheduler_examples
