"""On-demand reminders and resends: one request writer, the run that carries a request out, and its result.

A request is a row in the operational `requests` table, written by `create_request` (the dashboard's
Campaigns page and `relance dunning request` both call it, and it audits `campaign.<kind>.requested`). The
dunning sensor turns it into a run, `execute_request`, which plans one line per targeted invoice with the
engine's own rules (assets/dunning/engine.py plan_request): sent now, scheduled for the customer's next
sending window, handed over to a person (a manual step), or skipped with a reason. Scheduled lines wait as
drafts; the sensor starts the request's run again when the first of them is due, which checks eligibility
afresh (a payment may have come in overnight) and enqueues them.

States: pending -> running -> scheduled (lines wait for their window) | done | failed (stale payments,
or an error). `counts` on the row: `planned` (lines, fixed by the first run), `queued`, `scheduled`,
`next_release_at`, `handed_over`, `skipped` {reason: n}, `errors`, `messages`, `not_found_or_not_open`,
and `preview` (what the dashboard announced). `request_result` reads the live outcome of every line,
following its outbox row and fallbacks: what a finance lead compares with the preview.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

import duckdb
from sqlalchemy import Engine, select, update

from assets.dunning import data as dunning_data
from assets.dunning.batch import (
    FELL_BACK,
    REMINDER_KINDS,
    RESEND_KINDS,
    enqueue_batch,
    lines_for,
    payments_check,
    save_lines,
    sync_line_states,
)
from assets.dunning.eligibility import blocking_reason, next_sending_time
from assets.dunning.engine import (
    ALREADY_PLANNED,
    ALREADY_SENT,
    FILTER_KEYS,
    HANDOVER,
    MANUAL_CHANNEL,
    Planner,
    scheduled_for,
    scheduled_reason,
)
from assets.dunning.policy import TEMPLATE_DIR, Policy, policy_for
from assets.dunning.templates import DunningTemplates
from stores import operational as ops
from stores.home import Home

REQUEST_KINDS = ("reminder", "resend")
MAX_REASON_LENGTH = 2000
AUDIT_ACTION = "campaign.{kind}.requested"
HANDOVER_DONE_ACTION = "dunning.handover.done"
RETRY_BLOCKED_RELEASE = timedelta(hours=1)
OPEN_STATES = ("pending", "scheduled")


class RequestError(ValueError):
    """A request refused, with the reason in one readable line."""


def create_request(
    engine: Engine,
    *,
    kind: str,
    requested_by: str,
    reason: str,
    invoices: list[str] | None = None,
    filters: Mapping[str, Any] | None = None,
    step: str | None = None,
    template: str | None = None,
    preview: Mapping[str, Any] | None = None,
    source: str = "cli",
) -> str:
    """Write a pending request and its audit row in one transaction; returns the request id."""
    if kind not in REQUEST_KINDS:
        raise RequestError(f"unknown request kind {kind!r}; expected one of {', '.join(REQUEST_KINDS)}")
    if bool(invoices) == bool(filters is not None):
        raise RequestError("give either a list of invoices or a target filter, not both and not neither")
    unknown = set(filters or {}) - set(FILTER_KEYS)
    if unknown:
        raise RequestError(f"unknown filter {', '.join(sorted(unknown))}; filters: {', '.join(FILTER_KEYS)}")
    if kind == "reminder" and not (step or template):
        raise RequestError("a reminder request names a step (--step) or a template (--template)")
    if template is not None and ("/" in template or template.startswith(".") or not (TEMPLATE_DIR / template).is_dir()):
        names = sorted(p.name for p in TEMPLATE_DIR.iterdir() if p.is_dir() and not p.name.startswith("_"))
        raise RequestError(f"unknown template {template!r}; templates: {', '.join(names)}")
    reason = (reason or "").strip()
    if not (requested_by or "").strip() or not reason:
        raise RequestError("a request records who asked (--by) and why (--reason)")
    if len(reason) > MAX_REASON_LENGTH:
        raise RequestError(f"the reason is limited to {MAX_REASON_LENGTH} characters")
    request_id = str(uuid.uuid4())
    now = ops.utcnow()
    target = {"invoices": list(invoices)} if invoices else {"filters": dict(filters or {})}
    counts = {"preview": dict(preview)} if preview else None
    with engine.begin() as conn:
        conn.execute(
            ops.requests.insert().values(
                request_id=request_id,
                kind=kind,
                target=target,
                step=step,
                template=template,
                requested_by=requested_by,
                reason=reason,
                state="pending",
                counts=counts,
                created_at=now,
                updated_at=now,
            )
        )
        ops.audit(
            conn,
            requested_by,
            AUDIT_ACTION.format(kind=kind),
            target=target,
            item_count=(preview or {}).get("invoices", len(invoices) if invoices else None),
            detail={
                "request_id": request_id,
                "step": step,
                "template": template,
                "reason": reason,
                "source": source,
                "preview": dict(preview or {}),
            },
        )
    return request_id


def _aware(value: Any) -> datetime | None:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value


def requests_to_run(engine: Engine, now: datetime | None = None, limit: int = 100) -> list[dict[str, Any]]:
    """Requests a run should carry out now: pending ones, and scheduled ones whose next line is due.
    Each comes with the run key that makes the sensor start it once: the request id, then id@release time."""
    now = now or ops.utcnow()
    rq = ops.requests
    with engine.connect() as conn:
        rows = conn.execute(
            select(rq).where(rq.c.state.in_(OPEN_STATES), rq.c.kind.in_(REQUEST_KINDS)).order_by(rq.c.id)
        ).all()
    out = []
    for row in rows:
        request = dict(row._mapping)
        if request["state"] == "pending":
            request["run_key"] = request["request_id"]
        else:
            release = _aware((request["counts"] or {}).get("next_release_at"))
            if release is None or release > now:
                continue
            request["run_key"] = f"{request['request_id']}@{release.isoformat()}"
        out.append(request)
        if len(out) >= limit:
            break
    return out


def pending_requests(engine: Engine, limit: int = 100) -> list[dict[str, Any]]:
    return requests_to_run(engine, limit=limit)


def _set_request(engine: Engine, request_id: str, **values: Any) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(ops.requests)
            .where(ops.requests.c.request_id == request_id)
            .values(updated_at=ops.utcnow(), **values)
        )


def execute_request(
    con: duckdb.DuckDBPyConnection,
    engine: Engine,
    home: Home,
    policies: list[Policy],
    request_id: str,
    now: datetime,
    run_id: str | None = None,
    templates: DunningTemplates | None = None,
    run_date: date | None = None,
) -> dict[str, Any]:
    """Carry out a request as of `now` (business date `run_date`, default the company's day at `now`): the
    first run plans and enqueues; a later run releases the scheduled lines whose moment has come."""
    with engine.connect() as conn:
        row = conn.execute(select(ops.requests).where(ops.requests.c.request_id == request_id)).first()
    if row is None:
        raise RequestError(f"no request {request_id}")
    request = dict(row._mapping)
    counts = dict(request["counts"] or {})
    if request["state"] in ("done", "failed"):
        return counts
    first_run = request["state"] == "pending"
    _set_request(engine, request_id, state="running", run_id=run_id)
    try:
        from assets.business_date import business_date

        run_date = run_date or business_date(now=now)
        fresh, freshness = payments_check(con, policies, now)
        if not fresh:
            counts["blocked"] = freshness["problem"]
            if first_run:
                _set_request(engine, request_id, state="failed", counts=counts)
            else:  # scheduled lines wait for fresh payments data rather than being dropped
                counts["next_release_at"] = (now + RETRY_BLOCKED_RELEASE).isoformat()
                _set_request(engine, request_id, state="scheduled", counts=counts)
            return counts
        counts.pop("blocked", None)
        sync_line_states(engine)
        facts = dunning_data.load_day_facts(con, engine, run_date, now)
        kinds = RESEND_KINDS if request["kind"] == "resend" else REMINDER_KINDS
        if first_run:
            counts.update(_plan(engine, policies, facts, request, run_date))
        else:
            _recheck_scheduled(engine, policies, facts, request_id)
        result = enqueue_batch(engine, home, policies, facts, kinds=kinds, request_id=request_id, templates=templates)
        counts["messages"] = int(counts.get("messages", 0)) + result["counts"].get("messages", 0)
        if result["errors"]:
            counts["template_errors"] = result["errors"][:5]
        counts.update(_line_counts(lines_for(engine, request_id=request_id), counts.get("unstored") or {}))
        state = "scheduled" if counts["scheduled"] else "done"
        _set_request(engine, request_id, state=state, counts=counts)
        return counts
    except Exception as exc:
        counts["error"] = f"{type(exc).__name__}: {exc}"[:500]
        _set_request(engine, request_id, state="failed", counts=counts)
        raise


def _plan(engine: Engine, policies: list[Policy], facts, request: Mapping[str, Any], run_date: date) -> dict:
    request_id = request["request_id"]
    history = dunning_data.load_history(engine)
    target = request["target"] or {}
    invoices = set(target["invoices"]) if target.get("invoices") else None
    planner = Planner(policies)
    if request["kind"] == "resend":
        lines = planner.plan_resend_request(
            facts, history, invoices=invoices, filters=target.get("filters"), request_id=request_id
        )
        kinds = RESEND_KINDS
    else:
        lines = planner.plan_request(
            facts,
            history,
            invoices=invoices,
            filters=target.get("filters"),
            step=request["step"],
            template=request["template"],
            request_id=request_id,
        )
        kinds = REMINDER_KINDS
    save_lines(engine, run_date, lines, kinds=kinds, request_id=request_id)
    # A line the request could not store: the same step of the invoice already has a line today that did
    # something (the batch's, or an earlier request's): sent already, or planned and not yet sent.
    stored = {(r["step"], r["invoice_number"], r["customer_id"]) for r in lines_for(engine, request_id=request_id)}
    unstored: Counter = Counter()
    dl = ops.dunning_lines
    with engine.connect() as conn:
        for line in lines:
            if (line.step, line.invoice_number, line.customer_id) in stored:
                continue
            holder = conn.execute(
                select(dl.c.state).where(
                    dl.c.run_date == run_date,
                    dl.c.policy == line.policy,
                    dl.c.step == line.step,
                    dl.c.invoice_number == line.invoice_number,
                    dl.c.customer_id == line.customer_id,
                )
            ).scalar()
            unstored[ALREADY_PLANNED if holder == "draft" else ALREADY_SENT] += 1
    out: dict[str, Any] = {"planned": len(lines), "unstored": dict(unstored)}
    if invoices is not None:
        unknown = sorted(invoices - {line.invoice_number for line in lines})
        if unknown:
            out["not_found_or_not_open"] = unknown[:100]
    return out


def _recheck_scheduled(engine: Engine, policies: list[Policy], facts, request_id: str) -> None:
    """Scheduled lines whose moment has come, checked again: eligibility on today's facts (paid since?
    disputed since?), and the sending window (moved to the next one if it has closed again)."""
    dl = ops.dunning_lines
    by_number = {i.invoice_number: i for i in facts.invoices}
    with engine.begin() as conn:
        rows = conn.execute(select(dl).where(dl.c.request_id == request_id, dl.c.state == "draft")).all()
        for row in rows:
            when = scheduled_for(row.reason)
            if when is None or when > facts.now:
                continue
            invoice = by_number.get(row.invoice_number)
            customer = facts.customers.get(row.customer_id) or {}
            reason = "paid" if invoice is None else blocking_reason(facts, invoice, customer)
            if reason is not None:
                conn.execute(update(dl).where(dl.c.id == row.id).values(state="ignored", reason=reason))
                continue
            policy = policy_for(policies, customer, invoice.amount)
            later = next_sending_time(policy, customer, facts.now) if policy else facts.now
            if later > facts.now:
                conn.execute(update(dl).where(dl.c.id == row.id).values(reason=scheduled_reason(later)))


def _line_counts(lines: list[Mapping[str, Any]], unstored: Mapping[str, int]) -> dict[str, Any]:
    """What the request's lines say now (the run's own view; request_result follows deliveries too)."""
    skipped: Counter = Counter(unstored)
    queued = scheduled = handed_over = errors = 0
    releases: list[datetime] = []
    for line in lines:
        when = scheduled_for(line["reason"])
        if line["state"] == "ignored":
            skipped[line["reason"]] += 1
        elif line["channel"] == MANUAL_CHANNEL:
            handed_over += 1
        elif line["state"] == "draft" and when is not None:
            scheduled += 1
            releases.append(when)
        elif line["state"] == "error":
            errors += 1
        else:
            queued += 1
    return {
        "queued": queued,
        "scheduled": scheduled,
        "next_release_at": min(releases).isoformat() if releases else None,
        "scheduled_for": dict(Counter(w.isoformat() for w in releases)),
        "handed_over": handed_over,
        "skipped": dict(+skipped),
        "errors": errors,
    }


# ----------------------------------------------------------------------------------------------- result
OUTCOMES = ("sent", "sent_after_fallback", "sending", "scheduled", "handed_over", "failed", "skipped")
FINAL_OUTCOMES = ("sent", "sent_after_fallback", "handed_over", "failed", "skipped")


@dataclass
class RequestResult:
    """A request's live outcome, line by line; `counts` adds up to `planned` once the run has planned."""

    request_id: str
    state: str
    planned: int | None
    counts: dict[str, int] = field(default_factory=dict)  # outcome -> lines
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> lines
    scheduled_for: list[datetime] = field(default_factory=list)
    lines: list[dict[str, Any]] = field(default_factory=list)  # invoice, customer, step, channel, outcome, detail

    @property
    def done(self) -> int:
        return sum(self.counts.get(o, 0) for o in FINAL_OUTCOMES)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def request_result(engine: Engine, request_id: str) -> RequestResult:
    """Every line of the request with what became of it: sent (directly, or after a fallback to the next
    channel), still sending, scheduled (and when), handed over to a person, failed, or skipped and why.
    Read-only: the dashboard polls it."""
    rq, dl, ob = ops.requests, ops.dunning_lines, ops.outbox
    with engine.connect() as conn:
        row = conn.execute(select(rq).where(rq.c.request_id == request_id)).mappings().first()
        if row is None:
            raise LookupError(f"no request {request_id!r} in the operational store")
        lines = [
            dict(r._mapping) for r in conn.execute(select(dl).where(dl.c.request_id == request_id).order_by(dl.c.id))
        ]
        keys = sorted({line["idempotency_key"] for line in lines if line["idempotency_key"]})
        states: dict[str, str] = {}
        fallbacks: dict[str, list[tuple[str, str]]] = {}
        if keys:
            for key, state, channel in conn.execute(
                select(ob.c.idempotency_key, ob.c.state, ob.c.channel).where(ob.c.request_id == request_id)
            ):
                root, _, fallback = key.partition("|fallback:")
                if fallback:
                    fallbacks.setdefault(root, []).append((state, channel))
                else:
                    states[key] = state
    counts = dict(row["counts"] or {})
    result = RequestResult(request_id, row["state"], counts.get("planned"))
    outcome_counts: Counter = Counter()
    skipped: Counter = Counter(counts.get("unstored") or {})
    outcome_counts["skipped"] += sum(skipped.values())
    for line in lines:
        outcome, detail = _outcome(line, states, fallbacks)
        if outcome == "skipped":
            skipped[detail] += 1
        if outcome == "scheduled":
            result.scheduled_for.append(scheduled_for(line["reason"]))
        outcome_counts[outcome] += 1
        result.lines.append(
            {
                "invoice_number": line["invoice_number"],
                "customer_id": line["customer_id"],
                "step": line["step"],
                "channel": line["channel"],
                "outcome": outcome,
                "detail": detail,
            }
        )
    result.counts = {o: outcome_counts.get(o, 0) for o in OUTCOMES}
    result.skipped = dict(skipped)
    result.scheduled_for.sort()
    return result


