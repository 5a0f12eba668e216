"""The Dagster batch assets materialized in-process for one partition, with their blocking checks."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg

from assets.dunning.batch import lines_for
from assets.dunning.defs import REMINDERS_QUEUED, reminder_batch, reminders_queued
from pipelines.definitions import defs as all_defs
from pipelines.resources import RelanceResource
from stores import operational as ops
from stores.operational import outbox, select
from tests.assets.dunning.world import World

POLICIES = str(Path(__file__).parent / "policies_anytime")
RUN_DATE = date(2026, 10, 16)


def _setup(home, extracted_at: datetime) -> None:
    world = World(home.warehouse)
    try:
        world.add_customer("A")
        world.add_customer("B")
        world.add_invoice("A-1", "A", RUN_DATE - timedelta(days=31), RUN_DATE - timedelta(days=1), "100.00")
        world.add_invoice("B-1", "B", RUN_DATE - timedelta(days=31), RUN_DATE - timedelta(days=1), "200.00")
        world.add_payment("P-B", "B", "B-1", RUN_DATE - timedelta(days=2), "200.00", extracted_at)
    finally:
        world.close()


def _materialize(home):
    config = {"policies": POLICIES}
    return dg.materialize(
        [reminder_batch, reminders_queued],
        partition_key=RUN_DATE.isoformat(),
        resources={"relance": RelanceResource(home=str(home.root))},
        run_config={
            "ops": {"dunning__reminder_batch": {"config": config}, "dunning__reminders_queued": {"config": config}}
        },
        raise_on_error=False,
    )


def test_partition_with_fresh_payments_enqueues_once(relance_home):
    _setup(relance_home, datetime.now(timezone.utc) - timedelta(hours=1))
    result = _materialize(relance_home)
    assert result.success
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks == {"payments_fresh": True, "no_settled_or_disputed_invoice": True}
    engine = ops.open_store(relance_home.operational_url)
    with engine.connect() as conn:
        rows = conn.execute(select(outbox.c.idempotency_key, outbox.c.kind)).all()
    assert [tuple(r) for r in rows] == [("dunning:A-1:d1:email", "reminder")]
    lines = {(line["invoice_number"], line["state"], line["reason"]) for line in lines_for(engine, RUN_DATE)}
    assert lines == {("A-1", "queued", None), ("B-1", "ignored", "paid")}

    again = _materialize(relance_home)  # a second run of the same partition sends nothing new
    assert again.success
    with engine.connect() as conn:
        assert len(conn.execute(select(outbox.c.id)).all()) == 1
    # ... and keeps the day's lines as they were, suppressions included
    assert {(line["invoice_number"], line["state"], line["reason"]) for line in lines_for(engine, RUN_DATE)} == lines


def test_stale_payments_block_the_batch(relance_home):
    _setup(relance_home, datetime.now(timezone.utc) - timedelta(hours=30))
    result = _materialize(relance_home)
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert evaluations["payments_fresh"].passed is False
    assert "24 h freshness limit" in evaluations["payments_fresh"].metadata["problem"].value
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    assert REMINDERS_QUEUED not in materialized
    engine = ops.open_store(relance_home.operational_url)
    with engine.connect() as conn:
        assert conn.execute(select(outbox.c.id)).all() == []
    assert {line["state"] for line in lines_for(engine, RUN_DATE)} == {"draft", "ignored"}


def test_daily_schedule_and_request_sensor_are_defined():
    schedule = all_defs.get_schedule_def("dunning_daily_schedule")
    assert schedule.cron_schedule == "0 9 * * *" and schedule.execution_timezone == "Europe/Paris"
    when = datetime(2026, 10, 16, 9, tzinfo=ZoneInfo("Europe/Paris"))
    (request,) = schedule.evaluate_tick(
        dg.build_schedule_context(scheduled_execution_time=when, repository_def=all_defs.get_repository_def())
    ).run_requests
    assert request.partition_key == "2026-10-16" and request.run_key == "dunning-2026-10-16T0900"
    sensor = all_defs.get_sensor_def("dunning_request_sensor")
    assert sensor.job_name == "dunning_request_job"
    # on by default: a campaign confirmed in the dashboard must not wait for someone to switch it on
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING


def test_three_runs_of_a_partition_with_sends_in_between_send_a_caught_up_invoice_one_step(relance_home, monkeypatch):
    """The reported case at the asset level: the partition materialized, the outbox drained to a real SMTP
    server, three times in a row. A-1 (d1 and d10 both due) gets d10 once; nothing else leaves."""
    from channels.dispatch import Dispatcher
    from channels.mailstore import MailStore
    from channels.recipients import load_from_duckdb
    from demo.mailserver import start_mail_server
    from tests.conftest import free_port

    world = World(relance_home.warehouse)
    world.add_customer("A")
    world.add_invoice("A-1", "A", RUN_DATE - timedelta(days=45), RUN_DATE - timedelta(days=15), "100.00")
    world.add_payment("P0", "A", None, RUN_DATE - timedelta(days=90), "1.00", datetime.now(timezone.utc))
    world.close()
    port = free_port()
    server = start_mail_server(relance_home.mail, host="127.0.0.1", port=port)
    monkeypatch.setenv("RELANCE_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("RELANCE_SMTP_PORT", str(port))
    monkeypatch.setenv("RELANCE_SMTP_ARCHIVE", str(relance_home.mail))
    engine = ops.open_store(relance_home.operational_url)
    try:
        for _ in range(3):
            assert _materialize(relance_home).success
            with RelanceResource(home=str(relance_home.root)).warehouse(read_only=True) as con:
                directory = load_from_duckdb(con)
            Dispatcher(engine, relance_home, directory).drain()
    finally:
        server.stop()
    import email

    store = MailStore(relance_home.mail)
    steps = [str(email.message_from_bytes(store.get(r.id)[1])["X-Relance-Step"]) for r in store.list()]
    assert steps == ["d10"]
    reasons = {(line["step"], line["state"], line["reason"]) for line in lines_for(engine, RUN_DATE)}
    assert reasons == {("d10", "sent", None), ("d1", "ignored", "superseded_by_later_step")}
