"""The campaign preview is the dunning run, dry: on a world with every reason to leave an invoice alone, the
preview (on the published serving snapshot) and the request's run (on the warehouse) give every invoice the
same outcome, with the same reason and the same moment; and the request rules."""

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from assets.dunning.policy import load_policies
from assets.dunning.requests import execute_request
from dashboard import campaigns, data
from dashboard.data import InvoiceFilters
from stores import operational as ops
from stores import snapshot as snapshot_store
from tests.assets.dunning.world import World

# Tuesday 20 October 2026, 10:00 UTC: noon in Paris, 06:00 in New York (before its sending hours)
NOW = datetime(2026, 10, 20, 10, tzinfo=timezone.utc)
TODAY = NOW.date()
LATER = NOW + timedelta(hours=1)  # events recorded after the moment of the preview and the run
POLICIES = load_policies(Path(__file__).resolve().parents[1] / "assets" / "dunning" / "policies")
D = date.fromisoformat


def _at(day: str, hour: int = 8) -> datetime:
    return datetime.combine(D(day), datetime.min.time(), tzinfo=timezone.utc).replace(hour=hour)


@pytest.fixture
def world(relance_home, monkeypatch):
    """Every reason dunning has to leave an invoice alone, with operational events on both sides of NOW;
    published to the serving snapshot the way the serving asset publishes it."""
    monkeypatch.setenv("RELANCE_POLICIES", str(Path(__file__).resolve().parents[1] / "assets/dunning/policies"))
    engine = ops.open_store(relance_home.operational_url)
    w = World(relance_home.warehouse)
    for cid in "ABCDEFHKM":
        w.add_customer(cid)
    w.add_customer("G", on_hold=True)  # the ERP's on-hold flag
    w.add_customer("N", timezone_name="America/New_York", language="en")
    due = TODAY - timedelta(days=12)  # d10 reached
    for number in (
        "A-1",
        "B-1",
        "C-1",
        "D-1",
        "D-2",
        "E-1",
        "E-2",
        "E-3",
        "F-1",
        "F-2",
        "F-3",
        "G-1",
        "H-1",
        "K-1",
        "N-1",
    ):
        w.add_invoice(number, number[0], due - timedelta(days=30), due, "100.00")
    w.add_invoice("M-1", "M", TODAY - timedelta(days=80), TODAY - timedelta(days=50), "900.00")  # manual d45
    w.add_payment("PAY-B", "B", "B-1", TODAY - timedelta(days=2), "100.00", NOW - timedelta(hours=3))
    w.add_invoice(
        "AV-C",
        "C",
        TODAY - timedelta(days=3),
        TODAY - timedelta(days=3),
        "100.00",
        document_type="credit_note",
        original="C-1",
    )
    w.add_dispute("D-1", "D", TODAY - timedelta(days=5))  # open in the ERP
    w.add_dispute("D-2", "D", TODAY - timedelta(days=9), resolved=TODAY - timedelta(days=1))  # resolved
    w.extract_payments(NOW - timedelta(hours=3))
    with engine.begin() as conn:

        def event(kind, number, when, **evidence):
            ops.record_event(
                conn,
                kind,
                source="portal",
                invoice_number=number,
                customer_id=number[0],
                occurred_at=when,
                evidence=evidence,
            )

        event("disputed", "E-1", NOW - timedelta(days=2), reason="price")  # disputed
        event("disputed", "E-2", LATER, reason="price")  # after NOW: not known to the run
        event("disputed", "E-3", NOW - timedelta(days=3))
        event("dispute_resolved", "E-3", NOW - timedelta(days=1))  # resolved before NOW
        event("promised", "F-1", NOW - timedelta(days=1), promised_date=(TODAY + timedelta(days=5)).isoformat())
        event("promised", "F-2", NOW - timedelta(days=9), promised_date=(TODAY - timedelta(days=2)).isoformat())
        event("promised", "F-3", LATER, promised_date=(TODAY + timedelta(days=5)).isoformat())
        holds = ops.customer_holds
        conn.execute(
            insert(holds).values(
                customer_id="H", active=True, reason="legal", set_by="carl", set_at=NOW - timedelta(days=1)
            )
        )
        conn.execute(insert(holds).values(customer_id="K", active=True, reason="legal", set_by="carl", set_at=LATER))
    snapshot_store.publish(
        w.con, ["staging.customers", "staging.invoices", "staging.payments", "staging.disputes"], relance_home.snapshot
    )
    yield relance_home, engine, w
    w.close()


