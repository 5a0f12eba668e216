"""The operational store works the same on SQLite and PostgreSQL: events append, sequences never repeat."""

from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from stores import operational as ops


def test_events_append_and_read_back_in_order(opstore_url):
    engine = ops.open_store(opstore_url)
    with engine.begin() as conn:
        ops.record_event(
            conn,
            "issued",
            source="erp",
            invoice_number="F-1",
            customer_id="C1",
            occurred_at=datetime(2026, 1, 5, 9, tzinfo=timezone.utc),
        )
        ops.record_event(
            conn,
            "sent",
            source="dispatch",
            invoice_number="F-1",
            customer_id="C1",
            channel="email",
            evidence={"message_id": "<a@b>"},
        )
    with engine.connect() as conn:
        rows = ops.events_since(conn, 0)
    assert [r["event_type"] for r in rows] == ["issued", "sent"]
    assert rows[1]["evidence"] == {"message_id": "<a@b>"}
    assert rows[0]["occurred_at"].replace(tzinfo=timezone.utc).hour == 9


def test_unknown_event_type_and_naive_times_are_refused(opstore_url):
    engine = ops.open_store(opstore_url)
    with engine.begin() as conn:
        with pytest.raises(ValueError, match="unknown event type"):
            ops.record_event(conn, "teleported", source="x")
        with pytest.raises(ValueError, match="timezone-aware"):
            ops.record_event(conn, "sent", source="x", occurred_at=datetime(2026, 1, 1))  # noqa: DTZ001 - on purpose


def test_sequences_never_repeat(opstore_url):
    engine = ops.open_store(opstore_url)
    seen = []
    for _ in range(5):
        with engine.begin() as conn:
            seen.append(ops.next_sequence(conn, "edi-interchange"))
    assert seen == [1, 2, 3, 4, 5]
    with engine.begin() as conn:
        assert ops.next_sequence(conn, "other") == 1


def test_outbox_idempotency_key_is_unique(opstore_url):
    from sqlalchemy.exc import IntegrityError

    engine = ops.open_store(opstore_url)
    row = dict(
        idempotency_key="invoice:F-1:email",
        kind="invoice",
        invoice_number="F-1",
        customer_id="C1",
        channel="email",
        payload={},
        state="queued",
        attempts=0,
        created_at=ops.utcnow(),
        updated_at=ops.utcnow(),
    )
    with engine.begin() as conn:
        conn.execute(ops.insert(ops.outbox), [row])
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(ops.insert(ops.outbox), [row])
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(ops.outbox)).scalar_one() == 1
