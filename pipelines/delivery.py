"""Dagster definitions for the delivery domain: drain the outbox in chunks, read back what channels say.

- `dispatch_job`: loads the customer directory once, fans out `chunks` drain steps (each owning the outbox
  rows whose id % chunks equals its index) and sums their results. Its executor is the multiprocess
  executor, so chunks run in separate processes and both cores render letters / build messages; tests run
  the same job with `execute_in_process`.
- `outbox_due_sensor`: launches `dispatch_job` when rows are due and no dispatch run is in flight.
- `delivery_feedback_job` + `delivery_feedback_sensor`: DSN bounce reports (Maildir or .eml folder) and
  the e-invoice platform's lifecycle status files -> events.
The logic lives in channels/ (plain Python); these are the wiring.
"""

import os
from pathlib import Path

import dagster as dg

from pipelines.executors import executor_from_env
from pipelines.resources import WAREHOUSE_POOL, RelanceResource

DISPATCH_JOB = "dispatch_job"
FEEDBACK_JOB = "delivery_feedback_job"


class DispatchConfig(dg.Config):
    chunks: int = 2
    batch_size: int = 50
    lease_seconds: float = 300.0
    wait_for_leases: bool = False


class FeedbackConfig(dg.Config):
    dsn_folder: str = ""  # default RELANCE_DSN_MAILDIR, else RELANCE_HOME/bounces
    status_folder: str = ""  # default RELANCE_PLATFORM_STATUS_DIR, else RELANCE_HOME/status/platform


@dg.op(
    pool=WAREHOUSE_POOL,
    out=dg.DynamicOut(dict),
    description="Read the customers (contacts, channels, fallbacks) once, and fan out one step per chunk.",
)
def outbox_chunks(context: dg.OpExecutionContext, config: DispatchConfig, relance: RelanceResource):
    from channels.worker import load_directory

    if config.chunks < 1:
        raise dg.Failure(f"chunks must be at least 1, not {config.chunks}")
    recipients = load_directory(relance.paths).to_rows()
    context.log.info(f"{len(recipients)} customers in the directory, {config.chunks} chunks")
    for index in range(config.chunks):
        yield dg.DynamicOutput({"chunk_index": index, "recipients": recipients}, mapping_key=f"chunk_{index}")


@dg.op(description="Send the due outbox rows of one chunk through their channels and record every outcome.")
def drain_chunk(context: dg.OpExecutionContext, config: DispatchConfig, relance: RelanceResource, chunk: dict) -> dict:
    from channels.dispatch import Dispatcher, DispatchSettings
    from channels.outbox import RetryPolicy
    from channels.recipients import RecipientDirectory

    settings = DispatchSettings(
        batch_size=config.batch_size,
        lease_seconds=config.lease_seconds,
        retry=RetryPolicy.from_env(),
        email_mode=os.environ.get("RELANCE_EMAIL_MODE", "per_invoice"),
    )
    chunk_index = chunk["chunk_index"]
    dispatcher = Dispatcher(
        relance.opstore(), relance.paths, RecipientDirectory.from_rows(chunk["recipients"]), settings=settings
    )
    stats = dispatcher.drain(chunk_index=chunk_index, chunk_count=config.chunks, wait_for_leases=config.wait_for_leases)
    context.log.info(f"chunk {chunk_index}/{config.chunks}: {stats.as_dict()}")
    return stats.as_dict()


@dg.op(description="Add up the chunks' results.")
def dispatch_summary(context: dg.OpExecutionContext, results: list) -> dict:
    from channels.dispatch import DrainStats

    total = DrainStats()
    for result in results:
        part = DrainStats()
        for key, value in result.items():
            setattr(part, key, value)
        total.merge(part)
    summary = total.as_dict()
    context.add_output_metadata(
        {
            "sent": summary["sent"],
            "retried": summary["retried"],
            "failed": summary["failed"],
            "dead": summary["dead"],
            "fell_back": summary["fell_back"],
            "by_channel": dg.MetadataValue.json(summary["by_channel"]),
            "recovered": dg.MetadataValue.json(summary["recovered"]),
        }
    )
    return summary


def dispatch_executor() -> dg.ExecutorDefinition:
    """The executor chosen by RELANCE_EXECUTOR (pipelines.executors); for local processes, step processes
    come from a forkserver that has already imported the dispatch code, since a fresh interpreter per
    step spends seconds re-importing Dagster before sending anything."""
    if os.environ.get("RELANCE_EXECUTOR", "multiprocess") != "multiprocess":
        return executor_from_env()
    limit = int(os.environ.get("RELANCE_MAX_CONCURRENT") or os.cpu_count() or 2)
    return dg.multiprocess_executor.configured(
        {
            "max_concurrent": limit,
            "start_method": {
                "forkserver": {
                    "preload_modules": ["pipelines.delivery", "channels.dispatch", "channels.adapters.email"]
                }
            },
        },
        name="dispatch_multiprocess",
    )


