"""What a reader sees on the rendered invoice: every block on the page, page numbers on long invoices only."""

from __future__ import annotations

import io
from dataclasses import replace

from pypdf import PdfReader

from channels.documents.pdf import render_pdf


def _pages(invoice) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(render_pdf(invoice))).pages]


def test_one_page_invoice_shows_every_block_in_reading_order(french_invoice):
    [text] = _pages(french_invoice)
    blocks = [french_invoice.seller.name, "Facture", french_invoice.number, "CLIENT", french_invoice.buyer.name,
              "Désignation", french_invoice.lines[0].name, "Base HT", "Total HT", "Net à payer", "RÈGLEMENT",
              "IBAN", "MENTIONS LÉGALES", "Pénalités de retard"]  # headings in capitals (CSS)
    positions = [text.find(block) for block in blocks]
    assert -1 not in positions, [b for b, p in zip(blocks, positions) if p == -1]
    assert positions == sorted(positions), "blocks out of order: the layout overlaps or reorders them"
    assert not text.rstrip().endswith("1"), "a one-page invoice carries no page number"


def test_long_invoice_runs_over_pages_and_numbers_them(french_invoice):
    long_invoice = replace(french_invoice, lines=list(french_invoice.lines) * 40)
    pages = _pages(long_invoice)
    assert len(pages) >= 2
    assert [page.rstrip().splitlines()[-1].strip() for page in pages] == [str(n) for n in range(1, len(pages) + 1)]
    assert all("Désignation" in page for page in pages[:-1]), "the lines header repeats on every page of lines"
    assert "Net à payer" in pages[-1]


def test_invoice_html_is_well_formed_and_renders_as_weasyprint_alone_renders_it(company, french_invoice, tmp_path):
    """The fast path (C XML parser, small user-agent stylesheet) must give the page WeasyPrint's own HTML5
    parser and stylesheet give: same text, same pages."""
    from xml.etree import ElementTree

    from weasyprint import HTML

    from channels.documents.pdf import (TEMPLATES, _url_fetcher_for, font_configuration, html_to_pdf, render_html,
                                        stylesheet)

    logo = tmp_path / "logo.svg"
    logo.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="40" height="10"><rect width="40" height="10"/></svg>')
    english = replace(french_invoice, language="en", number="FA-2026-0043")
    html = render_html([french_invoice, english], logo)
    ElementTree.fromstring(html)  # well-formed: the fast path is taken, not the fallback

    fast = PdfReader(io.BytesIO(html_to_pdf(html, logo)))
    plain = PdfReader(io.BytesIO(HTML(string=html, base_url=str(TEMPLATES) + "/", url_fetcher=_url_fetcher_for(logo))
                                 .write_pdf(stylesheets=[stylesheet()], font_config=font_configuration())))
    assert len(fast.pages) == len(plain.pages) == 2
    assert [p.extract_text() for p in fast.pages] == [p.extract_text() for p in plain.pages]