EXPECTED = {  # invoice -> (outcome, reason): what the one eligibility rule says at NOW
    "A-1": ("send", None),
    "B-1": ("skipped", "paid"),
    "C-1": ("skipped", "credited"),
    "D-1": ("skipped", "disputed"),
    "D-2": ("send", None),  # the ERP dispute was resolved yesterday
    "E-1": ("skipped", "disputed"),
    "E-2": ("send", None),  # disputed after NOW: the old preview's copy skipped it; the rule does not
    "E-3": ("send", None),
    "F-1": ("skipped", "promise_not_due"),
    "F-2": ("send", None),  # the promised date has passed
    "F-3": ("send", None),  # promised after NOW: the old copy skipped it
    "G-1": ("skipped", "customer_on_hold"),
    "H-1": ("skipped", "customer_on_hold"),
    "K-1": ("send", None),  # put on hold after NOW: the old copy skipped it
    "M-1": ("handed_over", "handover_to_person"),  # the step it has reached is a manual one
    "N-1": ("scheduled", None),  # 06:00 in New York: waits for 08:00 there
}


def test_preview_and_run_give_every_invoice_the_same_outcome(world, monkeypatch):
    home, engine, w = world
    target = campaigns.Target(invoices=(*EXPECTED, "X-404"))
    snap = data.snapshot(home.snapshot)
    preview = campaigns.preview(snap, engine, target, template="reminder_friendly", now=NOW, policies=POLICIES)
    predicted = {row.invoice_number: (row.outcome, row.reason_code or None) for row in preview.lines.itertuples()}
    assert predicted == EXPECTED
    assert preview.not_found == ["X-404"]
    n1 = preview.lines.set_index("invoice_number").loc["N-1"]
    assert n1["scheduled_at"] == datetime(2026, 10, 20, 12, tzinfo=timezone.utc)
    assert n1["when"] == "Tue 20 Oct 08:00 (America/New_York)"

    request_id = campaigns.submit(
        engine,
        kind="reminder",
        target=target,
        requested_by="fiona",
        reason="quarter end",
        template="reminder_friendly",
        preview_counts=preview.as_counts(),
    )
    execute_request(w.con, engine, home, POLICIES, request_id, NOW, run_date=TODAY)
    result = campaigns.progress(engine, request_id)
    names = {"sending": "send", "sent": "send"}
    got = {
        row.invoice_number: (
            names.get(row.outcome, row.outcome),
            row.detail if row.outcome == "skipped" or row.outcome == "handed_over" else None,
        )
        for row in result.lines.itertuples()
    }
    assert got == EXPECTED
    assert result.total == preview.planned == len(EXPECTED)
    assert result.counts["not_found_or_not_open"] == ["X-404"]
    assert [t.isoformat() for t in result.scheduled_for] == ["2026-10-20T12:00:00+00:00"]
    assert result.state == "scheduled"  # N-1 waits; the request is not done until it has left

    # the hand-over is where a person can act on it: listed, marked done with a note, audited, and counted
    # as the customer's contact from then on
    waiting = campaigns.handovers(engine)
    assert list(waiting["invoice_number"]) == ["M-1"] and list(waiting["request_id"]) == [request_id]
    with pytest.raises(campaigns.CampaignError, match="say what was done"):
        campaigns.handovers_done(engine, list(waiting["line_id"]), by="carl", note=" ")
    assert campaigns.handovers_done(engine, list(waiting["line_id"]), by="carl", note="called, pays Friday") == 1
    assert campaigns.handovers(engine).empty
    from assets.dunning.data import load_history

    assert TODAY in load_history(engine).contacts["M"]
    with engine.connect() as conn:
        actions = [r.action for r in conn.execute(select(ops.audit_log.c.action))]
    assert actions == ["campaign.reminder.requested", "dunning.handover.done"]
    after = campaigns.progress(engine, request_id)
    assert after.outcomes["handed_over"] == 1 and after.lines.set_index("invoice_number").loc["M-1", "detail"] == (
        "handled by carl: called, pays Friday"
    )


