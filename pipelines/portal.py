"""Dagster definitions for the portal domain: access events into the warehouse and retrieval metrics."""

import dagster as dg

from assets.events import ASSETS, CHECKS

portal_events_job = dg.define_asset_job(
    "portal_events_job",
    selection=dg.AssetSelection.assets(*ASSETS),
    description="Copy new operational events into the warehouse and rebuild the access and delivery metrics.",
)

portal_events_schedule = dg.ScheduleDefinition(
    name="portal_events_every_10_minutes",
    job=portal_events_job,
    cron_schedule="*/10 * * * *",
    default_status=dg.DefaultScheduleStatus.STOPPED,
)

defs = dg.Definitions(
    assets=ASSETS,
    asset_checks=CHECKS,
    jobs=[portal_events_job],
    schedules=[portal_events_schedule],
    # the `relance` resource is bound once for the whole code location where the domains are merged
)
