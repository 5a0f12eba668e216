"""Replay policies over history, sending nothing: what would have gone out each day.

Each simulated day sees invoices, payments and credit notes as they stood that day (as_of = the day), the
portal's disputes and promises recorded by then, and what the simulation itself "sent" on earlier days
(by default it starts as if the policy had been in force before: steps dated before the first day count as
done; `warm_start=False` starts from nothing sent, so the first day carries the whole backlog). Runs at
09:00 Paris time.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
from sqlalchemy import Engine

from assets.dunning.data import load_day_facts
from assets.dunning.engine import DayFacts, History, Planner, resolve_channel, statement_period
from assets.dunning.policy import Policy

PARIS = ZoneInfo("Europe/Paris")


@dataclass
class SimulatedDay:
    day: date
    messages: int = 0
    invoices: int = 0
    customers: int = 0
    amount: Decimal = Decimal("0")
    by_step: dict[str, int] = field(default_factory=dict)
    handed_over: int = 0
    suppressed: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat(),
            "messages": self.messages,
            "invoices": self.invoices,
            "customers": self.customers,
            "amount": str(self.amount),
            "by_step": self.by_step,
            "handed_over": self.handed_over,
            "suppressed": self.suppressed,
        }


def warm_history(planner: Planner, facts: DayFacts) -> History:
    """History as if the policy had been in force before the first simulated day: every step dated before
    it counts as done, and so does each customer's statement period that opened before it. Without this the
    first day would carry the whole backlog."""
    history = History()
    for invoice in facts.invoices:
        customer = facts.customers.get(invoice.customer_id)
        policy = planner.policy_of(customer, invoice.amount) if customer else None
        if policy is None:
            continue
        for step in policy.resolved_steps(invoice.customer_id):
            if invoice.due_date + timedelta(days=step.offset) < facts.run_date:
                history.done_steps[invoice.invoice_number].add(step.name)
    for customer_id, customer in facts.customers.items():
        policy = planner.policy_of(customer, None)
        if policy is None or policy.statement is None:
            continue
        period, opens = statement_period(policy, facts.run_date)
        if opens < facts.run_date:
            channel = resolve_channel(policy.statement.channel, customer)
            history.done_keys.add(f"statement:{customer_id}:{period}:{channel}")
    return history


def simulate(
    con: duckdb.DuckDBPyConnection,
    engine: Engine | None,
    policies: list[Policy],
    start: date,
    end: date,
    *,
    only_policy: str | None = None,
    send_at: time = time(9, 0),
    warm_start: bool = True,
) -> list[SimulatedDay]:
    if end < start:
        raise ValueError(f"--to ({end}) is before --from ({start})")
    planner = Planner(policies, only_policy=only_policy)
    history: History | None = None if warm_start else History()
    days: list[SimulatedDay] = []
    day = start
    while day <= end:
        now = datetime.combine(day, send_at, tzinfo=PARIS).astimezone(ZoneInfo("UTC"))
        facts = load_day_facts(con, engine, day, now, as_of=day, as_of_time=now)
        if history is None:
            history = warm_history(planner, facts)
        lines = planner.plan_reminders(facts, history) + planner.plan_statements(facts, history)
        result = SimulatedDay(day)
        sent = [line for line in lines if line.state == "draft" and line.kind != "manual"]
        result.messages = len({line.idempotency_key for line in sent})
        result.invoices = len({line.invoice_number for line in sent if line.invoice_number})
        result.customers = len({line.customer_id for line in sent})
        result.amount = sum((line.amount or Decimal("0") for line in sent if line.invoice_number), Decimal("0"))
        result.by_step = dict(Counter(line.step for line in sent))
        result.handed_over = sum(1 for line in lines if line.state == "draft" and line.kind == "manual")
        result.suppressed = dict(Counter(line.reason for line in lines if line.state == "ignored"))
        for line in lines:
            history.add(replace(line, state="queued") if line.state == "draft" else line)
        days.append(result)
        day += timedelta(days=1)
    return days


def format_table(days: list[SimulatedDay]) -> str:
    header = f"{'day':<10}  {'msgs':>5}  {'invoices':>8}  {'customers':>9}  {'amount':>14}  steps / suppressed"
    out = [header, "-" * len(header)]
    for d in days:
        steps = ", ".join(f"{k}:{v}" for k, v in sorted(d.by_step.items()))
        held = ", ".join(f"{k}:{v}" for k, v in sorted(d.suppressed.items()))
        detail = " | ".join(
            x
            for x in (steps, f"handed over:{d.handed_over}" if d.handed_over else "", f"held: {held}" if held else "")
            if x
        )
        out.append(
            f"{d.day.isoformat():<10}  {d.messages:>5}  {d.invoices:>8}  {d.customers:>9}  {d.amount:>14,.2f}  {detail}"
        )
    total_amount = sum((d.amount for d in days), Decimal("0"))
    out.append("-" * len(header))
    out.append(
        f"{'total':<10}  {sum(d.messages for d in days):>5}  {sum(d.invoices for d in days):>8}  "
        f"{'':>9}  {total_amount:>14,.2f}"
    )
    return "\n".join(out)
