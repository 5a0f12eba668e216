"""On-demand requests (CLI -> requests row -> sensor -> run -> counts on the request) and resends of invoices
nobody retrieved."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import dagster as dg
from sqlalchemy import update

from assets.dunning.batch import RESEND_KINDS, build_resend_batch, enqueue_batch, lines_for
from assets.dunning.data import load_day_facts
from assets.dunning.policy import load_policies
from channels.outbox import enqueue
from pipelines.cli import main
from pipelines.definitions import defs
from pipelines.dunning import dunning_request_sensor
from pipelines.resources import RelanceResource
from stores import operational as ops
from stores.operational import outbox, requests, select
from tests.assets.dunning.world import World

POLICIES = str(Path(__file__).parent / "policies_anytime")


def _world(home, today: date) -> None:
    world = World(home.warehouse)
    try:
        for cid in "ABC":
            world.add_customer(cid, fallback_channels=["paper"])
        for cid in "ABC":
            world.add_invoice(f"{cid}-1", cid, today - timedelta(days=40), today - timedelta(days=10), "250.00")
        world.add_payment("PB", "B", "B-1", today - timedelta(days=1), "250.00", datetime.now(timezone.utc))
        world.add_dispute("C-1", "C", today - timedelta(days=5))
    finally:
        world.close()


def _request_row(engine, request_id):
    with engine.connect() as conn:
        return conn.execute(select(requests).where(requests.c.request_id == request_id)).one()._mapping


def _run_request(home, request_id):
    job = defs.resolve_job_def("dunning_request_job")
    return job.execute_in_process(
        run_config={"ops": {"run_dunning_request": {"config": {"request_id": request_id, "policies": POLICIES}}}},
        resources={"relance": RelanceResource(home=str(home.root))},
        raise_on_error=False,
    )


def test_request_from_the_cli_runs_through_the_sensor_and_records_counts(relance_home, capsys):
    today = datetime.now(timezone.utc).date()
    _world(relance_home, today)
    assert (
        main(
            [
                "dunning",
                "request",
                "--invoices",
                "A-1",
                "B-1",
                "C-1",
                "X-404",
                "--step",
                "d1",
                "--by",
                "alice@finance",
                "--reason",
                "quarter close",
            ]
        )
        == 0
    )
    request_id = capsys.readouterr().out.strip()

    context = dg.build_sensor_context(resources={"relance": RelanceResource(home=str(relance_home.root))})
    (run_request,) = list(dunning_request_sensor(context))
    assert run_request.run_key == request_id
    assert run_request.run_config["ops"]["run_dunning_request"]["config"]["request_id"] == request_id

    assert _run_request(relance_home, request_id).success
    engine = ops.open_store(relance_home.operational_url)
    row = _request_row(engine, request_id)
    assert row["state"] == "done" and row["run_id"]
    assert row["counts"]["queued"] == 1
    assert row["counts"]["skipped"] == {"paid": 1, "disputed": 1}
    assert row["counts"]["not_found_or_not_open"] == ["X-404"]
    with engine.connect() as conn:
        keys = [r.idempotency_key for r in conn.execute(select(outbox.c.idempotency_key, outbox.c.request_id))]
    assert keys == ["dunning:A-1:d1:email"]

    # the same step asked again: nothing new leaves, and the request says why
    assert main(["dunning", "request", "--invoices", "A-1", "--step", "d1", "--by", "bob", "--reason", "again"]) == 0
    second = capsys.readouterr().out.strip()
    assert _run_request(relance_home, second).success
    assert _request_row(engine, second)["counts"]["skipped"] == {"step_already_sent": 1}
    with engine.connect() as conn:
        assert len(conn.execute(select(outbox.c.id)).all()) == 1


def test_request_with_a_filter_and_refusals(relance_home, capsys):
    today = datetime.now(timezone.utc).date()
    _world(relance_home, today)
    assert (
        main(
            [
                "dunning",
                "request",
                "--filter",
                "min_days_late=5",
                "segments=sme",
                "--template",
                "reminder_short",
                "--by",
                "carol",
                "--reason",
                "campaign",
            ]
        )
        == 0
    )
    request_id = capsys.readouterr().out.strip()
    assert _run_request(relance_home, request_id).success
    engine = ops.open_store(relance_home.operational_url)
    counts = _request_row(engine, request_id)["counts"]
    assert counts["queued"] == 1 and counts["skipped"] == {"paid": 1, "disputed": 1}
    with engine.connect() as conn:
        (payload,) = [r.payload for r in conn.execute(select(outbox.c.payload))]
    assert payload["template"] == "reminder_short" and payload["invoices"] == ["A-1"]

    assert main(["dunning", "request", "--invoices", "A-1", "--by", "x", "--reason", "y"]) == 2
    assert "names a step (--step) or a template (--template)" in capsys.readouterr().err
    assert main(["dunning", "request", "--filter", "colour=red", "--step", "d1", "--by", "x", "--reason", "y"]) == 2
    assert "unknown filter colour" in capsys.readouterr().err


def test_unretrieved_invoice_is_resent_on_the_next_channel_before_due(relance_home):
    today = date(2026, 10, 16)
    now = datetime(2026, 10, 16, 9, tzinfo=timezone.utc)
    world = World(relance_home.warehouse)
    for cid in "ABD":
        world.add_customer(cid, fallback_channels=["paper"])
    for cid in "AB":
        world.add_invoice(f"{cid}-1", cid, today - timedelta(days=5), today + timedelta(days=25), "90.00")
    world.add_invoice("D-1", "D", today - timedelta(days=40), today - timedelta(days=1), "90.00")  # already due
    world.add_payment("P0", "A", None, today - timedelta(days=30), "1.00", now)
    engine = ops.open_store(relance_home.operational_url)
    sent_at = now - timedelta(days=3)
    with engine.begin() as conn:
        for cid in "ABD":
            row_id = enqueue(
                conn,
                idempotency_key=f"invoice:{cid}-1:email",
                kind="invoice",
                customer_id=cid,
                channel="email",
                invoice_number=f"{cid}-1",
            )
            conn.execute(update(outbox).where(outbox.c.id == row_id).values(state="sent", updated_at=sent_at))
        ops.record_event(
            conn, "viewed", source="portal", invoice_number="B-1", customer_id="B", occurred_at=now - timedelta(days=1)
        )
    policies = load_policies(POLICIES)
    summary = build_resend_batch(world.con, engine, policies, today, now, as_of=today)
    assert summary.drafts == 1
    facts = load_day_facts(world.con, engine, today, now, as_of=today)
    result = enqueue_batch(engine, relance_home, policies, facts, kinds=RESEND_KINDS)
    world.close()
    assert result["counts"] == {"queued": 1, "messages": 1}
    with engine.connect() as conn:
        resend = conn.execute(select(outbox).where(outbox.c.kind == "resend")).one()._mapping
    assert (resend["idempotency_key"], resend["channel"]) == ("resend:A-1:paper", "paper")
    assert [(line["invoice_number"], line["state"]) for line in lines_for(engine, today)] == [("A-1", "queued")]


def test_resend_request_goes_on_the_next_channel_once(relance_home, capsys):
    today = datetime.now(timezone.utc).date()
    _world(relance_home, today)
    engine = ops.open_store(relance_home.operational_url)
    with engine.begin() as conn:
        row_id = enqueue(
            conn,
            idempotency_key="invoice:A-1:email",
            kind="invoice",
            customer_id="A",
            channel="email",
            invoice_number="A-1",
        )
        conn.execute(update(outbox).where(outbox.c.id == row_id).values(state="sent"))
    for attempt in range(2):
        assert (
            main(
                [
                    "dunning",
                    "request",
                    "--kind",
                    "resend",
                    "--invoices",
                    "A-1",
                    "B-1",
                    "--by",
                    "dan",
                    "--reason",
                    "customer says it never arrived",
                ]
            )
            == 0
        )
        request_id = capsys.readouterr().out.strip()
        assert _run_request(relance_home, request_id).success
        counts = _request_row(engine, request_id)["counts"]
        if attempt == 0:
            assert counts["queued"] == 1 and counts["skipped"] == {"paid": 1}
        else:  # the same resend asked twice: the outbox key resend:A-1:paper already exists
            assert counts["queued"] == 0 and counts["skipped"] == {"paid": 1, "step_already_sent": 1}
    with engine.connect() as conn:
        resends = conn.execute(select(outbox.c.idempotency_key).where(outbox.c.kind == "resend")).all()
    assert [r.idempotency_key for r in resends] == ["resend:A-1:paper"]
