"""The documents asset end to end on a real DuckDB warehouse file and a real operational store (SQLite and
PostgreSQL): documents stored and indexed, events recorded, valid invoices queued once, failures explained."""

from __future__ import annotations

import dagster as dg
import pytest
from sqlalchemy import select

from assets.documents.defs import invoice_documents
from pipelines.resources import RelanceResource
from stores.documents import DocumentStore
from stores.operational import document_index, events, open_store, outbox
from tests.channels.documents.warehouse_fixture import build_warehouse


def _run(home, url, **config):
    result = dg.materialize(
        [invoice_documents],
        resources={"relance": RelanceResource(home=str(home.root), operational_url=url)},
        run_config={"ops": {"documents__invoice_documents": {"config": {"workers": 1, **config}}}},
    )
    assert result.success
    return result.asset_materializations_for_node("documents__invoice_documents")[0].metadata


@pytest.mark.slow
def test_asset_renders_validates_indexes_and_queues_new_invoices(relance_home, opstore_url):
    build_warehouse(relance_home.warehouse)

    metadata = _run(relance_home, opstore_url)

    assert metadata["candidates"].value == 5
    assert metadata["valid"].value == 4 and metadata["validation_failed"].value == 1
    assert metadata["enqueued"].value == 4
    engine = open_store(opstore_url)
    with engine.connect() as conn:
        index = conn.execute(
            select(document_index.c.invoice_number, document_index.c.format, document_index.c.sha256)
        ).all()
        queued = [dict(r._mapping) for r in conn.execute(select(outbox))]
        evts = [dict(r._mapping) for r in conn.execute(select(events).order_by(events.c.id))]
    formats = {}
    for number, fmt, _ in index:
        formats.setdefault(number, set()).add(fmt)
    assert formats == {
        "FA-2026-0042": {"pdf", "cii"},  # e-mail customer
        "FA-2026-0043": {"pdf", "cii", "ubl"},  # platform customer
        "FA-2026-0044": {"pdf", "cii", "edifact"},  # EDI customer with a GLN
        "AV-2026-0001": {"pdf", "cii"},  # the credit note
    }
    store = DocumentStore(relance_home.documents)
    assert all(store.exists(digest) for _, _, digest in index)
    pdf_hash = next(d for n, f, d in index if n == "FA-2026-0042" and f == "pdf")
    assert store.get(pdf_hash).startswith(b"%PDF-")

    by_invoice = {q["invoice_number"]: q for q in queued}
    assert set(by_invoice) == {"FA-2026-0042", "FA-2026-0043", "FA-2026-0044", "AV-2026-0001"}
    assert by_invoice["FA-2026-0043"]["channel"] == "platform"
    assert by_invoice["FA-2026-0044"]["channel"] == "edi"
    assert by_invoice["FA-2026-0042"]["payload"]["documents"]["pdf"] == pdf_hash
    assert by_invoice["FA-2026-0043"]["payload"]["language"] == "en"
    assert all(q["state"] == "queued" for q in queued)

    kinds = [(e["invoice_number"], e["event_type"]) for e in evts if e["source"] == "documents"]
    assert kinds.count(("FA-2026-0042", "rendered")) == 1 and ("FA-2026-0042", "validated") in kinds
    failed = [e for e in evts if e["event_type"] == "validation_failed"]
    assert [e["invoice_number"] for e in failed] == ["FA-2026-0045"]
    assert "BR-FR-11" in failed[0]["evidence"]["fatal_rules"]
    assert any("SIREN de l’acheteur" in i["message"] for i in failed[0]["evidence"]["issues"])
    assert "FA-2026-0045" not in formats  # nothing stored for sending

    # A second run finds nothing new and does not repeat the failure for the unchanged export.
    again = _run(relance_home, opstore_url)
    assert again["candidates"].value == 0 and again["skipped_unchanged_failures"].value == 1
    with engine.connect() as conn:
        assert len(conn.execute(select(outbox)).all()) == 4
        assert len(conn.execute(select(events).where(events.c.event_type == "validation_failed")).all()) == 1
    engine.dispose()


@pytest.mark.slow
def test_rendering_in_two_worker_processes_gives_the_same_documents(relance_home, tmp_path):
    from channels.documents.company import load_company
    from channels.documents.render import RenderTask, render_chunks
    from tests.channels.documents.conftest import customer_row, invoice_row, line_rows

    company = load_company(home_root=relance_home.root)
    tasks = [
        RenderTask(
            invoice_row(invoice_number=f"FA-2026-{n:04d}"),
            customer_row(),
            [{**line, "invoice_number": f"FA-2026-{n:04d}"} for line in line_rows()],
            None,
            ("pdf", "cii"),
        )
        for n in range(1, 9)
    ]
    outcomes = list(render_chunks(tasks, company, workers=2, chunk_size=2))
    assert [o.invoice_number for o in outcomes] == [f"FA-2026-{n:04d}" for n in range(1, 9)]
    assert all(o.valid for o in outcomes)
    cii = [next(d.data for d in o.documents if d.format == "cii") for o in outcomes]
    for n, xml in enumerate(cii, start=1):
        assert f"<ram:ID>FA-2026-{n:04d}</ram:ID>".encode() in xml
