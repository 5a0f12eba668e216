"""E-mail through a real aiosmtpd server on loopback: plain, STARTTLS, implicit TLS, AUTH, digests,
server down, 4xx/5xx replies, and bad input refused before anything leaves."""

from __future__ import annotations

import email
import email.policy

import pytest
from sqlalchemy import select

from channels import outbox as ob
from channels.dispatch import AdapterFactory, Dispatcher, DispatchSettings
from channels.mailstore import MailStore
from demo.mailserver import start_mail_server
from stores import operational as ops
from tests.channels.helpers import directory, pdf_bytes, queue_invoices
from tests.conftest import free_port


def _dispatcher(engine, home, recipients=None, link=True, **settings):
    factory = AdapterFactory(
        home, link_builder=(lambda cid: f"https://portal.example/c/{cid}?t=signed") if link else None
    )
    return Dispatcher(engine, home, recipients or directory(), adapters=factory, settings=DispatchSettings(**settings))


def _events(engine, *types):
    with engine.connect() as conn:
        q = select(ops.events).order_by(ops.events.c.id)
        if types:
            q = q.where(ops.events.c.event_type.in_(types))
        return [dict(r._mapping) for r in conn.execute(q)]


def _states(engine):
    with engine.connect() as conn:
        return dict(conn.execute(select(ops.outbox.c.invoice_number, ops.outbox.c.state)).all())


def _parse(store: MailStore, record):
    return email.message_from_bytes((store.root / record.file).read_bytes(), policy=email.policy.default)


def test_each_invoice_is_one_message_with_its_pdf_link_and_recorded_message_id(relance_home, smtp_env):
    _, store = smtp_env
    engine = ops.open_store(relance_home.operational_url)
    queue_invoices(engine, relance_home, ["F-1", "F-2", "F-3"])
    stats = _dispatcher(engine, relance_home).drain()
    assert stats.sent == 3 and stats.failed == 0
    received = store.list()
    assert len(received) == 3
    assert all(r.rcpt_tos == ["compta@dupont.example"] for r in received)
    sent_ids = {e["evidence"]["message_id"]: e["invoice_number"] for e in _events(engine, "sent")}
    assert set(sent_ids) == {r.message_id for r in received}
    for record in received:
        message = _parse(store, record)
        number = sent_ids[record.message_id]
        assert message["Subject"] == f"Facture {number}"
        assert message["To"] == "Dupont SA <compta@dupont.example>"
        [attachment] = list(message.iter_attachments())
        assert attachment.get_filename() == f"{number}.pdf"
        assert attachment.get_content().startswith(b"%PDF-")
        assert "https://portal.example/c/C1?t=signed" in message.get_body(("plain",)).get_content()
    assert set(_states(engine).values()) == {"sent"}


def test_digest_mode_sends_one_message_per_customer(relance_home, smtp_env):
    _, store = smtp_env
    engine = ops.open_store(relance_home.operational_url)
    queue_invoices(engine, relance_home, ["F-1", "F-2", "F-3"])
    stats = _dispatcher(engine, relance_home, email_mode="digest").drain()
    assert stats.sent == 3
    [record] = store.list()
    message = _parse(store, record)
    assert message["Subject"] == "Vos factures (3)"
    assert sorted(a.get_filename() for a in message.iter_attachments()) == ["F-1.pdf", "F-2.pdf", "F-3.pdf"]
    assert {e["evidence"]["message_id"] for e in _events(engine, "sent")} == {record.message_id}


def test_starttls_with_auth_and_a_self_signed_certificate(relance_home, tmp_path, tls_files, monkeypatch):
    cert, key = tls_files
    port = free_port()
    controller = start_mail_server(
        tmp_path / "tls-mail", port=port, tls_cert=cert, tls_key=key, users={"relance": "s3cret"}, require_auth=True
    )
    try:
        monkeypatch.setenv("RELANCE_SMTP_HOST", "localhost")
        monkeypatch.setenv("RELANCE_SMTP_PORT", str(port))
        monkeypatch.setenv("RELANCE_SMTP_SECURITY", "starttls")
        monkeypatch.setenv("RELANCE_SMTP_CAFILE", str(cert))
        monkeypatch.setenv("RELANCE_SMTP_USER", "relance")
        monkeypatch.setenv("RELANCE_SMTP_PASSWORD", "wrong")
        engine = ops.open_store(relance_home.operational_url)
        queue_invoices(engine, relance_home, ["F-1"])
        stats = _dispatcher(engine, relance_home).drain()
        assert stats.retried == 1 and stats.sent == 0
        [queued_again] = [e for e in _events(engine, "queued") if e["evidence"].get("retry")]
        assert "authentication failed" in queued_again["evidence"]["reason"]
        assert MailStore(tmp_path / "tls-mail").list() == []

        monkeypatch.setenv("RELANCE_SMTP_PASSWORD", "s3cret")
        with engine.begin() as conn:  # make the retry due now
            conn.execute(ops.outbox.update().values(next_attempt_at=ops.utcnow()))
        stats = _dispatcher(engine, relance_home).drain()
        assert stats.sent == 1
        assert len(MailStore(tmp_path / "tls-mail").list()) == 1
    finally:
        controller.stop()


