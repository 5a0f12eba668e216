"""Campaign preview and request rules on the fixture snapshot and a real operational store."""

from datetime import datetime, timezone

import duckdb
import pytest
from sqlalchemy import insert, select

from dashboard import campaigns, data
from dashboard.data import InvoiceFilters
from stores import operational as ops


def _open_invoices(path, n):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(
            """select invoice_number, customer_id, open_amount from marts.dashboard_invoices
                              where open_amount > 0 and not on_hold and disputed_on is null
                              order by invoice_number limit ?""",
            [n],
        ).fetchall()
    finally:
        con.close()


def test_preview_skips_promised_held_and_portal_disputes_like_the_dunning_engine(dashboard_home, opstore):
    snap = data.snapshot(dashboard_home.snapshot)
    rows = _open_invoices(dashboard_home.snapshot, 40)
    (promised, _, _), (held, held_customer, _) = rows[0], next(r for r in rows[1:] if r[1] != rows[0][1])
    others = [r for r in rows if r[1] not in (rows[0][1], held_customer)]
    (disputed, _, _), (resolved, _, _), (sendable, _, amount) = others[0], others[1], others[2]
    at = lambda hour: datetime(2026, 6, 20, hour, tzinfo=timezone.utc)  # noqa: E731
    with opstore.begin() as conn:
        ops.record_event(
            conn,
            "promised",
            source="portal",
            invoice_number=promised,
            customer_id="x",
            evidence={"promised_date": "2026-07-15"},
            occurred_at=at(9),
        )  # after the snapshot date
        ops.record_event(
            conn,
            "disputed",
            source="portal",
            invoice_number=disputed,
            customer_id="x",
            evidence={"reason": "price"},
            occurred_at=at(9),
        )
        ops.record_event(conn, "disputed", source="portal", invoice_number=resolved, customer_id="x", occurred_at=at(9))
        ops.record_event(
            conn, "dispute_resolved", source="portal", invoice_number=resolved, customer_id="x", occurred_at=at(10)
        )
        conn.execute(
            insert(ops.customer_holds).values(
                customer_id=held_customer, active=True, reason="legal", set_by="carl", set_at=datetime.now(timezone.utc)
            )
        )
    target = campaigns.Target(invoices=(promised, held, disputed, resolved, sendable))
    preview = campaigns.preview(snap, opstore, target)
    assert preview.skipped == {"promise_not_due": 1, "customer_on_hold": 1, "disputed": 1}
    assert preview.invoice_count == 2  # the resolved dispute no longer stops its invoice
    assert preview.amount == amount + next(r[2] for r in rows if r[0] == resolved)


def test_a_passed_promise_no_longer_suppresses(dashboard_home, opstore):
    snap = data.snapshot(dashboard_home.snapshot)
    ((number, _, _),) = _open_invoices(dashboard_home.snapshot, 1)
    with opstore.begin() as conn:
        ops.record_event(
            conn,
            "promised",
            source="portal",
            invoice_number=number,
            customer_id="x",
            evidence={"promised_date": "2026-07-20"},
            occurred_at=datetime(2026, 6, 1, tzinfo=timezone.utc),
        )
        # a later promise replaces the earlier one, and its date has passed
        ops.record_event(
            conn,
            "promised",
            source="portal",
            invoice_number=number,
            customer_id="x",
            evidence={"promised_date": "2026-06-15"},
            occurred_at=datetime(2026, 6, 2, tzinfo=timezone.utc),
        )
    assert campaigns.preview(snap, opstore, campaigns.Target(invoices=(number,))).skipped == {}


def test_filters_preview_matches_the_snapshot(dashboard_home, opstore):
    snap = data.snapshot(dashboard_home.snapshot)
    target = campaigns.Target(filters=InvoiceFilters(segments=("public",), min_days_overdue=30))
    preview = campaigns.preview(snap, opstore, target)
    con = duckdb.connect(str(dashboard_home.snapshot), read_only=True)
    try:
        count, amount = con.execute("""select count(*), sum(open_amount) from marts.dashboard_invoices
            where segment = 'public' and due_date <= date '2026-06-30' - 30 and open_amount > 0
              and status not in ('paid', 'credited') and disputed_on is null and not on_hold""").fetchone()
    finally:
        con.close()
    assert (preview.invoice_count, preview.amount) == (count, amount)
    assert sum(preview.by_language["invoices"]) == count
    assert target.to_json() == {"filters": {"segments": ["public"], "min_days_late": 30}}


def test_requests_are_refused_with_the_reason(dashboard_home, opstore):
    target = campaigns.Target(invoices=("F0000001",))
    with pytest.raises(campaigns.CampaignError, match="say why"):
        campaigns.submit(opstore, kind="reminder", target=target, requested_by="fiona", reason=" ", step="d1")
    with pytest.raises(campaigns.CampaignError, match="names the dunning step or the template"):
        campaigns.submit(opstore, kind="reminder", target=target, requested_by="fiona", reason="why")
    with pytest.raises(campaigns.CampaignError, match="kind must be one of"):
        campaigns.submit(opstore, kind="fax", target=target, requested_by="fiona", reason="why")
    with pytest.raises(campaigns.CampaignError, match="exactly one of them"):
        campaigns.Target()
    with pytest.raises(campaigns.CampaignError, match="cannot filter on languages"):
        campaigns.Target(filters=InvoiceFilters(languages=("fr",))).to_json()
    with opstore.connect() as conn:
        assert conn.execute(select(ops.requests)).all() == []
    request_id = campaigns.submit(opstore, kind="resend", target=target, requested_by="fiona", reason="not received")
    progress = campaigns.progress(opstore, request_id)
    assert progress.state == "pending" and not progress.finished and progress.outbox == {}
    with pytest.raises(LookupError, match="no request"):
        campaigns.progress(opstore, "nope")