def _outcome(line: Mapping[str, Any], states: Mapping[str, str], fallbacks) -> tuple[str, str | None]:
    state, reason, key = line["state"], line["reason"], line["idempotency_key"]
    if state == "ignored":
        return "skipped", reason
    if state == "draft":
        if line["channel"] == MANUAL_CHANNEL:
            return "handed_over", HANDOVER
        when = scheduled_for(reason)
        return ("scheduled", when.isoformat()) if when else ("sending", "planned")
    if state == "error":
        return "failed", reason
    if state == "sent":
        if reason and reason.startswith(FELL_BACK):
            return "sent_after_fallback", reason.split(":", 1)[1].strip()
        return ("handed_over", reason) if line["channel"] == MANUAL_CHANNEL else ("sent", line["channel"])
    # queued: follow the outbox row, then its fallbacks
    direct = states.get(key)
    if direct == "sent":
        return "sent", line["channel"]
    if direct in ("failed", "dead"):
        tried = fallbacks.get(key, [])
        done = next((channel for s, channel in tried if s == "sent"), None)
        if done:
            return "sent_after_fallback", done
        if any(s in ("queued", "sending") for s, _ in tried):
            return "sending", "fallback"
        return "failed", direct
    return "sending", direct or "queued"


# --------------------------------------------------------------------------------------------- hand-overs
def open_handovers(engine: Engine, limit: int = 500) -> list[dict[str, Any]]:
    """Steps handed over to a person (manual steps of a policy, from the daily batch or a request) that
    nobody has marked done yet, oldest first."""
    dl = ops.dunning_lines
    with engine.connect() as conn:
        rows = conn.execute(
            select(dl)
            .where(dl.c.state == "draft", dl.c.channel == MANUAL_CHANNEL)
            .order_by(dl.c.run_date, dl.c.id)
            .limit(limit)
        ).all()
    return [dict(r._mapping) for r in rows]


def mark_handover_done(engine: Engine, line_ids: list[int], *, by: str, note: str) -> int:
    """A person dealt with these hand-overs (called the customer, sent the file to collections): the lines
    become `sent` with who and what, count as the customer's contact, and the action is audited."""
    note = (note or "").strip()
    if not note:
        raise RequestError("say what was done (kept on the line and in the audit log)")
    dl = ops.dunning_lines
    with engine.begin() as conn:
        result = conn.execute(
            update(dl)
            .where(dl.c.id.in_(list(line_ids)), dl.c.state == "draft", dl.c.channel == MANUAL_CHANNEL)
            .values(state="sent", reason=f"handled by {by}: {note}"[:200])
        )
        ops.audit(
            conn,
            by,
            HANDOVER_DONE_ACTION,
            target={"line_ids": list(line_ids)},
            item_count=result.rowcount,
            detail={"note": note},
        )
    return result.rowcount
