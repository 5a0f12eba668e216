"""Mass reminders and resends requested from the dashboard. Plain Python: no Streamlit.

A finance lead builds a target (filters or a list of invoices), previews it, then confirms: the dashboard
writes one row in the operational `requests` table (through the dunning domain's one request writer) and
nothing else. The dunning sensor turns the row into a run, which enqueues through the outbox; the page
follows every line of the request to its outcome. The dashboard never sends anything itself.

The preview is the run, dry: the dunning engine plans the request on the serving snapshot (the same staging
tables and SQL the run reads in the warehouse) and the live operational store, as of the same moment, with
the same eligibility module, sending hours, manual steps, channels and documents, and shows per invoice what
will happen and when. It issues no portal link and writes nothing.
"""

from __future__ import annotations

import functools
import os
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Engine, select

from assets.dunning.eligibility import REASON_TEXT, customer_zone
from assets.dunning.engine import (
    ALREADY_PLANNED,
    ALREADY_SENT,
    HANDOVER,
    MANUAL_CHANNEL,
    NO_FALLBACK,
    NO_POLICY,
    STEP_NOT_IN_POLICY,
    SUPERSEDED,
    scheduled_for,
)
from assets.dunning.requests import (
    FINAL_OUTCOMES,
    RequestError,
    create_request,
    mark_handover_done,
    open_handovers,
    request_result,
)
from dashboard.data import InvoiceFilters, Snapshot
from stores import operational as ops

KINDS = ("reminder", "resend")
PREVIEW_REQUEST = "preview"

# What a finance lead reads for each outcome and reason (the engine's own names, in words).
OUTCOME_TEXT = {
    "send": "sent now",
    "scheduled": "scheduled for the customer's next sending window",
    "handed_over": "handed over to a person (manual step)",
    "skipped": "skipped",
    "sent": "sent",
    "sent_after_fallback": "failed, then sent on the next channel",
    "sending": "being sent",
    "failed": "failed",
}
REASONS = {
    **REASON_TEXT,
    ALREADY_SENT: "this step was already sent",
    ALREADY_PLANNED: "this step is already planned today",
    SUPERSEDED: "a later step is due",
    NO_FALLBACK: "no further channel to resend on",
    NO_POLICY: "no dunning policy applies to the customer",
    STEP_NOT_IN_POLICY: "the customer's policy has no such step",
    HANDOVER: "manual step: a person takes over",
}


class CampaignError(ValueError):
    """A request the dashboard refuses to write, with the reason."""


@dataclass(frozen=True)
class Target:
    """Who a campaign is for: a filter over the snapshot or an explicit list of invoices."""

    filters: InvoiceFilters | None = None
    invoices: tuple[str, ...] = ()

    def __post_init__(self):
        if (self.filters is None) == (not self.invoices):
            raise CampaignError("a target is either filters or a list of invoices, exactly one of them")

    def as_filters(self) -> InvoiceFilters:
        return self.filters if self.filters is not None else InvoiceFilters(invoice_numbers=self.invoices)

    def to_json(self) -> dict[str, Any]:
        """The `target` of the request row, in the dunning engine's vocabulary (assets/dunning/engine.py:
        customers, segments, tags, channels, min_days_late, min_open_amount)."""
        if self.filters is None:
            return {"invoices": list(self.invoices)}
        f = self.filters
        unsupported = [
            name for name in ("languages", "invoice_numbers", "max_days_overdue") if getattr(f, name) not in ((), None)
        ]
        if unsupported:
            raise CampaignError(
                f"the dunning run cannot filter on {', '.join(unsupported)}: select the invoices in the table instead"
            )
        target: dict[str, Any] = {}
        if f.customer_ids:
            target["customers"] = list(f.customer_ids)
        if f.segments:
            target["segments"] = list(f.segments)
        if f.channels:
            target["channels"] = list(f.channels)
        if f.min_days_overdue is not None:
            target["min_days_late"] = int(f.min_days_overdue)
        if f.min_open_amount is not None:
            target["min_open_amount"] = str(f.min_open_amount)
        return {"filters": target}