def test_implicit_tls(relance_home, tmp_path, tls_files, monkeypatch):
    cert, key = tls_files
    port = free_port()
    controller = start_mail_server(tmp_path / "tls-mail", port=port, tls_cert=cert, tls_key=key, implicit_tls=True)
    try:
        monkeypatch.setenv("RELANCE_SMTP_HOST", "localhost")
        monkeypatch.setenv("RELANCE_SMTP_PORT", str(port))
        monkeypatch.setenv("RELANCE_SMTP_SECURITY", "tls")
        monkeypatch.setenv("RELANCE_SMTP_CAFILE", str(cert))
        engine = ops.open_store(relance_home.operational_url)
        queue_invoices(engine, relance_home, ["F-1", "F-2"])
        assert _dispatcher(engine, relance_home).drain().sent == 2
        assert len(MailStore(tmp_path / "tls-mail").list()) == 2
    finally:
        controller.stop()


def test_starttls_required_but_not_offered_is_not_sent_in_clear(relance_home, smtp_env, monkeypatch):
    monkeypatch.setenv("RELANCE_SMTP_SECURITY", "starttls")
    engine = ops.open_store(relance_home.operational_url)
    queue_invoices(engine, relance_home, ["F-1"])
    stats = _dispatcher(engine, relance_home).drain()
    assert stats.retried == 1 and smtp_env[1].list() == []
    assert _states(engine) == {"F-1": "queued"}


