"""Who dunning leaves alone, and why: the one rule the daily batch, its blocking check, on-demand requests and
the dashboard's campaign preview all apply (each used to carry its own copy, and the copies differed).

An invoice is left alone, in this order of precedence, when it is
- `credited` (credit notes cover it) or `paid` (payments cover it; nothing left open),
- `disputed`: an ERP dispute open on the run's day, or a portal dispute without a later `dispute_resolved`,
- `promise_not_due`: the latest promise to pay names a date not yet passed (a broken promise resumes dunning),
- `customer_on_hold`: the ERP's on-hold flag, or an active operational hold (`customer_holds`).
The operational store is read as of a time (`as_of_time`, the run's moment): an event or a hold recorded
later is not known to the run, so a replayed day never sees its future, and the preview, read at the same
moment as the run it announces, sees exactly what the run will see.

Payments data older than the strictest policy's `payments_max_age_hours` blocks everything
(`freshness_problem`): a customer who paid since the last extraction would be chased.

Timing is the other half: a customer is contacted only within its policy's sending hours, in its own time
zone, and (when the policy says so) not on a weekend or a public holiday. `next_sending_time` says when the
next such moment is, so that a request confirmed outside those hours is scheduled for it, not dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_lib

# Why an invoice (or a customer) is left alone. These names are stored on ignored dunning lines, counted on
# requests and shown by the dashboard (REASON_TEXT).
CREDITED = "credited"
PAID = "paid"
DISPUTED = "disputed"
PROMISED = "promise_not_due"
ON_HOLD = "customer_on_hold"
WEEKEND = "weekend"
HOLIDAY = "public_holiday"
OUTSIDE_HOURS = "outside_sending_hours"
BLOCKING_REASONS = (CREDITED, PAID, DISPUTED, PROMISED, ON_HOLD)
TIMING_REASONS = (WEEKEND, HOLIDAY, OUTSIDE_HOURS)

# What a finance lead reads for each reason, wherever it is shown.
REASON_TEXT = {
    CREDITED: "credited: credit notes cover it",
    PAID: "paid",
    DISPUTED: "disputed (in the ERP or on the portal)",
    PROMISED: "payment promised for a date not yet passed",
    ON_HOLD: "customer on hold",
    WEEKEND: "weekend (the policy skips weekends)",
    HOLIDAY: "public holiday",
    OUTSIDE_HOURS: "outside the customer's sending hours",
}

DEFAULT_ZONE = "Europe/Paris"


class InvoiceLike(Protocol):
    invoice_number: str
    customer_id: str
    open_amount: Any
    status: str


class KnownFacts(Protocol):
    """What blocking_reason needs of a day's facts (assets/dunning/engine.py DayFacts)."""

    run_date: date
    disputed: Mapping[str, str]
    promises: Mapping[str, date]
    holds: Mapping[str, str]


def blocking_reason(facts: KnownFacts, invoice: InvoiceLike, customer: Mapping[str, Any]) -> str | None:
    """Why this invoice may not be chased today whatever the time, or None."""
    if invoice.status == "credited":
        return CREDITED
    if invoice.status == "paid" or invoice.open_amount <= 0:
        return PAID
    if invoice.invoice_number in facts.disputed:
        return DISPUTED
    promised = facts.promises.get(invoice.invoice_number)
    if promised is not None and promised >= facts.run_date:
        return PROMISED
    if customer_on_hold(facts, customer, invoice.customer_id):
        return ON_HOLD
    return None


def customer_on_hold(facts: KnownFacts, customer: Mapping[str, Any], customer_id: str) -> bool:
    return bool(customer.get("on_hold")) or customer_id in facts.holds


# --------------------------------------------------------------------------------------- what the store says
@dataclass
class OperationalSuppressions:
    """Disputes, promises and holds the operational store knows as of a time."""

    disputed: dict[str, str] = field(default_factory=dict)  # invoice -> where the dispute comes from
    promises: dict[str, date] = field(default_factory=dict)  # invoice -> latest promised date
    holds: dict[str, str] = field(default_factory=dict)  # customer -> reason


