"""Reminder effectiveness: after each reminder step, how often and how fast customers pay, per channel and
per experiment variant, with 95% confidence intervals (Wilson for the payment rate, Student t for the mean
days to pay). Reads intermediate.reminder_outcomes, writes marts.reminder_effectiveness."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from statistics import fmean, median

import duckdb

from assets.analytics.stats import t_interval, wilson_interval

ALL = "all"

COLUMNS = (
    ("grouping", "varchar"),
    ("reminder_step", "varchar"),
    ("channel", "varchar"),
    ("variant", "varchar"),
    ("reminders", "integer"),
    ("observable_reminders", "integer"),
    ("paid_within_window", "integer"),
    ("payment_rate", "double"),
    ("payment_rate_low", "double"),
    ("payment_rate_high", "double"),
    ("paid_reminders", "integer"),
    ("mean_days_to_pay", "double"),
    ("mean_days_to_pay_low", "double"),
    ("mean_days_to_pay_high", "double"),
    ("median_days_to_pay", "double"),
)


@dataclass(frozen=True)
class ReminderOutcome:
    reminder_step: str
    channel: str
    variant: str
    observable: bool
    paid_within_window: bool
    days_to_pay_after_reminder: int | None


def summarise(outcomes: Iterable[ReminderOutcome]) -> list[dict]:
    """One row per reminder step, per (step, channel) and per (step, variant).

    The payment rate counts only observable reminders (window elapsed, or paid within it); the mean days
    to pay counts reminders whose invoice has been settled, however long it took."""
    outcomes = list(outcomes)
    groups: dict[tuple[str, str, str, str], list[ReminderOutcome]] = {}
    for outcome in outcomes:
        for grouping, key in (
            ("step", (outcome.reminder_step, ALL, ALL)),
            ("step_channel", (outcome.reminder_step, outcome.channel, ALL)),
            ("step_variant", (outcome.reminder_step, ALL, outcome.variant)),
        ):
            groups.setdefault((grouping, *key), []).append(outcome)
    rows = []
    for (grouping, step, channel, variant), members in sorted(groups.items()):
        observable = [m for m in members if m.observable]
        paid_in_window = sum(1 for m in observable if m.paid_within_window)
        days = [float(m.days_to_pay_after_reminder) for m in members if m.days_to_pay_after_reminder is not None]
        rate_low, rate_high = wilson_interval(paid_in_window, len(observable))
        days_low, days_high = t_interval(days)
        if days_low is not None:
            days_low = max(0.0, days_low)  # nobody pays before the reminder that is being measured
        rows.append(
            {
                "grouping": grouping,
                "reminder_step": step,
                "channel": channel,
                "variant": variant,
                "reminders": len(members),
                "observable_reminders": len(observable),
                "paid_within_window": paid_in_window,
                "payment_rate": paid_in_window / len(observable) if observable else None,
                "payment_rate_low": rate_low,
                "payment_rate_high": rate_high,
                "paid_reminders": len(days),
                "mean_days_to_pay": fmean(days) if days else None,
                "mean_days_to_pay_low": days_low,
                "mean_days_to_pay_high": days_high,
                "median_days_to_pay": median(days) if days else None,
            }
        )
    return rows


def read_outcomes(con: duckdb.DuckDBPyConnection) -> list[ReminderOutcome]:
    result = con.execute(
        "select reminder_step, channel, variant, observable, paid_within_window, days_to_pay_after_reminder "
        "from intermediate.reminder_outcomes"
    )
    return [
        ReminderOutcome(step or "unknown", channel, variant, bool(observable), bool(paid), days)
        for step, channel, variant, observable, paid, days in result.fetchall()
    ]


def build_reminder_effectiveness(con: duckdb.DuckDBPyConnection) -> int:
    """(Re)write marts.reminder_effectiveness from intermediate.reminder_outcomes; returns its row count."""
    rows = summarise(read_outcomes(con))
    columns = ", ".join(f"{name} {kind}" for name, kind in COLUMNS)
    con.execute(f"create or replace table marts.reminder_effectiveness ({columns})")
    if rows:
        placeholders = ", ".join("?" for _ in COLUMNS)
        con.executemany(
            f"insert into marts.reminder_effectiveness values ({placeholders})",
            [[row[name] for name, _ in COLUMNS] for row in rows],
        )
    return len(rows)