def test_the_scheduled_line_leaves_at_its_window_unless_it_was_settled_meanwhile(world):
    home, engine, w = world
    target = campaigns.Target(invoices=("N-1", "A-1"))
    request_id = campaigns.submit(
        engine, kind="reminder", target=target, requested_by="fiona", reason="chase", step="d10"
    )
    execute_request(w.con, engine, home, POLICIES, request_id, NOW, run_date=TODAY)
    from assets.dunning.requests import requests_to_run

    assert requests_to_run(engine, NOW + timedelta(minutes=30)) == []  # not due yet
    (due,) = requests_to_run(engine, datetime(2026, 10, 20, 12, 1, tzinfo=timezone.utc))
    assert due["run_key"] == f"{request_id}@2026-10-20T12:00:00+00:00"
    execute_request(
        w.con, engine, home, POLICIES, request_id, datetime(2026, 10, 20, 12, 1, tzinfo=timezone.utc), run_date=TODAY
    )
    result = campaigns.progress(engine, request_id)
    assert result.state == "done" and result.outcomes["sending"] == 2 and result.outcomes["scheduled"] == 0
    with engine.connect() as conn:
        keys = sorted(conn.execute(select(ops.outbox.c.idempotency_key)).scalars())
    assert keys == ["dunning:A-1:d10:email", "dunning:N-1:d10:email"]

    # scheduled again (another message: a template), then paid before its window opens: it never leaves
    again = campaigns.submit(
        engine,
        kind="reminder",
        target=campaigns.Target(invoices=("N-1",)),
        requested_by="fiona",
        reason="again",
        template="reminder_short",
    )
    execute_request(w.con, engine, home, POLICIES, again, NOW, run_date=TODAY)
    assert campaigns.progress(engine, again).outcomes["scheduled"] == 1
    w.add_payment("PAY-N", "N", "N-1", TODAY, "100.00", NOW + timedelta(hours=1))
    w.extract_payments(NOW + timedelta(hours=1))
    execute_request(
        w.con, engine, home, POLICIES, again, datetime(2026, 10, 20, 12, 1, tzinfo=timezone.utc), run_date=TODAY
    )
    released = campaigns.progress(engine, again)
    assert released.state == "done" and released.skipped == {"paid": 1}
    with engine.connect() as conn:
        assert len(conn.execute(select(ops.outbox.c.id)).all()) == 2  # nothing new in the outbox


def test_a_retry_after_a_skip_sends_what_was_never_sent(world):
    """A skip never holds a step's slot: the 98 invoices skipped outside sending hours were then refused as
    "step_already_sent" by the retry, although nothing had left."""
    home, engine, w = world
    target = campaigns.Target(invoices=("F-1",))
    first = campaigns.submit(engine, kind="reminder", target=target, requested_by="fiona", reason="1", step="d10")
    execute_request(w.con, engine, home, POLICIES, first, NOW, run_date=TODAY)
    assert campaigns.progress(engine, first).skipped == {"promise_not_due": 1}
    with engine.begin() as conn:  # the promise is withdrawn: a new one, already due
        ops.record_event(
            conn,
            "promised",
            source="portal",
            invoice_number="F-1",
            customer_id="F",
            occurred_at=NOW + timedelta(minutes=1),
            evidence={"promised_date": (TODAY - timedelta(days=1)).isoformat()},
        )
    retry = campaigns.submit(engine, kind="reminder", target=target, requested_by="fiona", reason="2", step="d10")
    execute_request(w.con, engine, home, POLICIES, retry, NOW + timedelta(minutes=2), run_date=TODAY)
    outcome = campaigns.progress(engine, retry)
    assert outcome.skipped == {} and outcome.outcomes["sending"] == 1
    third = campaigns.submit(engine, kind="reminder", target=target, requested_by="fiona", reason="3", step="d10")
    execute_request(w.con, engine, home, POLICIES, third, NOW + timedelta(minutes=3), run_date=TODAY)
    assert campaigns.progress(engine, third).skipped == {"step_already_sent": 1}  # now it was sent


