"""Dagster assets of the dunning domain (thin: the logic is in assets/dunning/).

Per daily partition (the business date, in the company's time zone: assets/business_date.py):
  dunning/reminder_batch  -> plans reminder and statement lines (draft | ignored with a reason) and runs its
                             blocking checks: payments data fresh enough, no draft on a settled, disputed or
                             promised invoice, every line's template renders;
  dunning/reminders_queued -> enqueues the drafts in the outbox (skipped when a blocking check failed);
  dunning/resend_batch and dunning/resends_queued -> the same for resends of unretrieved invoices.
The channels' dispatch job drains the outbox.
"""

import os
from datetime import datetime, timezone
from pathlib import Path

import dagster as dg

from assets.business_date import business_date, company_time_zone_name
from assets.dunning import batch as dunning_batch
from assets.dunning.data import load_day_facts
from assets.dunning.policy import POLICY_DIR, load_policies
from pipelines.resources import WAREHOUSE_POOL, RelanceResource

GROUP = "dunning"
# one partition per business day; read when the code location loads, like the schedule's hours
DAILY = dg.DailyPartitionsDefinition(start_date="2025-01-01", timezone=company_time_zone_name(), end_offset=1)
REMINDER_BATCH = dg.AssetKey(["dunning", "reminder_batch"])
REMINDERS_QUEUED = dg.AssetKey(["dunning", "reminders_queued"])
RESEND_BATCH = dg.AssetKey(["dunning", "resend_batch"])
RESENDS_QUEUED = dg.AssetKey(["dunning", "resends_queued"])
UPSTREAM = [
    dg.AssetKey(["staging", "invoices"]),
    dg.AssetKey(["staging", "payments"]),
    dg.AssetKey(["staging", "customers"]),
]


class DunningConfig(dg.Config):
    policies: str = os.environ.get("RELANCE_POLICIES", str(POLICY_DIR))


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _checks(asset_key: dg.AssetKey) -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec(
            "payments_fresh",
            asset=asset_key,
            blocking=True,
            description="Payments data is recent enough to chase customers on it.",
        ),
        dg.AssetCheckSpec(
            "no_settled_or_disputed_invoice",
            asset=asset_key,
            blocking=True,
            description="No draft concerns an invoice paid, credited, disputed or promised.",
        ),
    ]


def _batch(context: dg.AssetExecutionContext, relance: RelanceResource, config: DunningConfig, build, kinds):
    run_date = business_date(context)
    policies = load_policies(Path(config.policies))
    now = _now()
    engine = relance.opstore()
    with relance.warehouse() as con:
        summary = build(con, engine, policies, run_date, now)
        fresh, fresh_meta = dunning_batch.payments_check(con, policies, now)
        clean, clean_meta = dunning_batch.settled_check(con, engine, run_date, now, kinds=kinds)
    context.log.info("dunning batch %s: %s", run_date, summary.as_metadata())
    yield dg.MaterializeResult(metadata={**summary.as_metadata(), "policies": [p.name for p in policies]})
    yield dg.AssetCheckResult(
        check_name="payments_fresh",
        passed=fresh,
        metadata=fresh_meta,
        description=fresh_meta["problem"] or "payments data is fresh",
    )
    yield dg.AssetCheckResult(check_name="no_settled_or_disputed_invoice", passed=clean, metadata=clean_meta)


@dg.asset(
    key=REMINDER_BATCH,
    partitions_def=DAILY,
    pool=WAREHOUSE_POOL,
    group_name=GROUP,
    deps=UPSTREAM,
    check_specs=_checks(REMINDER_BATCH),
    kinds={"python", "duckdb"},
    description="Reminder and statement lines of the day (dunning_lines): drafts, and suppressions with "
    "their reason. Catches up steps whose date fell on a day without a run.",
)
def reminder_batch(context: dg.AssetExecutionContext, relance: RelanceResource, config: DunningConfig):
    yield from _batch(context, relance, config, dunning_batch.build_reminder_batch, dunning_batch.REMINDER_KINDS)


@dg.asset(
    key=RESEND_BATCH,
    partitions_def=DAILY,
    pool=WAREHOUSE_POOL,
    group_name=GROUP,
    deps=UPSTREAM,
    check_specs=_checks(RESEND_BATCH),
    kinds={"python", "duckdb"},
    description="Invoices sent but not retrieved after the policy's delay, to resend on the next channel.",
)
def resend_batch(context: dg.AssetExecutionContext, relance: RelanceResource, config: DunningConfig):
    yield from _batch(context, relance, config, dunning_batch.build_resend_batch, dunning_batch.RESEND_KINDS)


def _queue(context: dg.AssetExecutionContext, relance: RelanceResource, config: DunningConfig, kinds):
    run_date = business_date(context)
    policies = load_policies(Path(config.policies))
    now = _now()
    engine = relance.opstore()
    with relance.warehouse() as con:
        facts = load_day_facts(con, engine, run_date, now)
    result = dunning_batch.enqueue_batch(engine, relance.paths, policies, facts, kinds=kinds)
    for error in result["errors"]:
        context.log.error("template refused: %s", error)
    return dg.MaterializeResult(
        metadata={
            "run_date": run_date.isoformat(),
            **{f"lines_{k}": v for k, v in result["counts"].items()},
            "template_errors": len(result["errors"]),
        }
    )


@dg.asset(
    key=REMINDERS_QUEUED,
    partitions_def=DAILY,
    pool=WAREHOUSE_POOL,
    group_name=GROUP,
    deps=[REMINDER_BATCH],
    kinds={"python"},
    description="The day's reminder drafts rendered and enqueued in the outbox, once per "
    "(invoice or customer, step, channel).",
)
def reminders_queued(context: dg.AssetExecutionContext, relance: RelanceResource, config: DunningConfig):
    return _queue(context, relance, config, dunning_batch.REMINDER_KINDS)


@dg.asset(
    key=RESENDS_QUEUED,
    partitions_def=DAILY,
    pool=WAREHOUSE_POOL,
    group_name=GROUP,
    deps=[RESEND_BATCH],
    kinds={"python"},
    description="The day's resends enqueued in the outbox, once per (invoice, channel).",
)
def resends_queued(context: dg.AssetExecutionContext, relance: RelanceResource, config: DunningConfig):
    return _queue(context, relance, config, dunning_batch.RESEND_KINDS)


ASSETS = [reminder_batch, reminders_queued, resend_batch, resends_queued]
