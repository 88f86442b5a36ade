"""An Airflow DAG that retrains the churn model nightly with freshet.

Exit codes 3 (no new data) and 4 (published, but the promotion gate kept the champion) mark the
task "skipped" rather than failed (BashOperator's skip_on_exit_code, Airflow 2.6 or later); 6 (the
model's lock is held by another run) is retried; anything else fails the task.
"""
from datetime import datetime, timedelta

from airflow import DAG
from airflow.operators.bash import BashOperator

FRESHET_HOME = "/srv/freshet"

with DAG(
    dag_id="freshet_churn",
    schedule="30 2 * * *",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
) as dag:
    BashOperator(
        task_id="retrain",
        cwd=FRESHET_HOME,
        bash_command="./build/freshet --log-format json retrain -c configs/churn.yaml --wait 600",
        skip_on_exit_code=[3, 4],
        retries=2,
        retry_delay=timedelta(minutes=10),
    )