@dataclass
class Preview:
    """What a confirmed campaign will do, line by line, as the dunning run will plan it."""

    lines: pd.DataFrame  # one row per targeted invoice: what will happen and when
    counts: dict[str, int]  # outcome (send, scheduled, handed_over, skipped) -> invoices
    skipped: dict[str, int]  # reason -> invoices
    customer_count: int
    amount: Decimal
    currency_amounts: dict[str, Decimal]
    by_language: pd.DataFrame  # language, invoices, customers, amount (of what will be sent or scheduled)
    samples: dict[str, dict[str, Any]] = field(default_factory=dict)  # language -> one line to render
    blocked: str | None = None  # the run will be refused: payments data too old
    not_found: list[str] = field(default_factory=list)  # targeted numbers that are not open invoices

    @property
    def invoice_count(self) -> int:
        """Invoices that will be sent, now or at their scheduled time."""
        return self.counts.get("send", 0) + self.counts.get("scheduled", 0)

    @property
    def skipped_count(self) -> int:
        return self.counts.get("skipped", 0)

    @property
    def planned(self) -> int:
        return sum(self.counts.values())

    def as_counts(self) -> dict[str, Any]:
        """What the request row and its audit keep of the preview, to compare the result with."""
        return {
            "planned": self.planned,
            **{k: int(v) for k, v in self.counts.items()},
            "invoices": self.invoice_count,
            "customers": self.customer_count,
            "amount": str(self.amount),
            "skipped_reasons": dict(self.skipped),
        }


def load_policies():
    from assets.dunning.policy import load_policies as load

    return load(policy_dir())


def when_text(moment: datetime | None, customer: Mapping[str, Any] | None) -> str:
    """ "now", or the scheduled moment in the customer's own time: "Thu 19 Nov 08:00 (America/New_York)"."""
    if moment is None:
        return "now"
    zone = customer_zone(customer or {})
    return f"{moment.astimezone(zone):%a %d %b %H:%M} ({zone.key})"


def preview(
    snap: Snapshot,
    engine: Engine,
    target: Target,
    *,
    kind: str = "reminder",
    step: str | None = None,
    template: str | None = None,
    now: datetime | None = None,
    policies=None,
) -> Preview:
    """Plan the request the campaign would write, without writing it, as of `now` (default: this moment)."""
    from assets.business_date import business_date
    from assets.dunning.batch import payments_check
    from assets.dunning.data import load_day_facts, load_history
    from assets.dunning.engine import Planner
    from stores.snapshot import open_snapshot

    now = now or ops.utcnow()
    run_date = business_date(now=now)
    policies = policies if policies is not None else load_policies()
    con = open_snapshot(snap.path)
    try:
        facts = load_day_facts(con, engine, run_date, now)
        fresh, freshness = payments_check(con, policies, now)
    finally:
        con.close()
    history = load_history(engine)
    wanted = target.to_json()
    invoices = set(wanted["invoices"]) if "invoices" in wanted else None
    planner = Planner(policies)
    if kind == "resend":
        lines = planner.plan_resend_request(
            facts, history, invoices=invoices, filters=wanted.get("filters"), request_id=PREVIEW_REQUEST
        )
    else:
        lines = planner.plan_request(
            facts,
            history,
            invoices=invoices,
            filters=wanted.get("filters"),
            step=step,
            template=template,
            request_id=PREVIEW_REQUEST,
        )
    holders = _slot_holders(engine, run_date, lines)
    documents = _invoice_pdfs(engine, [line.invoice_number for line in lines if line.attach_invoice])
    rows = []
    for line in lines:
        customer = facts.customers.get(line.customer_id) or {}
        invoice = next((i for i in facts.invoices if i.invoice_number == line.invoice_number), None)
        outcome, reason, moment = _predict(line, holders)
        rows.append(
            {
                "invoice_number": line.invoice_number,
                "customer_id": line.customer_id,
                "customer": customer.get("name"),
                "language": line.language or (customer.get("language") or "fr")[:2],
                "outcome": outcome,
                "when": when_text(moment, customer) if outcome in ("send", "scheduled") else "",
                "channel": line.channel or "",
                "step": line.step,
                "reason": REASONS.get(reason, reason) if reason else "",
                "reason_code": reason or "",
                "documents": _documents_text(line, documents),
                "open_amount": line.amount if line.amount is not None else Decimal("0"),
                "currency": invoice.currency if invoice else "EUR",
                "scheduled_at": moment,
                "_line": line,
            }
        )
    table = pd.DataFrame(
        rows,
        columns=[
            "invoice_number",
            "customer_id",
            "customer",
            "language",
            "outcome",
            "when",
            "channel",
            "step",
            "reason",
            "reason_code",
            "documents",
            "open_amount",
            "currency",
            "scheduled_at",
            "_line",
        ],
    )
    going = table[table["outcome"].isin(["send", "scheduled"])]
    by_language = (
        going.groupby("language")
        .agg(invoices=("invoice_number", "count"), customers=("customer_id", "nunique"), amount=("open_amount", "sum"))
        .reset_index()
        if len(going)
        else pd.DataFrame(columns=["language", "invoices", "customers", "amount"])
    )
    samples = {}
    for language, group in going.groupby("language"):
        best = group.sort_values("open_amount", ascending=False).iloc[0]
        samples[language] = {"invoice_number": best["invoice_number"], "customer_id": best["customer_id"]}
    not_found = sorted(invoices - {line.invoice_number for line in lines}) if invoices is not None else []
    return Preview(
        lines=table.drop(columns=["_line"]),
        counts=dict(Counter(table["outcome"])),
        skipped=dict(Counter(table.loc[table["outcome"] == "skipped", "reason_code"])),
        customer_count=int(going["customer_id"].nunique()),
        amount=sum(going["open_amount"], Decimal("0.00")),
        currency_amounts={c: sum(g["open_amount"], Decimal("0.00")) for c, g in going.groupby("currency")},
        by_language=by_language,
        samples=samples,
        blocked=None if fresh else freshness["problem"],
        not_found=not_found,
    )


