"""The batch on both operational stores (SQLite and a real PostgreSQL): lines, outbox keys, reruns, requests."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import update

from assets.dunning.batch import (
    REMINDER_KINDS,
    build_reminder_batch,
    enqueue_batch,
    lines_for,
    sync_line_states,
)
from assets.dunning.data import load_day_facts
from assets.dunning.policy import load_policies
from assets.dunning.requests import create_request, execute_request
from stores import operational as ops
from stores.operational import outbox, select
from tests.assets.dunning.world import World

RUN = date(2026, 10, 16)
NOW = datetime(2026, 10, 16, 9, tzinfo=timezone.utc)
POLICIES = load_policies(Path(__file__).parent / "policies")


def test_batch_enqueue_rerun_and_request(opstore_url, relance_home):
    engine = ops.open_store(opstore_url)
    world = World(relance_home.warehouse)
    for cid in "ABJ":
        world.add_customer(cid, segment="group" if cid == "J" else "sme")
    for number, cid in (("A-1", "A"), ("B-1", "B"), ("J-1", "J"), ("J-2", "J")):
        world.add_invoice(number, cid, RUN - timedelta(days=31), RUN - timedelta(days=1), "100.00")
    world.add_payment("PB", "B", "B-1", RUN - timedelta(days=3), "100.00", NOW)
    try:
        for _ in range(2):  # the second run of the day changes nothing
            build_reminder_batch(world.con, engine, POLICIES, RUN, NOW, as_of=RUN)
            facts = load_day_facts(world.con, engine, RUN, NOW, as_of=RUN)
            enqueue_batch(engine, relance_home, POLICIES, facts, kinds=REMINDER_KINDS)
        with engine.connect() as conn:
            keys = sorted(r.idempotency_key for r in conn.execute(select(outbox.c.idempotency_key)))
        assert keys[0] == "dunning:A-1:d1:email" and keys[1].startswith("dunning:J:d1:email:")
        assert keys[2].startswith("statement:J:") and len(keys) == 3
        lines = {
            (line["invoice_number"], line["step"], line["state"], line["reason"])
            for line in lines_for(engine, RUN)
            if line["reason"] != "due_date_passed"
        }
        assert lines == {
            ("A-1", "d1", "queued", None),
            ("B-1", "d1", "ignored", "paid"),
            ("J-1", "d1", "queued", None),
            ("J-2", "d1", "queued", None),
            (None, "statement", "queued", None),
        }

        with engine.begin() as conn:  # the channels' dispatcher sent everything
            conn.execute(update(outbox).values(state="sent"))
        assert sync_line_states(engine) == {"sent": 4}

        request_id = create_request(
            engine, kind="reminder", requested_by="alice", reason="check", invoices=["A-1", "B-1"], step="d1"
        )
        counts = execute_request(world.con, engine, relance_home, POLICIES, request_id, NOW)
        assert counts["queued"] == 0 and counts["skipped"] == {"paid": 1, "step_already_sent": 1}
        with engine.connect() as conn:
            state = conn.execute(select(ops.requests.c.state).where(ops.requests.c.request_id == request_id)).scalar()
        assert state == "done"
    finally:
        world.close()
