"""Dagster assets of the dashboard domain: the two narrow marts its screens read (SQL in sql/marts/).
Thin: the logic is the SQL; the serving snapshot publishes every marts table."""

import dagster as dg

from pipelines.resources import WAREHOUSE_POOL, RelanceResource
from stores import warehouse

GROUP = "dashboard"


def _sql_asset(name: str, deps: list[list[str]], description: str) -> dg.AssetsDefinition:
    @dg.asset(
        key=["marts", name],
        deps=[dg.AssetKey(d) for d in deps],
        group_name=GROUP,
        pool=WAREHOUSE_POOL,
        kinds={"duckdb"},
        description=description,
    )
    def _build(relance: RelanceResource) -> dg.MaterializeResult:
        with relance.warehouse() as con:
            rows = warehouse.build_model(con, "marts", name)
        return dg.MaterializeResult(metadata={"dagster/row_count": rows})

    _build.__name__ = f"marts_{name}"
    return _build


dashboard_invoices = _sql_asset(
    "dashboard_invoices",
    [
        ["marts", "invoices"],
        ["marts", "customers"],
        ["marts", "access_invoice_retrieval"],
        ["staging", "events"],
        ["staging", "disputes"],
    ],
    "One row per invoice with customer attributes, delivery, retrieval, rejection and open dispute: what every "
    "dashboard screen filters and counts on, in one table.",
)
dashboard_channel_daily = _sql_asset(
    "dashboard_channel_daily",
    [["staging", "events"]],
    "Messages sent, delivered, bounced and rejected per day and channel (the Channels screen).",
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
