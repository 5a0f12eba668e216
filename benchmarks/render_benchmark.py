"""Render + validate Factur-X EN 16931 PDF/A-3 invoices: throughput on a process pool, side by side with the
same template rendered as one batched document (all invoices in one HTML -> one PDF, the layout-only reference).

    .venv/bin/python benchmarks/render_benchmark.py [--invoices 200] [--workers 2] [--chunk-size 10]

Per invoice, the measured path is what the documents asset does: CII XML written, XSD + Factur-X EN16931 +
BR-FR rules run with saxonche, PDF/A-3b laid out by WeasyPrint, factur-x.xml embedded with factur-x.
Worker start-up (JVM-less Saxon init, stylesheet compilation, font loading) is measured separately.
Goal: >= 25 invoices/s on 2 cores.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from channels.documents.company import load_company
from channels.documents.loading import build_invoice
from channels.documents.model import Invoice

ITEMS = [
    ("Maintenance mensuelle", "150.00", "20"),
    ("Intervention sur site", "95.50", "20"),
    ("Transport", "42.00", "10"),
    ("Livres techniques", "31.90", "5.5"),
    ("Licence logicielle", "1200.00", "20"),
    ("Formation", "650.00", "20"),
    ("Pièces détachées", "18.75", "20"),
    ("Frais de déplacement", "64.20", "10"),
]


def make_invoices(company, count: int) -> list[Invoice]:
    """Realistic variety: 1-8 lines, several VAT rates, French and English customers."""
    invoices = []
    for n in range(count):
        number = f"FA-2026-{n + 1:05d}"
        lines = []
        for k in range(1 + n % 8):
            name, price, rate = ITEMS[(n + k) % len(ITEMS)]
            quantity = Decimal(1 + (n * 7 + k) % 5)
            amount = (quantity * Decimal(price)).quantize(Decimal("0.01"))
            lines.append(
                {
                    "invoice_number": number,
                    "line_number": k + 1,
                    "description": name,
                    "quantity": quantity,
                    "unit_price": Decimal(price),
                    "vat_rate": Decimal(rate),
                    "line_amount_excl_tax": amount,
                }
            )
        issued = date(2026, 9, 1) + timedelta(days=n % 28)
        row = {
            "invoice_number": number,
            "document_type": "invoice",
            "customer_id": f"C{n % 50:03d}",
            "issue_date": issued,
            "delivery_date": issued,
            "due_date": issued + timedelta(days=30),
            "currency": "EUR",
            "purchase_order": f"PO-{4000 + n}",
            "original_invoice_number": None,
            "description": "Prestations",
            "attachments": [],
        }
        customer = {
            "customer_id": row["customer_id"],
            "name": f"Client {n % 50:03d} SARL",
            "email": "compta@client.example",
            "siren": "542107651",
            "vat_number": "FR13542107651",
            "country": "FR",
            "language": "en" if n % 4 == 0 else "fr",
            "address_line1": "10 quai Perrache",
            "address_line2": "",
            "postcode": "69002",
            "city": "Lyon",
        }
        invoices.append(build_invoice(company, {**row, **_erp_totals(lines)}, customer, lines))
    return invoices


def _erp_totals(lines) -> dict[str, Decimal]:
    """What the ERP would export: VAT per rate on the rate's total, rounded half-up."""
    from channels.documents.model import money

    by_rate: dict[Decimal, Decimal] = {}
    for line in lines:
        by_rate[line["vat_rate"]] = by_rate.get(line["vat_rate"], Decimal(0)) + line["line_amount_excl_tax"]
    base = sum(by_rate.values(), Decimal(0))
    tax = sum((money(amount * rate / 100) for rate, amount in by_rate.items()), Decimal(0))
    return {"amount_excl_tax": base, "tax_amount": tax, "amount_incl_tax": base + tax}


_company = None


def _init(company):
    """Worker start-up: one Saxon processor, compiled rules and fonts, warmed on one invoice."""
    global _company
    _company = company
    from channels.documents.render import render_invoice, tune_garbage_collector

    warm = make_invoices(company, 1)[0]
    render_invoice(warm, company, ("pdf", "cii"))
    tune_garbage_collector()  # as the documents' render workers do (render._init_worker)


def _render_chunk(invoices: list[Invoice]) -> list[tuple[str, bool, int, float]]:
    """(number, valid, PDF size, CPU seconds of this process) per invoice."""
    from channels.documents.render import render_invoice

    results = []
    for invoice in invoices:
        cpu = time.process_time()
        outcome = render_invoice(invoice, _company, ("pdf", "cii"))
        pdf = next((d.data for d in outcome.documents if d.format == "pdf"), b"")
        results.append((invoice.number, outcome.valid, len(pdf), time.process_time() - cpu))
    return results


def _noop(_):
    return os.getpid()


def _peak_rss_mib(_):
    import resource

    return os.getpid(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pooled(invoices, company, workers: int, chunk_size: int) -> tuple[float, float, list, float]:
    context = multiprocessing.get_context("spawn")
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_init, initargs=(company,)) as pool:
        list(pool.map(_noop, range(workers * 4)))  # every worker is up and warmed
        ready = time.perf_counter()
        chunks = [invoices[i : i + chunk_size] for i in range(0, len(invoices), chunk_size)]
        results = [r for chunk in pool.map(_render_chunk, chunks) for r in chunk]
        done = time.perf_counter()
        peaks = dict(pool.map(_peak_rss_mib, range(workers * 8)))  # tasks land on every worker
    return ready - started, done - ready, results, max(peaks.values())


