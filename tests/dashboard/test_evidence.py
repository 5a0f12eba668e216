"""The timeline of one invoice and its evidence pack, in the customer's time zone."""

from datetime import datetime, timezone
from io import BytesIO

from pypdf import PdfReader

from dashboard import data, evidence
from tests.dashboard.helpers import DOWNLOAD_IP, EVIDENCE_INVOICE, SMTP_REPLY, record_evidence_events


def test_timeline_merges_events_payments_and_shows_customer_time(dashboard_home, opstore):
    record_evidence_events(opstore)
    snap = data.snapshot(dashboard_home.snapshot)
    _inv, cust, entries = evidence.timeline(opstore, snap, EVIDENCE_INVOICE)
    assert cust["timezone"] == "America/New_York"
    kinds = [e.kind for e in entries]
    # events from the operational store, dispute and payment (dated, placed at noon UTC) from the snapshot
    assert kinds == [
        "issued",
        "sent",
        "delivered",
        "downloaded",
        "dispute_opened",
        "reminded",
        "payment",
        "promised",
        "dispute_resolved",
    ]
    sent = entries[1]
    assert sent.local_time == "2026-05-04 09:00:00 EDT"  # 13:00 UTC is 09:00 in New York in May
    assert sent.evidence["smtp_reply"] == SMTP_REPLY
    payment = entries[6]
    assert "500.00 EUR" in payment.summary  # from staging.payments in the snapshot
    assert [e.kind for e in entries if e.is_delivery_or_retrieval] == ["sent", "delivered", "downloaded"]


def test_evidence_pack_pdf_lists_every_delivery_and_retrieval_with_proof(dashboard_home, opstore):
    record_evidence_events(opstore)
    snap = data.snapshot(dashboard_home.snapshot)
    inv, cust, entries = evidence.timeline(opstore, snap, EVIDENCE_INVOICE)
    pdf = evidence.evidence_pack_pdf(
        inv, cust, entries, generated_by="Carl", generated_at=datetime(2026, 6, 30, 16, 0, tzinfo=timezone.utc)
    )
    assert pdf.startswith(b"%PDF")
    text = " ".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)
    flat = " ".join(text.split())
    assert f"Evidence pack — invoice {EVIDENCE_INVOICE}" in flat
    assert "America/New_York" in flat
    assert "Delivery and retrieval events (3)" in flat
    for proof in (
        SMTP_REPLY,
        DOWNLOAD_IP,
        "Firefox/140.0",
        "mx.evidence.example",
        "2026-05-04 09:00:00 EDT",
        "2026-05-06 10:30:00 EDT",
        "Retrieved 1 time(s)",
    ):
        assert proof in flat, proof
    assert "Generated 2026-06-30 12:00:00 EDT" in flat and "by Carl" in flat


def test_evidence_pack_says_so_when_nothing_was_delivered(dashboard_home, opstore):
    snap = data.snapshot(dashboard_home.snapshot)
    inv, cust, entries = evidence.timeline(opstore, snap, EVIDENCE_INVOICE)
    html = evidence.evidence_pack_html(inv, cust, entries, generated_by="Carl")
    assert "No delivery confirmation recorded" in html and "Never retrieved by the customer" in html
    assert "No delivery or retrieval event is recorded for this invoice." in html


def test_customer_names_are_escaped_in_the_pack(dashboard_home, opstore):
    snap = data.snapshot(dashboard_home.snapshot)
    inv, cust, entries = evidence.timeline(opstore, snap, EVIDENCE_INVOICE)
    html = evidence.evidence_pack_html(inv, dict(cust, name="<script>alert(1)</script>"), entries, generated_by="Carl")
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
