"""Statements of account on each customer's rhythm: once per period, on the first day a run may send."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from assets.dunning.engine import History, Planner
from assets.dunning.policy import parse_policy
from tests.assets.dunning.test_suppression import customer, facts, invoice

MONTHLY = parse_policy(
    """
name = "monthly"
[statement]
rhythm = "monthly"
day_of_month = 5
channel = "customer"
[[steps]]
name = "d1"
offset = 1
channel = "email"
template = "reminder_friendly"
""",
    Path("monthly.toml"),
)


def run(days, invoices, customers=None):
    planner, history, sent = Planner([MONTHLY]), History(), []
    for day in days:
        for line in planner.plan_statements(facts(day, invoices, customers), history):
            if line.state == "draft":
                sent.append((line.customer_id, day, line.idempotency_key, line.channel))
                history.add({**line.__dict__, "state": "queued"})
    return sent


def every_day(start: date, end: date):
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def test_monthly_statement_on_its_day_or_the_next_working_day():
    open_invoice = invoice(due=date(2026, 12, 31))
    sent = run(every_day(date(2026, 9, 1), date(2026, 12, 31)), [open_invoice])
    # 5 Sep is a Saturday -> Mon 7; 5 Oct Mon; 5 Nov Thu; 5 Dec Sat -> Mon 7 Dec
    assert [(d, k) for _, d, k, _ in sent] == [
        (date(2026, 9, 1), "statement:A:2026-08:email"),  # the August period, first run in it
        (date(2026, 9, 7), "statement:A:2026-09:email"),
        (date(2026, 10, 5), "statement:A:2026-10:email"),
        (date(2026, 11, 5), "statement:A:2026-11:email"),
        (date(2026, 12, 7), "statement:A:2026-12:email"),
    ]


def test_no_statement_without_open_items_or_while_on_hold_and_on_the_customers_channel():
    paid = invoice(paid="100.00")
    assert run(every_day(date(2026, 10, 1), date(2026, 10, 31)), [paid]) == []
    held = customer(on_hold=True)
    assert run(every_day(date(2026, 10, 1), date(2026, 10, 31)), [invoice()], [held]) == []
    by_post = customer(preferred_channel="paper")
    assert {c for *_, c in run([date(2026, 10, 5)], [invoice()], [by_post])} == {"paper"}