def _predict(line, holders: Mapping[tuple, str]) -> tuple[str, str | None, datetime | None]:
    """(outcome, reason, moment) the run will give this line."""
    if line.state == "ignored":
        return "skipped", line.reason, None
    if line.channel == MANUAL_CHANNEL:
        return "handed_over", HANDOVER, None
    holder = holders.get((line.policy, line.step, line.invoice_number, line.customer_id))
    if holder is not None:
        return "skipped", ALREADY_PLANNED if holder == "draft" else ALREADY_SENT, None
    moment = scheduled_for(line.reason)
    return ("scheduled", None, moment) if moment else ("send", None, None)


def _slot_holders(engine: Engine, run_date, lines) -> dict[tuple, str]:
    """Lines of today that already hold a step the request would take (the run keeps them, not its own)."""
    dl = ops.dunning_lines
    numbers = sorted({line.invoice_number for line in lines if line.state != "ignored" and line.invoice_number})
    if not numbers:
        return {}
    with engine.connect() as conn:
        rows = conn.execute(
            select(dl.c.policy, dl.c.step, dl.c.invoice_number, dl.c.customer_id, dl.c.state).where(
                dl.c.run_date == run_date, dl.c.state != "ignored", dl.c.invoice_number.in_(numbers)
            )
        ).all()
    return {(r.policy, r.step, r.invoice_number, r.customer_id): r.state for r in rows}


def _invoice_pdfs(engine: Engine, numbers: list) -> set[str]:
    numbers = sorted({n for n in numbers if n})
    if not numbers:
        return set()
    di = ops.document_index
    with engine.connect() as conn:
        return set(
            conn.execute(
                select(di.c.invoice_number).where(di.c.invoice_number.in_(numbers), di.c.format == "pdf")
            ).scalars()
        )


def _documents_text(line, pdfs: set[str]) -> str:
    parts = []
    if line.attach_invoice:
        parts.append("invoice PDF" if line.invoice_number in pdfs else "no invoice PDF yet: sent without it")
    if line.attach_statement:
        parts.append("statement PDF")
    if line.channel == "paper":
        parts.append("printed letter")
    return ", ".join(parts)


def template_names() -> list[str]:
    """Reminder templates a request may name (folders of the dunning templates)."""
    try:
        from assets.dunning.policy import TEMPLATE_DIR
    except ImportError:
        return []
    return sorted(p.name for p in Path(TEMPLATE_DIR).iterdir() if p.is_dir()) if Path(TEMPLATE_DIR).exists() else []


def policy_dir() -> Path:
    from assets.dunning.policy import POLICY_DIR

    return Path(os.environ.get("RELANCE_POLICIES") or POLICY_DIR)


def step_templates() -> dict[str, str]:
    """Dunning steps of the policy files (RELANCE_POLICIES, else config/policies), each with the template it
    sends (the first policy naming a step wins). Parsed again only when a policy file changes."""
    folder = policy_dir()
    files = tuple(sorted((str(p), p.stat().st_mtime_ns) for p in folder.glob("*.toml"))) if folder.exists() else ()
    return dict(_step_templates(str(folder), files))


