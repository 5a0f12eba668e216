"""Running dunning for a date: plan lines, store them in dunning_lines, hand drafts to the outbox.

The steps are split so Dagster can put blocking checks between them: `build_*_batch` stores draft and
ignored lines; the checks (`payments_check`, `settled_check`) look at the batch; `enqueue_batch` renders
each draft with the sandboxed templates and enqueues it through `channels.outbox.enqueue` (one idempotency
key per (invoice or customer, step, channel)). The channels' dispatch job sends; `sync_line_states` reads
the outbox back so lines become sent or error.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import duckdb
from sqlalchemy import Engine, and_, delete, select, update

from assets.dunning import data as dunning_data
from assets.dunning import messages
from assets.dunning.eligibility import blocking_reason, freshness_limit_hours, freshness_problem
from assets.dunning.engine import (
    ALREADY_SENT,
    MANUAL_CHANNEL,
    RESEND_STEP,
    STATEMENT_STEP,
    DayFacts,
    History,
    InvoiceFacts,
    Line,
    Planner,
    scheduled_for,
)
from assets.dunning.policy import Policy
from assets.dunning.templates import DunningTemplates, TemplateRenderError
from stores import operational as ops
from stores.documents import DocumentStore
from stores.home import Home

SOURCE = "dunning"
RESEND_KINDS = ("resend",)
REMINDER_KINDS = ("reminder", "statement", "manual")
ENQUEUE_CHUNK = 200


# ------------------------------------------------------------------------------------------- storing
def _line_kind(step: str, channel: str | None) -> str:
    if step == RESEND_STEP:
        return "resend"
    if step == STATEMENT_STEP:
        return "statement"
    return "manual" if channel == MANUAL_CHANNEL else "reminder"


def _insert(conn, values: list[dict[str, Any]]) -> None:
    if not values:
        return
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    # One line per (day, policy, step, invoice, customer). A line that did something (a draft, a queued or
    # sent message, an error) keeps its slot: the newcomer is dropped, and a request counts it as already
    # sent or planned. A suppression never holds the slot: a later line of the same step replaces it, so a
    # retry of something skipped (outside sending hours, say) is not refused as "already sent".
    dl = ops.dunning_lines
    statement = dialect_insert(dl)
    keep = ("run_date", "policy", "step", "invoice_number", "customer_id")
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=list(keep),
            set_={c.name: statement.excluded[c.name] for c in dl.columns if c.name not in ("id", *keep)},
            where=dl.c.state == "ignored",
        ),
        values,
    )


def save_lines(
    engine: Engine, run_date: date, lines: list[Line], *, kinds: tuple[str, ...], request_id: str | None = None
) -> None:
    """Store a batch's lines. A rerun for the same date replaces its earlier drafts (and template errors,
    the template may have been fixed); the suppressions it recorded stay as the day's record, each replaced
    when a later run plans the same step again."""
    dl = ops.dunning_lines
    is_resend = kinds == RESEND_KINDS
    now = ops.utcnow()
    with engine.begin() as conn:
        conn.execute(
            delete(dl).where(
                dl.c.run_date == run_date,
                dl.c.request_id.is_(None) if request_id is None else dl.c.request_id == request_id,
                (dl.c.state == "draft") | ((dl.c.state == "error") & dl.c.reason.like("template_error%")),
                dl.c.step == RESEND_STEP if is_resend else dl.c.step != RESEND_STEP,
                (dl.c.channel.is_(None)) | (dl.c.channel != MANUAL_CHANNEL),
            )
        )
        _insert(
            conn,
            [
                {
                    "run_date": line.run_date,
                    "policy": line.policy,
                    "step": line.step,
                    "invoice_number": line.invoice_number,
                    "customer_id": line.customer_id,
                    "channel": line.channel,
                    "variant": line.variant,
                    "amount": line.amount,
                    "state": line.state,
                    "reason": line.reason,
                    "idempotency_key": line.idempotency_key,
                    "request_id": line.request_id,
                    "created_at": now,
                }
                for line in lines
            ],
        )


NOT_ENQUEUED = "batch_not_enqueued"


def retire_stale_drafts(engine: Engine, run_date: date, *, kinds: tuple[str, ...]) -> int:
    """Drafts of an earlier date never reached the outbox (a blocking check stopped that batch, or its
    enqueue step never ran). They are closed with a reason; this run plans those steps again (catch-up)."""
    dl = ops.dunning_lines
    is_resend = kinds == RESEND_KINDS
    with engine.begin() as conn:
        result = conn.execute(
            update(dl)
            .where(
                dl.c.run_date < run_date,
                dl.c.state == "draft",
                dl.c.request_id.is_(None),
                (dl.c.channel.is_(None)) | (dl.c.channel != MANUAL_CHANNEL),
                dl.c.step == RESEND_STEP if is_resend else dl.c.step != RESEND_STEP,
            )
            .values(state="ignored", reason=NOT_ENQUEUED)
        )
    return result.rowcount


def build_reminder_batch(
    con: duckdb.DuckDBPyConnection,
    engine: Engine,
    policies: list[Policy],
    run_date: date,
    now: datetime,
    *,
    as_of: date | None = None,
    as_of_time: datetime | None = None,
) -> BatchSummary:
    sync_line_states(engine)
    retire_stale_drafts(engine, run_date, kinds=REMINDER_KINDS)
    facts = dunning_data.load_day_facts(con, engine, run_date, now, as_of, as_of_time)
    history = dunning_data.load_history(engine, replacing=run_date)
    planner = Planner(policies)
    lines = planner.plan_reminders(facts, history) + planner.plan_statements(facts, history)
    save_lines(engine, run_date, lines, kinds=REMINDER_KINDS)
    return summarize(run_date, lines)


def build_resend_batch(
    con: duckdb.DuckDBPyConnection,
    engine: Engine,
    policies: list[Policy],
    run_date: date,
    now: datetime,
    *,
    as_of: date | None = None,
    as_of_time: datetime | None = None,
) -> BatchSummary:
    sync_line_states(engine)
    retire_stale_drafts(engine, run_date, kinds=RESEND_KINDS)
    facts = dunning_data.load_day_facts(con, engine, run_date, now, as_of, as_of_time)
    history = dunning_data.load_history(engine, replacing=run_date)
    lines = Planner(policies).plan_resends(facts, history)
    save_lines(engine, run_date, lines, kinds=RESEND_KINDS)
    return summarize(run_date, lines)


@dataclass
class BatchSummary:
    run_date: date
    drafts: int
    ignored: dict[str, int]
    customers: int
    amount: Decimal
    by_step: dict[str, int]

    def as_metadata(self) -> dict[str, Any]:
        return {
            "run_date": self.run_date.isoformat(),
            "drafts": self.drafts,
            "ignored": dict(self.ignored),
            "customers": self.customers,
            "amount": str(self.amount),
            "by_step": dict(self.by_step),
        }


def summarize(run_date: date, lines: list[Line]) -> BatchSummary:
    drafts = [line for line in lines if line.state == "draft"]
    return BatchSummary(
        run_date=run_date,
        drafts=len(drafts),
        ignored=dict(Counter(line.reason for line in lines if line.state == "ignored")),
        customers=len({line.customer_id for line in drafts}),
        amount=sum((line.amount or Decimal("0") for line in drafts if line.invoice_number), Decimal("0")),
        by_step=dict(Counter(line.step for line in drafts)),
    )


# ------------------------------------------------------------------------------------------- checks
def payments_check(con: duckdb.DuckDBPyConnection, policies: list[Policy], now: datetime) -> tuple[bool, dict]:
    freshness = dunning_data.payments_freshness(con)
    limit = freshness_limit_hours(policies)
    problem = freshness_problem(freshness, limit, now)
    extracted = freshness.get("payments_extracted_at")
    return problem is None, {
        "payments_extracted_at": extracted.isoformat() if extracted else None,
        "max_age_hours": limit,
        "payment_count": int(freshness.get("payment_count") or 0),
        "problem": problem or "",
    }


def draft_lines(engine: Engine, run_date: date, *, kinds: tuple[str, ...], request_id: str | None = None) -> list[dict]:
    """The batch's drafts of a day, or every draft of a request (scheduled ones wait across days)."""
    dl = ops.dunning_lines
    with engine.connect() as conn:
        rows = conn.execute(
            select(dl)
            .where(
                dl.c.state == "draft",
                dl.c.run_date == run_date if request_id is None else dl.c.request_id == request_id,
                dl.c.request_id.is_(None) if request_id is None else dl.c.request_id == request_id,
            )
            .order_by(dl.c.id)
        ).all()
    return [dict(r._mapping) for r in rows if _line_kind(r.step, r.channel) in kinds]


