"""What a customer sees and does through a signed link, and the events each request leaves behind."""

from __future__ import annotations

import io
import re
from datetime import timedelta

from pypdf import PdfReader

from tests.channels.portal.fixtures import TODAY
from tests.channels.portal.helpers import csrf_of, event_count, events, file_oid, invoice_oid, token_for


def test_invoice_list_shows_open_and_paid_invoices_in_the_customers_language(world, settings, client):
    token = token_for(world, settings, "C001")
    page = client.get(f"/p/{token}?via=email")
    assert page.status_code == 200
    html = page.text
    open_part, settled_part = html.split("Factures réglées")
    assert "F-2026-0001" in open_part and "F-2026-0004" in open_part
    assert "F-2026-0002" in settled_part and "AV-2026-0001" in settled_part
    assert "F-2026-0003" not in html  # C002's invoice
    assert "1 400,00" in html.replace("\u202f", " ").replace("\xa0", " ")  # 1200 + 200 still due
    assert "En retard" in open_part
    [event] = events(world.engine)
    assert event["event_type"] == "viewed" and event["source"] == "email-link"
    assert event["customer_id"] == "C001" and event["invoice_number"] is None
    assert event["evidence"]["user_agent"] == "testclient" and event["evidence"]["ip"] == "testclient"


def test_language_follows_switch_then_cookie_then_accept_language(world, settings, client):
    token = token_for(world, settings, "C001")
    assert "Open invoices" in client.get(f"/p/{token}", headers={"Accept-Language": "en-GB,en;q=0.9"}).text
    switched = client.get(f"/p/{token}?lang=en")
    assert "Open invoices" in switched.text and switched.cookies.get("relance_lang") == "en"
    # the cookie now wins over a French browser
    assert "Open invoices" in client.get(f"/p/{token}", headers={"Accept-Language": "fr"}).text
    client.cookies.clear()
    assert "Factures à régler" in client.get(f"/p/{token}", headers={"Accept-Language": "de, fr;q=0.5"}).text
    # no preference at all: the customer's language from the ERP (C002 is English)
    assert "Open invoices" in client.get(f"/p/{token_for(world, settings, 'C002')}").text


def test_invoice_detail_lists_files_and_download_returns_the_stored_pdf(world, settings, client):
    token = token_for(world, settings, "C001")
    oid = invoice_oid(settings, "C001", "F-2026-0001")
    page = client.get(f"/p/{token}/invoices/{oid}")
    assert page.status_code == 200 and "F-2026-0001" in page.text
    fid = file_oid(settings, "C001", "F-2026-0001", "pdf", world.files["c001_pdf"])
    assert f"/files/{fid}" in page.text
    assert "bon de livraison 77.pdf" in page.text and "UBL" in page.text
    download = client.get(f"/p/{token}/invoices/{oid}/files/{fid}")
    assert download.status_code == 200
    assert download.content == world.pdf_bytes
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"] == 'attachment; filename="F-2026-0001.pdf"'
    attachment = file_oid(settings, "C001", "F-2026-0001", "attachment", world.files["c001_attachment"])
    got = client.get(f"/p/{token}/invoices/{oid}/files/{attachment}")
    assert got.headers["content-disposition"] == 'attachment; filename="bon_de_livraison_77.pdf"'
    viewed, downloaded, downloaded_attachment = events(world.engine)
    assert (viewed["event_type"], viewed["invoice_number"]) == ("viewed", "F-2026-0001")
    assert downloaded["event_type"] == "downloaded" and downloaded["evidence"]["format"] == "pdf"
    assert downloaded["evidence"]["sha256"] == world.files["c001_pdf"]
    assert downloaded_attachment["evidence"]["format"] == "attachment"