@functools.lru_cache(maxsize=8)
def _step_templates(folder: str, files: tuple) -> tuple[tuple[str, str], ...]:
    from assets.dunning.policy import PolicyError, load_policies

    try:
        policies = load_policies(Path(folder))
    except (PolicyError, OSError):
        return ()
    steps: dict[str, str] = {}
    for policy in policies:
        for step in policy.steps:
            steps.setdefault(step.name, step.template)
    return tuple(steps.items())


def render_sample(
    preview_: Preview, language: str, snap: Snapshot, engine: Engine, *, now: datetime | None = None, policies=None
) -> dict[str, str]:
    """The sample line of a language rendered exactly as the run will render it (same templates, context,
    company identity and wording after earlier reminders), with a placeholder for the portal link.

    Raises CampaignError when the template cannot be rendered (missing part, sandbox refusal)."""
    from assets.business_date import business_date
    from assets.dunning.batch import BatchEnqueuer, line_specs
    from assets.dunning.data import load_day_facts, load_history
    from assets.dunning.messages import PREVIEW_LINK
    from assets.dunning.templates import TemplateRenderError
    from stores.home import relance_home
    from stores.snapshot import open_snapshot

    sample = preview_.samples.get(language)
    if sample is None:
        raise CampaignError(f"nothing to send in {language}")
    row = preview_.lines[preview_.lines["invoice_number"] == sample["invoice_number"]].iloc[0]
    now = now or ops.utcnow()
    policies = policies if policies is not None else load_policies()
    con = open_snapshot(snap.path)
    try:
        facts = load_day_facts(con, engine, business_date(now=now), now)
    finally:
        con.close()
    member = {
        "id": 0,
        "policy": next((p.name for p in policies if _policy_has(p, row["step"])), ""),
        "step": row["step"],
        "customer_id": row["customer_id"],
        "invoice_number": row["invoice_number"],
        "channel": row["channel"] or "email",
        "variant": None,
    }
    enqueuer = BatchEnqueuer(engine, relance_home(), policies=policies, link_for=lambda _customer: PREVIEW_LINK)
    enqueuer.history = load_history(engine)
    enqueuer.line_specs = line_specs(policies, [member], facts.customers)
    customer = facts.customers.get(row["customer_id"])
    by_number = {i.invoice_number: i for i in facts.invoices}
    try:
        _, _, _, message = enqueuer.render(facts, customer, [member], "reminder", by_number)
    except TemplateRenderError as exc:
        raise CampaignError(str(exc)) from None
    text = message.text or ""
    return {"subject": message.subject or "", "body": text, "html": message.html or message.letter_html or ""}


def _policy_has(policy, step: str) -> bool:
    return any(s.name == step.split("~")[0] for s in policy.steps)


def submit(
    engine: Engine,
    *,
    kind: str,
    target: Target,
    requested_by: str,
    reason: str,
    step: str | None = None,
    template: str | None = None,
    preview_counts: Mapping[str, Any] | None = None,
) -> str:
    """Write the request row (pending) and its audit row, through the dunning domain's request writer."""
    if kind not in KINDS:
        raise CampaignError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    if not (reason or "").strip():
        raise CampaignError("say why this campaign is sent: the reason is kept with the request and the audit log")
    wanted = target.to_json()
    try:
        return create_request(
            engine,
            kind=kind,
            requested_by=requested_by,
            reason=reason,
            invoices=wanted.get("invoices"),
            filters=wanted.get("filters"),
            step=step,
            template=template,
            preview=preview_counts,
            source="dashboard",
        )
    except RequestError as exc:
        raise CampaignError(str(exc)) from None