def settled_check(
    con: duckdb.DuckDBPyConnection, engine: Engine, run_date: date, now: datetime, *, kinds: tuple[str, ...]
) -> tuple[bool, dict]:
    """No draft of the batch may concern an invoice eligibility now leaves alone (read again, right before
    enqueueing: a payment or a dispute may have arrived since the batch was planned), nor one the built
    marts.invoices says is paid or credited."""
    facts = dunning_data.load_day_facts(con, engine, run_date, now)
    by_number = {i.invoice_number: i for i in facts.invoices}
    offending: list[str] = []
    drafts = [line for line in draft_lines(engine, run_date, kinds=kinds) if line["invoice_number"]]
    for line in drafts:
        number = line["invoice_number"]
        invoice = by_number.get(number)
        if invoice is None:
            offending.append(f"{number}: settled")
            continue
        reason = blocking_reason(facts, invoice, facts.customers.get(line["customer_id"]) or {})
        if reason is not None:
            offending.append(f"{number}: {reason}")
    if drafts and dunning_data.warehouse.table_exists(con, "marts", "invoices"):
        rows = con.execute(
            "select invoice_number, status from marts.invoices where status in ('paid', 'credited') "
            "and invoice_number in (select unnest(?))",
            [[line["invoice_number"] for line in drafts]],
        ).fetchall()
        offending.extend(f"{n}: {s} in marts.invoices" for n, s in rows)
    return not offending, {"offending": offending[:50], "offending_count": len(offending)}


