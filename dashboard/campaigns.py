"""Mass reminders and resends requested from the dashboard. Plain Python: no Streamlit.

A finance lead builds a target (filters or a list of invoices), previews it, then confirms: the dashboard
writes one row in the operational `requests` table and nothing else. The dunning sensor turns the row into
a run (run_key = request id), which enqueues through the outbox and writes counts back on the row; the page
polls the row and the outbox for progress. The dashboard never sends anything itself.
"""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Engine, func, insert, select

from dashboard import data
from dashboard.data import DASHBOARD_INVOICES, InvoiceFilters, Snapshot
from stores import operational as ops

KINDS = ("reminder", "resend")
MAX_REASON_LENGTH = 2000
# The dunning engine's own reason names (assets/dunning/engine.py), so the preview and the result agree.
CREDITED, PAID, DISPUTED, PROMISED, ON_HOLD = ("credited", "paid", "disputed", "promise_not_due", "customer_on_hold")
SUPPRESSION_REASONS = (CREDITED, PAID, DISPUTED, PROMISED, ON_HOLD)


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
    """What a confirmed campaign would do, computed from the snapshot and the operational store."""

    invoice_count: int
    customer_count: int
    amount: Decimal
    currency_amounts: dict[str, Decimal]
    by_language: pd.DataFrame  # language, invoices, customers, amount
    skipped: dict[str, int]  # suppression reason -> invoices
    samples: dict[str, dict[str, Any]] = field(default_factory=dict)  # language -> one sendable invoice

    @property
    def skipped_count(self) -> int:
        return sum(self.skipped.values())


@dataclass(frozen=True)
class OperationalSuppressions:
    """What the operational store says beyond the snapshot: disputes filed on the portal and not resolved,
    promises to pay not yet due, customers put on hold. Same reading as the dunning engine
    (assets/dunning/data.py load_operational_facts): events in time order, the latest promise wins."""

    disputed: frozenset[str]
    promised: frozenset[str]
    held_customers: frozenset[str]


def operational_suppressions(engine: Engine, as_of: date) -> OperationalSuppressions:
    ev = ops.events
    disputed: set[str] = set()
    promises: dict[str, date] = {}
    with engine.connect() as conn:
        rows = conn.execute(
            select(ev.c.event_type, ev.c.invoice_number, ev.c.evidence)
            .where(ev.c.event_type.in_(("disputed", "dispute_resolved", "promised")), ev.c.invoice_number.is_not(None))
            .order_by(ev.c.occurred_at, ev.c.id)
        ).all()
        held = (
            conn.execute(select(ops.customer_holds.c.customer_id).where(ops.customer_holds.c.active.is_(True)))
            .scalars()
            .all()
        )
    for event_type, invoice, evidence in rows:
        if event_type == "disputed":
            disputed.add(invoice)
        elif event_type == "dispute_resolved":
            disputed.discard(invoice)
        else:
            try:
                promises[invoice] = date.fromisoformat(str((evidence or {}).get("promised_date"))[:10])
            except ValueError:
                continue
    return OperationalSuppressions(
        disputed=frozenset(disputed),
        promised=frozenset(n for n, day in promises.items() if day >= as_of),
        held_customers=frozenset(held),
    )


def preview(snap: Snapshot, engine: Engine, target: Target) -> Preview:
    """Count, amounts, customers and languages of what would be sent, and what suppression would skip.

    The precedence and names of skip reasons are the dunning engine's (Planner._blocking_reason): credited,
    paid, disputed, promise not yet due, customer on hold. Timing reasons (sending hours, weekends, a step
    already sent) depend on the moment the run happens and are reported in its result."""
    snap.require(DASHBOARD_INVOICES)
    day = data.as_of(snap)
    filters = target.as_filters()
    where, params = filters.where(day)
    operational = operational_suppressions(engine, day)
    params |= {
        "portal_disputed": sorted(operational.disputed) or [""],
        "promised": sorted(operational.promised) or [""],
        "held": sorted(operational.held_customers) or [""],
        "credited": CREDITED,
        "paid": PAID,
        "disputed": DISPUTED,
        "promised_reason": PROMISED,
        "on_hold": ON_HOLD,
    }
    classified = f"""
        select d.invoice_number, d.customer_id, d.open_amount, d.currency, d.language, d.customer_name,
            case when d.status = 'credited' then $credited
                 when d.status = 'paid' or d.open_amount <= 0 then $paid
                 when d.disputed_on is not null or list_contains($portal_disputed, d.invoice_number)
                     then $disputed
                 when list_contains($promised, d.invoice_number) then $promised_reason
                 when d.on_hold or list_contains($held, d.customer_id) then $on_hold
            end as skip_reason
        from {DASHBOARD_INVOICES} d
        where {where}
    """
    # One pass: totals per outcome (with distinct customers), per language and per currency, and for each
    # language the sendable invoice with the largest open amount as the sample message.
    groups = snap.frame(
        f"""
        with classified as (
            select coalesce(skip_reason, 'send') as outcome, coalesce(language, '?') as language, currency,
                   customer_id, invoice_number, open_amount
            from ({classified})
        )
        select outcome, language, currency,
               grouping(language) = 0 as per_language, grouping(currency) = 0 as per_currency,
               count(*) as invoices, count(distinct customer_id) as customers, sum(open_amount) as amount,
               max({{'amount': open_amount, 'invoice_number': invoice_number, 'customer_id': customer_id}})
                   as sample
        from classified
        group by grouping sets ((outcome), (outcome, language), (outcome, currency))
    """,
        params,
    )
    totals = groups[~groups["per_language"] & ~groups["per_currency"]].set_index("outcome")
    languages = groups[groups["per_language"] & (groups["outcome"] == "send")].sort_values("language")
    currencies = groups[groups["per_currency"] & (groups["outcome"] == "send")]
    send = totals.loc["send"] if "send" in totals.index else None
    return Preview(
        invoice_count=int(send["invoices"]) if send is not None else 0,
        customer_count=int(send["customers"]) if send is not None else 0,
        amount=send["amount"] if send is not None else Decimal("0.00"),
        currency_amounts={row.currency: row.amount for row in currencies.itertuples()},
        by_language=languages[["language", "invoices", "customers", "amount"]].reset_index(drop=True),
        skipped={
            reason: int(totals.loc[reason, "invoices"]) for reason in SUPPRESSION_REASONS if reason in totals.index
        },
        samples={
            row.language: {"invoice_number": row.sample["invoice_number"], "customer_id": row.sample["customer_id"]}
            for row in languages.itertuples()
        },
    )


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