@dataclass(frozen=True)
class Progress:
    """Where a request stands, for the page: its state, what it waits for, and the live result."""

    request_id: str
    state: str  # pending, running, scheduled, done, failed
    run_id: str | None
    counts: dict[str, Any]  # the run's counts (and the preview's, under "preview")
    outcomes: dict[str, int]  # sent, sent_after_fallback, sending, scheduled, handed_over, failed, skipped
    skipped: dict[str, int]
    lines: pd.DataFrame
    scheduled_for: list[datetime]
    created_at: Any
    updated_at: Any

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed") and not self.outcomes.get("sending")

    @property
    def total(self) -> int:
        """The progress bar's denominator, fixed at the start: the lines the run planned, or until it has
        run, what the preview announced."""
        planned = self.counts.get("planned")
        if planned is None:
            planned = (self.counts.get("preview") or {}).get("planned", 0)
        return int(planned or 0)

    @property
    def done(self) -> int:
        return sum(self.outcomes.get(o, 0) for o in FINAL_OUTCOMES)

    @property
    def sent(self) -> int:
        return self.outcomes.get("sent", 0) + self.outcomes.get("sent_after_fallback", 0)

    def waiting_for(self, now: datetime | None = None) -> str:
        """What the request waits for, in words."""
        if self.state == "pending":
            age = ((now or ops.utcnow()) - _aware(self.created_at)).total_seconds()
            text = (
                "Waiting for the dunning run: the Dagster sensor dunning_request_sensor starts it within about "
                "15 seconds (it runs by default; the Dagster daemon must be running, as `relance demo` and "
                "`dagster dev` do)."
            )
            if age > 120:
                text += (
                    f" Nothing has picked this request up for {int(age // 60)} minutes: check that the Dagster "
                    "daemon runs and the sensor is on (Dagster UI → Automation)."
                )
            return text
        if self.state == "running":
            return "The dunning run is planning and enqueueing the messages."
        if self.outcomes.get("sending"):
            return "Messages are in the outbox; the dispatch job sends them (outbox_due_sensor, every 30 s)."
        if self.scheduled_for:
            first = self.scheduled_for[0]
            count = len(self.scheduled_for)
            return f"{count} messages wait for their customers' sending hours (first: {first:%a %d %b %H:%M} UTC)."
        if self.state == "failed":
            return "The run was refused: " + str(self.counts.get("blocked") or self.counts.get("error") or "")
        return "Done."


def _aware(value: Any) -> datetime:
    from datetime import timezone

    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value


def progress(engine: Engine, request_id: str) -> Progress:
    with engine.connect() as conn:
        row = conn.execute(select(ops.requests).where(ops.requests.c.request_id == request_id)).mappings().first()
    if row is None:
        raise LookupError(f"no request {request_id!r} in the operational store")
    result = request_result(engine, request_id)
    lines = pd.DataFrame(
        result.lines, columns=["invoice_number", "customer_id", "step", "channel", "outcome", "detail"]
    )
    if len(lines):
        lines["reason"] = [
            REASONS.get(d, d) if o in ("skipped", "handed_over", "failed") else ""
            for o, d in zip(lines["outcome"], lines["detail"])
        ]
    return Progress(
        request_id=request_id,
        state=row["state"],
        run_id=row["run_id"],
        counts=dict(row["counts"] or {}),
        outcomes=result.counts,
        skipped=result.skipped,
        lines=lines,
        scheduled_for=result.scheduled_for,
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def handovers(engine: Engine) -> pd.DataFrame:
    """Steps handed over to a person and not yet marked done: what a credit team acts on."""
    rows = open_handovers(engine)
    return pd.DataFrame(
        [
            {
                "line_id": r["id"],
                "since": r["run_date"],
                "invoice_number": r["invoice_number"],
                "customer_id": r["customer_id"],
                "step": r["step"],
                "policy": r["policy"],
                "open_amount": r["amount"],
                "request_id": r["request_id"] or "",
            }
            for r in rows
        ],
        columns=["line_id", "since", "invoice_number", "customer_id", "step", "policy", "open_amount", "request_id"],
    )


def handovers_done(engine: Engine, line_ids: list[int], *, by: str, note: str) -> int:
    try:
        return mark_handover_done(engine, line_ids, by=by, note=note)
    except RequestError as exc:
        raise CampaignError(str(exc)) from None


def recent_requests(engine: Engine, limit: int = 20) -> pd.DataFrame:
    with engine.connect() as conn:
        rows = (
            conn.execute(
                select(
                    ops.requests.c.request_id,
                    ops.requests.c.kind,
                    ops.requests.c.step,
                    ops.requests.c.template,
                    ops.requests.c.requested_by,
                    ops.requests.c.reason,
                    ops.requests.c.state,
                    ops.requests.c.counts,
                    ops.requests.c.created_at,
                )
                .order_by(ops.requests.c.id.desc())
                .limit(limit)
            )
            .mappings()
            .all()
        )
    return pd.DataFrame(
        [dict(r) for r in rows],
        columns=["request_id", "kind", "step", "template", "requested_by", "reason", "state", "counts", "created_at"],
    )
