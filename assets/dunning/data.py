"""What a dunning run knows: invoices, customers and disputes from the warehouse (as of a date), events,
holds, deliveries and earlier dunning lines from the operational store."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import duckdb
from sqlalchemy import Engine, and_, select

from assets.dunning.eligibility import read_suppressions
from assets.dunning.engine import ONCE_REASONS, DayFacts, Delivered, History, InvoiceFacts
from stores import operational as ops
from stores import warehouse


def aware(value: datetime | None) -> datetime | None:
    # SQLite returns naive datetimes for timezone-aware columns; they were written in UTC.
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


class MissingWarehouseTable(RuntimeError):
    pass


def _require(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> None:
    if not warehouse.table_exists(con, schema, table):
        raise MissingWarehouseTable(
            f"the warehouse has no {schema}.{table}: run the ingest assets first "
            "(dunning reads staging.invoices, staging.customers and staging.payments)"
        )


def _records(cursor) -> list[dict[str, Any]]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def load_customers(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, Any]]:
    _require(con, "staging", "customers")
    rows = _records(warehouse.query(con, "intermediate", "dunning_customers"))
    for row in rows:
        row["tags"] = list(row.get("tags") or [])
        row["fallback_channels"] = list(row.get("fallback_channels") or [])
        row["on_hold"] = bool(row.get("on_hold"))
        row["risk_band"] = None
    customers = {str(r["customer_id"]): r for r in rows}
    if warehouse.table_exists(con, "marts", "risk_scores"):
        for risk in _records(warehouse.query(con, "intermediate", "dunning_customer_risk")):
            if str(risk["customer_id"]) in customers:
                customers[str(risk["customer_id"])]["risk_band"] = risk["risk_band"]
    return customers


SETTLED_LOOKBACK_DAYS = 60  # settled this recently: still planned, so a due step is recorded as paid/credited


def load_invoices(con: duckdb.DuckDBPyConnection, as_of: date) -> list[InvoiceFacts]:
    """Invoices known on `as_of` with their settlement on that day.

    The settlement is the one marts.invoices computes (sql/marts/invoices.sql, run here as of the day rather
    than read from the built table): payments with an invoice number, payments without one matched the way
    the mart matches them, credit notes. Dunning and the mart therefore never disagree on what is paid,
    which the blocking check `no_settled_or_disputed_invoice` relies on; and the simulator can replay any day.
    """
    for table in ("invoices", "payments"):
        _require(con, "staging", table)
    rows = _records(warehouse.query(con, "marts", "invoices", {"as_of": as_of}))
    lookback = as_of - timedelta(days=SETTLED_LOOKBACK_DAYS)
    out = []
    for r in rows:
        if (
            r["document_type"] != "invoice"
            or r["issue_date"] is None
            or r["issue_date"] > as_of
            or r["due_date"] is None
        ):
            continue
        if r["open_amount"] <= 0 and (r["settled_date"] is None or r["settled_date"] < lookback):
            continue
        out.append(
            InvoiceFacts(
                invoice_number=r["invoice_number"],
                customer_id=str(r["customer_id"]),
                issue_date=r["issue_date"],
                due_date=r["due_date"],
                amount=Decimal(r["amount_incl_tax"]),
                open_amount=Decimal(r["open_amount"]),
                paid_amount=Decimal(r["paid_amount"]),
                credited_amount=Decimal(r["credited_amount"]),
                currency=r["currency"] or "EUR",
                status=r["status"],
            )
        )
    return sorted(out, key=lambda i: (i.customer_id, i.due_date, i.invoice_number))


def load_disputes(con: duckdb.DuckDBPyConnection, as_of: date) -> dict[str, str]:
    if not warehouse.table_exists(con, "staging", "disputes"):
        return {}
    rows = _records(warehouse.query(con, "intermediate", "dunning_open_disputes", {"as_of": as_of}))
    return {r["invoice_number"]: f"erp: {r.get('reason') or 'dispute'}" for r in rows}


def payments_freshness(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    if not warehouse.table_exists(con, "staging", "payments"):
        return {"payments_extracted_at": None, "latest_payment_date": None, "payment_count": 0}
    rows = _records(warehouse.query(con, "intermediate", "dunning_payments_freshness"))
    row = rows[0]
    row["payments_extracted_at"] = aware(row["payments_extracted_at"])
    return row


def load_operational_facts(engine: Engine, as_of_time: datetime) -> dict[str, Any]:
    """What the operational store knows as of a time: eligibility's disputes, promises and holds, and, for
    resends, invoice deliveries and retrievals."""
    ev = ops.events
    retrieved: set[str] = set()
    delivered: list[Delivered] = []
    with engine.connect() as conn:
        suppressions = read_suppressions(conn, as_of_time)
        retrieved.update(
            conn.execute(
                select(ev.c.invoice_number)
                .where(
                    ev.c.event_type.in_(ops.RETRIEVAL_TYPES),
                    ev.c.occurred_at <= as_of_time,
                    ev.c.invoice_number.is_not(None),
                )
                .distinct()
            ).scalars()
        )
        ob = ops.outbox
        for number, customer_id, channel, sent_at in conn.execute(
            select(ob.c.invoice_number, ob.c.customer_id, ob.c.channel, ob.c.updated_at).where(
                ob.c.kind.in_(("invoice", "resend")), ob.c.state == "sent", ob.c.invoice_number.is_not(None)
            )
        ):
            sent_at = aware(sent_at)
            if sent_at <= as_of_time:
                delivered.append(Delivered(number, customer_id, channel, sent_at))
    return {
        "disputed": suppressions.disputed,
        "promises": suppressions.promises,
        "retrieved": retrieved,
        "holds": suppressions.holds,
        "delivered": delivered,
    }


def load_history(engine: Engine, replacing: date | None = None) -> History:
    """Earlier lines that matter for planning: what was done, and once-only suppressions.

    `replacing`: the run date being (re)planned; its batch drafts are about to be replaced, so they must
    not count as history."""
    dl = ops.dunning_lines
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                dl.c.run_date,
                dl.c.step,
                dl.c.invoice_number,
                dl.c.customer_id,
                dl.c.channel,
                dl.c.state,
                dl.c.reason,
                dl.c.idempotency_key,
                dl.c.request_id,
            )
            .where(dl.c.state != "ignored")
            .union_all(
                select(
                    dl.c.run_date,
                    dl.c.step,
                    dl.c.invoice_number,
                    dl.c.customer_id,
                    dl.c.channel,
                    dl.c.state,
                    dl.c.reason,
                    dl.c.idempotency_key,
                    dl.c.request_id,
                ).where(
                    and_(
                        dl.c.state == "ignored",
                        dl.c.reason.in_(ONCE_REASONS),
                    )
                )
            )
        ).all()
    records = [dict(r._mapping) for r in rows]
    if replacing is not None:
        records = [
            r
            for r in records
            if not (
                r["run_date"] == replacing
                and r["request_id"] is None
                and r["state"] == "draft"
                and r["channel"] != "manual"
            )
        ]
    return History.from_lines(records)


def load_day_facts(
    con: duckdb.DuckDBPyConnection,
    engine: Engine | None,
    run_date: date,
    now: datetime,
    as_of: date | None = None,
    as_of_time: datetime | None = None,
) -> DayFacts:
    """Everything known for a run. `as_of` bounds payments and credit notes by date (the simulator replays
    history with as_of = run_date); a real run passes today so every payment already known counts."""
    as_of = as_of or max(run_date, now.date())
    customers = load_customers(con)
    facts = DayFacts(
        run_date=run_date,
        now=now,
        invoices=load_invoices(con, as_of),
        customers=customers,
        disputed=load_disputes(con, as_of),
    )
    if engine is not None:
        extra = load_operational_facts(engine, as_of_time or now)
        facts.disputed.update(extra["disputed"])
        facts.promises = extra["promises"]
        facts.holds = extra["holds"]
        facts.delivered = extra["delivered"]
        facts.retrieved = extra["retrieved"]
    return facts
