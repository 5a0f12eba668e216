"""A finance lead's campaign from end to end: the Campaigns page writes the request, the real dunning sensor
turns it into a run of the real request job, the channels' dispatcher delivers to a real SMTP server
(aiosmtpd on loopback), and the page shows what was sent and what was skipped, with reasons."""

from __future__ import annotations

import email
import email.policy
from datetime import datetime, timedelta, timezone
from email.utils import parseaddr
from pathlib import Path

import dagster as dg
import pytest
from sqlalchemy import select

from assets.events.copy import copy_events
from channels.dispatch import Dispatcher
from channels.mailstore import MailStore
from channels.recipients import load_from_duckdb
from demo.mailserver import start_mail_server
from pipelines.resources import RelanceResource
from stores import operational as ops
from stores import snapshot as snapshot_store
from stores import warehouse
from tests.assets.dunning.world import World
from tests.conftest import free_port
from tests.dashboard.conftest import sign_in

pytestmark = pytest.mark.slow
POLICIES = Path(__file__).parent / "policies"


@pytest.fixture
def campaign_world(relance_home, users_file, monkeypatch):
    """Customers and invoices in a warehouse (as ingest leaves them), published to the serving snapshot."""
    monkeypatch.setenv("RELANCE_DASHBOARD_USERS", str(users_file))
    monkeypatch.setenv("RELANCE_POLICIES", str(POLICIES))
    now = datetime.now(timezone.utc)
    today = now.date()
    world = World(relance_home.warehouse)
    try:
        world.add_customer("A", name="Atelier Martin", language="fr")
        world.add_customer("B", name="Bristol Supplies", language="en", timezone_name="Europe/London")
        world.add_customer("C", name="Compte Bloqué", on_hold=True)
        world.add_customer("D", name="Dispute SARL")
        world.add_customer("E", name="Early Payer")
        world.add_invoice("A-1", "A", today - timedelta(days=40), today - timedelta(days=10), "1200.00")
        world.add_invoice("A-2", "A", today - timedelta(days=35), today - timedelta(days=5), "300.00")
        world.add_invoice("B-1", "B", today - timedelta(days=42), today - timedelta(days=12), "480.00")
        world.add_invoice("C-1", "C", today - timedelta(days=40), today - timedelta(days=10), "900.00")
        world.add_invoice("D-1", "D", today - timedelta(days=40), today - timedelta(days=10), "650.00")
        world.add_invoice("E-1", "E", today - timedelta(days=40), today - timedelta(days=10), "100.00")
        world.add_payment("PAY-E", "E", "E-1", today - timedelta(days=12), "100.00")
        world.add_dispute("D-1", "D", today - timedelta(days=8))
        world.extract_payments(now - timedelta(hours=1))
        # the project's own SQL and event copy build the marts the snapshot carries, as the assets do
        warehouse.build_model(world.con, "marts", "invoices", {"as_of": today})
        warehouse.build_model(world.con, "marts", "customers", {"as_of": today})
        copy_events(ops.open_store(relance_home.operational_url), world.con)
        for layer, name in (
            ("staging", "events"),
            ("intermediate", "access_invoice_activity"),
            ("marts", "access_invoice_retrieval"),
            ("marts", "dashboard_invoices"),
        ):
            warehouse.build_model(world.con, layer, name)
        snapshot_store.publish(
            world.con,
            # as the serving asset publishes them: the preview plans on the staging tables, like the run
            [
                "marts.invoices",
                "marts.customers",
                "staging.payments",
                "staging.disputes",
                "staging.customers",
                "staging.invoices",
                "marts.dashboard_invoices",
            ],
            relance_home.snapshot,
        )
    finally:
        world.close()
    return relance_home


