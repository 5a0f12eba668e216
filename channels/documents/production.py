"""Documents for newly issued invoices: render, validate, store, index, record events, enqueue the valid ones.

Plain Python driven by the Dagster asset (assets/documents.py) and usable from a script. An invoice counts
as done once its PDF is in the operational `document_index`. One that failed validation is not retried
until its exported version changes (a new `extracted_at`), so a re-run does not repeat the same
validation_failed event.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Engine, insert, select

from channels.documents.company import Company
from channels.documents.loading import InvoiceDataError, WarehouseInvoices
from channels.documents.render import (
    PDF_CHANNELS,
    RenderOutcome,
    RenderTask,
    customer_channels,
    formats_for_channels,
    render_chunks,
)
from channels.documents.validation import ValidationIssue
from stores.documents import DocumentStore
from stores.operational import document_index, events, next_sequence, record_event, utcnow

log = logging.getLogger(__name__)
SOURCE = "documents"
EDI_DOCUMENT_SEQUENCE = "edifact_document_interchange"


@dataclass
class ProductionSummary:
    candidates: int = 0
    pdf_fallback: int = 0  # no valid e-invoice, sent as their valid Factur-X PDF by e-mail or paper
    rendered: int = 0
    valid: int = 0
    invalid: int = 0
    enqueued: int = 0
    skipped_failed_version: int = 0
    failed_rules: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _version(row: dict) -> str:
    return str(row.get("extracted_at") or "")


def pending_invoice_rows(
    con, engine: Engine, *, issued_since: date | None = None, limit: int | None = None
) -> tuple[list[dict], int]:
    """staging.invoices rows with no document yet (minus unchanged ones that already failed), oldest first."""
    sql = "select invoice_number, extracted_at from staging.invoices"
    params: list[Any] = []
    if issued_since:
        sql += " where issue_date >= ?"
        params.append(issued_since)
    sql += " order by issue_date, invoice_number"
    candidates = [{"invoice_number": n, "extracted_at": e} for n, e in con.execute(sql, params).fetchall()]
    with engine.connect() as conn:
        done = {
            r[0]
            for r in conn.execute(
                select(document_index.c.invoice_number).where(document_index.c.format == "pdf").distinct()
            )
        }
        failed_versions: dict[str, set[str]] = {}
        for number, evidence in conn.execute(
            select(events.c.invoice_number, events.c.evidence).where(
                events.c.event_type == "validation_failed", events.c.source == SOURCE
            )
        ):
            failed_versions.setdefault(number, set()).add(str((evidence or {}).get("version") or ""))
    pending, skipped = [], 0
    for row in candidates:
        if row["invoice_number"] in done:
            continue
        if _version(row) in failed_versions.get(row["invoice_number"], set()):
            skipped += 1
            continue
        pending.append(row)
    return (pending[:limit] if limit else pending), skipped


def build_tasks(
    reader: WarehouseInvoices, numbers: list[str], engine: Engine
) -> tuple[list[RenderTask], list[RenderOutcome]]:
    tasks: list[RenderTask] = []
    broken: list[RenderOutcome] = []
    try:
        rows = reader.rows_for(numbers)
    except InvoiceDataError:
        rows = []
        for number in numbers:  # find which invoice is broken without losing the others
            try:
                rows.extend(reader.rows_for([number]))
            except InvoiceDataError as error:
                broken.append(
                    RenderOutcome(
                        number,
                        "",
                        reader.company.default_language,
                        issues=[ValidationIssue("data", error.rule_id, "fatal", error.message)],
                    )
                )
    needs_edi = [formats_for_channels(customer_channels(customer)) for _, customer, _, _ in rows]
    edi_count = sum("edifact" in f for f in needs_edi)
    references: list[int] = []
    if edi_count:
        with engine.begin() as conn:
            references = [next_sequence(conn, EDI_DOCUMENT_SEQUENCE) for _ in range(edi_count)]
    for (invoice_row, customer_row, line_rows, preceding), formats in zip(rows, needs_edi):
        reference = references.pop(0) if "edifact" in formats else None
        tasks.append(RenderTask(invoice_row, customer_row, line_rows, preceding, formats, reference))
    return tasks, broken


def record_outcome(
    engine: Engine,
    store: DocumentStore,
    outcome: RenderOutcome,
    *,
    version: str,
    channel: str | None,
    enqueue: Callable[..., int | None] | None,
    chain: Sequence[str] = (),
) -> int | None:
    """Store files, index them, record rendered + validated | validation_failed, enqueue when valid.

    An invoice that is no valid e-invoice but whose Factur-X PDF is valid EN 16931 goes as that PDF on the
    first channel of the customer's chain (`chain`: preferred then fallback channels) that takes a PDF
    alone (e-mail, paper); its `validated` event says so and why (evidence "fallback")."""
    fallback_channel = None
    if not outcome.valid and outcome.pdf_fallback:
        fallback_channel = next((c for c in chain if c in PDF_CHANNELS), None)
    documents = outcome.documents if (outcome.valid or fallback_channel) else []
    hashes = {d.format: store.put(d.data) for d in documents if d.format != "attachment"}
    attachment_hashes = {d.filename: store.put(d.data) for d in documents if d.format == "attachment"}
    evidence = {**outcome.evidence(), "version": version}
    if fallback_channel is not None:
        evidence["fallback"] = {"channel": fallback_channel, "reason": outcome.fallback_reason()}
    elif outcome.pdf_fallback:
        evidence["fallback"] = {
            "channel": None,
            "reason": outcome.fallback_reason() + ", but no channel of the "
            f"customer ({', '.join(chain) or 'none'}) takes a PDF alone",
        }
    with engine.begin() as conn:
        now = utcnow()
        if outcome.results:  # the XML (at least) was written: it was rendered, valid or not
            record_event(
                conn,
                "rendered",
                source=SOURCE,
                invoice_number=outcome.invoice_number,
                customer_id=outcome.customer_id,
                evidence={"formats": sorted(outcome.results), "documents": hashes, "version": version},
            )
        if not outcome.valid and fallback_channel is None:
            record_event(
                conn,
                "validation_failed",
                source=SOURCE,
                invoice_number=outcome.invoice_number,
                customer_id=outcome.customer_id or None,
                evidence=evidence,
            )
            return None
        rows = [
            dict(
                invoice_number=outcome.invoice_number,
                customer_id=outcome.customer_id,
                format=d.format,
                sha256=hashes[d.format] if d.format != "attachment" else attachment_hashes[d.filename],
                filename=d.filename,
                created_at=now,
            )
            for d in documents
        ]
        conn.execute(insert(document_index), rows)
        record_event(
            conn,
            "validated",
            source=SOURCE,
            invoice_number=outcome.invoice_number,
            customer_id=outcome.customer_id,
            evidence=evidence,
        )
        channel = fallback_channel or channel
        if enqueue is None or channel is None:
            return None
        return enqueue(
            conn,
            idempotency_key=f"invoice:{outcome.invoice_number}:{channel}",
            kind="invoice",
            customer_id=outcome.customer_id,
            channel=channel,
            invoice_number=outcome.invoice_number,
            payload={"documents": hashes, "language": outcome.language},
        )


@dataclass
class PreparedBatch:
    """Everything read from the warehouse for one run, so the DuckDB connection can close before rendering."""

    tasks: list[RenderTask]
    broken: list[RenderOutcome]
    versions: dict[str, str]
    channels: dict[str, str]
    summary: ProductionSummary
    chains: dict[str, list[str]] = field(default_factory=dict)  # preferred then fallback channels


def in_chunk(invoice_number: str, index: int, count: int) -> bool:
    """Stable split of invoices over `count` chunks (the same invoice always lands in the same chunk)."""
    return zlib.crc32(invoice_number.encode("utf-8")) % count == index


def prepare_batch(
    con,
    engine: Engine,
    company: Company,
    *,
    issued_since: date | None = None,
    limit: int | None = None,
    chunk: tuple[int, int] | None = None,
) -> PreparedBatch:
    """Read the pending invoices (`con`: the warehouse, read-only is enough, or a snapshot).

    `chunk=(index, count)` keeps one of `count` disjoint shares, so render steps on several workers never
    render the same invoice."""
    summary = ProductionSummary()
    pending, summary.skipped_failed_version = pending_invoice_rows(con, engine, issued_since=issued_since, limit=limit)
    if chunk is not None:
        pending = [r for r in pending if in_chunk(r["invoice_number"], *chunk)]
    summary.candidates = len(pending)
    tasks, broken = build_tasks(WarehouseInvoices(company, con), [r["invoice_number"] for r in pending], engine)
    return PreparedBatch(
        tasks=tasks,
        broken=broken,
        versions={r["invoice_number"]: _version(r) for r in pending},
        channels={t.invoice_row["invoice_number"]: customer_channels(t.customer_row)[0] for t in tasks},
        summary=summary,
        chains={t.invoice_row["invoice_number"]: customer_channels(t.customer_row) for t in tasks},
    )


def render_batch(
    batch: PreparedBatch,
    engine: Engine,
    company: Company,
    store: DocumentStore,
    *,
    workers: int = 2,
    chunk_size: int = 10,
    enqueue: Callable[..., int | None] | None = None,
    progress: Callable[[ProductionSummary], None] | None = None,
) -> ProductionSummary:
    if enqueue is None:
        from channels.outbox import enqueue as outbox_enqueue

        enqueue = outbox_enqueue
    summary = batch.summary

    def handle(outcome: RenderOutcome) -> None:
        summary.rendered += bool(outcome.results)
        queued = record_outcome(
            engine,
            store,
            outcome,
            version=batch.versions.get(outcome.invoice_number, ""),
            channel=batch.channels.get(outcome.invoice_number),
            enqueue=enqueue,
            chain=batch.chains.get(outcome.invoice_number, ()),
        )
        fell_back = (
            not outcome.valid
            and outcome.pdf_fallback
            and any(c in PDF_CHANNELS for c in batch.chains.get(outcome.invoice_number, ()))
        )
        if outcome.valid or fell_back:
            summary.valid += 1
            summary.pdf_fallback += fell_back
            summary.enqueued += queued is not None
        else:
            summary.invalid += 1
            for rule in outcome.evidence()["fatal_rules"]:
                summary.failed_rules[rule] = summary.failed_rules.get(rule, 0) + 1
        if progress and (summary.valid + summary.invalid) % max(chunk_size, 1) == 0:
            progress(summary)

    for outcome in batch.broken:
        handle(outcome)
    for outcome in render_chunks(batch.tasks, company, workers=workers, chunk_size=chunk_size):
        handle(outcome)
    return summary