def render_sample(template: str, language: str, sample: Mapping[str, Any], snap: Snapshot) -> dict[str, str]:
    """Render one sendable invoice's message with the dunning templates, as the customer would read it.

    Raises CampaignError when the template cannot be rendered (missing part, sandbox refusal)."""
    from assets.dunning.templates import DunningTemplates, TemplateRenderError

    customer = data.customer(snap, sample["customer_id"])
    invoice = data.invoice(snap, sample["invoice_number"])
    context = {
        "customer": customer,
        "invoice": invoice,
        "invoices": [invoice],
        "total_open": invoice["open_amount"],
        "currency": invoice["currency"],
        "sender": {"name": _company_name()},
        "today": data.as_of(snap),
    }
    language = language if language in ("fr", "en") else "fr"
    try:
        message = DunningTemplates().render(template, language, "email", context)
    except TemplateRenderError as exc:
        raise CampaignError(str(exc)) from None
    return {"subject": message.subject or "", "body": message.text or "", "html": message.html or ""}


def _company_name() -> str:
    import tomllib

    from stores.home import CONFIG_ROOT

    path = Path(os.environ.get("RELANCE_COMPANY_CONFIG") or CONFIG_ROOT / "company.toml")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))["company"]["name"]
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "Relance"


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
    """Write the request row (pending) and its audit row in one transaction; returns the request id."""
    if kind not in KINDS:
        raise CampaignError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    reason = (reason or "").strip()
    if not reason:
        raise CampaignError("say why this campaign is sent: the reason is kept with the request and the audit log")
    if len(reason) > MAX_REASON_LENGTH:
        raise CampaignError(f"the reason is limited to {MAX_REASON_LENGTH} characters")
    if kind == "reminder" and not (step or template):
        raise CampaignError("a reminder names the dunning step or the template to send")
    request_id = str(uuid.uuid4())
    now = ops.utcnow()
    with engine.begin() as conn:
        conn.execute(
            insert(ops.requests).values(
                request_id=request_id,
                kind=kind,
                target=target.to_json(),
                step=step,
                template=template,
                requested_by=requested_by,
                reason=reason,
                state="pending",
                created_at=now,
                updated_at=now,
            )
        )
        ops.audit(
            conn,
            requested_by,
            f"campaign.{kind}.requested",
            target=target.to_json(),
            item_count=(preview_counts or {}).get("invoice_count"),
            detail={
                "request_id": request_id,
                "step": step,
                "template": template,
                "reason": reason,
                "preview": dict(preview_counts or {}),
            },
        )
    return request_id


@dataclass(frozen=True)
class Progress:
    request_id: str
    state: str  # pending, running, done, failed
    run_id: str | None
    counts: dict[str, Any]
    outbox: dict[str, int]  # outbox state -> rows enqueued for this request
    updated_at: Any

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed")

    @property
    def sent(self) -> int:
        return int(self.counts.get("sent", 0) or 0)

    @property
    def skipped(self) -> dict[str, int]:
        skipped = self.counts.get("skipped") or {}
        return {str(k): int(v) for k, v in skipped.items()} if isinstance(skipped, Mapping) else {}


def progress(engine: Engine, request_id: str) -> Progress:
    with engine.connect() as conn:
        row = conn.execute(select(ops.requests).where(ops.requests.c.request_id == request_id)).mappings().first()
        if row is None:
            raise LookupError(f"no request {request_id!r} in the operational store")
        outbox = dict(
            conn.execute(
                select(ops.outbox.c.state, func.count())
                .where(ops.outbox.c.request_id == request_id)
                .group_by(ops.outbox.c.state)
            ).all()
        )
    return Progress(
        request_id=request_id,
        state=row["state"],
        run_id=row["run_id"],
        counts=dict(row["counts"] or {}),
        outbox={k: int(v) for k, v in outbox.items()},
        updated_at=row["updated_at"],
    )


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
