"""Every suppression reason, on the planner with hand-built facts, plus catch-up of missed days."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from assets.dunning.engine import DayFacts, History, InvoiceFacts, Planner
from assets.dunning.policy import parse_policy

POLICY = """
name = "p"
[rules]
sending_hours = "08:00-19:00"
min_days_between_contacts = 4
[[steps]]
name = "available"
offset = -7
channel = "customer"
template = "invoice_available"
[[steps]]
name = "d1"
offset = 1
channel = "customer"
template = "reminder_friendly"
[[steps]]
name = "d10"
offset = 10
channel = "email"
template = "reminder_firm"
[[steps]]
name = "d45"
offset = 45
channel = "manual"
"""
DUE = date(2026, 10, 15)  # a Thursday
POLICIES = [parse_policy(POLICY, Path("p.toml"))]


def invoice(number="A-1", customer="A", due=DUE, amount="100.00", paid="0", credited="0", status=None) -> InvoiceFacts:
    open_amount = Decimal(amount) - Decimal(paid) - Decimal(credited)
    status = status or ("open" if open_amount == Decimal(amount) else "partially_paid" if open_amount > 0 else "paid")
    return InvoiceFacts(
        number,
        customer,
        due - timedelta(days=30),
        due,
        Decimal(amount),
        open_amount,
        Decimal(paid),
        Decimal(credited),
        "EUR",
        status,
    )


def customer(cid="A", **extra):
    return {
        "customer_id": cid,
        "name": f"Client {cid}",
        "language": "fr",
        "timezone": "Europe/Paris",
        "segment": "sme",
        "tags": [],
        "preferred_channel": "email",
        "fallback_channels": ["paper"],
        "on_hold": False,
        **extra,
    }


def facts(day: date, invoices, customers=None, hour_utc=8, **extra) -> DayFacts:
    customers = customers or [customer()]
    return DayFacts(
        run_date=day,
        now=datetime(day.year, day.month, day.day, hour_utc, tzinfo=timezone.utc),
        invoices=list(invoices),
        customers={c["customer_id"]: c for c in customers},
        **extra,
    )


def plan(f: DayFacts, history: History | None = None, keep_passed: bool = False):
    """Planned lines; the D-7 notice that went by unsent (invoices known only after it) is left out unless asked."""
    lines = Planner(POLICIES).plan_reminders(f, history or History())
    return lines if keep_passed else [line for line in lines if line.reason != "due_date_passed"]


def only(lines):
    assert len(lines) == 1, lines
    return lines[0]


D1 = DUE + timedelta(days=1)  # Friday 16 October


def test_open_invoice_gets_its_step():
    line = only(plan(facts(D1, [invoice()])))
    assert (line.step, line.state, line.channel, line.idempotency_key) == (
        "d1",
        "draft",
        "email",
        "dunning:A-1:d1:email",
    )


@pytest.mark.parametrize(
    "kwargs, reason",
    [
        ({"paid": "100.00"}, "paid"),
        ({"credited": "100.00", "status": "credited"}, "credited"),
    ],
)
def test_settled_invoices(kwargs, reason):
    line = only(plan(facts(D1, [invoice(**kwargs)])))
    assert (line.state, line.reason) == ("ignored", reason)
    history = History.from_lines(
        [{"state": "ignored", "reason": reason, "invoice_number": "A-1", "step": "d1", "customer_id": "A"}]
    )
    assert plan(facts(D1 + timedelta(days=3), [invoice(**kwargs)]), history) == []  # recorded once, not daily


def test_partial_payment_still_reminded_for_the_rest():
    line = only(plan(facts(D1, [invoice(paid="40.00")])))
    assert (line.state, line.amount) == ("draft", Decimal("60.00"))


def test_disputed():
    line = only(plan(facts(D1, [invoice()], disputed={"A-1": "portal: damaged"})))
    assert (line.state, line.reason) == ("ignored", "disputed")


def test_promise_not_yet_due_then_broken():
    promised = {"A-1": D1 + timedelta(days=4)}
    assert only(plan(facts(D1, [invoice()], promises=promised))).reason == "promise_not_due"
    assert only(plan(facts(D1 + timedelta(days=4), [invoice()], promises=promised))).reason == "promise_not_due"
    broken = only(plan(facts(D1 + timedelta(days=5), [invoice()], promises=promised)))
    assert (broken.state, broken.step) == ("draft", "d1")


def test_customer_on_hold_in_erp_or_operational_store():
    assert only(plan(facts(D1, [invoice()], [customer(on_hold=True)]))).reason == "customer_on_hold"
    assert only(plan(facts(D1, [invoice()], holds={"A": "legal"}))).reason == "customer_on_hold"


def test_weekend_and_french_holiday():
    saturday = date(2026, 10, 17)
    assert only(plan(facts(saturday, [invoice()]))).reason == "weekend"
    armistice = date(2026, 11, 11)
    line = only(plan(facts(armistice, [invoice(due=armistice - timedelta(days=1))])))
    assert (line.step, line.reason) == ("d1", "public_holiday")


def test_outside_the_customers_local_sending_hours():
    new_york = customer(timezone="America/New_York")
    line = only(plan(facts(D1, [invoice()], [new_york], hour_utc=8)))  # 04:00 in New York
    assert line.reason == "outside_sending_hours"
    assert only(plan(facts(D1, [invoice()], [new_york], hour_utc=14))).state == "draft"  # 10:00 there


def test_contacted_in_the_last_days():
    history = History.from_lines(
        [
            {
                "state": "sent",
                "invoice_number": "B-1",
                "step": "d1",
                "customer_id": "A",
                "run_date": D1 - timedelta(days=1),
                "idempotency_key": "k",
                "channel": "email",
            }
        ]
    )
    line = only(plan(facts(D1, [invoice()]), history))
    assert line.reason == "contacted_recently"
    later = only(plan(facts(D1 + timedelta(days=3), [invoice()]), history))  # 4 days after the contact
    assert later.state == "draft"


def test_step_already_sent_is_not_planned_again_and_requests_say_so():
    history = History.from_lines(
        [
            {
                "state": "sent",
                "invoice_number": "A-1",
                "step": "d1",
                "customer_id": "A",
                "run_date": D1,
                "idempotency_key": "dunning:A-1:d1:email",
                "channel": "email",
            }
        ]
    )
    assert plan(facts(D1 + timedelta(days=4), [invoice()]), history) == []
    lines = Planner(POLICIES).plan_request(
        facts(D1 + timedelta(days=4), [invoice()]),
        history,
        invoices={"A-1"},
        filters=None,
        step="d1",
        template=None,
        request_id="r" * 36,
    )
    assert (only(lines).state, only(lines).reason) == ("ignored", "step_already_sent")


def test_pre_due_step_dropped_once_the_due_date_passed():
    # known only after its due date (or on hold until then): the "available" notice would be false now
    lines = plan(facts(D1, [invoice()]), History(), keep_passed=True)
    assert [(line.step, line.state, line.reason) for line in lines] == [
        ("available", "ignored", "due_date_passed"),
        ("d1", "draft", None),
    ]
    history = History.from_lines([line.__dict__ for line in lines if line.state == "ignored"])
    again = plan(facts(D1 + timedelta(days=4), [invoice()]), history, keep_passed=True)
    assert [line.reason for line in again] == [None]  # recorded once; d1 still due as nothing was sent


def test_missed_days_are_caught_up_once_without_skipping():
    history = History()
    sent = []
    # the batch only runs on 16 October, then not again until 30 October: d10 (25 October) is late, not skipped
    for day in (date(2026, 10, 8), date(2026, 10, 16), date(2026, 10, 30), date(2026, 11, 2), date(2026, 11, 3)):
        for line in plan(facts(day, [invoice()]), history):
            if line.state == "draft":
                sent.append((line.step, day))
                history.add({**line.__dict__, "state": "queued"})
    assert sent == [("available", date(2026, 10, 8)), ("d1", date(2026, 10, 16)), ("d10", date(2026, 10, 30))]


def test_handover_step_is_a_draft_for_a_person():
    history = History.from_lines(
        [
            {
                "state": "sent",
                "invoice_number": "A-1",
                "step": s,
                "customer_id": "A",
                "run_date": DUE,
                "idempotency_key": s,
                "channel": "email",
            }
            for s in ("available", "d1", "d10")
        ]
    )
    day = DUE + timedelta(days=47)  # Monday 30 November
    line = only(plan(facts(day, [invoice()]), history))
    assert (line.step, line.channel, line.kind, line.state, line.reason) == (
        "d45",
        "manual",
        "manual",
        "draft",
        "handover_to_person",
    )


def test_a_window_ending_at_24_00_includes_the_last_minute_of_the_day():
    from datetime import datetime, time, timezone

    from assets.dunning.engine import within_sending_hours
    from assets.dunning.policy import _parse_hours

    start, end = _parse_hours("00:00-24:00")
    assert start == time(0, 0) and end == time.max
    assert _parse_hours("08:00-24:30") is None

    class Rules:
        sending_start, sending_end = start, end

    class AnyTime:
        rules = Rules()

    late = datetime(2026, 11, 27, 22, 59, 59, tzinfo=timezone.utc)  # 23:59:59 in Paris
    assert within_sending_hours(AnyTime(), {"timezone": "Europe/Paris"}, late)