def test_statement_html_and_pdf_carry_the_running_balance(world, settings, client):
    token = token_for(world, settings, "C001")
    page = client.get(f"/p/{token}/statement", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    text = page.text.replace("\u202f", " ").replace("\xa0", " ")
    # 600 + 1200 + 300 invoiced, 60 credited, 600 + 100 paid = 1340 balance
    assert re.findall(r"€[\d,]+\.\d\d", text)[-1] == "€1,340.00"
    pdf = client.get(f"/p/{token}/statement.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(pdf.content))
    pdf_text = reader.pages[0].extract_text()
    assert "Boulangerie Martin" in pdf_text and "F-2026-0001" in pdf_text and "VIR-001" in pdf_text
    kinds = [(e["event_type"], e["evidence"].get("page"), e["evidence"].get("format")) for e in events(world.engine)]
    assert kinds == [("viewed", "statement", None), ("downloaded", None, "statement_pdf")]


def test_dispute_records_reason_and_comment_and_stops_showing_the_form(world, settings, client):
    token = token_for(world, settings, "C001")
    oid = invoice_oid(settings, "C001", "F-2026-0001")
    page = client.get(f"/p/{token}/invoices/{oid}")
    answer = client.post(
        f"/p/{token}/invoices/{oid}/dispute",
        follow_redirects=False,
        data={"csrf_token": csrf_of(page.text), "reason": "quantity", "comment": "10 cartons, pas 12"},
    )
    assert answer.status_code == 303
    after = client.get(answer.headers["location"])
    assert "Votre contestation a été enregistrée" in after.text and "Contestée" in after.text
    assert "/dispute" not in after.text  # the form is gone once disputed
    [disputed] = events(world.engine, "disputed")
    assert disputed["invoice_number"] == "F-2026-0001" and disputed["customer_id"] == "C001"
    assert disputed["source"] == "portal"
    assert disputed["evidence"]["reason"] == "quantity" and disputed["evidence"]["comment"] == "10 cartons, pas 12"
    assert [e["event_type"] for e in events(world.engine)] == ["viewed", "disputed", "viewed"]


def test_promise_records_the_date_and_invalid_dates_are_refused(world, settings, client):
    token = token_for(world, settings, "C001")
    oid = invoice_oid(settings, "C001", "F-2026-0004")
    csrf = csrf_of(client.get(f"/p/{token}/invoices/{oid}").text)
    assert "Paiement promis" not in client.get(f"/p/{token}").text  # the list is now rendered and cached
    for bad in ("", "demain", (TODAY - timedelta(days=1)).isoformat(), (TODAY + timedelta(days=400)).isoformat()):
        refused = client.post(f"/p/{token}/invoices/{oid}/promise", data={"csrf_token": csrf, "promised_date": bad})
        assert refused.status_code == 400 and "Indiquez une date valide" in refused.text
    promised_on = TODAY + timedelta(days=12)
    ok = client.post(
        f"/p/{token}/invoices/{oid}/promise",
        follow_redirects=False,
        data={"csrf_token": csrf, "promised_date": promised_on.isoformat()},
    )
    assert ok.status_code == 303
    [promised] = events(world.engine, "promised")
    assert promised["evidence"]["promised_date"] == promised_on.isoformat()
    assert promised["invoice_number"] == "F-2026-0004" and promised["evidence"]["amount"] == "200.00"
    listing = client.get(f"/p/{token}").text
    assert f"Paiement promis le {promised_on.isoformat()}" in listing


def test_dispute_needs_a_known_reason_and_an_open_invoice(world, settings, client):
    token = token_for(world, settings, "C001")
    open_oid = invoice_oid(settings, "C001", "F-2026-0001")
    paid_oid = invoice_oid(settings, "C001", "F-2026-0002")
    csrf = csrf_of(client.get(f"/p/{token}/invoices/{open_oid}").text)
    before = event_count(world.engine)
    assert (
        client.post(
            f"/p/{token}/invoices/{open_oid}/dispute", data={"csrf_token": csrf, "reason": "because"}
        ).status_code
        == 400
    )
    assert (
        client.post(
            f"/p/{token}/invoices/{open_oid}/dispute",
            data={"csrf_token": csrf, "reason": "other", "comment": "x" * 2001},
        ).status_code
        == 400
    )
    assert (
        client.post(f"/p/{token}/invoices/{paid_oid}/dispute", data={"csrf_token": csrf, "reason": "other"}).status_code
        == 400
    )
    assert event_count(world.engine) == before


def test_pages_answer_503_until_a_snapshot_is_published(world, settings, client):
    token = token_for(world, settings, "C001")
    world.home.snapshot.unlink()
    answer = client.get(f"/p/{token}")
    assert answer.status_code == 503 and answer.headers["retry-after"] == "60"
    assert event_count(world.engine) == 0


def test_a_new_snapshot_is_picked_up_without_restart(world, settings, client):
    from tests.channels.portal.fixtures import build_snapshot, customer_row, invoice_row

    token = token_for(world, settings, "C001")
    assert "F-2026-0009" not in client.get(f"/p/{token}").text
    build_snapshot(
        world.home,
        [customer_row("C001", "Boulangerie Martin", "c@m.example", "fr")],
        [invoice_row("F-2026-0009", "C001", TODAY, TODAY + timedelta(days=30), "10.00", "2.00")],
        [],
    )
    assert "F-2026-0009" in client.get(f"/p/{token}").text