def test_server_down_is_retried_with_backoff_then_dead(relance_home, monkeypatch):
    monkeypatch.setenv("RELANCE_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("RELANCE_SMTP_PORT", str(free_port()))  # nobody listens there
    monkeypatch.setenv("RELANCE_SMTP_TIMEOUT", "2")
    engine = ops.open_store(relance_home.operational_url)
    queue_invoices(engine, relance_home, ["F-1", "F-2"])
    policy = ob.RetryPolicy(max_attempts=2, base_seconds=0)
    stats = _dispatcher(engine, relance_home, retry=policy).drain()
    # base 0 makes each retry due at once: two attempts each, then dead
    assert stats.retried == 2 and stats.dead == 2
    assert _states(engine) == {"F-1": "dead", "F-2": "dead"}
    dead = _events(engine, "dead")
    assert all("cannot reach SMTP server" in e["evidence"]["reason"] for e in dead)


def test_4xx_is_retried_and_5xx_is_rejected_at_once(relance_home, rejecting_server):
    engine = ops.open_store(relance_home.operational_url)
    queue_invoices(engine, relance_home, ["F-1"], customer_id="C1")
    queue_invoices(engine, relance_home, ["F-2"], customer_id="C2")
    queue_invoices(engine, relance_home, ["F-3"], customer_id="C3")
    from channels.recipients import Recipient, RecipientDirectory

    recipients = RecipientDirectory(
        [
            Recipient(customer_id="C1", name="Grey", email="greylisted@ex.example"),
            Recipient(customer_id="C2", name="Gone", email="nobody@ex.example"),
            Recipient(customer_id="C3", name="Fine", email="ok@ex.example"),
        ]
    )
    stats = _dispatcher(engine, relance_home, recipients).drain()
    assert (stats.sent, stats.retried, stats.failed) == (1, 1, 1)
    assert _states(engine) == {"F-1": "queued", "F-2": "failed", "F-3": "sent"}
    [rejected] = _events(engine, "rejected")
    assert rejected["invoice_number"] == "F-2" and rejected["status_code"] == "550"
    assert "User unknown" in rejected["evidence"]["smtp_reply"]
    [retry] = [e for e in _events(engine, "queued") if e["evidence"].get("retry")]
    assert retry["invoice_number"] == "F-1" and retry["status_code"] == "451"
    assert [r.rcpt_tos for r in rejecting_server.list()] == [["ok@ex.example"]]
    assert "sending" not in _states(engine).values()


@pytest.mark.parametrize(
    "field,value,reason",
    [
        ("name", "Dupont\r\nBcc: victim@evil.example", "recipient name contains CR/LF"),
        ("email", "compta@dupont.example\nBcc: victim@evil.example", "recipient address contains CR/LF"),
        ("email", "not-an-address", "invalid e-mail address"),
    ],
)
def test_header_injection_and_bad_addresses_are_refused(relance_home, smtp_env, field, value, reason):
    engine = ops.open_store(relance_home.operational_url)
    queue_invoices(engine, relance_home, ["F-1"])
    stats = _dispatcher(engine, relance_home, directory(**{field: value})).drain()
    assert stats.failed == 1 and stats.sent == 0
    [failed] = _events(engine, "failed")
    assert reason in failed["evidence"]["reason"]
    assert smtp_env[1].list() == []


def test_payload_headers_other_than_x_relance_and_line_breaks_in_them_are_refused(relance_home, smtp_env):
    engine = ops.open_store(relance_home.operational_url)
    queue_invoices(engine, relance_home, ["F-1"], payload_extra={"headers": {"Bcc": "all@evil.example"}})
    queue_invoices(engine, relance_home, ["F-2"], payload_extra={"headers": {"X-Relance-Step": "j+7\r\nBcc: x@y"}})
    queue_invoices(engine, relance_home, ["F-3"], payload_extra={"headers": {"X-Relance-Step": "j+7"}})
    stats = _dispatcher(engine, relance_home).drain()
    assert (stats.sent, stats.failed) == (1, 2)
    [record] = smtp_env[1].list()
    assert _parse(smtp_env[1], record)["X-Relance-Step"] == "j+7"


def test_bad_attachments_are_refused_and_recorded(relance_home, smtp_env, tmp_path):
    outside = tmp_path / "elsewhere.pdf"
    outside.write_bytes(pdf_bytes())
    not_pdf = relance_home.documents / "notes.pdf"
    not_pdf.write_bytes(b"MZ\x90\x00 this is an executable, not a PDF")
    big = relance_home.documents / "big.pdf"
    big.write_bytes(pdf_bytes(pad_to=300_000))
    engine = ops.open_store(relance_home.operational_url)
    queue_invoices(engine, relance_home, ["F-1"], payload_extra={"attachments": [{"path": str(outside)}]})
    queue_invoices(
        engine,
        relance_home,
        ["F-2"],
        payload_extra={"attachments": [{"path": str(relance_home.documents / ".." / ".." / "elsewhere.pdf")}]},
    )
    queue_invoices(engine, relance_home, ["F-3"], payload_extra={"attachments": [{"path": str(not_pdf)}]})
    queue_invoices(engine, relance_home, ["F-4"], payload_extra={"attachments": [{"path": str(big)}]})
    queue_invoices(engine, relance_home, ["F-5"], pdf=b"GIF89a not a pdf at all")
    import os

    os.environ["RELANCE_EMAIL_MAX_ATTACHMENT_BYTES"] = "200000"
    try:
        stats = _dispatcher(engine, relance_home).drain()
    finally:
        del os.environ["RELANCE_EMAIL_MAX_ATTACHMENT_BYTES"]
    assert stats.failed == 5 and stats.sent == 0
    reasons = {e["invoice_number"]: e["evidence"]["reason"] for e in _events(engine, "failed")}
    assert "outside the allowed folders" in reasons["F-1"]
    assert "outside the allowed folders" in reasons["F-2"]
    assert "is not a PDF" in reasons["F-3"]
    assert "over the 200000-byte limit" in reasons["F-4"]
    assert "is not a PDF" in reasons["F-5"]
    assert smtp_env[1].list() == []


def test_concurrent_dispatchers_on_one_store_send_each_invoice_once(opstore_url, relance_home, smtp_env):
    """Four workers competing for the same rows (no chunking) on SQLite and PostgreSQL."""
    from collections import Counter
    from concurrent.futures import ThreadPoolExecutor

    engine = ops.open_store(opstore_url)
    numbers = [f"F-{i}" for i in range(40)]
    queue_invoices(engine, relance_home, numbers)

    def worker(_):
        return _dispatcher(engine, relance_home, batch_size=3).drain().sent

    with ThreadPoolExecutor(4) as pool:
        assert sum(pool.map(worker, range(4))) == 40
    per_message = Counter(r.message_id for r in smtp_env[1].list())
    assert len(per_message) == 40 and set(per_message.values()) == {1}
    assert ob.counts_by_state(engine) == {"sent": 40}
    engine.dispose()


def test_the_body_carries_the_customers_signed_portal_link(relance_home, smtp_env, monkeypatch):
    monkeypatch.setenv("RELANCE_PORTAL_SECRET", "s" * 40)
    monkeypatch.setenv("RELANCE_PORTAL_BASE_URL", "https://factures.acme.example")
    engine = ops.open_store(relance_home.operational_url)
    queue_invoices(engine, relance_home, ["F-1"])
    assert _dispatcher(engine, relance_home, link=False).drain().sent == 1  # link=False: the portal's builder
    [record] = smtp_env[1].list()
    body = _parse(smtp_env[1], record).get_body(("plain",)).get_content()
    assert "https://factures.acme.example/p/" in body
    with engine.connect() as conn:  # the link is a real portal token for this customer
        assert conn.execute(select(ops.portal_tokens.c.customer_id)).scalars().all() == ["C1"]
