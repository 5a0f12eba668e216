"""Dagster definitions for the events domain: its assets (assets/events/defs.py: the operational event log
copied into the warehouse, access and delivery metrics), the job rebuilding them and its schedule."""

import dagster as dg

from assets.events.defs import ASSETS, CHECKS

events_job = dg.define_asset_job(
    "events_job",
    selection=dg.AssetSelection.assets(*ASSETS),
    description="Copy new operational events into the warehouse and rebuild the access and delivery metrics.",
)

events_schedule = dg.ScheduleDefinition(
    name="events_every_10_minutes",
    job=events_job,
    cron_schedule="*/10 * * * *",
    default_status=dg.DefaultScheduleStatus.STOPPED,
)

defs = dg.Definitions(
    assets=ASSETS,
    asset_checks=CHECKS,
    jobs=[events_job],
    schedules=[events_schedule],
    # the `relance` resource is bound once for the whole code location where the domains are merged
)