@dg.job(
    name=DISPATCH_JOB,
    executor_def=dispatch_executor(),
    description="Drain the outbox: claim due rows in chunks (one process each) and deliver them.",
)
def dispatch_job():
    results = outbox_chunks().map(drain_chunk)
    dispatch_summary(results.collect())


@dg.op(description="DSN bounce reports and platform lifecycle statuses -> bounced/delivered/lifecycle events.")
def read_delivery_feedback(context: dg.OpExecutionContext, config: FeedbackConfig, relance: RelanceResource) -> dict:
    from channels.adapters.platform import platform_dirs
    from channels.inbound import read_dsn_folder, read_platform_statuses
    from channels.worker import load_directory

    home = relance.paths
    engine = relance.opstore()
    dsn_folder = Path(config.dsn_folder or dsn_folder_for(home))
    status_folder = Path(config.status_folder or platform_dirs(home)[1])
    dsn = read_dsn_folder(engine, dsn_folder, load_directory(home)) if dsn_folder.exists() else None
    statuses = read_platform_statuses(engine, status_folder)
    result = {"dsn": dsn.as_dict() if dsn else {"files": 0}, "platform": statuses.as_dict()}
    context.add_output_metadata(
        {
            "dsn_events": (dsn.events if dsn else 0),
            "lifecycle_events": statuses.events,
            "rejected_files": dg.MetadataValue.json((dsn.rejected_files if dsn else []) + statuses.rejected_files),
        }
    )
    return result


@dg.job(name=FEEDBACK_JOB, description="Read DSN bounce reports and platform lifecycle statuses into events.")
def delivery_feedback_job():
    read_delivery_feedback()


def dsn_folder_for(home) -> Path:
    return Path(os.environ.get("RELANCE_DSN_MAILDIR") or home.root / "bounces")


def _run_in_flight(context: dg.SensorEvaluationContext, job_name: str) -> bool:
    runs = context.instance.get_runs(
        dg.RunsFilter(
            job_name=job_name,
            statuses=[
                dg.DagsterRunStatus.QUEUED,
                dg.DagsterRunStatus.NOT_STARTED,
                dg.DagsterRunStatus.STARTING,
                dg.DagsterRunStatus.STARTED,
            ],
        ),
        limit=1,
    )
    return bool(runs)


@dg.sensor(
    job=dispatch_job,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Start a dispatch run when outbox rows are due and none is running.",
)
def outbox_due_sensor(context: dg.SensorEvaluationContext, relance: RelanceResource):
    from channels.outbox import due_count

    due = due_count(relance.opstore())
    if not due:
        return dg.SkipReason("no outbox row is due")
    if _run_in_flight(context, DISPATCH_JOB):
        return dg.SkipReason(f"{due} rows due; a dispatch run is already in flight")
    chunks = int(os.environ.get("RELANCE_DISPATCH_CHUNKS", 2))
    return dg.RunRequest(run_config=dispatch_run_config(chunks), tags={"relance/due_rows": str(due)})


@dg.sensor(
    job=delivery_feedback_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Read DSN and platform status files when some are waiting.",
)
def delivery_feedback_sensor(context: dg.SensorEvaluationContext, relance: RelanceResource):
    from channels.adapters.platform import platform_dirs
    from channels.mailstore import iter_mail_files

    home = relance.paths
    waiting = len(list(iter_mail_files(dsn_folder_for(home))))
    status_dir = platform_dirs(home)[1]
    waiting += len(list(status_dir.glob("*.json"))) if status_dir.is_dir() else 0
    if not waiting:
        return dg.SkipReason("no DSN or status file waiting")
    if _run_in_flight(context, FEEDBACK_JOB):
        return dg.SkipReason("a feedback run is already in flight")
    return dg.RunRequest(tags={"relance/waiting_files": str(waiting)})


def dispatch_run_config(
    chunks: int, batch_size: int = 50, lease_seconds: float = 300.0, wait_for_leases: bool = False
) -> dict:
    drain = {
        "chunks": chunks,
        "batch_size": batch_size,
        "lease_seconds": lease_seconds,
        "wait_for_leases": wait_for_leases,
    }
    return {"ops": {"outbox_chunks": {"config": drain}, "drain_chunk": {"config": drain}}}


defs = dg.Definitions(jobs=[dispatch_job, delivery_feedback_job], sensors=[outbox_due_sensor, delivery_feedback_sensor])

__all__ = ["defs", "dispatch_job", "delivery_feedback_job", "dispatch_run_config", "DISPATCH_JOB", "FEEDBACK_JOB"]


def resolved_dispatch_job() -> dg.JobDefinition:
    """The dispatch job with the `relance` resource bound (reconstructable by `relance dispatch`).

    Built from this module alone rather than the whole code location: every step process of the
    multiprocess executor re-imports it, and the other domains' modules would only slow them down."""
    from pipelines.resources import relance_resource

    return dg.Definitions(jobs=[dispatch_job], resources={"relance": relance_resource()}).get_job_def(DISPATCH_JOB)
