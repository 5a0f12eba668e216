"""The JSON API an integration uses with its per-customer key."""

from __future__ import annotations

from tests.channels.portal.helpers import api_key_for, csrf_of, events, invoice_oid, token_for


def test_api_lists_invoices_by_status_with_opaque_ids_and_decimal_strings(world, settings, client):
    key = api_key_for(world, "C001")
    auth = {"Authorization": f"Bearer {key}", "User-Agent": "extranet-sync/2.1"}
    body = client.get("/api/v1/invoices?status=open", headers=auth).json()
    assert body["count"] == 2
    assert {i["invoice_number"]: i["open_amount"] for i in body["invoices"]} == {
        "F-2026-0001": "1200.00",
        "F-2026-0004": "200.00",
    }
    assert all(i["id"] == invoice_oid(settings, "C001", i["invoice_number"]) for i in body["invoices"])
    settled = client.get("/api/v1/invoices?status=settled", headers=auth).json()
    assert sorted(i["invoice_number"] for i in settled["invoices"]) == ["AV-2026-0001", "F-2026-0002"]
    assert client.get("/api/v1/invoices?status=late", headers=auth).status_code == 400
    fetched = events(world.engine)
    assert [e["event_type"] for e in fetched] == ["fetched", "fetched"]
    assert fetched[0]["source"] == "api" and fetched[0]["evidence"]["user_agent"] == "extranet-sync/2.1"


def test_api_invoice_detail_files_and_statement(world, settings, client):
    key = api_key_for(world, "C001")
    auth = {"Authorization": f"Bearer {key}"}
    detail = client.get(f"/api/v1/invoices/{invoice_oid(settings, 'C001', 'F-2026-0001')}", headers=auth).json()
    assert detail["invoice_number"] == "F-2026-0001" and detail["amount_incl_tax"] == "1200.00"
    assert detail["disputed"] is False and detail["promised_date"] is None
    assert sorted(f["format"] for f in detail["files"]) == ["attachment", "pdf", "ubl"]
    pdf = next(f for f in detail["files"] if f["format"] == "pdf")
    got = client.get(pdf["url"], headers=auth)
    assert got.status_code == 200 and got.content == world.pdf_bytes
    statement = client.get("/api/v1/statement", headers=auth).json()
    assert statement["balance"] == {"EUR": "1340.00"}
    assert [line["kind"] for line in statement["lines"]].count("payment") == 2
    assert statement["open_total"] == {"EUR": "1400.00"}
    pdf_statement = client.get("/api/v1/statement.pdf", headers=auth)
    assert pdf_statement.content.startswith(b"%PDF")
    recorded = events(world.engine)
    assert [(e["event_type"], e["invoice_number"], e["evidence"].get("format")) for e in recorded] == [
        ("fetched", "F-2026-0001", None),
        ("fetched", "F-2026-0001", "pdf"),
        ("fetched", None, None),
        ("fetched", None, "statement_pdf"),
    ]
    assert all(e["source"] == "api" and e["evidence"]["key_id"] for e in recorded)


def test_api_detail_reflects_a_dispute_filed_in_the_portal(world, settings, client):
    token = token_for(world, settings, "C001")
    oid = invoice_oid(settings, "C001", "F-2026-0001")
    csrf = csrf_of(client.get(f"/p/{token}/invoices/{oid}").text)
    client.post(f"/p/{token}/invoices/{oid}/dispute", data={"csrf_token": csrf, "reason": "pricing"})
    key = api_key_for(world, "C001")
    assert client.get(f"/api/v1/invoices/{oid}", headers={"Authorization": f"Bearer {key}"}).json()["disputed"] is True
