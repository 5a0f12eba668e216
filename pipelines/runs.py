"""Running Dagster jobs in-process for the CLI (`relance ingest`, `relance materialize`): the warehouse is
written only by Dagster runs, whether the sensor, the UI or a command line starts them."""

import os
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date

import dagster as dg

from assets.business_date import business_date, run_tags


@contextmanager
def dagster_instance() -> Iterator[dg.DagsterInstance]:
    """The persistent instance of DAGSTER_HOME when set (runs show in the UI), else a throwaway one."""
    if os.environ.get("DAGSTER_HOME"):
        with dg.DagsterInstance.get() as instance:
            yield instance
    else:
        with dg.DagsterInstance.ephemeral() as instance:
            yield instance


def run_job(
    job: dg.JobDefinition,
    *,
    run_config: Mapping | None = None,
    run_date: date | None = None,
    tags: Mapping[str, str] | None = None,
    on_step: Callable[[str], None] | None = None,
) -> dg.ExecuteInProcessResult:
    """Execute a job in this process; `on_step(step_key)` is called as each step finishes (progress bars).

    The run's business date is `run_date`, else today's (assets/business_date.py), pinned as a tag so every
    step keeps it; a job holding daily-partitioned assets (dunning) runs the partition of that date."""
    run_date = run_date or business_date()
    all_tags = {**(tags or {}), **run_tags(run_date)}
    run_id = str(uuid.uuid4())
    partition_key = None
    if job.partitions_def is not None:
        partition_key = run_date.isoformat()
    # the command prints its own report; Dagster's console logger would bury it under step events
    run_config = {**(run_config or {}), "loggers": {"console": {"config": {"log_level": "ERROR"}}}}
    with dagster_instance() as instance:
        outcome: dict = {}

        def execute() -> None:
            try:
                outcome["result"] = job.execute_in_process(
                    run_config=run_config,
                    instance=instance,
                    run_id=run_id,
                    tags=all_tags,
                    raise_on_error=False,
                    partition_key=partition_key,
                )
            except BaseException as exc:  # noqa: BLE001 - re-raised in the calling thread
                outcome["error"] = exc

        worker = threading.Thread(target=execute, name="relance-run", daemon=True)
        worker.start()
        reported: set[str] = set()
        while worker.is_alive():
            worker.join(0.5)
            if on_step is not None:
                _report_steps(instance, run_id, reported, on_step)
        if on_step is not None:
            _report_steps(instance, run_id, reported, on_step)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


def _report_steps(instance: dg.DagsterInstance, run_id: str, reported: set[str], on_step) -> None:
    try:
        records = instance.get_records_for_run(
            run_id, of_type={dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE}
        ).records
    except Exception:  # noqa: BLE001 - the run may not be registered yet on the first poll
        return
    for record in records:
        step = record.event_log_entry.step_key
        if step and step not in reported:
            reported.add(step)
            on_step(step)


def step_count(job: dg.JobDefinition) -> int:
    return len(job.graph.node_names())