@pytest.fixture
def smtp_server(campaign_world, monkeypatch):
    port = free_port()
    server = start_mail_server(campaign_world.mail, host="127.0.0.1", port=port)
    monkeypatch.setenv("RELANCE_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("RELANCE_SMTP_PORT", str(port))
    monkeypatch.setenv("RELANCE_SMTP_ARCHIVE", str(campaign_world.mail))
    yield MailStore(campaign_world.mail)
    server.stop()


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _reasons(at) -> list[dict[str, int]]:
    """The (reason, invoices) tables on the page: the preview's, then the result's once the run is done."""
    return [
        dict(zip(f.value["reason"], f.value["invoices"]))
        for f in at.dataframe
        if {"reason", "invoices"} <= set(f.value.columns)
    ]


def _received(store: MailStore) -> list[email.message.EmailMessage]:
    out = []
    for record in store.list():
        _, data = store.get(record.id)
        out.append(email.message_from_bytes(data, policy=email.policy.default))
    return out


def test_campaign_from_page_to_smtp_and_back(campaign_world, smtp_server):
    home = campaign_world
    at = sign_in("fiona", "app_pages/campaigns.py")
    at.radio(key="campaign_by").set_value("a template").run()
    at.selectbox(key="campaign_template").select("reminder_friendly").run()
    assert not at.exception, [e.value for e in at.exception]

    # Preview: what the filters (at least one day overdue) would send, and what suppression skips.
    preview = _metrics(at)
    assert preview["Invoices to send"] == "3"  # B-1
    assert preview["Customers"] == "2"
    assert preview["Skipped"] == "3"  # C-1 (customer on hold), D-1 (disputed), E-1 (paid)
    assert preview["Open amount"] == "1\u202f980.00 EUR"
    skipped = _reasons(at)[0]
    assert skipped == {"disputed": 1, "customer_on_hold": 1, "paid": 1}
    samples = {e.label: e for e in at.expander if e.label.startswith("Sample message")}
    assert set(samples) == {"Sample message — fr", "Sample message — en"}
    assert "Reminder: invoice B-1 now due" in next(m.value for m in samples["Sample message — en"].markdown)
    assert next(b for b in at.button if b.key == "campaign_confirm").disabled  # no reason given yet

    at.text_area(key="campaign_reason").input("Quarter-end chase of overdue invoices").run()
    at.button(key="campaign_confirm").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]

    engine = ops.open_store(home.operational_url)
    with engine.connect() as conn:
        request = conn.execute(select(ops.requests)).mappings().one()
        audit = (
            conn.execute(select(ops.audit_log).where(ops.audit_log.c.action == "campaign.reminder.requested"))
            .mappings()
            .one()
        )
    assert request["state"] == "pending" and request["requested_by"] == "fiona"
    assert request["target"] == {"filters": {"min_days_late": 1}} and request["template"] == "reminder_friendly"
    assert audit["actor"] == "fiona" and audit["item_count"] == 3
    assert audit["detail"]["request_id"] == request["request_id"]
    assert any("pending" in m.value for m in at.markdown)

    # The dunning part's sensor sees the pending request and its job carries it out.
    from pipelines.dunning import dunning_request_job, dunning_request_sensor

    relance = RelanceResource(home=str(home.root))
    run_requests = list(dunning_request_sensor(dg.build_sensor_context(resources={"relance": relance})))
    assert [r.run_key for r in run_requests] == [request["request_id"]]
    run_config = run_requests[0].run_config
    run_config["ops"]["run_dunning_request"]["config"]["policies"] = str(POLICIES)
    assert dunning_request_job.execute_in_process(run_config=run_config, resources={"relance": relance}).success

    # The channels' dispatcher drains the outbox to the SMTP server.
    with relance.warehouse(read_only=True) as con:
        directory = load_from_duckdb(con)
    stats = Dispatcher(engine, home, directory).drain()
    assert stats.failed == 0 and stats.dead == 0, stats.as_dict()
    mails = _received(smtp_server)
    assert sorted(str(m["X-Relance-Invoice"]) for m in mails) == ["A-1", "A-2", "B-1"]
    assert {parseaddr(str(m["To"]))[1] for m in mails} == {"a@example.com", "b@example.com"}

    # Back on the page: the result, as the finance lead reads it.
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    result = _metrics(at)
    assert result["Sent"] == "3"
    assert result["Skipped"] == "3"
    assert any("done" in m.value for m in at.markdown)
    preview_again, result_reasons = _reasons(at)
    # the result adds up to what the preview announced before confirming: 3 sent, the same 3 skipped
    assert result_reasons == skipped == {"customer_on_hold": 1, "disputed": 1, "paid": 1}
    # and previewing the same campaign again now shows it would send nothing new
    assert preview_again == {"customer_on_hold": 1, "disputed": 1, "paid": 1, "step_already_sent": 3}
    assert at.get("progress")[0].proto.value == 100
    assert any(
        "The preview announced 3 sent now, 0 scheduled, 0 handed over and 3 skipped, 6 in all." in c.value
        for c in at.caption
    )
