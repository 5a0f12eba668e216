"""Dagster assets of the dashboard domain: the marts its screens read (SQL in sql/marts/, built by
assets/sql_assets.py), with their checks. The serving snapshot publishes every marts table."""

import dagster as dg

from assets.sql_assets import sql_asset
from pipelines.resources import RelanceResource

GROUP = "dashboard"


dashboard_invoices = sql_asset(
    "marts",
    "dashboard_invoices",
    group=GROUP,
    description="One row per invoice with customer attributes, delivery, retrieval, rejection and open dispute: "
    "what every dashboard screen filters and counts on, in one table.",
)
dashboard_channel_daily = sql_asset(
    "marts",
    "dashboard_channel_daily",
    group=GROUP,
    description="Messages sent, delivered, bounced and rejected per day and channel (the Channels screen).",
)


@dg.asset_check(asset=dashboard_invoices, description="One row per invoice of marts.invoices.")
def dashboard_invoices_complete(relance: RelanceResource) -> dg.AssetCheckResult:
    with relance.warehouse(read_only=True) as con:
        expected, rows, distinct = con.execute("""
            select (select count(*) from marts.invoices where document_type = 'invoice'),
                   count(*), count(distinct invoice_number) from marts.dashboard_invoices""").fetchone()
    return dg.AssetCheckResult(
        passed=expected == rows == distinct,
        metadata={"invoices": expected, "rows": rows, "distinct_invoices": distinct},
    )


ASSETS = [dashboard_invoices, dashboard_channel_daily]
CHECKS = [dashboard_invoices_complete]