def batched_document(invoices, company) -> tuple[float, int, int]:
    """All invoices in one HTML -> one PDF/A-3b: the layout cost alone, without per-document overheads."""
    import io

    from pypdf import PdfReader

    from channels.documents.pdf import html_to_pdf, render_html

    html_to_pdf(render_html(invoices[:1], company.logo), company.logo)  # fonts and stylesheet warmed
    started = time.perf_counter()
    pdf = html_to_pdf(render_html(invoices, company.logo), company.logo)
    elapsed = time.perf_counter() - started
    return elapsed, len(PdfReader(io.BytesIO(pdf)).pages), len(pdf)


def single_process_breakdown(invoices, company, sample: int = 20) -> dict[str, float]:
    """Milliseconds per invoice for each step, in this process (after warm-up)."""
    from channels.documents.cii import write_cii
    from channels.documents.pdf import facturx_pdf
    from channels.documents.validation import validate_xml

    _init(company)
    steps = {"cii_xml": 0.0, "validate": 0.0, "pdf_facturx": 0.0}
    for invoice in invoices[:sample]:
        t0 = time.perf_counter()
        cii = write_cii(invoice)
        t1 = time.perf_counter()
        validate_xml(cii)
        t2 = time.perf_counter()
        facturx_pdf(invoice, cii, company.logo)
        t3 = time.perf_counter()
        steps["cii_xml"] += t1 - t0
        steps["validate"] += t2 - t1
        steps["pdf_facturx"] += t3 - t2
    return {k: 1000 * v / sample for k, v in steps.items()}


def subsetting_comparison(invoices, company, sample: int = 10) -> dict[str, float]:
    """ms per visual PDF with libharfbuzz-subset, then with WeasyPrint's fontTools fallback."""
    import weasyprint.pdf.fonts as weasy_fonts

    from channels.documents.pdf import html_to_pdf, render_html

    pages = [render_html([inv], company.logo) for inv in invoices[:sample]]
    timings = {}
    original = weasy_fonts.harfbuzz_subset
    try:
        for label, subsetter in (("harfbuzz", original), ("fonttools", None)):
            weasy_fonts.harfbuzz_subset = subsetter
            html_to_pdf(pages[0], company.logo)
            started = time.perf_counter()
            for page in pages:
                html_to_pdf(page, company.logo)
            timings[label] = 1000 * (time.perf_counter() - started) / len(pages)
    finally:
        weasy_fonts.harfbuzz_subset = original
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--chunk-size", type=int, default=10)
    args = parser.parse_args()

    from channels.documents.pdf import harfbuzz_subsetting_in_use

    company = load_company(home_root=Path("/tmp"))
    invoices = make_invoices(company, args.invoices)
    print(
        f"machine: {platform.node()} {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    print(f"WeasyPrint font subsetting with libharfbuzz-subset: {harfbuzz_subsetting_in_use()}")
    breakdown = single_process_breakdown(invoices, company)
    print("one process, ms per invoice: " + ", ".join(f"{k} {v:.1f}" for k, v in breakdown.items()))
    subsetting = subsetting_comparison(invoices, company)
    print(
        "visual PDF/A-3b, ms per invoice, font subsetting with: "
        + ", ".join(f"{k} {v:.1f}" for k, v in subsetting.items())
    )

    startup, elapsed, results, peak_rss = pooled(invoices, company, args.workers, args.chunk_size)
    invalid = [n for n, ok, _, _ in results if not ok]
    rate = len(results) / elapsed
    average_pdf = sum(size for _, _, size, _ in results) / max(len(results), 1)
    cpu_per_invoice = sum(cpu for *_, cpu in results) / max(len(results), 1)
    batch_elapsed, pages, batch_size = batched_document(invoices, company)
    batch_rate = len(invoices) / batch_elapsed

    print()
    print(f"{'mode':<58} {'invoices':>8} {'seconds':>8} {'inv/s':>8}")
    print(
        f"{'render + validate, Factur-X PDF/A-3, pool of ' + str(args.workers):<58} {len(results):>8} "
        f"{elapsed:>8.2f} {rate:>8.1f}"
    )
    print(
        f"{'same template, one batched PDF (layout only, 1 process)':<58} {len(invoices):>8} "
        f"{batch_elapsed:>8.2f} {batch_rate:>8.1f}"
    )
    print()
    print(f"pool start-up (spawn, Saxon + rules compiled, fonts, warm-up): {startup:.2f} s")
    # CPU time does not count the time other processes of a shared machine held the cores.
    print(
        f"CPU time per invoice in the workers: {1000 * cpu_per_invoice:.1f} ms -> "
        f"{args.workers / cpu_per_invoice:.1f} invoices/s on {args.workers} otherwise idle cores"
    )
    print(f"peak resident memory of a worker: {peak_rss:.0f} MiB")
    print(
        f"invalid invoices: {len(invalid)}; average Factur-X PDF {average_pdf / 1024:.1f} KiB; "
        f"batched PDF {pages} pages, {batch_size / 1024:.0f} KiB"
    )
    goal = 25.0
    print(f"goal >= {goal:.0f} invoices/s: {'met' if rate >= goal else 'NOT met'} ({rate:.1f})")
    return 0 if not invalid else 1


if __name__ == "__main__":
    sys.exit(main())
