"""Planning a dunning run: which reminder, statement and resend lines a date produces, and why others not.

Shaped after OCA credit-control: a run on a date produces lines, each with a step, a channel and a state
(draft -> queued -> sent | error, or ignored with a reason). This module is pure: it takes the facts known
on the run date (`DayFacts`) and what was done before (`History`) and returns lines. The batch module
persists and enqueues them; the simulator feeds its own lines back into an in-memory History. Who is left
alone and when a customer may be contacted are decided by assets/dunning/eligibility.py.

Dunning is a ledger of contacts (`History`): every step done for an invoice, every business day a customer
was reminded. From it two rules follow, whatever the number of runs, run hours or reruns of a day:
- a step is sent at most once, and a caught-up invoice gets one step, the furthest one due: the steps it
  passes over are recorded as `superseded_by_later_step` and never sent (a customer is not sent D+1, D+10
  and D+30 on the same morning because the schedule was down or the invoice was disputed for a month);
- a customer reminded on a day is not reminded again, by any run, for `min_days_between_contacts` days
  counted from that day (the same day included: a second run of the day contacts nobody the first one did).
Steps before the due date ("your invoice is available") are dropped once the due date has passed, since
their message would be false.
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

from assets.dunning.eligibility import (
    CREDITED,
    DISPUTED,
    HOLIDAY,
    ON_HOLD,
    OUTSIDE_HOURS,
    PAID,
    PROMISED,
    WEEKEND,
    blocking_reason,
    calendar_reason,
    customer_on_hold,
    next_sending_time,
    within_sending_hours,
)
from assets.dunning.policy import CUSTOMER_CHANNEL, MANUAL_CHANNEL, Policy, ResolvedStep, policy_for

# Why a line is ignored, beyond eligibility's own reasons (recorded on lines, counted on requests).
ALREADY_SENT = "step_already_sent"
ALREADY_PLANNED = "step_already_planned"  # another run of the day holds a draft of the same step
CONTACTED_RECENTLY = "contacted_recently"
WINDOW_PASSED = "due_date_passed"  # a pre-due step (D-7) whose date went by while it could not be sent
SUPERSEDED = "superseded_by_later_step"  # caught up: a later step was due too, and only the furthest is sent
RETRIEVED = "already_retrieved"
NO_FALLBACK = "no_fallback_channel"
UNKNOWN_CUSTOMER = "unknown_customer"
NO_POLICY = "no_policy"  # no policy selects the customer (e.g. tag no-dunning)
STEP_NOT_IN_POLICY = "step_not_in_policy"  # a request names a step the customer's policy does not have
SUPPRESSION_REASONS = (
    PAID,
    CREDITED,
    DISPUTED,
    PROMISED,
    ON_HOLD,
    ALREADY_SENT,
    ALREADY_PLANNED,
    CONTACTED_RECENTLY,
    WEEKEND,
    HOLIDAY,
    OUTSIDE_HOURS,
    WINDOW_PASSED,
    SUPERSEDED,
    NO_FALLBACK,
    UNKNOWN_CUSTOMER,
    NO_POLICY,
    STEP_NOT_IN_POLICY,
)
# Reasons that will not change for this (invoice, step): recorded once, not on every run.
ONCE_REASONS = (PAID, CREDITED, WINDOW_PASSED, SUPERSEDED, NO_FALLBACK)

DONE_STATES = ("queued", "sent")
STATEMENT_STEP = "statement"
RESEND_STEP = "resend"
HANDOVER = "handover_to_person"
# A request's line that may not leave now waits in state draft with this reason and the moment it may leave.
SCHEDULED = "scheduled"
STATEMENT_EPOCH = date(2000, 1, 3)  # a Monday: every-N-days statement periods count from it
# Channels that carry a letter (a reminder, a statement): platforms, EDI and AP portals carry invoices only.
MESSAGE_CHANNELS = ("email", "paper")


def scheduled_reason(when: datetime) -> str:
    return f"{SCHEDULED}:{when.isoformat()}"


def scheduled_for(reason: str | None) -> datetime | None:
    """When a scheduled line may leave, from its reason; None for any other line."""
    if not reason or not reason.startswith(SCHEDULED + ":"):
        return None
    return datetime.fromisoformat(reason.split(":", 1)[1])


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
    """The ledger of what earlier runs did (built from dunning_lines, or by the simulator as it goes)."""

    done_steps: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    once_reasons: set[tuple[str, str, str]] = field(default_factory=set)  # (invoice or customer, step, reason)
    contacts: dict[str, set[date]] = field(default_factory=lambda: defaultdict(set))  # customer -> days reminded
    reminded: dict[str, list[tuple[date, str]]] = field(default_factory=lambda: defaultdict(list))
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
                    self.contacts[customer].add(get("run_date"))
                    self.reminded[invoice].append((get("run_date"), step))
        elif state == "ignored" and reason in ONCE_REASONS:
            self.once_reasons.add((invoice or customer, step, reason))

    def contact_near(self, customer_id: str, day: date, gap_days: int) -> date | None:
        """A day this customer was reminded fewer than `gap_days` days from `day` (either side), or None.

        Either side: a backfilled older day may not squeeze a contact in before one already made. A gap
        below one day is one day: a later run of the same day never reminds a customer again."""
        gap = max(1, gap_days)
        near = [d for d in self.contacts.get(customer_id, ()) if abs((day - d).days) < gap]
        return max(near) if near else None


def customer_language(customer: Mapping[str, Any], wanted: str) -> str:
    if wanted != "customer":
        return wanted
    language = (customer.get("language") or "fr").lower()[:2]
    return language if language in ("fr", "en") else "fr"


def resolve_channel(channel: str, customer: Mapping[str, Any]) -> str:
    """The channel a reminder or statement goes on. `customer` is the customer's preferred channel when it
    carries a letter (e-mail or paper), else the first of its fallback channels that does, else e-mail (or
    paper without an address): an e-invoicing platform, EDI or AP portal takes invoices, not reminders."""
    if channel != CUSTOMER_CHANNEL:
        return channel
    chain = [customer.get("preferred_channel") or "email", *(customer.get("fallback_channels") or [])]
    for candidate in chain:
        if candidate in MESSAGE_CHANNELS:
            return candidate
    return "email" if customer.get("email") or not customer.get("address_line1") else "paper"


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

    def _timing_reason(
        self,
        facts: DayFacts,
        policy: Policy,
        customer: Mapping[str, Any],
        history: History,
        counts_as_contact: bool = True,
    ) -> str | None:
        """Why the batch may not contact this customer in this run: the day (weekend, holiday), the contact
        ledger (reminded fewer than min_days_between_contacts days from today, by any earlier run), the hour."""
        reason = calendar_reason(policy, facts.run_date)
        if reason:
            return reason
        if counts_as_contact and history.contact_near(
            customer["customer_id"], facts.run_date, policy.rules.min_days_between_contacts
        ):
            return CONTACTED_RECENTLY
        if not within_sending_hours(policy, customer, facts.now):
            return OUTSIDE_HOURS
        return None

    def _due_steps(
        self, steps: list[ResolvedStep], invoice: InvoiceFacts, history: History, run_date: date
    ) -> tuple[list[ResolvedStep], list[ResolvedStep]]:
        """(the steps after the last one done whose date has come, in order; pre-due steps whose window passed
        unsent). The last of the first list is the one to send; the others are passed over."""
        done = history.done_steps.get(invoice.invoice_number, set())
        last_done = max((i for i, s in enumerate(steps) if s.name in done), default=-1)
        due: list[ResolvedStep] = []
        passed: list[ResolvedStep] = []
        for step in steps[last_done + 1 :]:
            if invoice.due_date + timedelta(days=step.offset) > run_date:
                break
            if step.offset < 0 and run_date > invoice.due_date:
                passed.append(step)
            else:
                due.append(step)
        return due, passed

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
            due, passed = self._due_steps(steps, invoice, history, facts.run_date)
            for gone in passed:
                if (invoice.invoice_number, gone.name, WINDOW_PASSED) not in history.once_reasons:
                    lines.append(self._line(facts, policy, gone, invoice, customer, "ignored", WINDOW_PASSED))
            if not due:
                continue
            step = due[-1]
            reason = blocking_reason(facts, invoice, customer)
            if reason in ONCE_REASONS and (invoice.invoice_number, step.name, reason) in history.once_reasons:
                continue
            if reason is None:
                reason = self._timing_reason(facts, policy, customer, history)
            if reason is not None:
                lines.append(self._line(facts, policy, step, invoice, customer, "ignored", reason))
                continue
            for skipped in due[:-1]:
                if (invoice.invoice_number, skipped.name, SUPERSEDED) not in history.once_reasons:
                    lines.append(self._line(facts, policy, skipped, invoice, customer, "ignored", SUPERSEDED))
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
            reason = ON_HOLD if customer_on_hold(facts, customer, customer_id) else None
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
            reason = blocking_reason(facts, invoice, customer)
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
        """An on-demand reminder: the chosen step (or template) for a list or a filtered target, one line per
        targeted invoice, each sendable now, scheduled, handed over or ignored with its reason.

        The schedule and the contact gap do not apply (a person asked for it), but nothing is sent for an
        invoice eligibility leaves alone (paid, credited, disputed, promised, customer on hold) or for a
        step already sent. A customer outside its sending time (hours, weekend, holiday of its policy) is
        scheduled for its next sending window: a draft whose reason names the moment (`scheduled:<UTC>`).
        A step request uses the step's own outbox key, so it never repeats a step the schedule already sent;
        a template-only request is a new message: its key carries the request id, so it goes once per request.
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
                lines.append(_bare_line(facts, invoice, step or "-", NO_POLICY, request_id))
                continue
            steps = policy.resolved_steps(invoice.customer_id)
            if step is not None:
                chosen = next((s for s in steps if s.name == step), None)
                if chosen is None:
                    lines.append(_bare_line(facts, invoice, step, STEP_NOT_IN_POLICY, request_id, policy.name))
                    continue
            else:
                reached = [s for s in steps if invoice.due_date + timedelta(days=s.offset) <= facts.run_date]
                chosen = reached[-1] if reached else steps[0]
            if template is not None:
                chosen = replace(chosen, template=template)
            reason = blocking_reason(facts, invoice, customer)
            if (
                reason is None
                and step is not None
                and chosen.name in history.done_steps.get(invoice.invoice_number, set())
            ):
                reason = ALREADY_SENT
            channel = resolve_channel(chosen.channel, customer)
            if reason is None and channel == MANUAL_CHANNEL:
                reason = HANDOVER
            elif reason is None:
                when = next_sending_time(policy, customer, facts.now)
                reason = scheduled_reason(when) if when > facts.now else None
            state = "draft" if reason is None or reason == HANDOVER or reason.startswith(SCHEDULED) else "ignored"
            line = self._line(facts, policy, chosen, invoice, customer, state, reason, request_id=request_id)
            if step is None and template:
                line = replace(line, step=f"{chosen.name}~{template}"[:64])
            if state == "ignored":
                lines.append(line)
            else:
                eligible.append((policy, line))
        keyed = self._keyed(eligible)
        if step is None and template:
            keyed = [
                replace(line, idempotency_key=f"request:{request_id}:{line.invoice_number}:{line.channel}")
                if line.kind != "manual"
                else line
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
        """Resend on demand: each targeted invoice goes again, on the channel after the one it last went on (or
        the customer's preferred channel if it never went out), now or in the customer's next sending window.
        Invoices eligibility leaves alone are skipped with their reason; a channel already used for a resend
        is not used twice."""
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
            reason = blocking_reason(facts, invoice, customer)
            if reason is None and channel is None:
                reason = NO_FALLBACK
            if reason is None and policy is not None:
                when = next_sending_time(policy, customer, facts.now)
                reason = scheduled_reason(when) if when > facts.now else None
            lines.append(
                Line(
                    run_date=facts.run_date,
                    policy=policy.name if policy else "none",
                    step=RESEND_STEP,
                    customer_id=invoice.customer_id,
                    invoice_number=invoice.invoice_number,
                    channel=channel,
                    state="draft" if reason is None or reason.startswith(SCHEDULED) else "ignored",
                    reason=reason,
                    amount=invoice.open_amount,
                    kind="resend",
                    language=customer_language(customer, "customer"),
                    idempotency_key=f"resend:{invoice.invoice_number}:{channel}" if channel else None,
                    request_id=request_id,
                )
            )
        return lines


def _bare_line(
    facts: DayFacts, invoice: InvoiceFacts, step: str, reason: str, request_id: str, policy: str = "none"
) -> Line:
    """A request's line for an invoice no policy step applies to: ignored, with why."""
    return Line(
        run_date=facts.run_date,
        policy=policy,
        step=step[:64],
        customer_id=invoice.customer_id,
        invoice_number=invoice.invoice_number,
        channel=None,
        state="ignored",
        reason=reason,
        amount=invoice.open_amount,
        request_id=request_id,
    )


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
