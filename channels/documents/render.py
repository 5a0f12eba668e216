"""Render and validate every document an invoice needs, one invoice at a time or in chunks over processes.

An invoice's documents are produced only if they can all be produced: bad exported data or a refused
attachment gives a failed outcome (rule id + message) and no files, so nothing half-formed can be sent.
Each XML runs the rule sets of the invoice's processing frame (rulesets.frame_rule_sets). When the
e-invoice fails only rules beyond EN 16931 (French CTC, Peppol, EDIFACT) its Factur-X PDF is still a valid
EN 16931 invoice: outside French B2B (where the mandate makes the e-invoice the legal invoice) the outcome
keeps that PDF alone (`pdf_fallback`), for the channels that take a PDF.
Rendering is CPU-bound (WeasyPrint layout, Saxon rules), so `render_chunks` spreads chunks over a process
pool; each worker process holds its own single Saxon processor (see validation.py).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from channels.documents.cii import write_cii
from channels.documents.company import Company
from channels.documents.edifact import EdifactError, check_invoic, write_invoic
from channels.documents.frames import Frame
from channels.documents.loading import AttachmentPolicy, InvoiceDataError, build_invoice
from channels.documents.model import Invoice
from channels.documents.pdf import facturx_pdf
from channels.documents.rulesets import frame_rule_sets
from channels.documents.ubl import UblError, ubl_flavour, write_ubl
from channels.documents.validation import ValidationIssue, ValidationResult, validate_xml

log = logging.getLogger(__name__)
FORMATS = ("pdf", "cii", "ubl", "edifact")
# What each delivery channel needs (docs/contracts.md, "Documents per invoice").
CHANNEL_FORMATS = {
    "email": ("pdf",),
    "platform": ("cii", "ubl"),
    "edi": ("edifact",),
    "ap_portal": ("pdf", "ubl"),
    "paper": ("pdf",),
}
# Channels that deliver the PDF alone: where an invoice that is no valid e-invoice can still go.
PDF_CHANNELS = ("email", "paper")
EN16931_RULE_SET = "facturx-en16931"


@dataclass(frozen=True)
class RenderedDocument:
    format: str  # pdf | cii | ubl | edifact | attachment
    filename: str
    data: bytes


@dataclass
class RenderOutcome:
    invoice_number: str
    customer_id: str
    language: str
    documents: list[RenderedDocument] = field(default_factory=list)
    results: dict[str, ValidationResult] = field(default_factory=dict)  # per format validated
    issues: list[ValidationIssue] = field(default_factory=list)  # data problems found before rendering
    pdf_fallback: bool = False  # not a valid e-invoice, but its Factur-X PDF is valid EN 16931 (kept alone)

    @property
    def valid(self) -> bool:
        return not self.issues and bool(self.results) and all(r.valid for r in self.results.values())

    def fallback_reason(self) -> str:
        """Why the e-invoice cannot go, in one line (what a credit manager reads on the event)."""
        failed = [f"{fmt}: {', '.join(r.fatal_rules)}" for fmt, r in self.results.items() if not r.valid]
        failed += [f"{i.rule_set}: {i.message}" for i in self.issues if i.is_fatal]
        return "not a valid e-invoice (" + "; ".join(failed) + "); its Factur-X PDF is valid EN 16931"

    @property
    def all_issues(self) -> list[ValidationIssue]:
        return list(self.issues) + [i for r in self.results.values() for i in r.issues]

    def evidence(self) -> dict[str, Any]:
        fatal = [i for i in self.all_issues if i.is_fatal]
        return {
            "valid": self.valid,
            "formats": {fmt: r.summary() for fmt, r in self.results.items()},
            "fatal_rules": sorted({i.rule for i in fatal}),
            "issues": [i.as_dict() for i in self.all_issues][:50],  # bounded: an event is not a report
        }


def formats_for_channels(channels: Iterable[str]) -> tuple[str, ...]:
    """pdf and cii always (the portal serves them); ubl / edifact when a channel of the customer needs them."""
    wanted = {"pdf", "cii"}
    for channel in channels:
        wanted.update(CHANNEL_FORMATS.get(channel, ()))
    return tuple(f for f in FORMATS if f in wanted)


def customer_channels(customer_row: Mapping[str, Any]) -> list[str]:
    channels = [customer_row.get("preferred_channel") or "email"]
    channels += list(customer_row.get("fallback_channels") or [])
    return [c for c in channels if c]


def _safe(number: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in number)


def render_invoice(
    invoice: Invoice,
    company: Company,
    formats: Sequence[str] = ("pdf", "cii"),
    interchange_reference: str | int | None = None,
) -> RenderOutcome:
    outcome = RenderOutcome(invoice.number, invoice.customer_id, invoice.language)
    stem = _safe(invoice.number)
    sources = company.documents.rule_sources
    frame = invoice.frame.value
    cii = write_cii(invoice)
    outcome.results["cii"] = validate_xml(cii, frame_rule_sets("cii", frame), sources=sources)
    if "cii" in formats:
        outcome.documents.append(RenderedDocument("cii", f"{stem}.cii.xml", cii))
    if "ubl" in formats:
        flavour = ubl_flavour(invoice, company.documents.ubl_profile)
        try:
            ubl = write_ubl(invoice, flavour, company.documents.peppol_endpoint_scheme)
        except UblError as error:
            outcome.issues.append(ValidationIssue("ubl", "RELANCE-UBL", "fatal", str(error)))
        else:
            outcome.results["ubl"] = validate_xml(ubl, frame_rule_sets("ubl", frame, flavour), sources=sources)
            outcome.documents.append(RenderedDocument("ubl", f"{stem}.ubl.xml", ubl))
    if "edifact" in formats:
        if interchange_reference is None:
            raise ValueError("EDIFACT needs an interchange control reference from the EDI sequence")
        try:
            edi = write_invoic(invoice, interchange_reference=interchange_reference)
        except EdifactError as error:
            outcome.issues.append(ValidationIssue("edifact", "RELANCE-EDI", "fatal", str(error)))
        else:
            outcome.results["edifact"] = check_invoic(edi, invoice)
            outcome.documents.append(RenderedDocument("edifact", f"{stem}.edi", edi))
    cii_result = outcome.results["cii"]
    en16931_valid = not cii_result.fatal_in("xsd") and not cii_result.fatal_in(EN16931_RULE_SET)
    if "pdf" in formats and en16931_valid and cii_result.rule_sets:
        # The Factur-X PDF carries the CII: built only from XML that passed EN 16931, so an invalid one never
        # exists.
        pdf = facturx_pdf(invoice, cii, company.logo)
        outcome.documents.append(RenderedDocument("pdf", f"{stem}.pdf", pdf))
        for attachment in invoice.attachments:
            outcome.documents.append(RenderedDocument("attachment", attachment.filename, attachment.data))
    if not outcome.valid:
        kept = [d for d in outcome.documents if d.format in ("pdf", "attachment")]
        # A French B2B invoice must be an e-invoice (the French mandate): a PDF of it would not be a legal
        # invoice, so only the other frames fall back to their PDF.
        outcome.pdf_fallback = (
            invoice.frame is not Frame.DOMESTIC_B2B
            and any(d.format == "pdf" for d in kept)
            and not any(i.rule_set in ("data", "render") for i in outcome.issues)
        )
        outcome.documents[:] = kept if outcome.pdf_fallback else []
    return outcome


@dataclass(frozen=True)
class RenderTask:
    """Everything a worker process needs for one invoice (plain data: it crosses process boundaries)."""

    invoice_row: dict
    customer_row: dict
    line_rows: list
    preceding_invoice_date: date | None
    formats: tuple[str, ...]
    interchange_reference: int | None = None


def render_task(task: RenderTask, company: Company) -> RenderOutcome:
    number = str(task.invoice_row.get("invoice_number"))
    try:
        attachments = AttachmentPolicy.from_company(company).for_invoice(
            number, task.invoice_row.get("attachments") or [], task.invoice_row.get("source_file")
        )
        invoice = build_invoice(
            company,
            task.invoice_row,
            task.customer_row,
            task.line_rows,
            preceding_invoice_date=task.preceding_invoice_date,
            attachments=attachments,
        )
    except InvoiceDataError as error:
        language = str(task.customer_row.get("language") or company.default_language)
        return RenderOutcome(
            number,
            str(task.invoice_row.get("customer_id") or ""),
            language,
            issues=[ValidationIssue("data", error.rule_id, "fatal", error.message)],
        )
    try:
        return render_invoice(invoice, company, task.formats, task.interchange_reference)
    except Exception as error:
        log.exception("rendering %s failed", number)
        return RenderOutcome(
            number,
            invoice.customer_id,
            invoice.language,
            issues=[ValidationIssue("render", "RELANCE-RENDER", "fatal", f"{type(error).__name__}: {error}")],
        )


_worker_company: Company | None = None


def _init_worker(company: Company) -> None:
    global _worker_company
    _worker_company = company
    tune_garbage_collector()


# A page is ~10^5 short-lived Python objects (boxes, styles, PDF objects): with the default threshold of 700
# allocations the cyclic collector runs hundreds of times per invoice and rescans everything alive. At 200,000
# it runs about once per two invoices (~2 ms an invoice less than at 50,000, measured); a worker stays under
# 400 MB resident.
RENDER_GC_THRESHOLDS = (200_000, 50, 100)


def tune_garbage_collector() -> None:
    """For a process that only renders: the modules, fonts, stylesheets and compiled rules loaded so far are
    moved out of the collector's sight (gc.freeze) and young objects are collected less often. About 5 % of
    the CPU time per invoice; memory stays flat because each invoice's objects are freed by reference count
    or by the next, rarer, collection."""
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(*RENDER_GC_THRESHOLDS)


@contextmanager
def collecting_less_often() -> Iterator[None]:
    """Rendering in a process that also does other work (a Dagster step, the in-process executor): young
    objects are collected as rarely as in a render worker, and the previous thresholds come back after."""
    import gc

    previous = gc.get_threshold()
    gc.set_threshold(*RENDER_GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*previous)


def _render_chunk(tasks: list[RenderTask]) -> list[RenderOutcome]:
    assert _worker_company is not None, "worker not initialised"
    return [render_task(t, _worker_company) for t in tasks]


def chunked(items: Sequence[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def render_chunks(
    tasks: Sequence[RenderTask], company: Company, *, workers: int | None = None, chunk_size: int = 10
) -> Iterator[RenderOutcome]:
    """Outcomes as chunks finish; with workers <= 1 everything runs in this process."""
    workers = workers if workers is not None else min(2, os.cpu_count() or 1)
    if workers <= 1 or len(tasks) <= chunk_size:
        with collecting_less_often():
            for task in tasks:
                yield render_task(task, company)
        return
    import multiprocessing

    # spawn: a forked child would inherit this process's Saxon/JVM state, which is not fork-safe.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_init_worker, initargs=(company,)
    ) as pool:
        for outcomes in pool.map(_render_chunk, chunked(list(tasks), chunk_size)):
            yield from outcomes