# -------------------------------------------------------------------------------------------- enqueue
class BatchEnqueuer:
    """Renders draft lines and enqueues them; one outbox row per idempotency key.

    `link_for(customer_id)` gives the portal link a message carries (a fresh signed link by default; the
    campaign preview passes a placeholder, since a preview must not issue links)."""

    def __init__(
        self,
        engine: Engine,
        home: Home,
        templates: DunningTemplates | None = None,
        *,
        policies: list[Policy] | None = None,
        link_for=messages.portal_link,
    ):
        self.engine = engine
        self.home = home
        self.templates = templates or DunningTemplates()
        self.documents = DocumentStore(home.documents)
        self.policies = {p.name: p for p in policies or []}
        self.link_for = link_for
        self.company = messages.company_context()
        self.history: History = History()
        # (policy, step, customer) -> template, tone, language, attachments; see line_specs()
        self.line_specs: dict[tuple, dict[str, Any]] = {}
        self._statements: dict[tuple, dict[str, str]] = {}
        self._links: dict[str, str | None] = {}

    def _pdfs(self, invoices: list[str]) -> dict[str, str]:
        if not invoices:
            return {}
        di = ops.document_index
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(di.c.invoice_number, di.c.sha256)
                .where(di.c.invoice_number.in_(invoices), di.c.format == "pdf")
                .order_by(di.c.id)
            ).all()
        return dict(rows)

    def _documents(self, invoice: str) -> dict[str, str]:
        di = ops.document_index
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(di.c.format, di.c.sha256).where(di.c.invoice_number == invoice).order_by(di.c.id)
            ).all()
        return {fmt: sha for fmt, sha in rows if fmt != "attachment"}

    def _statement_pdf(self, facts: DayFacts, customer: Mapping[str, Any], language: str) -> dict[str, str]:
        # a customer may get a consolidated reminder and its periodic statement the same day: render once
        cache_key = (customer["customer_id"], facts.run_date, language)
        if cache_key not in self._statements:
            self._statements[cache_key] = self._render_statement_pdf(facts, customer, language)
        return self._statements[cache_key]

    def _render_statement_pdf(self, facts: DayFacts, customer: Mapping[str, Any], language: str) -> dict[str, str]:
        from channels.adapters.paper import render_letter_pdf

        invoices = [i for i in facts.invoices if i.customer_id == customer["customer_id"] and i.open_amount > 0]
        context = self.context(facts, customer, invoices, "statement", "informative")
        html = self.templates.render("statement", language, "paper", context).letter_html
        sha = self.documents.put(render_letter_pdf(html))
        filename = f"statement-{customer['customer_id']}-{facts.run_date.isoformat()}.pdf"
        return {"path": str(self.documents.path_for(sha)), "filename": filename}

    def _link(self, customer_id: str) -> str | None:
        # one link per customer and run: a reminder and its statement PDF point to the same page
        if customer_id not in self._links:
            self._links[customer_id] = self.link_for(customer_id)
        return self._links[customer_id]

    def _reminded(self, invoices: list[InvoiceFacts], customer: Mapping[str, Any]) -> dict[str, list]:
        """The reminders each invoice had before (steps after the due date of the customer's policy)."""
        after_due: dict[str, list[str]] = {}
        for invoice in invoices:
            names: list[str] = []
            for policy in self.policies.values():
                names += [s.name for s in policy.resolved_steps(invoice.customer_id) if s.offset > 0]
            after_due[invoice.invoice_number] = names
        return messages.reminder_history(self.history, invoices, after_due)

    def context(
        self, facts: DayFacts, customer: Mapping[str, Any], invoices: list[InvoiceFacts], step: str, tone: str | None
    ) -> dict[str, Any]:
        """What the templates of this message see (assets/dunning/messages.py)."""
        return messages.message_context(
            run_date=facts.run_date,
            customer=customer,
            invoices=invoices,
            step=step,
            tone=tone,
            reminded=self._reminded(invoices, customer),
            company=self.company,
            link=self._link(customer["customer_id"]),
        )

    def enqueue_drafts(
        self, facts: DayFacts, *, kinds: tuple[str, ...], request_id: str | None = None, batch_id: str | None = None
    ) -> dict[str, Any]:
        """Enqueue every draft line of the run (a request's scheduled lines once their moment has come);
        returns counts by outcome."""
        sync_line_states(self.engine)
        self.history = dunning_data.load_history(self.engine)
        rows = draft_lines(self.engine, facts.run_date, kinds=kinds, request_id=request_id)
        groups: dict[str, list[dict]] = defaultdict(list)
        for row in rows:
            when = scheduled_for(row["reason"])
            if row["channel"] != MANUAL_CHANNEL and (when is None or when <= facts.now):
                groups[row["idempotency_key"]].append(row)
        by_number = {i.invoice_number: i for i in facts.invoices}
        counts: Counter = Counter()
        errors: list[str] = []
        batch_id = batch_id or f"dunning:{facts.run_date.isoformat()}"
        keys = list(groups)
        # Lines and their outbox rows commit together, a chunk at a time: a crash leaves either both or
        # neither, and a rerun picks up the drafts that remain.
        for start in range(0, len(keys), ENQUEUE_CHUNK):
            prepared = []
            for key in keys[start : start + ENQUEUE_CHUNK]:
                members = groups[key]
                kind = _line_kind(members[0]["step"], members[0]["channel"])
                try:
                    prepared.append(
                        (
                            key,
                            members,
                            kind,
                            self._payload(
                                facts, facts.customers.get(members[0]["customer_id"]), members, kind, by_number
                            ),
                            None,
                        )
                    )
                except TemplateRenderError as exc:
                    prepared.append((key, members, kind, None, str(exc)))
            with self.engine.begin() as conn:
                for key, members, kind, payload, failure in prepared:
                    self._enqueue_one(
                        conn, facts, key, members, kind, payload, failure, batch_id, request_id, counts, errors
                    )
        return {"counts": dict(counts), "errors": errors[:20]}

    def _enqueue_one(
        self,
        conn,
        facts: DayFacts,
        key: str,
        members: list[dict],
        kind: str,
        payload: dict[str, Any] | None,
        failure: str | None,
        batch_id: str,
        request_id: str | None,
        counts: Counter,
        errors: list[str],
    ) -> None:
        from channels.outbox import enqueue

        first = members[0]
        ids = [m["id"] for m in members]
        lines = ops.dunning_lines
        if failure is not None:
            conn.execute(
                update(lines)
                .where(lines.c.id.in_(ids))
                .values(state="error", reason=f"template_error: {failure}"[:200])
            )
            ops.audit(
                conn,
                SOURCE,
                "template_error",
                target={"idempotency_key": key},
                item_count=len(ids),
                detail={"error": failure},
            )
            counts["error"] += len(ids)
            errors.append(failure)
            return
        outbox_id = enqueue(
            conn,
            idempotency_key=key,
            kind=kind,
            customer_id=first["customer_id"],
            channel=first["channel"],
            invoice_number=first["invoice_number"] if len(members) == 1 else None,
            payload=payload,
            batch_id=batch_id,
            request_id=request_id,
        )
        if outbox_id is None:
            conn.execute(update(lines).where(lines.c.id.in_(ids)).values(state="ignored", reason=ALREADY_SENT))
            counts[ALREADY_SENT] += len(ids)
            return
        conn.execute(update(lines).where(lines.c.id.in_(ids)).values(state="queued", reason=None))
        counts["queued"] += len(ids)
        counts["messages"] += 1
        if kind == "reminder":
            ops.record_events(
                conn,
                [
                    dict(
                        event_type="reminded",
                        source=SOURCE,
                        invoice_number=m["invoice_number"],
                        customer_id=m["customer_id"],
                        channel=m["channel"],
                        reminder_step=m["step"],
                        outbox_id=outbox_id,
                        evidence={
                            "policy": m["policy"],
                            "variant": m["variant"],
                            "run_date": facts.run_date.isoformat(),
                            "line_id": m["id"],
                            "request_id": request_id,
                        },
                    )
                    for m in members
                ],
            )

    def _payload(
        self,
        facts: DayFacts,
        customer: Mapping[str, Any] | None,
        members: list[dict],
        kind: str,
        by_number: Mapping[str, InvoiceFacts],
    ) -> dict[str, Any]:
        if customer is None:
            raise TemplateRenderError(f"customer {members[0]['customer_id']} is no longer in staging.customers")
        first = members[0]
        language = (customer.get("language") or "fr")[:2]
        language = language if language in ("fr", "en") else "fr"
        numbers = [m["invoice_number"] for m in members if m["invoice_number"]]
        payload: dict[str, Any] = {
            "step": first["step"],
            "policy": first["policy"],
            "variant": first["variant"],
            "language": language,
            "run_date": facts.run_date.isoformat(),
            "invoices": numbers,
            "headers": {
                "X-Relance-Step": first["step"],
                "X-Relance-Policy": first["policy"],
                "X-Relance-Run-Date": facts.run_date.isoformat(),
            },
        }
        if numbers:
            payload["headers"]["X-Relance-Invoice"] = ",".join(numbers)
        if first["variant"]:
            payload["headers"]["X-Relance-Variant"] = first["variant"]
        if len(members) > 1:
            payload["headers"]["X-Relance-Steps"] = ",".join(f"{m['invoice_number']}={m['step']}" for m in members)
        if kind == "resend":
            payload["documents"] = self._documents(first["invoice_number"])
            payload["resend"] = True
            return payload
        _invoices, line_spec, context, message = self.render(facts, customer, members, kind, by_number)
        language = line_spec["language"]
        payload["language"] = language
        payload["reference"] = context["payment"]["reference"]
        letter = message.letter_html
        chain = [customer.get("preferred_channel"), *(customer.get("fallback_channels") or [])]
        if letter is None and "paper" in chain:
            # the dispatcher may fall back to paper (an address refused, a bounce): the letter must be there
            try:
                letter = self.templates.render(line_spec["template"], language, "paper", context).letter_html
            except TemplateRenderError:
                letter = None
        payload.update(
            subject=message.subject,
            body_text=message.text,
            body_html=message.html,
            letter_html=letter,
            template=line_spec["template"],
            tone=line_spec["tone"],
        )
        attachments = []
        if line_spec["attach_invoice"]:
            pdfs = self._pdfs(numbers)
            attachments += [
                {"path": str(self.documents.path_for(sha)), "filename": f"{n}.pdf"}
                for n, sha in pdfs.items()
                if self.documents.exists(sha)
            ]
        if line_spec["attach_statement"]:
            attachments.append(self._statement_pdf(facts, customer, language))
        if attachments:
            payload["attachments"] = attachments
        return payload

    def render(
        self,
        facts: DayFacts,
        customer: Mapping[str, Any],
        members: list[Mapping[str, Any]],
        kind: str,
        by_number: Mapping[str, InvoiceFacts],
    ):
        """(invoices, spec, context, rendered message) of one message: what is sent, and what the campaign
        preview shows as its sample. A consolidated reminder lists every overdue invoice of the customer."""
        first = members[0]
        numbers = [m["invoice_number"] for m in members if m["invoice_number"]]
        line_spec = self._line_spec(first)
        if kind == "statement":
            invoices = [i for i in facts.invoices if i.customer_id == customer["customer_id"] and i.open_amount > 0]
        elif len(members) > 1 or line_spec["consolidated"]:
            # one reminder for the customer: the invoices reaching a step today and every other overdue one
            overdue = [
                i
                for i in facts.invoices
                if i.customer_id == customer["customer_id"] and i.open_amount > 0 and i.due_date < facts.run_date
            ]
            invoices = sorted(
                {i.invoice_number: i for i in [by_number[n] for n in numbers if n in by_number] + overdue}.values(),
                key=lambda i: (i.due_date, i.invoice_number),
            )
        else:
            invoices = [by_number[n] for n in numbers if n in by_number]
        context = self.context(facts, customer, invoices, first["step"], line_spec["tone"])
        message = self.templates.render(line_spec["template"], line_spec["language"], first["channel"], context)
        return invoices, line_spec, context, message

    def _line_spec(self, line: Mapping[str, Any]) -> dict[str, Any]:
        """Template, tone, language and attachments of a stored line, from its policy step and variant."""
        spec = self.line_specs.get((line["policy"], line["step"], line["customer_id"]))
        if spec is None:
            raise TemplateRenderError(f"no plan for line {line['id']} ({line['policy']}/{line['step']})")
        return spec


