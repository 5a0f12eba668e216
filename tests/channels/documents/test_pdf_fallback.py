"""An invoice that cannot be a valid e-invoice still goes as its (valid EN 16931) Factur-X PDF by e-mail or
paper when the customer's chain allows it, with the reason recorded; never for French B2B, never without
such a channel. On a real SQLite operational store and document folder."""

from __future__ import annotations

from sqlalchemy import select

from channels.documents.loading import build_invoice
from channels.documents.production import record_outcome
from channels.documents.render import render_invoice
from channels.outbox import enqueue
from stores.documents import DocumentStore
from stores.operational import document_index, events, open_store, outbox
from tests.channels.documents.conftest import customer_row, invoice_row, line_rows

# A German buyer on EDI whose name EDIFACT's UNOC cannot carry: the EDIFACT cannot be written.
GERMAN_EDI = dict(
    customer_id="C-DE",
    name="Müller 中文 GmbH",
    siren="",
    vat_number="DE123456789",
    country="DE",
    language="en",
    edi_gln="4012345000009",
)


def _outcome(company, **customer):
    # the first three lines of the fixture (its fourth is a French exemption, meaningless abroad)
    lines = line_rows()[:3]
    totals = dict(amount_excl_tax="972.80", tax_amount="184.56", amount_incl_tax="1157.36")
    invoice = build_invoice(company, invoice_row(**totals), customer_row(**customer), lines)
    return render_invoice(invoice, company, ("pdf", "cii", "edifact"), interchange_reference=9)


def _store(tmp_path):
    return open_store(f"sqlite:///{tmp_path / 'operational.sqlite'}"), DocumentStore(tmp_path / "documents")


def test_an_invalid_e_invoice_goes_as_its_pdf_by_e_mail_with_the_reason(company, tmp_path):
    outcome = _outcome(company, **GERMAN_EDI)
    assert not outcome.valid and outcome.pdf_fallback
    assert [d.format for d in outcome.documents] == ["pdf"]
    engine, store = _store(tmp_path)
    queued = record_outcome(
        engine, store, outcome, version="v1", channel="edi", enqueue=enqueue, chain=["edi", "email"]
    )
    assert queued is not None
    with engine.connect() as conn:
        [row] = [r._mapping for r in conn.execute(select(outbox))]
        formats = {r.format for r in conn.execute(select(document_index))}
        [validated] = [r._mapping for r in conn.execute(select(events).where(events.c.event_type == "validated"))]
        failed = conn.execute(select(events).where(events.c.event_type == "validation_failed")).all()
    assert row["channel"] == "email" and set(row["payload"]["documents"]) == {"pdf"}
    assert formats == {"pdf"} and failed == []
    fallback = validated["evidence"]["fallback"]
    assert fallback["channel"] == "email"
    assert "U+4E2D" in fallback["reason"] and "valid EN 16931" in fallback["reason"]
    engine.dispose()


def test_without_a_pdf_channel_it_is_held_with_the_reason(company, tmp_path):
    outcome = _outcome(company, **GERMAN_EDI)
    engine, store = _store(tmp_path)
    assert (
        record_outcome(engine, store, outcome, version="v1", channel="edi", enqueue=enqueue, chain=["edi", "platform"])
        is None
    )
    with engine.connect() as conn:
        [failed] = [r._mapping for r in conn.execute(select(events).where(events.c.event_type == "validation_failed"))]
        assert conn.execute(select(outbox)).all() == [] and conn.execute(select(document_index)).all() == []
    assert "no channel of the customer (edi, platform) takes a PDF alone" in failed["evidence"]["fallback"]["reason"]
    engine.dispose()


def test_french_b2b_never_falls_back_to_a_pdf(company):
    outcome = _outcome(company, siren="", edi_gln="4012345000009")  # BR-FR-11: no buyer SIREN
    assert not outcome.valid and not outcome.pdf_fallback and outcome.documents == []