def _parse_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def read_suppressions(conn, as_of_time: datetime) -> OperationalSuppressions:
    """Portal disputes (unless resolved later), the latest promise per invoice and active holds, each as
    recorded up to `as_of_time` (events by their occurrence, holds by when they were set)."""
    from sqlalchemy import select

    from stores import operational as ops

    ev = ops.events
    found = OperationalSuppressions()
    rows = conn.execute(
        select(ev.c.event_type, ev.c.invoice_number, ev.c.evidence, ev.c.source)
        .where(
            ev.c.event_type.in_(("disputed", "dispute_resolved", "promised")),
            ev.c.occurred_at <= as_of_time,
            ev.c.invoice_number.is_not(None),
        )
        .order_by(ev.c.occurred_at, ev.c.id)
    ).all()
    for event_type, invoice, evidence, source in rows:
        if event_type == "disputed":
            found.disputed[invoice] = f"{source}: {(evidence or {}).get('reason') or 'dispute'}"
        elif event_type == "dispute_resolved":
            found.disputed.pop(invoice, None)
        else:
            promised = _parse_date((evidence or {}).get("promised_date"))
            if promised is not None:
                found.promises[invoice] = promised
    holds = ops.customer_holds
    for customer_id, reason in conn.execute(
        select(holds.c.customer_id, holds.c.reason).where(holds.c.active.is_(True), holds.c.set_at <= as_of_time)
    ):
        found.holds[customer_id] = reason or "hold"
    return found


# --------------------------------------------------------------------------------------------- payments data
def freshness_problem(freshness: Mapping[str, Any], max_age_hours: int, now: datetime) -> str | None:
    """Why payments data is too old to chase anyone on, or None when it is fresh enough."""
    extracted = freshness.get("payments_extracted_at")
    if extracted is None:
        return "no payments data at all: staging.payments is missing or empty"
    if extracted.tzinfo is None:
        extracted = extracted.replace(tzinfo=timezone.utc)
    age = now - extracted
    if age.total_seconds() > max_age_hours * 3600:
        return (
            f"payments data is {age.total_seconds() / 3600:.1f} h old (extracted {extracted.isoformat()}), over "
            f"the {max_age_hours} h freshness limit: a customer who paid since would be chased"
        )
    return None


def freshness_limit_hours(policies) -> int:
    """The strictest freshness any active policy asks for: one stale customer blocks the whole batch."""
    return min((p.rules.payments_max_age_hours for p in policies), default=48)


# --------------------------------------------------------------------------------------------------- timing
_CALENDARS: dict[tuple[str, int], Any] = {}


def holiday_name(day: date, country: str | None) -> str | None:
    """The public holiday on `day` in `country` (python-holidays code), or None."""
    if not country:
        return None
    key = (country, day.year)
    if key not in _CALENDARS:
        _CALENDARS[key] = holidays_lib.country_holidays(country, years=day.year)
    return _CALENDARS[key].get(day)


def calendar_reason(policy, day: date) -> str | None:
    """Why no reminder of this policy leaves on this day at all (weekend or public holiday), else None."""
    if policy.rules.skip_weekends and day.weekday() >= 5:
        return WEEKEND
    if holiday_name(day, policy.rules.holidays_country):
        return HOLIDAY
    return None


def customer_zone(customer: Mapping[str, Any]) -> ZoneInfo:
    try:
        return ZoneInfo(customer.get("timezone") or DEFAULT_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_ZONE)


def within_sending_hours(policy, customer: Mapping[str, Any], now: datetime) -> bool:
    local = now.astimezone(customer_zone(customer)).time()
    return policy.rules.sending_start <= local < policy.rules.sending_end or (
        policy.rules.sending_end == time.max and local >= policy.rules.sending_start
    )


def next_sending_time(policy, customer: Mapping[str, Any], now: datetime) -> datetime:
    """`now` when the customer may be contacted now, else the start of its next sending window (UTC): within
    the policy's sending hours in the customer's time zone, on a day the policy sends on (the customer's own
    day decides: Friday 20:00 in New York waits for Monday 08:00 there)."""
    zone = customer_zone(customer)
    local = now.astimezone(zone)
    start, end = policy.rules.sending_start, policy.rules.sending_end
    for days_ahead in range(0, 40):
        day = local.date() + timedelta(days=days_ahead)
        if calendar_reason(policy, day):
            continue
        if days_ahead == 0:
            if within_sending_hours(policy, customer, now):
                return now
            if local.time() >= end and end != time.max:
                continue
        opens = datetime.combine(day, start, tzinfo=zone)
        # a local time skipped by a daylight-saving change: the window opens at the first real instant after
        if opens.astimezone(timezone.utc).astimezone(zone).replace(tzinfo=None) != opens.replace(tzinfo=None):
            opens = (opens + timedelta(hours=1)).astimezone(zone)
        return max(opens.astimezone(timezone.utc), now)
    raise ValueError(f"policy {policy.name!r} has no sending day in the next 40 days")


def timing_reason(policy, customer: Mapping[str, Any], now: datetime, day: date) -> str | None:
    """Why this customer may not be contacted at `now` by a run of business day `day`, or None."""
    return calendar_reason(policy, day) or (None if within_sending_hours(policy, customer, now) else OUTSIDE_HOURS)