def line_specs(
    policies: list[Policy],
    lines: Iterable[Mapping[str, Any]],
    customers: Mapping[str, Mapping],
    templates_override: str | None = None,
) -> dict[tuple, dict[str, Any]]:
    """Re-derive each stored line's template, tone and attachments from the policy (lines keep only names)."""
    from assets.dunning.engine import customer_language

    by_name = {p.name: p for p in policies}
    specs: dict[tuple, dict[str, Any]] = {}
    for line in lines:
        policy = by_name.get(line["policy"])
        customer = customers.get(line["customer_id"]) or {}
        if policy is None:
            continue
        if line["step"] == STATEMENT_STEP and policy.statement:
            specs[(line["policy"], line["step"], line["customer_id"])] = {
                "template": policy.statement.template,
                "tone": "informative",
                "language": customer_language(customer, policy.statement.language),
                "attach_invoice": False,
                "attach_statement": True,
                "consolidated": False,
            }
            continue
        step_name, _, template = line["step"].partition("~")
        resolved = next((s for s in policy.resolved_steps(line["customer_id"]) if s.name == step_name), None)
        if resolved is None:
            continue
        specs[(line["policy"], line["step"], line["customer_id"])] = {
            "template": template or templates_override or resolved.template,
            "tone": resolved.tone,
            "language": customer_language(customer, resolved.step.language),
            "attach_invoice": resolved.step.attach_invoice,
            "attach_statement": resolved.step.attach_statement or policy.rules.consolidate,
            "consolidated": policy.rules.consolidate,
        }
    return specs


