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
    blocks = [
        french_invoice.seller.name,
        "Facture",
        french_invoice.number,
        "CLIENT",
        french_invoice.buyer.name,
        "Désignation",
        french_invoice.lines[0].name,
        "Base HT",
        "Total HT",
        "Net à payer",
        "RÈGLEMENT",
        "IBAN",
        "MENTIONS LÉGALES",
        "Pénalités de retard",
    ]  # headings in capitals (CSS)
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

    from channels.documents.pdf import (
        TEMPLATES,
        _url_fetcher_for,
        font_configuration,
        html_to_pdf,
        render_html,
        stylesheet,
    )

    logo = tmp_path / "logo.svg"
    logo.write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="10"><rect width="40" height="10"/></svg>'
    )
    english = replace(french_invoice, language="en", number="FA-2026-0043")
    html = render_html([french_invoice, english], logo)
    ElementTree.fromstring(html)  # well-formed: the fast path is taken, not the fallback

    fast = PdfReader(io.BytesIO(html_to_pdf(html, logo)))
    plain = PdfReader(
        io.BytesIO(
            HTML(string=html, base_url=str(TEMPLATES) + "/", url_fetcher=_url_fetcher_for(logo)).write_pdf(
                stylesheets=[stylesheet()], font_config=font_configuration()
            )
        )
    )
    assert len(fast.pages) == len(plain.pages) == 2
    assert [p.extract_text() for p in fast.pages] == [p.extract_text() for p in plain.pages]


def _text_by_baseline(pdf: bytes) -> dict[float, str]:
    """The first page's text runs gathered by baseline height (points from the bottom, to the half point)."""
    lines: dict[float, list[str]] = {}

    def visit(text, cm, tm, font, size):
        if text.strip():
            lines.setdefault(round(2 * (cm[5] + tm[5] * cm[3])) / 2, []).append(text.strip())

    PdfReader(io.BytesIO(pdf)).pages[0].extract_text(visitor_text=visit)
    return {height: " ".join(texts) for height, texts in lines.items()}


def _baseline_of(lines: dict[float, str], *texts: str) -> float:
    [height] = [h for h, line in lines.items() if all(text in line for text in texts)]
    return height


def _widest_description_that_fits(stem: str) -> str:
    from channels.documents.pdf import fits_on_one_line

    name = stem
    while fits_on_one_line(name + "W"):
        name += "W"
    return name


def test_lines_laid_out_as_columns_stay_level_with_their_amounts_and_look_like_rows(french_invoice, monkeypatch):
    """Short lines are set as five columns of text (cheaper than a cell each): each description must stay on
    its amount's line even at the widest length measured to fit, and the page must look as with one table row
    per line."""
    from decimal import Decimal

    from channels.documents import pdf
    from channels.documents.pdf import _Document

    template_line = french_invoice.lines[0]
    lines = [
        replace(
            template_line,
            line_id=str(n + 1),
            name=_widest_description_that_fits(f"Ligne {n + 1} "),
            quantity=Decimal(2),
            net_price=Decimal(100 + n),
            line_amount=None,
        )
        for n in range(6)
    ]
    invoice = replace(french_invoice, lines=lines)
    assert _Document(invoice, None).lines_as_columns
    columns = _text_by_baseline(pdf.render_pdf(invoice))
    monkeypatch.setattr(pdf, "MAX_COLUMN_LINES", 0)  # the same invoice with a table row per line
    assert not _Document(invoice, None).lines_as_columns
    rows = _text_by_baseline(pdf.render_pdf(invoice))

    for line in lines:
        amount = f"{2 * (100 + int(line.line_id) - 1)},00\u00a0€"
        level = _baseline_of(columns, line.name, amount)  # fails if the description wrapped out of line
        assert abs(level - _baseline_of(rows, line.name, amount)) <= 0.5, "columns and rows place lines apart"
    assert abs(_baseline_of(columns, "Net à payer") - _baseline_of(rows, "Net à payer")) <= 0.5


def test_a_description_too_long_for_one_line_gets_a_row_of_its_own(french_invoice):
    from channels.documents.pdf import _Document

    long_name = "Prestation de conseil et d'accompagnement sur le projet de dématérialisation des factures"
    invoice = replace(
        french_invoice, lines=[replace(french_invoice.lines[0], name=long_name)] + list(french_invoice.lines[1:])
    )
    assert not _Document(invoice, None).lines_as_columns
    text = _pages(invoice)[0]
    assert "dématérialisation" in text.replace("\n", " ")
