"""Dagster definitions for the dunning domain: the daily batch job and its schedule, and the sensor turning
on-demand requests (operational table `requests`) into runs, one per request (run key = request id)."""

import os

import dagster as dg

from assets.dunning_assets import DAILY, GROUP, dunning_assets, run_dunning_request
from pipelines.resources import RelanceResource

DAILY_JOB = "dunning_daily_job"
REQUEST_JOB = "dunning_request_job"

dunning_daily_job = dg.define_asset_job(
    DAILY_JOB,
    selection=dg.AssetSelection.groups(GROUP),
    partitions_def=DAILY,
    description="Plan, check and enqueue the day's reminders, statements and resends. A failed blocking check "
    "(stale payments, settled or disputed invoice in the batch) stops the enqueueing.",
)


def _run_hours() -> str:
    """Hours (Paris time) the daily batch runs, e.g. "9" or "9,15": a later run reaches customers whose local
    sending hours had not opened at 09:00 Paris (America, Asia); steps already sent are never repeated."""
    hours = os.environ.get("RELANCE_DUNNING_HOURS", "9")
    values = sorted({int(h) for h in hours.split(",") if h.strip()})
    if not values or any(not 0 <= h <= 23 for h in values):
        raise ValueError(f"RELANCE_DUNNING_HOURS must list hours 0-23 separated by commas, got {hours!r}")
    return ",".join(str(h) for h in values)


# The day's own partition at each run hour; a missed day is caught up by the next run (or a backfill).
@dg.schedule(
    job=dunning_daily_job,
    cron_schedule=f"0 {_run_hours()} * * *",
    execution_timezone="Europe/Paris",
    name="dunning_daily_schedule",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every day (09:00 Paris time by default, RELANCE_DUNNING_HOURS): today's dunning batch.",
)
def dunning_daily_schedule(context: dg.ScheduleEvaluationContext):
    when = context.scheduled_execution_time
    return dg.RunRequest(run_key=f"dunning-{when:%Y-%m-%dT%H%M}", partition_key=when.date().isoformat())


@dg.job(name=REQUEST_JOB, description="Carry out one on-demand reminder or resend request.")
def dunning_request_job():
    run_dunning_request()


@dg.sensor(
    job=dunning_request_job,
    minimum_interval_seconds=15,
    description="One run per pending dunning request (run key: the request id).",
)
def dunning_request_sensor(context: dg.SensorEvaluationContext, relance: RelanceResource):
    from assets.dunning.batch import pending_requests

    for request in pending_requests(relance.opstore()):
        yield dg.RunRequest(
            run_key=request["request_id"],
            run_config={"ops": {"run_dunning_request": {"config": {"request_id": request["request_id"]}}}},
            tags={"relance/request": request["request_id"], "relance/requested_by": request["requested_by"][:60]},
        )


defs = dg.Definitions(
    assets=dunning_assets,
    jobs=[dunning_daily_job, dunning_request_job],
    schedules=[dunning_daily_schedule],
    sensors=[dunning_request_sensor],
)

__all__ = ["defs", "dunning_daily_job", "dunning_daily_schedule", "dunning_request_job", "dunning_request_sensor"]
