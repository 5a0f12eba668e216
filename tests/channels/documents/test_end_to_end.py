"""From the demo generator's ERP exports, through the real ingest into DuckDB, to validated documents: every
generated invoice and credit note must pass XSD + EN 16931 + BR-FR, with its supporting PDFs embedded."""

from __future__ import annotations

import io
from datetime import date

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from channels.documents.company import load_company
from channels.documents.production import prepare_batch, render_batch
from demo.generator import GeneratorConfig
from demo.generator.generator import generate
from stores.documents import DocumentStore
from stores.operational import document_index, open_store
from tests.assets.ingest.helpers import ingest_and_build


@pytest.mark.slow
def test_generated_exports_become_valid_documents_with_their_attachments(relance_home):
    export = relance_home.inbox / "export-2026-09"
    generated = generate(
        GeneratorConfig(
            customers=8, invoices=30, seed=6, as_of=date(2026, 9, 30), months=2, attachment_share=0.5, write_fec=False
        ),
        export,
    )
    assert generated.counts["credit_notes"] >= 1
    # Only what documents read: payments and disputes do not change an invoice's documents.
    exports = [str(generated.files[name]) for name in ("customers", "invoices", "invoice_lines")]
    con, _ = ingest_and_build(relance_home.warehouse, exports)
    expected_attachments = {
        number: sorted(p.split("/")[-1] for p in paths)
        for number, paths in con.execute(
            "select invoice_number, attachments from staging.invoices where len(attachments) > 0"
        ).fetchall()
    }
    total = con.execute("select count(*) from staging.invoices").fetchone()[0]
    company = load_company(home_root=relance_home.root)
    engine = open_store(relance_home.operational_url)
    batch = prepare_batch(con, engine, company)
    con.close()

    summary = render_batch(batch, engine, company, DocumentStore(relance_home.documents), workers=1)

    assert summary.failed_rules == {}
    assert summary.valid == total == generated.counts["invoices"] + generated.counts["credit_notes"]
    assert expected_attachments, "the generator was asked for supporting documents"
    store = DocumentStore(relance_home.documents)
    with engine.connect() as conn:
        index = conn.execute(
            select(
                document_index.c.invoice_number,
                document_index.c.format,
                document_index.c.sha256,
                document_index.c.filename,
            )
        ).all()
    for number, names in expected_attachments.items():
        pdf_hash = next(h for n, f, h, _ in index if n == number and f == "pdf")
        embedded = set(PdfReader(io.BytesIO(store.get(pdf_hash))).attachments)
        assert embedded == {"factur-x.xml", *names}
        assert sorted(name for n, f, _, name in index if n == number and f == "attachment") == names
    engine.dispose()
