"""Uploads to a customer AP portal over real HTTP: the generic REST API and the Chorus Pro-like flow,
against the local portal server (uvicorn on loopback)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from channels.adapters.ap_portal import ApPortalConfig, ChorusLikeAdapter, RestApPortalAdapter
from channels.adapters.base import Delivery, DeliveryItem
from channels.dispatch import AdapterFactory, Dispatcher, DispatchSettings
from channels.recipients import Recipient
from demo.ap_portal import ApPortalSettings, BackgroundServer, create_app
from stores import operational as ops
from tests.channels.helpers import directory, pdf_bytes, queue_invoices
from tests.conftest import free_port


@pytest.fixture
def portal():
    app = create_app(ApPortalSettings(processing_seconds=0.05))
    server = BackgroundServer(app, port=free_port()).start()
    yield server, app.state.ap_portal
    server.stop()


def _config(server, **overrides):
    return ApPortalConfig(url=server.url, polls=20, poll_seconds=0.02, timeout=5, **overrides)


def _events(engine, event_type):
    with engine.connect() as conn:
        return [
            dict(r._mapping)
            for r in conn.execute(
                select(ops.events).where(ops.events.c.event_type == event_type).order_by(ops.events.c.id)
            )
        ]


@pytest.mark.parametrize("kind", ["rest", "chorus"])
def test_upload_deposits_each_invoice_once_and_polls_its_status(relance_home, portal, kind):
    server, state = portal
    adapter = (RestApPortalAdapter if kind == "rest" else ChorusLikeAdapter)(_config(server))
    engine = ops.open_store(relance_home.operational_url)
    queue_invoices(engine, relance_home, ["F-1", "F-2"], channel="ap_portal")
    dispatcher = Dispatcher(
        engine,
        relance_home,
        directory(preferred_channel="ap_portal"),
        adapters=AdapterFactory(relance_home, overrides={"ap_portal": adapter}),
        settings=DispatchSettings(),
    )
    assert dispatcher.drain().sent == 2
    deposits = list(state.deposits.values())
    assert len(deposits) == 2 and all(d.data.startswith(b"%PDF-") for d in deposits)
    sent = _events(engine, "sent")
    if kind == "rest":
        assert {e["evidence"]["ap_portal_status"] for e in sent} == {"accepted"}
        assert {d.buyer_id for d in deposits} == {"AP-C1"}
    else:
        assert {e["evidence"]["etatCourantFlux"] for e in sent} == {"IN_INTEGRE"}
        assert {e["evidence"]["numeroFluxDepot"] for e in sent} == {d.id for d in deposits}


@pytest.mark.parametrize("kind", ["rest", "chorus"])
def test_after_a_crash_the_deposit_is_found_not_repeated(tmp_path, portal, kind):
    server, state = portal
    cls = RestApPortalAdapter if kind == "rest" else ChorusLikeAdapter
    pdf = tmp_path / "f.pdf"
    pdf.write_bytes(pdf_bytes())
    item = DeliveryItem(
        outbox_id=42,
        idempotency_key="invoice:F-42:ap_portal",
        kind="invoice",
        invoice_number="F-42",
        payload={},
        documents={"pdf": pdf},
    )
    delivery = Delivery(
        channel="ap_portal", recipient=Recipient(customer_id="C1", ap_portal_id="AP-C1"), items=(item,), claim_token="t"
    )
    adapter = cls(_config(server))
    assert adapter.lookup(delivery) is None  # never deposited: safe to send
    receipt = adapter.send(delivery)
    checker = cls(_config(server))
    found = checker.lookup(delivery)
    checker.close()
    assert found is not None and found.recovered and found.reference == receipt.reference
    if kind == "rest":  # the portal replays the first answer for the same Idempotency-Key
        again = adapter.send(delivery)
        assert again.reference == receipt.reference and again.evidence["replayed"] is True
        assert len(state.deposits) == 1
    adapter.close()


def test_non_pdf_is_rejected_permanently_and_bad_credentials_are_retried(relance_home, portal):
    server, state = portal
    engine = ops.open_store(relance_home.operational_url)
    queue_invoices(engine, relance_home, ["F-1"], channel="ap_portal", pdf=b"<html>not a pdf</html>")
    queue_invoices(engine, relance_home, ["F-2"], channel="ap_portal")
    adapters = {"ap_portal": ChorusLikeAdapter(_config(server, client_secret="wrong"))}
    dispatcher = Dispatcher(
        engine,
        relance_home,
        directory(preferred_channel="ap_portal"),
        adapters=AdapterFactory(relance_home, overrides=adapters),
        settings=DispatchSettings(),
    )
    stats = dispatcher.drain()
    assert stats.failed == 1 and stats.retried == 1
    [failed] = _events(engine, "failed")
    assert failed["invoice_number"] == "F-1" and "not a PDF" in failed["evidence"]["reason"]
    [retry] = [e for e in _events(engine, "queued") if e["evidence"].get("retry")]
    assert retry["invoice_number"] == "F-2" and "HTTP 401" in retry["evidence"]["reason"]
    assert state.deposits == {}


def test_server_side_refusals_carry_clear_reasons(portal):
    import httpx

    server, _ = portal
    with httpx.Client(base_url=server.url) as client:
        r = client.post(
            "/api/v1/invoices",
            headers={"Authorization": "Bearer demo-token"},
            files={"file": ("a.pdf", b"%PDF-1.7", "application/pdf")},
        )
        assert r.status_code == 422 and "Idempotency-Key" in r.json()["error"]
        r = client.post("/api/v1/invoices", headers={"Authorization": "Bearer nope", "Idempotency-Key": "k"})
        assert r.status_code == 401
        r = client.post(
            "/api/v1/invoices",
            headers={"Authorization": "Bearer demo-token", "Idempotency-Key": "k"},
            data={"invoice_number": "F-1"},
            files={"file": ("a.pdf", b"%PDF-1.7", "application/pdf")},
        )
        assert r.status_code == 422 and "buyer_id" in r.json()["error"]


def test_portal_down_is_a_transient_error(relance_home):
    engine = ops.open_store(relance_home.operational_url)
    queue_invoices(engine, relance_home, ["F-1"], channel="ap_portal")
    adapter = RestApPortalAdapter(ApPortalConfig(url=f"http://127.0.0.1:{free_port()}", timeout=2))
    dispatcher = Dispatcher(
        engine,
        relance_home,
        directory(preferred_channel="ap_portal"),
        adapters=AdapterFactory(relance_home, overrides={"ap_portal": adapter}),
        settings=DispatchSettings(),
    )
    stats = dispatcher.drain()
    assert stats.retried == 1
    with engine.connect() as conn:
        assert conn.execute(select(ops.outbox.c.state)).scalar_one() == "queued"
