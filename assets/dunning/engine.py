"""Planning a dunning run: which reminder, statement and resend lines a date produces, and why others not.

Shaped after OCA credit-control: a run on a date produces lines, each with a step, a channel and a state
(draft -> queued -> sent | error, or ignored with a reason). This module is pure: it takes the facts known
on the run date (`DayFacts`) and what was done before (`History`) and returns lines. The batch module
persists and enqueues them; the simulator feeds its own lines back into an in-memory History.

Catch-up without skipping or repeating: an invoice's next step is the first step after the last one done
whose date (due date + offset) has been reached. A step due on a day without a run (missed schedule,
weekend, holiday, suppression) is therefore taken by the next run that may send, once; the step after it
waits for its own date and for the next run. Steps before the due date ("your invoice is available") are
dropped once the due date has passed, since their message would be false.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_lib

from assets.dunning.policy import CUSTOMER_CHANNEL, MANUAL_CHANNEL, Policy, ResolvedStep, policy_for

# Suppression reasons recorded on ignored lines (and counted on requests).
PAID = "paid"
CREDITED = "credited"
DISPUTED = "disputed"
PROMISED = "promise_not_due"
ON_HOLD = "customer_on_hold"
ALREADY_SENT = "step_already_sent"
CONTACTED_RECENTLY = "contacted_recently"
WEEKEND = "weekend"
HOLIDAY = "public_holiday"
OUTSIDE_HOURS = "outside_sending_hours"
WINDOW_PASSED = "due_date_passed"  # a pre-due step (D-7) whose date went by while it could not be sent
NO_FALLBACK = "no_fallback_channel"
UNKNOWN_CUSTOMER = "unknown_customer"
SUPPRESSION_REASONS = (
    PAID,
    CREDITED,
    DISPUTED,
    PROMISED,
    ON_HOLD,
    ALREADY_SENT,
    CONTACTED_RECENTLY,
    WEEKEND,
    HOLIDAY,
    OUTSIDE_HOURS,
    WINDOW_PASSED,
    NO_FALLBACK,
    UNKNOWN_CUSTOMER,
)
# Reasons that will not change for this (invoice, step): recorded once, not on every run.
ONCE_REASONS = (PAID, CREDITED, WINDOW_PASSED, NO_FALLBACK)

DONE_STATES = ("queued", "sent")
STATEMENT_STEP = "statement"
RESEND_STEP = "resend"
HANDOVER = "handover_to_person"
STATEMENT_EPOCH = date(2000, 1, 3)  # a Monday: every-N-days statement periods count from it


@dataclass(frozen=True)
class InvoiceFacts:
    invoice_number: str
    customer_id: str
    issue_date: date
    due_date: date
    amount: Decimal  # incl. tax
    open_amount: Decimal
    paid_amount: Decimal
    credited_amount: Decimal
    currency: str
    status: str  # open | partially_paid | paid | credited (as of the run)


@dataclass(frozen=True)
class Delivered:
    """An invoice sent to the customer (outbox kind invoice or resend, state sent)."""

    invoice_number: str
    customer_id: str
    channel: str
    sent_at: datetime


@dataclass
class DayFacts:
    run_date: date
    now: datetime  # UTC; decides the customer's local sending hours
    invoices: list[InvoiceFacts]
    customers: dict[str, dict[str, Any]]
    disputed: dict[str, str] = field(default_factory=dict)  # invoice -> where the dispute comes from
    promises: dict[str, date] = field(default_factory=dict)  # invoice -> latest promised date
    holds: dict[str, str] = field(default_factory=dict)  # customer -> reason
    delivered: list[Delivered] = field(default_factory=list)
    retrieved: set[str] = field(default_factory=set)  # invoices viewed, downloaded or fetched


@dataclass(frozen=True)
class Line:
    run_date: date
    policy: str
    step: str
    customer_id: str
    invoice_number: str | None
    channel: str | None
    state: str  # draft | ignored (the batch moves drafts to queued | error)
    reason: str | None
    amount: Decimal | None
    kind: str = "reminder"  # reminder | statement | resend | manual
    variant: str | None = None
    template: str | None = None
    tone: str | None = None
    language: str | None = None
    attach_invoice: bool = False
    attach_statement: bool = False
    idempotency_key: str | None = None
    request_id: str | None = None


@dataclass
class History:
    """What earlier runs did, as far as planning needs it (built from dunning_lines or by the simulator)."""

    done_steps: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    once_reasons: set[tuple[str, str, str]] = field(default_factory=set)  # (invoice or customer, step, reason)
    contacts: dict[str, date] = field(default_factory=dict)  # customer -> last reminder date
    done_keys: set[str] = field(default_factory=set)

    @classmethod
    def from_lines(cls, rows: Iterable[Mapping[str, Any]]) -> History:
        history = cls()
        for row in rows:
            history.add(row)
        return history

    def add(self, row: Mapping[str, Any] | Line) -> None:
        get = (lambda k: getattr(row, k)) if isinstance(row, Line) else row.get
        state, step, invoice = get("state"), get("step"), get("invoice_number")
        customer, reason = get("customer_id"), get("reason")
        done = (
            state in DONE_STATES
            or (state == "draft" and get("channel") == MANUAL_CHANNEL)
            or (state == "error" and get("idempotency_key") and reason and reason.startswith("delivery_failed"))
        )
        if done:
            if get("idempotency_key"):
                self.done_keys.add(get("idempotency_key"))
            if invoice and step not in (STATEMENT_STEP, RESEND_STEP):
                self.done_steps[invoice].add(step)
                if state in DONE_STATES:
                    run_date = get("run_date")
                    if customer not in self.contacts or self.contacts[customer] < run_date:
                        self.contacts[customer] = run_date
        elif state == "ignored" and reason in ONCE_REASONS:
            self.once_reasons.add((invoice or customer, step, reason))


def holiday_name(day: date, country: str | None) -> str | None:
    """The public holiday on `day` in `country` (python-holidays code), or None."""
    if not country:
        return None
    calendar = _holiday_calendar(country, day.year)
    return calendar.get(day)


_CALENDARS: dict[tuple[str, int], Any] = {}


def _holiday_calendar(country: str, year: int):
    key = (country, year)
    if key not in _CALENDARS:
        _CALENDARS[key] = holidays_lib.country_holidays(country, years=year)
    return _CALENDARS[key]


def calendar_reason(policy: Policy, day: date) -> str | None:
    """Why no reminder leaves on this day at all (weekend or public holiday), else None."""
    if policy.rules.skip_weekends and day.weekday() >= 5:
        return WEEKEND
    name = holiday_name(day, policy.rules.holidays_country)
    if name:
        return HOLIDAY
    return None


def customer_zone(customer: Mapping[str, Any]) -> ZoneInfo:
    try:
        return ZoneInfo(customer.get("timezone") or "Europe/Paris")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Europe/Paris")


def within_sending_hours(policy: Policy, customer: Mapping[str, Any], now: datetime) -> bool:
    local = now.astimezone(customer_zone(customer)).time()
    return policy.rules.sending_start <= local < policy.rules.sending_end


def customer_language(customer: Mapping[str, Any], wanted: str) -> str:
    if wanted != "customer":
        return wanted
    language = (customer.get("language") or "fr").lower()[:2]
    return language if language in ("fr", "en") else "fr"


def resolve_channel(channel: str, customer: Mapping[str, Any]) -> str:
    if channel == CUSTOMER_CHANNEL:
        return customer.get("preferred_channel") or "email"
    return channel


def _resend_line(
    run_date: date,
    policy: Policy,
    number: str,
    invoice: InvoiceFacts,
    customer: Mapping[str, Any],
    state: str,
    reason: str | None,
    channel: str | None,
) -> Line:
    return Line(
        run_date=run_date,
        policy=policy.name,
        step=RESEND_STEP,
        customer_id=invoice.customer_id,
        invoice_number=number,
        channel=channel,
        state=state,
        reason=reason,
        amount=invoice.open_amount,
        kind="resend",
        language=customer_language(customer, "customer"),
        idempotency_key=f"resend:{number}:{channel}" if channel else None,
    )


def _digest(parts: Iterable[str]) -> str:
    return hashlib.sha256("\x1f".join(sorted(parts)).encode()).hexdigest()[:12]


def invoice_key(invoice: str, step: str, channel: str) -> str:
    return f"dunning:{invoice}:{step}:{channel}"


def consolidated_key(customer: str, step: str, channel: str, invoices: Iterable[str]) -> str:
    return f"dunning:{customer}:{step}:{channel}:{_digest(invoices)}"


def statement_period(policy: Policy, day: date) -> tuple[str, date] | None:
    """The statement period a day belongs to and the date it opens, per the policy's rhythm."""
    st = policy.statement
    if st is None:
        return None
    if st.every_days:
        index = (day - STATEMENT_EPOCH).days // st.every_days
        opens = STATEMENT_EPOCH + timedelta(days=index * st.every_days)
        return opens.isoformat(), opens
    opens = day.replace(day=st.day_of_month)
    if day < opens:
        previous = day.replace(day=1) - timedelta(days=1)
        opens = previous.replace(day=st.day_of_month)
    return opens.strftime("%Y-%m"), opens


