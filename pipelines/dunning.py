"""Dagster definitions for the dunning domain: the daily batch job and its schedule, and the sensor turning
on-demand requests (operational table `requests`) into runs, one per request (run key = request id)."""

import dagster as dg

from assets.dunning_assets import DAILY, GROUP, dunning_assets, run_dunning_request
from pipelines.resources import RelanceResource

DAILY_JOB = "dunning_daily_job"
REQUEST_JOB = "dunning_request_job"

dunning_daily_job = dg.define_asset_job(
    DAILY_JOB, selection=dg.AssetSelection.groups(GROUP), partitions_def=DAILY,
    description="Plan, check and enqueue the day's reminders, statements and resends. A failed blocking check "
                "(stale payments, settled or disputed invoice in the batch) stops the enqueueing.",
)

# 09:00 Europe/Paris on the day's own partition; a missed day is caught up by the next run (or a backfill).
dunning_daily_schedule = dg.build_schedule_from_partitioned_job(
    dunning_daily_job, hour_of_day=9, minute_of_hour=0, name="dunning_daily_schedule",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every day at 09:00 Paris time: today's dunning batch.",
)


@dg.job(name=REQUEST_JOB, description="Carry out one on-demand reminder or resend request.")
def dunning_request_job():
    run_dunning_request()


@dg.sensor(job=dunning_request_job, minimum_interval_seconds=15,
           description="One run per pending dunning request (run key: the request id).")
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
