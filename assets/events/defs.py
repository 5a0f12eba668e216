"""Dagster assets of the events domain: the operational event log (deliveries, retrievals, lifecycle
statuses, disputes, promises) copied into the warehouse, and the access and delivery metrics built on it.
Thin: the copy is assets/events/copy.py, the metrics are SQL (built by assets/sql_assets.py)."""

import dagster as dg

from assets.events.copy import RAW_TABLE, copy_events
from assets.sql_assets import build_metadata, sql_asset
from pipelines.resources import WAREHOUSE_POOL, RelanceResource

GROUP = "events"


@dg.asset(
    key=["raw", "operational_events"],
    group_name=GROUP,
    pool=WAREHOUSE_POOL,
    description="Events of the operational store copied in by id watermark (polars → Arrow → DuckDB).",
)
def raw_operational_events(context: dg.AssetExecutionContext, relance: RelanceResource) -> dg.MaterializeResult:
    with relance.warehouse() as con:
        result = copy_events(relance.opstore(), con)
    context.log.info(
        "copied %d new events (watermark %d → %d)", result.copied, result.watermark_before, result.watermark_after
    )
    return dg.MaterializeResult(
        metadata=build_metadata(result.total_rows, copied=result.copied, watermark=result.watermark_after)
    )


staging_events = sql_asset(
    "staging",
    "events",
    group=GROUP,
    description="One row per operational event (deduplicated by event_id), evidence as JSON.",
)
access_invoice_activity = sql_asset(
    "intermediate", "access_invoice_activity", group=GROUP, description="Per invoice: first delivery and retrievals."
)
access_invoice_retrieval = sql_asset(
    "marts",
    "access_invoice_retrieval",
    group=GROUP,
    description="Per invoice: retrieved or not, first retrieval time, hours from sending to retrieval.",
)
access_customer_retrieval = sql_asset(
    "marts",
    "access_customer_retrieval",
    group=GROUP,
    description="Per customer: retrieval rate of sent invoices, share never retrieved, median hours to retrieval.",
)
delivery_channel_performance = sql_asset(
    "marts",
    "delivery_channel_performance",
    group=GROUP,
    description="Per channel: delivery rate, bounce rate, median hours to retrieval.",
)


@dg.asset_check(asset=dg.AssetKey(["staging", "events"]), description="Each operational event appears once.")
def staging_events_unique(relance: RelanceResource) -> dg.AssetCheckResult:
    with relance.warehouse(read_only=True) as con:
        total, distinct = con.execute("select count(*), count(distinct event_id) from staging.events").fetchall()[0]
    return dg.AssetCheckResult(passed=total == distinct, metadata={"rows": total, "distinct_event_ids": distinct})


@dg.asset_check(
    asset=dg.AssetKey(["raw", "operational_events"]),
    description="The warehouse holds every event the operational store held at the last copy.",
)
def raw_events_complete(relance: RelanceResource) -> dg.AssetCheckResult:
    from sqlalchemy import func, select

    from stores import operational as ops

    with relance.warehouse(read_only=True) as con:
        copied, top = con.execute(f"select count(distinct event_id), coalesce(max(id), 0) from {RAW_TABLE}").fetchall()[
            0
        ]
    with relance.opstore().connect() as conn:
        expected = conn.execute(select(func.count()).select_from(ops.events).where(ops.events.c.id <= top)).scalar_one()
    return dg.AssetCheckResult(
        passed=copied == expected, metadata={"copied": copied, "in_store_up_to_watermark": expected, "watermark": top}
    )


@dg.asset_check(
    asset=dg.AssetKey(["marts", "access_customer_retrieval"]), description="Rates are shares between 0 and 1."
)
def customer_rates_are_shares(relance: RelanceResource) -> dg.AssetCheckResult:
    with relance.warehouse(read_only=True) as con:
        bad = con.execute("""
            select count(*) from marts.access_customer_retrieval
            where retrieval_rate not between 0 and 1 or never_retrieved_share not between 0 and 1
        """).fetchall()[0][0]
    return dg.AssetCheckResult(passed=bad == 0, metadata={"customers_out_of_range": bad})


ASSETS = [
    raw_operational_events,
    staging_events,
    access_invoice_activity,
    access_invoice_retrieval,
    access_customer_retrieval,
    delivery_channel_performance,
]
CHECKS = [staging_events_unique, raw_events_complete, customer_rates_are_shares]
