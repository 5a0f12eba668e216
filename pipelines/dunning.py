"""Dagster definitions for the dunning domain: its assets (assets/dunning/defs.py), the daily batch job and
its schedule, and the sensor turning on-demand requests (operational table `requests`) into runs of the
request job, one per request (run key = request id). The request job's op lives here: it is no asset."""

import os
from datetime import datetime, timezone
from pathlib import Path

import dagster as dg

from assets.business_date import business_date, company_time_zone_name
from assets.dunning.defs import ASSETS, DAILY, GROUP
from assets.dunning.policy import POLICY_DIR
from pipelines.resources import WAREHOUSE_POOL, RelanceResource

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
    """Hours (the company's time, Paris by default) the daily batch runs, e.g. "9" or "9,15": a later run
    reaches customers whose local sending hours had not opened at 09:00 Paris (America, Asia); steps already
    sent are never repeated."""
    hours = os.environ.get("RELANCE_DUNNING_HOURS", "9")
    values = sorted({int(h) for h in hours.split(",") if h.strip()})
    if not values or any(not 0 <= h <= 23 for h in values):
        raise ValueError(f"RELANCE_DUNNING_HOURS must list hours 0-23 separated by commas, got {hours!r}")
    return ",".join(str(h) for h in values)


# The day's own partition at each run hour; a missed day is caught up by the next run (or a backfill).
@dg.schedule(
    job=dunning_daily_job,
    cron_schedule=f"0 {_run_hours()} * * *",
    execution_timezone=company_time_zone_name(),
    name="dunning_daily_schedule",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every day (09:00 company time by default, RELANCE_DUNNING_HOURS): today's dunning batch.",
)
def dunning_daily_schedule(context: dg.ScheduleEvaluationContext):
    when = context.scheduled_execution_time
    return dg.RunRequest(run_key=f"dunning-{when:%Y-%m-%dT%H%M}", partition_key=when.date().isoformat())


class RequestConfig(dg.Config):
    request_id: str
    policies: str = os.environ.get("RELANCE_POLICIES", str(POLICY_DIR))


@dg.op(pool=WAREHOUSE_POOL, description="Run one on-demand dunning request and write its counts back on it.")
def run_dunning_request(context: dg.OpExecutionContext, relance: RelanceResource, config: RequestConfig) -> dict:
    from assets.dunning.policy import load_policies
    from assets.dunning.requests import execute_request

    policies = load_policies(Path(config.policies))
    engine = relance.opstore()
    with relance.warehouse() as con:
        counts = execute_request(
            con,
            engine,
            relance.paths,
            policies,
            config.request_id,
            datetime.now(timezone.utc),
            run_id=context.run.run_id,
            run_date=business_date(context),
        )
    context.log.info("request %s: %s", config.request_id, counts)
    if "blocked" in counts and not counts.get("next_release_at"):
        raise dg.Failure(
            description=f"request {config.request_id} blocked: {counts['blocked']}",
            metadata={"request_id": config.request_id},
        )
    return counts


@dg.job(name=REQUEST_JOB, description="Carry out one on-demand reminder or resend request.")
def dunning_request_job():
    run_dunning_request()


# Running by default: a finance lead's confirmed campaign must not wait for someone to switch it on. It only
# reads the requests table, and starts a run per pending request, and again when a request's scheduled lines
# (confirmed outside the customers' sending hours) are due.
@dg.sensor(
    job=dunning_request_job,
    minimum_interval_seconds=15,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="One run per pending dunning request (run key: the request id), and one when its scheduled "
    "lines are due (run key: request id@release time).",
)
def dunning_request_sensor(context: dg.SensorEvaluationContext, relance: RelanceResource):
    from assets.dunning.requests import requests_to_run

    for request in requests_to_run(relance.opstore()):
        yield dg.RunRequest(
            run_key=request["run_key"],
            run_config={"ops": {"run_dunning_request": {"config": {"request_id": request["request_id"]}}}},
            tags={"relance/request": request["request_id"], "relance/requested_by": request["requested_by"][:60]},
        )


defs = dg.Definitions(
    assets=ASSETS,
    jobs=[dunning_daily_job, dunning_request_job],
    schedules=[dunning_daily_schedule],
    sensors=[dunning_request_sensor],
)

__all__ = ["defs", "dunning_daily_job", "dunning_daily_schedule", "dunning_request_job", "dunning_request_sensor"]
