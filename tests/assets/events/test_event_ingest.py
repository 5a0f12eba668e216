"""Access events reach the warehouse incrementally, and the retrieval and delivery metrics match values
worked out by hand, on SQLite and PostgreSQL operational stores."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import dagster as dg
import duckdb
import pytest
from sqlalchemy import insert

from assets.events.copy import copy_events
from assets.events.defs import ASSETS, CHECKS
from pipelines.resources import RelanceResource
from stores import operational as ops
from tests.channels.portal.fixtures import CUSTOMERS_DDL, INVOICES_DDL, customer_row, invoice_row

pytestmark = pytest.mark.slow


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


# (event type, invoice, customer, channel, source, time, reminder step)
EVENTS = [
    ("sent", "F1", "C1", "email", "dispatch", "2026-03-02 09:00", None),
    ("delivered", "F1", "C1", "email", "smtp", "2026-03-02 09:01", None),
    ("viewed", None, "C1", None, "email-link", "2026-03-02 14:00", None),  # the list page: no invoice
    ("viewed", "F1", "C1", None, "portal", "2026-03-02 15:00", None),
    ("downloaded", "F1", "C1", None, "portal", "2026-03-03 08:00", None),
    ("sent", "F2", "C1", "email", "dispatch", "2026-03-05 10:00", None),
    ("bounced", "F2", "C1", "email", "dsn", "2026-03-05 10:02", None),
    ("fetched", "F3", "C1", None, "api", "2026-03-10 08:00", None),  # never sent, fetched by API
    ("sent", "F4", "C2", "platform", "dispatch", "2026-03-01 12:00", None),
    ("delivered", "F4", "C2", "platform", "platform", "2026-03-01 12:30", None),
    ("sent", "F5", "C2", "platform", "dispatch", "2026-03-02 12:00", None),
    ("rejected", "F5", "C2", "platform", "platform", "2026-03-02 13:00", None),
    ("sent", "AV1", "C2", "email", "dispatch", "2026-03-06 09:00", None),
    ("delivered", "AV1", "C2", "email", "smtp", "2026-03-06 09:05", None),
    ("viewed", "AV1", "C2", None, "portal", "2026-03-06 09:30", None),
    ("fetched", "F4", "C2", None, "api", "2026-03-03 12:00", None),
    ("sent", "F2", "C1", "email", "dispatch", "2026-04-10 09:00", "R1"),  # a reminder, not the invoice's send
    ("delivered", "F2", "C1", "email", "smtp", "2026-04-10 09:01", "R1"),
    ("viewed", "F2", "C1", None, "email-link", "2026-04-10 12:00", None),
    ("disputed", "F5", "C2", None, "portal", "2026-03-04 10:00", None),
]


def record(engine, rows):
    with engine.begin() as conn:
        for kind, invoice, customer, channel, source, when, step in rows:
            ops.record_event(
                conn,
                kind,
                invoice_number=invoice,
                customer_id=customer,
                channel=channel,
                source=source,
                occurred_at=at(when),
                reminder_step=step,
                evidence={"ip": "192.0.2.1", "user_agent": "pytest"} if source != "dispatch" else {},
            )


def build_warehouse(path):
    con = duckdb.connect(str(path))
    for schema in ("raw", "staging", "intermediate", "marts"):
        con.execute(f"create schema if not exists {schema}")
    con.execute(CUSTOMERS_DDL)
    con.execute(INVOICES_DDL)
    con.executemany(
        "insert into staging.customers values (" + ",".join("?" * 24) + ")",
        [
            customer_row("C1", "Un", "a@example.com", "fr"),
            customer_row("C2", "Deux", "b@example.com", "en"),
            customer_row("C3", "Trois", "c@example.com", "fr"),
        ],
    )
    con.executemany(
        "insert into marts.invoices values (" + ",".join("?" * 25) + ")",
        [
            invoice_row("F1", "C1", date(2026, 3, 2), date(2026, 4, 1), "100.00", "20.00"),
            invoice_row("F2", "C1", date(2026, 3, 5), date(2026, 4, 5), "100.00", "20.00"),
            invoice_row("F3", "C1", date(2026, 1, 30), date(2026, 3, 1), "100.00", "20.00"),
            invoice_row("F4", "C2", date(2026, 3, 1), date(2026, 3, 31), "100.00", "20.00"),
            invoice_row("F5", "C2", date(2026, 3, 2), date(2026, 4, 1), "100.00", "20.00"),
            invoice_row(
                "AV1", "C2", date(2026, 3, 6), None, "-10.00", "-2.00", doc_type="credit_note", status="credited"
            ),
            invoice_row("F6", "C3", date(2026, 3, 7), date(2026, 4, 6), "100.00", "20.00"),
        ],
    )
    con.close()


def materialize(home, url):
    result = dg.materialize(
        [*ASSETS, *CHECKS], resources={"relance": RelanceResource(home=str(home), operational_url=url)}
    )
    assert result.success
    return result


def rows(con, sql):
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def test_metrics_match_hand_computed_values(tmp_path, opstore_url):
    engine = ops.open_store(opstore_url)
    record(engine, EVENTS)
    build_warehouse(tmp_path / "warehouse.duckdb")
    result = materialize(tmp_path, opstore_url)
    checks = {c.check_name: c.passed for c in result.get_asset_check_evaluations()}
    assert checks == {"staging_events_unique": True, "raw_events_complete": True, "customer_rates_are_shares": True}

    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True)
    assert con.execute("select count(*) from raw.operational_events").fetchall()[0][0] == len(EVENTS)
    per_invoice = {r["invoice_number"]: r for r in rows(con, "select * from marts.access_invoice_retrieval")}
    expected = {
        # invoice: (channel, retrieved, hours to retrieval, retrieved before due, retrievals, first source)
        "F1": ("email", True, Decimal("6.00"), True, 2, "portal"),
        "F2": ("email", True, Decimal("866.00"), False, 1, "email-link"),  # 36 days 2 h after the first send
        "F3": (None, True, None, False, 1, "api"),  # fetched, never sent: no delay to measure
        "F4": ("platform", True, Decimal("48.00"), True, 1, "api"),
        "F5": ("platform", False, None, False, 0, None),
        "AV1": ("email", True, Decimal("0.50"), None, 1, "portal"),
        "F6": (None, False, None, False, 0, None),
    }
    assert {
        k: (
            r["channel"],
            r["is_retrieved"],
            r["hours_to_retrieval"],
            r["retrieved_before_due"],
            r["retrieval_count"],
            r["first_retrieval_source"],
        )
        for k, r in per_invoice.items()
    } == expected
    assert per_invoice["F1"]["first_retrieved_at"] == at("2026-03-02 15:00")
    assert per_invoice["F2"]["sent_at"] == at("2026-03-05 10:00")  # the reminder's send does not count

    per_customer = {r["customer_id"]: r for r in rows(con, "select * from marts.access_customer_retrieval")}
    assert {
        k: (
            r["invoices"],
            r["invoices_sent"],
            r["invoices_retrieved"],
            r["invoices_never_retrieved"],
            r["retrieval_rate"],
            r["never_retrieved_share"],
            r["retrieved_before_due_rate"],
            r["median_hours_to_retrieval"],
        )
        for k, r in per_customer.items()
    } == {
        "C1": (3, 2, 3, 0, Decimal("1.0000"), Decimal("0.0000"), Decimal("0.5000"), Decimal("436.00")),
        "C2": (2, 2, 1, 1, Decimal("0.5000"), Decimal("0.5000"), Decimal("0.5000"), Decimal("48.00")),
        "C3": (1, 0, 0, 1, None, Decimal("1.0000"), None, None),
    }
    assert per_customer["C2"]["customer_name"] == "Deux"

    per_channel = {r["channel"]: r for r in rows(con, "select * from marts.delivery_channel_performance")}
    assert {
        k: (
            r["sent"],
            r["delivered"],
            r["bounced"],
            r["rejected"],
            r["delivery_rate"],
            r["bounce_rate"],
            r["invoices_sent"],
            r["invoices_retrieved"],
            r["median_hours_to_retrieval"],
        )
        for k, r in per_channel.items()
    } == {
        # email: F1, F2, AV1 and F2's reminder sent; F1, AV1 and the reminder delivered; F2 bounced
        "email": (4, 3, 1, 0, Decimal("0.7500"), Decimal("0.2500"), 3, 3, Decimal("6.00")),
        "platform": (2, 1, 0, 1, Decimal("0.5000"), Decimal("0.0000"), 2, 1, Decimal("48.00")),
    }
    staged = rows(con, "select evidence->>'ip' as ip, source from staging.events where event_type = 'disputed'")
    assert staged == [{"ip": "192.0.2.1", "source": "portal"}]
    con.close()


def test_copy_is_incremental_and_catches_late_commits(tmp_path, opstore_url):
    engine = ops.open_store(opstore_url)

    # ids 1, 2, 4, 5 committed; id 3 belongs to a transaction that commits after the first copy
    def insert_with_id(event_id):
        row = ops.event_row(
            "viewed", source="portal", customer_id="C1", invoice_number="F1", occurred_at=at("2026-03-02 15:00")
        )
        with engine.begin() as conn:
            conn.execute(insert(ops.events).values(id=event_id, **row))

    for event_id in (1, 2, 4, 5):
        insert_with_id(event_id)
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    first = copy_events(engine, con)
    assert (first.copied, first.watermark_after) == (4, 5)
    again = copy_events(engine, con)
    assert (again.copied, again.total_rows) == (0, 4)
    insert_with_id(3)
    late = copy_events(engine, con)
    assert (late.copied, late.total_rows, late.watermark_after) == (1, 5, 5)
    assert sorted(r[0] for r in con.execute("select id from raw.operational_events").fetchall()) == [1, 2, 3, 4, 5]
    # batches smaller than the backlog page through it
    for event_id in range(6, 31):
        insert_with_id(event_id)
    paged = copy_events(engine, con, batch_size=7)
    assert (paged.copied, paged.total_rows) == (25, 30)
    assert con.execute("select count(distinct event_id) from raw.operational_events").fetchall()[0][0] == 30
    con.close()


def test_times_are_utc_and_evidence_is_canonical_json(tmp_path, opstore_url):
    engine = ops.open_store(opstore_url)
    with engine.begin() as conn:
        ops.record_event(
            conn,
            "promised",
            source="portal",
            customer_id="C1",
            invoice_number="F1",
            occurred_at=datetime.fromisoformat("2026-03-02T10:00:00+02:00"),
            evidence={"promised_date": "2026-03-20", "user_agent": "Mozilla/5.0 (é)"},
        )
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    copy_events(engine, con)
    occurred, evidence = con.execute(
        "select occurred_at at time zone 'UTC', evidence from raw.operational_events"
    ).fetchall()[0]
    assert occurred == datetime(2026, 3, 2, 8, 0)  # noqa: DTZ001 - `at time zone 'UTC'` gives a naive UTC time
    assert evidence == '{"promised_date": "2026-03-20", "user_agent": "Mozilla/5.0 (é)"}'
    con.close()
