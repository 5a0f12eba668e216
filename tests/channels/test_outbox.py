"""The outbox claims rows safely on SQLite and PostgreSQL, records every state change, retries with backoff."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from channels import outbox as ob
from stores import operational as ops


def _enqueue(engine, n, channel="email"):
    with engine.begin() as conn:
        return [
            ob.enqueue(
                conn,
                idempotency_key=f"invoice:F-{i}:{channel}",
                kind="invoice",
                customer_id="C1",
                channel=channel,
                invoice_number=f"F-{i}",
                payload={"documents": {}},
            )
            for i in range(n)
        ]


def _events(engine, outbox_id=None):
    with engine.connect() as conn:
        q = select(ops.events.c.event_type, ops.events.c.outbox_id, ops.events.c.evidence).order_by(ops.events.c.id)
        if outbox_id is not None:
            q = q.where(ops.events.c.outbox_id == outbox_id)
        return conn.execute(q).all()


def test_enqueue_is_idempotent_and_records_a_queued_event(opstore_url):
    engine = ops.open_store(opstore_url)
    first = _enqueue(engine, 3)
    again = _enqueue(engine, 3)
    assert all(isinstance(i, int) for i in first)
    assert again == [None, None, None]
    assert [e.event_type for e in _events(engine)] == ["queued"] * 3
    assert ob.counts_by_state(engine) == {"queued": 3}


def test_enqueue_refuses_an_unknown_channel(opstore_url):
    engine = ops.open_store(opstore_url)
    with engine.begin() as conn, pytest.raises(ValueError, match="unknown channel 'fax'"):
        ob.enqueue(conn, idempotency_key="k", kind="invoice", customer_id="C1", channel="fax")


def test_concurrent_workers_never_claim_the_same_row(opstore_url):
    engine = ops.open_store(opstore_url)
    _enqueue(engine, 300)
    claimed: list[int] = []
    lock = threading.Lock()
    errors = []

    def worker():
        try:
            while True:
                _, rows = ob.claim_due(engine, limit=7)
                if not rows:
                    return
                with lock:
                    claimed.extend(r["id"] for r in rows)
        except Exception as exc:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    duplicates = [i for i, n in Counter(claimed).items() if n > 1]
    assert duplicates == []
    assert len(claimed) == 300
    assert ob.counts_by_state(engine) == {"sending": 300}
    sending_events = [e for e in _events(engine) if e.event_type == "sending"]
    assert len(sending_events) == 300


def test_chunks_partition_the_due_rows(opstore_url):
    engine = ops.open_store(opstore_url)
    _enqueue(engine, 20)
    seen = []
    for chunk in range(3):
        _, rows = ob.claim_due(engine, limit=100, chunk_index=chunk, chunk_count=3)
        assert all(r["id"] % 3 == chunk for r in rows)
        seen += [r["id"] for r in rows]
    assert sorted(seen) == sorted(set(seen)) and len(seen) == 20


def test_transient_failures_back_off_exponentially_then_die(opstore_url):
    engine = ops.open_store(opstore_url)
    [row_id] = _enqueue(engine, 1)
    policy = ob.RetryPolicy(max_attempts=3, base_seconds=10)
    now = ops.utcnow()
    delays = []
    for attempt in range(1, 4):
        token, rows = ob.claim_due(engine, limit=5, now=now)
        assert [r["id"] for r in rows] == [row_id] and rows[0]["attempts"] == attempt
        with engine.begin() as conn:
            state = ob.mark_transient_failure(conn, rows[0], token, "451 try later", policy=policy, now=now, code="451")
        with engine.connect() as conn:
            row = conn.execute(select(ops.outbox).where(ops.outbox.c.id == row_id)).one()
        if attempt < 3:
            assert state == "queued"
            next_at = row.next_attempt_at.replace(tzinfo=now.tzinfo)
            delays.append(next_at - now)
            # not due before its backoff ends
            assert ob.claim_due(engine, limit=5, now=now)[1] == []
            now = next_at
        else:
            assert state == "dead" and row.state == "dead" and row.last_error == "451 try later"
    assert delays == [timedelta(seconds=10), timedelta(seconds=20)]
    types = [e.event_type for e in _events(engine, row_id)]
    assert types == ["queued", "sending", "queued", "sending", "queued", "sending", "dead"]


def test_a_recovered_claim_cannot_be_overwritten_by_its_old_worker(opstore_url):
    engine = ops.open_store(opstore_url)
    _enqueue(engine, 1)
    old_token, rows = ob.claim_due(engine, limit=1)
    later = ops.utcnow() + timedelta(minutes=10)
    assert ob.recover_stale(engine, lease_seconds=60, resolve=lambda stale: {r["id"]: None for r in stale}) == {
        "recovered_sent": 0,
        "requeued": 0,
        "in_doubt": 0,
    }  # still within its lease: left alone
    counts = ob.recover_stale(engine, lease_seconds=60, now=later, resolve=lambda stale: {r["id"]: None for r in stale})
    assert counts == {"recovered_sent": 0, "requeued": 1, "in_doubt": 0}
    with engine.begin() as conn:
        assert ob.mark_sent(conn, rows[0], old_token, {"reference": "late"}) is False
    assert ob.counts_by_state(engine) == {"queued": 1}


def test_stale_claims_are_settled_by_lookup(opstore_url):
    engine = ops.open_store(opstore_url)
    ids = _enqueue(engine, 3)
    ob.claim_due(engine, limit=3)

    class Found:
        def as_evidence(self):
            return {"reference": "<m@x>", "recovered_after_crash": True}

    outcomes = {ids[0]: Found(), ids[1]: None, ids[2]: RuntimeError("no archive to look in")}
    counts = ob.recover_stale(
        engine, lease_seconds=60, now=ops.utcnow() + timedelta(minutes=10), resolve=lambda rows: outcomes
    )
    assert counts == {"recovered_sent": 1, "requeued": 1, "in_doubt": 1}
    with engine.connect() as conn:
        states = dict(conn.execute(select(ops.outbox.c.id, ops.outbox.c.state)).all())
        last_error = conn.execute(select(ops.outbox.c.last_error).where(ops.outbox.c.id == ids[2])).scalar_one()
    assert states == {ids[0]: "sent", ids[1]: "queued", ids[2]: "failed"}
    assert last_error.startswith("in_doubt: no archive")


def test_a_row_that_kills_its_worker_every_time_ends_dead(opstore_url):
    engine = ops.open_store(opstore_url)
    [row_id] = _enqueue(engine, 1)
    later = ops.utcnow()
    for attempt in range(1, 4):
        ob.claim_due(engine, limit=1, now=later)  # ... and the worker dies
        later += timedelta(minutes=10)
        counts = ob.recover_stale(
            engine, lease_seconds=60, now=later, max_attempts=3, resolve=lambda rows: {r["id"]: None for r in rows}
        )
        assert counts.get("dead", 0) == (1 if attempt == 3 else 0)
    assert ob.counts_by_state(engine) == {"dead": 1}
    [dead] = [e for e in _events(engine, row_id) if e.event_type == "dead"]
    assert "died during each of its 3 attempts" in dead.evidence["reason"]
