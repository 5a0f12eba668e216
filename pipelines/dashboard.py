"""Dagster definitions for the dashboard domain: the marts its screens read (assets/dashboard/defs.py,
published with the snapshot), and a job refreshing them and the snapshot after new events, e.g. after the
events domain's copy of the operational event log."""

import dagster as dg

from assets.dashboard.defs import ASSETS, CHECKS

dashboard_refresh_job = dg.define_asset_job(
    "dashboard_refresh_job",
    selection=dg.AssetSelection.assets(*ASSETS) | dg.AssetSelection.keys(["serving", "snapshot"]),
    description="Rebuild the dashboard's marts from the warehouse and publish a new serving snapshot.",
)

dashboard_refresh_schedule = dg.ScheduleDefinition(
    name="dashboard_refresh_every_10_minutes",
    job=dashboard_refresh_job,
    cron_schedule="5-59/10 * * * *",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Five minutes after each copy of the operational events, so new deliveries and retrievals show.",
)

defs = dg.Definitions(
    assets=ASSETS, asset_checks=CHECKS, jobs=[dashboard_refresh_job], schedules=[dashboard_refresh_schedule]
)
