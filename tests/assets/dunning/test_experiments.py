"""Step variants: deterministic per customer, split as weighted, recorded on the line, timing honoured."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path

from assets.dunning.engine import History, Planner
from assets.dunning.policy import parse_policy
from tests.assets.dunning.test_suppression import DUE, customer, facts, invoice

SPLIT = """
name = "ab"
[rules]
sending_hours = "00:00-24:00"
skip_weekends = false
holidays = ""
[[steps]]
name = "d1"
offset = 1
channel = "email"
template = "reminder_friendly"
  [[steps.variants]]
  name = "control"
  weight = 80
  [[steps.variants]]
  name = "short-later"
  weight = 20
  template = "reminder_short"
  tone = "firm"
  offset_shift = 2
"""
POLICY = parse_policy(SPLIT, Path("ab.toml"))
STEP = POLICY.step("d1")


def test_assignment_is_deterministic_per_customer():
    first = [STEP.variant_for("ab", f"C{i}").name for i in range(500)]
    again = [STEP.variant_for("ab", f"C{i}").name for i in range(500)]
    assert first == again
    # a different step or policy draws independently
    other = [
        parse_policy(SPLIT.replace('name = "ab"', 'name = "other"'), Path("o.toml"))
        .step("d1")
        .variant_for("other", f"C{i}")
        .name
        for i in range(500)
    ]
    assert other != first


def test_split_ratio_within_tolerance():
    counts = Counter(STEP.variant_for("ab", f"CUST-{i:05d}").name for i in range(20_000))
    share = counts["control"] / 20_000
    # 80/20 split; with 20 000 customers the standard error is 0.28 pt, so 1 pt is over 3.5 sigma
    assert abs(share - 0.80) < 0.01, counts


def test_variant_recorded_on_the_line_with_its_template_and_timing():
    customers = [customer(f"C{i}") for i in range(40)]
    invoices = [invoice(f"F-{i}", f"C{i}") for i in range(40)]
    planner = Planner([POLICY])
    on_d1 = [
        line
        for line in planner.plan_reminders(facts(DUE + timedelta(days=1), invoices, customers), History())
        if line.state == "draft"
    ]
    on_d3 = [
        line
        for line in planner.plan_reminders(facts(DUE + timedelta(days=3), invoices, customers), History())
        if line.state == "draft"
    ]
    expected = {f"C{i}": STEP.variant_for("ab", f"C{i}").name for i in range(40)}
    assert {line.customer_id for line in on_d1} == {c for c, v in expected.items() if v == "control"}
    assert all(line.variant == "control" and line.template == "reminder_friendly" for line in on_d1)
    later = [line for line in on_d3 if line.variant == "short-later"]
    assert {line.customer_id for line in later} == {c for c, v in expected.items() if v == "short-later"}
    assert all(line.template == "reminder_short" and line.tone == "firm" for line in later)
    assert 0 < len(later) < 40