def enqueue_batch(
    engine: Engine,
    home: Home,
    policies: list[Policy],
    facts: DayFacts,
    *,
    kinds: tuple[str, ...],
    request_id: str | None = None,
    templates: DunningTemplates | None = None,
) -> dict[str, Any]:
    enqueuer = BatchEnqueuer(engine, home, templates, policies=policies)
    rows = draft_lines(engine, facts.run_date, kinds=kinds, request_id=request_id)
    enqueuer.line_specs = line_specs(policies, rows, facts.customers)
    batch_id = f"dunning-request:{request_id}" if request_id else None
    return enqueuer.enqueue_drafts(facts, kinds=kinds, request_id=request_id, batch_id=batch_id)


# ------------------------------------------------------------------------------------------- states
FELL_BACK = "sent_after_fallback"


def sync_line_states(engine: Engine) -> dict[str, int]:
    """Queued lines follow their outbox row: sent; or, when the row failed or died, the fallback rows the
    dispatcher queued on the customer's next channels (same key + `|fallback:<channel>`): sent once one of
    them is (reason `sent_after_fallback: <channel>`), still queued while one is pending, else error."""
    dl, ob = ops.dunning_lines, ops.outbox
    moved = Counter()
    with engine.begin() as conn:
        rows = conn.execute(
            select(
                dl.c.id,
                dl.c.step,
                dl.c.customer_id,
                dl.c.channel,
                dl.c.policy,
                dl.c.idempotency_key,
                ob.c.id.label("outbox_id"),
                ob.c.state,
                ob.c.last_error,
                ob.c.updated_at,
            )
            .select_from(dl.join(ob, ob.c.idempotency_key == dl.c.idempotency_key))
            .where(dl.c.state == "queued", ob.c.state.in_(("sent", "failed", "dead")))
        ).all()
        outcomes: list[tuple[Any, str, str | None, Any]] = []  # (line row, state, reason, when sent)
        for r in rows:
            if r.state == "sent":
                outcomes.append((r, "sent", None, r.updated_at))
                continue
            fallbacks = conn.execute(
                select(ob.c.state, ob.c.channel, ob.c.updated_at)
                .where(ob.c.idempotency_key.like(f"{r.idempotency_key}|fallback:%"))
                .order_by(ob.c.id)
            ).all()
            delivered = next((f for f in fallbacks if f.state == "sent"), None)
            if delivered is not None:
                outcomes.append((r, "sent", f"{FELL_BACK}: {delivered.channel}", delivered.updated_at))
            elif not any(f.state in ("queued", "sending") for f in fallbacks):
                outcomes.append((r, "error", f"delivery_failed: {r.state}: {r.last_error or ''}"[:200], None))
        for r, state, reason, _ in outcomes:
            conn.execute(update(dl).where(dl.c.id == r.id).values(state=state, reason=reason))
            moved[state] += 1
        # the customer-level fact the event log lacks: when each statement of account went out
        ops.record_events(
            conn,
            [
                dict(
                    event_type="statement_sent",
                    source=SOURCE,
                    customer_id=r.customer_id,
                    channel=r.channel,
                    outbox_id=r.outbox_id,
                    occurred_at=dunning_data.aware(when),
                    evidence={"policy": r.policy},
                )
                for r, state, _, when in outcomes
                if state == "sent" and r.step == STATEMENT_STEP
            ],
        )
    return dict(moved)


def lines_for(engine: Engine, run_date: date | None = None, request_id: str | None = None) -> list[dict]:
    dl = ops.dunning_lines
    conditions = []
    if run_date is not None:
        conditions.append(dl.c.run_date == run_date)
    if request_id is not None:
        conditions.append(dl.c.request_id == request_id)
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(dl).where(and_(*conditions)).order_by(dl.c.id))]


def as_plain(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: as_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [as_plain(v) for v in value]
    return value