def test_filters_preview_applies_the_engine_filters(world):
    home, engine, _ = world
    snap = data.snapshot(home.snapshot)
    target = campaigns.Target(filters=InvoiceFilters(min_days_overdue=40))
    assert target.to_json() == {"filters": {"min_days_late": 40}}
    preview = campaigns.preview(snap, engine, target, step="d10", now=NOW, policies=POLICIES)
    assert list(preview.lines["invoice_number"]) == ["M-1"]  # the only invoice 40+ days late


def test_requests_are_refused_with_the_reason(dashboard_home, opstore):
    target = campaigns.Target(invoices=("F0000001",))
    with pytest.raises(campaigns.CampaignError, match="say why"):
        campaigns.submit(opstore, kind="reminder", target=target, requested_by="fiona", reason=" ", step="d1")
    with pytest.raises(campaigns.CampaignError, match=r"names a step .* or a template"):
        campaigns.submit(opstore, kind="reminder", target=target, requested_by="fiona", reason="why")
    with pytest.raises(campaigns.CampaignError, match="kind must be one of"):
        campaigns.submit(opstore, kind="fax", target=target, requested_by="fiona", reason="why")
    with pytest.raises(campaigns.CampaignError, match="limited to 2000 characters"):
        campaigns.submit(opstore, kind="resend", target=target, requested_by="fiona", reason="x" * 2001)
    with pytest.raises(campaigns.CampaignError, match="exactly one of them"):
        campaigns.Target()
    with pytest.raises(campaigns.CampaignError, match="cannot filter on languages"):
        campaigns.Target(filters=InvoiceFilters(languages=("fr",))).to_json()
    with opstore.connect() as conn:
        assert conn.execute(select(ops.requests)).all() == []
    request_id = campaigns.submit(opstore, kind="resend", target=target, requested_by="fiona", reason="not received")
    progress = campaigns.progress(opstore, request_id)
    assert progress.state == "pending" and not progress.finished and progress.total == 0
    assert "dunning_request_sensor" in progress.waiting_for()
    with opstore.connect() as conn:
        (audit,) = conn.execute(select(ops.audit_log)).mappings().all()
    assert audit["action"] == "campaign.resend.requested" and audit["detail"]["source"] == "dashboard"
    with pytest.raises(LookupError, match="no request"):
        campaigns.progress(opstore, "nope")


def test_a_message_whose_channel_fails_and_falls_back_is_counted_as_such(world, monkeypatch):
    """The result adds up with deliveries too: a reminder whose e-mail address is refused goes by post (the
    dispatcher's fallback chain) and is reported as failed then sent on the next channel, not as failed."""
    from channels.dispatch import Dispatcher
    from channels.recipients import load_from_duckdb
    from demo.mailserver import start_mail_server
    from tests.conftest import free_port

    home, engine, w = world
    w.add_customer("Z", email="not-an-address", fallback_channels=["paper"])
    w.add_invoice("Z-1", "Z", TODAY - timedelta(days=42), TODAY - timedelta(days=12), "310.00")
    port = free_port()
    server = start_mail_server(home.mail, host="127.0.0.1", port=port)
    monkeypatch.setenv("RELANCE_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("RELANCE_SMTP_PORT", str(port))
    try:
        request_id = campaigns.submit(
            engine,
            kind="reminder",
            target=campaigns.Target(invoices=("Z-1", "A-1")),
            requested_by="fiona",
            reason="chase",
            step="d10",
        )
        execute_request(w.con, engine, home, POLICIES, request_id, NOW, run_date=TODAY)
        stats = Dispatcher(engine, home, load_from_duckdb(w.con)).drain()
    finally:
        server.stop()
    assert stats.fell_back == 1, stats.as_dict()
    result = campaigns.progress(engine, request_id)
    assert result.outcomes["sent"] == 1 and result.outcomes["sent_after_fallback"] == 1
    assert result.done == result.total == 2
    z = result.lines.set_index("invoice_number").loc["Z-1"]
    assert (z["outcome"], z["detail"]) == ("sent_after_fallback", "paper")