class Planner:
    def __init__(self, policies: list[Policy], *, only_policy: str | None = None):
        self.policies = policies
        self.only_policy = only_policy

    def policy_of(self, customer: Mapping[str, Any], amount: Decimal | None) -> Policy | None:
        policy = policy_for(self.policies, customer, amount)
        if policy is None or (self.only_policy and policy.name != self.only_policy):
            return None
        return policy

    def _blocking_reason(self, facts: DayFacts, invoice: InvoiceFacts, customer: Mapping[str, Any]) -> str | None:
        """Reasons tied to the invoice or the customer, checked before anything about the calendar."""
        if invoice.status == "credited":
            return CREDITED
        if invoice.status == "paid" or invoice.open_amount <= 0:
            return PAID
        if invoice.invoice_number in facts.disputed:
            return DISPUTED
        promised = facts.promises.get(invoice.invoice_number)
        if promised is not None and promised >= facts.run_date:
            return PROMISED
        if customer.get("on_hold") or invoice.customer_id in facts.holds:
            return ON_HOLD
        return None

    def _timing_reason(
        self,
        facts: DayFacts,
        policy: Policy,
        customer: Mapping[str, Any],
        history: History,
        counts_as_contact: bool = True,
    ) -> str | None:
        reason = calendar_reason(policy, facts.run_date)
        if reason:
            return reason
        if counts_as_contact and policy.rules.min_days_between_contacts:
            last = history.contacts.get(customer["customer_id"])
            if (
                last is not None
                and last < facts.run_date
                and (facts.run_date - last).days < policy.rules.min_days_between_contacts
            ):
                return CONTACTED_RECENTLY
        if not within_sending_hours(policy, customer, facts.now):
            return OUTSIDE_HOURS
        return None

    def _next_step(
        self, steps: list[ResolvedStep], invoice: InvoiceFacts, history: History, run_date: date
    ) -> tuple[ResolvedStep | None, list[ResolvedStep]]:
        """(the step to take now or None, pre-due steps whose window passed unsent)."""
        done = history.done_steps.get(invoice.invoice_number, set())
        last_done = max((i for i, s in enumerate(steps) if s.name in done), default=-1)
        passed: list[ResolvedStep] = []
        for step in steps[last_done + 1 :]:
            if invoice.due_date + timedelta(days=step.offset) > run_date:
                return None, passed
            if step.offset < 0 and run_date > invoice.due_date:
                passed.append(step)
                continue
            return step, passed
        return None, passed

    def _line(
        self,
        facts: DayFacts,
        policy: Policy,
        step: ResolvedStep,
        invoice: InvoiceFacts,
        customer: Mapping[str, Any],
        state: str,
        reason: str | None,
        **extra: Any,
    ) -> Line:
        channel = resolve_channel(step.channel, customer)
        return Line(
            run_date=facts.run_date,
            policy=policy.name,
            step=step.name,
            customer_id=invoice.customer_id,
            invoice_number=invoice.invoice_number,
            channel=channel,
            state=state,
            reason=reason,
            amount=invoice.open_amount,
            kind="manual" if channel == MANUAL_CHANNEL else "reminder",
            variant=step.variant.name if step.variant else None,
            template=step.template or None,
            tone=step.tone,
            language=customer_language(customer, step.step.language),
            attach_invoice=step.step.attach_invoice,
            attach_statement=step.step.attach_statement,
            **extra,
        )

    def plan_reminders(self, facts: DayFacts, history: History) -> list[Line]:
        lines: list[Line] = []
        eligible: list[tuple[Policy, Line]] = []
        for invoice in sorted(facts.invoices, key=lambda i: (i.customer_id, i.due_date, i.invoice_number)):
            customer = facts.customers.get(invoice.customer_id)
            if customer is None:
                continue
            policy = self.policy_of(customer, invoice.amount)
            if policy is None:
                continue
            steps = policy.resolved_steps(invoice.customer_id)
            step, passed = self._next_step(steps, invoice, history, facts.run_date)
            for gone in passed:
                if (invoice.invoice_number, gone.name, WINDOW_PASSED) not in history.once_reasons:
                    lines.append(self._line(facts, policy, gone, invoice, customer, "ignored", WINDOW_PASSED))
            if step is None:
                continue
            reason = self._blocking_reason(facts, invoice, customer)
            if reason in ONCE_REASONS and (invoice.invoice_number, step.name, reason) in history.once_reasons:
                continue
            if reason is None:
                reason = self._timing_reason(facts, policy, customer, history)
            if reason is not None:
                lines.append(self._line(facts, policy, step, invoice, customer, "ignored", reason))
                continue
            line = self._line(
                facts,
                policy,
                step,
                invoice,
                customer,
                "draft",
                HANDOVER if resolve_channel(step.channel, customer) == MANUAL_CHANNEL else None,
            )
            eligible.append((policy, line))
        lines.extend(self._keyed(eligible))
        return lines

    def _keyed(self, eligible: list[tuple[Policy, Line]]) -> list[Line]:
        """Give each sendable line its outbox key: per invoice, or one per customer when consolidating.

        A consolidated reminder is one message per customer and channel for the day, in the voice of its
        most advanced step (a formal notice is not softened by a D+1 reminder sent alongside); each invoice
        keeps its own step on its line, and the key names every (invoice, step) it carries.
        """
        out: list[Line] = []
        groups: dict[tuple[str, str, str], list[tuple[int, Line]]] = defaultdict(list)
        for policy, line in eligible:
            if line.kind == "manual":
                out.append(replace(line, idempotency_key=f"manual:{line.invoice_number}:{line.step}"))
            elif policy.rules.consolidate:
                rank = next((i for i, s in enumerate(policy.steps) if s.name == line.step), -1)
                groups[(policy.name, line.customer_id, line.channel)].append((rank, line))
            else:
                out.append(replace(line, idempotency_key=invoice_key(line.invoice_number, line.step, line.channel)))
        for (_, customer, channel), ranked in groups.items():
            members = [line for _, line in sorted(ranked, key=lambda r: (-r[0], r[1].invoice_number))]
            lead = members[0].step
            key = consolidated_key(customer, lead, channel, [f"{m.invoice_number}@{m.step}" for m in members])
            out.extend(replace(m, idempotency_key=key, attach_statement=True) for m in members)
        return out

    def plan_statements(self, facts: DayFacts, history: History) -> list[Line]:
        lines: list[Line] = []
        open_by_customer: dict[str, list[InvoiceFacts]] = defaultdict(list)
        for invoice in facts.invoices:
            if invoice.open_amount > 0:
                open_by_customer[invoice.customer_id].append(invoice)
        for customer_id, invoices in sorted(open_by_customer.items()):
            customer = facts.customers.get(customer_id)
            if customer is None:
                continue
            policy = self.policy_of(customer, None)
            if policy is None or policy.statement is None:
                continue
            period, _opens = statement_period(policy, facts.run_date)
            channel = resolve_channel(policy.statement.channel, customer)
            key = f"statement:{customer_id}:{period}:{channel}"
            if key in history.done_keys:
                continue
            reason = ON_HOLD if (customer.get("on_hold") or customer_id in facts.holds) else None
            reason = reason or self._timing_reason(facts, policy, customer, history, counts_as_contact=False)
            total = sum((i.open_amount for i in invoices), Decimal("0"))
            lines.append(
                Line(
                    run_date=facts.run_date,
                    policy=policy.name,
                    step=STATEMENT_STEP,
                    customer_id=customer_id,
                    invoice_number=None,
                    channel=channel,
                    state="ignored" if reason else "draft",
                    reason=reason,
                    amount=total,
                    kind="statement",
                    template=policy.statement.template,
                    tone="informative",
                    language=customer_language(customer, policy.statement.language),
                    attach_statement=True,
                    idempotency_key=key,
                )
            )
        return lines

    def plan_resends(self, facts: DayFacts, history: History) -> list[Line]:
        """Invoices sent but not retrieved N days later go again on the customer's next channel."""
        lines: list[Line] = []
        invoices = {i.invoice_number: i for i in facts.invoices}
        latest: dict[str, Delivered] = {}
        for d in facts.delivered:
            if d.invoice_number not in latest or latest[d.invoice_number].sent_at < d.sent_at:
                latest[d.invoice_number] = d
        for number, delivered in sorted(latest.items()):
            invoice = invoices.get(number)
            customer = facts.customers.get(delivered.customer_id)
            if invoice is None or customer is None or number in facts.retrieved:
                continue
            policy = self.policy_of(customer, invoice.amount)
            if policy is None or policy.resend is None:
                continue
            if delivered.sent_at.date() + timedelta(days=policy.resend.after_days) > facts.run_date:
                continue
            if policy.resend.before_due_only and facts.run_date >= invoice.due_date:
                continue
            chain = [customer.get("preferred_channel") or "email"]
            chain += [c for c in (customer.get("fallback_channels") or []) if c and c not in chain]
            position = chain.index(delivered.channel) if delivered.channel in chain else -1
            next_channel = chain[position + 1] if position + 1 < len(chain) else None

            line = partial(_resend_line, facts.run_date, policy, number, invoice, customer)
            if next_channel is None:
                if (number, RESEND_STEP, NO_FALLBACK) not in history.once_reasons:
                    lines.append(line("ignored", NO_FALLBACK, None))
                continue
            if f"resend:{number}:{next_channel}" in history.done_keys:
                continue
            reason = self._blocking_reason(facts, invoice, customer)
            if reason in ONCE_REASONS and (number, RESEND_STEP, reason) in history.once_reasons:
                continue
            reason = reason or self._timing_reason(facts, policy, customer, history, counts_as_contact=False)
            lines.append(line("ignored" if reason else "draft", reason, next_channel))
        return lines

    def plan_request(
        self,
        facts: DayFacts,
        history: History,
        *,
        invoices: set[str] | None,
        filters: Mapping[str, Any] | None,
        step: str | None,
        template: str | None,
        request_id: str,
    ) -> list[Line]:
        """An on-demand reminder: the chosen step (or template) now, for a list or a filtered target.

        The schedule does not apply (a person asked for it), but nothing is sent for a paid, credited,
        disputed or promised invoice, a customer on hold, a step already sent, or outside sending hours.
        A step request uses the step's own outbox key, so it never repeats a step the schedule already sent.
        A template-only request is a new message: its key carries the request id, so it goes once per request.
        """
        lines: list[Line] = []
        eligible: list[tuple[Policy, Line]] = []
        for invoice in sorted(facts.invoices, key=lambda i: (i.customer_id, i.invoice_number)):
            if invoices is not None and invoice.invoice_number not in invoices:
                continue
            customer = facts.customers.get(invoice.customer_id)
            if customer is None or not _matches_filters(invoice, customer, filters or {}, facts.run_date):
                continue
            policy = policy_for(self.policies, customer, invoice.amount)
            if policy is None:
                continue
            steps = policy.resolved_steps(invoice.customer_id)
            if step is not None:
                chosen = next((s for s in steps if s.name == step), None)
                if chosen is None:
                    continue
            else:
                reached = [s for s in steps if invoice.due_date + timedelta(days=s.offset) <= facts.run_date]
                chosen = reached[-1] if reached else steps[0]
            if template is not None:
                chosen = replace(chosen, template=template)
            reason = self._blocking_reason(facts, invoice, customer)
            if (
                reason is None
                and step is not None
                and chosen.name in history.done_steps.get(invoice.invoice_number, set())
            ):
                reason = ALREADY_SENT
            if reason is None and not within_sending_hours(policy, customer, facts.now):
                reason = OUTSIDE_HOURS
            line = self._line(
                facts,
                policy,
                chosen,
                invoice,
                customer,
                "ignored" if reason else "draft",
                reason,
                request_id=request_id,
            )
            if step is None:
                line = replace(line, step=f"{chosen.name}~{template}"[:64])
            if reason is not None:
                lines.append(line)
            else:
                eligible.append((policy, line))
        keyed = self._keyed(eligible)
        if step is None:
            keyed = [
                replace(line, idempotency_key=f"request:{request_id}:{line.invoice_number}:{line.channel}")
                for line in keyed
            ]
        return lines + keyed

    def plan_resend_request(
        self,
        facts: DayFacts,
        history: History,
        *,
        invoices: set[str] | None,
        filters: Mapping[str, Any] | None,
        request_id: str,
    ) -> list[Line]:
        """Resend on demand: each targeted invoice goes again now, on the channel after the one it last went
        on (or the customer's preferred channel if it never went out). Paid, credited, disputed and held
        invoices are skipped with their reason; a channel already used for a resend is not used twice."""
        latest: dict[str, Delivered] = {}
        for d in facts.delivered:
            if d.invoice_number not in latest or latest[d.invoice_number].sent_at < d.sent_at:
                latest[d.invoice_number] = d
        lines: list[Line] = []
        for invoice in sorted(facts.invoices, key=lambda i: (i.customer_id, i.invoice_number)):
            if invoices is not None and invoice.invoice_number not in invoices:
                continue
            customer = facts.customers.get(invoice.customer_id)
            if customer is None or not _matches_filters(invoice, customer, filters or {}, facts.run_date):
                continue
            policy = policy_for(self.policies, customer, invoice.amount)
            chain = [customer.get("preferred_channel") or "email"]
            chain += [c for c in (customer.get("fallback_channels") or []) if c and c not in chain]
            delivered = latest.get(invoice.invoice_number)
            if delivered is None:
                channel = chain[0]
            else:
                position = chain.index(delivered.channel) if delivered.channel in chain else -1
                channel = chain[position + 1] if position + 1 < len(chain) else None
            reason = self._blocking_reason(facts, invoice, customer)
            if reason is None and channel is None:
                reason = NO_FALLBACK
            if reason is None and policy is not None and not within_sending_hours(policy, customer, facts.now):
                reason = OUTSIDE_HOURS
            lines.append(
                Line(
                    run_date=facts.run_date,
                    policy=policy.name if policy else "none",
                    step=RESEND_STEP,
                    customer_id=invoice.customer_id,
                    invoice_number=invoice.invoice_number,
                    channel=channel,
                    state="ignored" if reason else "draft",
                    reason=reason,
                    amount=invoice.open_amount,
                    kind="resend",
                    language=customer_language(customer, "customer"),
                    idempotency_key=f"resend:{invoice.invoice_number}:{channel}" if channel else None,
                    request_id=request_id,
                )
            )
        return lines


def _matches_filters(
    invoice: InvoiceFacts, customer: Mapping[str, Any], filters: Mapping[str, Any], run_date: date
) -> bool:
    """Dashboard target filters: customers, segments, tags, min_days_late, min_open_amount, channel."""
    if filters.get("customers") and invoice.customer_id not in filters["customers"]:
        return False
    if filters.get("segments") and customer.get("segment") not in filters["segments"]:
        return False
    if filters.get("tags") and not set(customer.get("tags") or ()).intersection(filters["tags"]):
        return False
    if filters.get("channels") and customer.get("preferred_channel") not in filters["channels"]:
        return False
    if "min_days_late" in filters and (run_date - invoice.due_date).days < int(filters["min_days_late"]):
        return False
    if "min_open_amount" in filters and invoice.open_amount < Decimal(str(filters["min_open_amount"])):
        return False
    return True


FILTER_KEYS = ("customers", "segments", "tags", "channels", "min_days_late", "min_open_amount")
