"""A permanent failure on one channel falls back to the customer's next channel; DSN bounce reports
read from a Maildir become bounced / delivered events matched by the original Message-ID."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from channels.dispatch import AdapterFactory, Dispatcher, DispatchSettings
from channels.inbound import parse_dsn, read_dsn_folder
from stores import operational as ops
from tests.channels.helpers import directory, queue_invoices


def _events(engine, *types):
    with engine.connect() as conn:
        q = select(ops.events).order_by(ops.events.c.id)
        if types:
            q = q.where(ops.events.c.event_type.in_(types))
        return [dict(r._mapping) for r in conn.execute(q)]


def _outbox(engine):
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(ops.outbox).order_by(ops.outbox.c.id))]


def _drain(engine, home, recipients):
    return Dispatcher(
        engine, home, recipients, adapters=AdapterFactory(home, link_builder=None), settings=DispatchSettings()
    ).drain()


@pytest.mark.slow
def test_a_rejected_email_falls_back_to_paper_and_is_recorded(relance_home, rejecting_server):
    engine = ops.open_store(relance_home.operational_url)
    queue_invoices(engine, relance_home, ["F-1"])
    recipients = directory(email="nobody@ex.example", fallback_channels=("paper",))
    stats = _drain(engine, relance_home, recipients)
    assert (stats.failed, stats.fell_back, stats.sent) == (1, 1, 1)
    rows = _outbox(engine)
    assert [(r["channel"], r["state"]) for r in rows] == [("email", "failed"), ("paper", "sent")]
    assert rows[1]["idempotency_key"] == "invoice:F-1:email|fallback:paper"
    assert rows[1]["payload"]["tried_channels"] == ["email"]
    [failed] = _events(engine, "failed")
    assert failed["evidence"]["fallback_channel"] == "paper" and failed["status_code"] == "550"
    # re-running never queues the fallback twice
    assert _drain(engine, relance_home, recipients).claimed == 0
    assert len(_outbox(engine)) == 2


def test_no_fallback_left_means_failed_for_good(relance_home, smtp_env):
    engine = ops.open_store(relance_home.operational_url)
    queue_invoices(engine, relance_home, ["F-1"])
    stats = _drain(engine, relance_home, directory(email=None, fallback_channels=("email",)))
    assert (stats.failed, stats.fell_back) == (1, 0)
    assert [r["state"] for r in _outbox(engine)] == ["failed"]


def _dsn(original_id: str, action: str, status: str, recipient="compta@dupont.example", outbox_header=None) -> bytes:
    """A bounce as Postfix writes it (RFC 3464 multipart/report)."""
    extra = f"X-Relance-Outbox: {outbox_header}\n" if outbox_header else ""
    text = f"""From: MAILER-DAEMON@mx.dupont.example (Mail Delivery System)
To: factures@acme.example
Subject: Undelivered Mail Returned to Sender
Message-ID: <dsn-{action}-{status}@mx.dupont.example>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B0UND"

--B0UND
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.dupont.example.

--B0UND
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.dupont.example
Arrival-Date: Fri, 27 Nov 2026 10:00:00 +0000

Final-Recipient: rfc822; {recipient}
Original-Recipient: rfc822;{recipient}
Action: {action}
Status: {status}
Diagnostic-Code: smtp; 550 5.1.1 <{recipient}>: Recipient address
    rejected: User unknown

--B0UND
Content-Type: text/rfc822-headers

Message-ID: {original_id}
Subject: Facture F-1
{extra}
--B0UND--
"""
    return text.replace("\n", "\r\n").encode()


def test_dsn_reports_become_bounced_and_delivered_events_once(relance_home, smtp_env, tmp_path):
    engine = ops.open_store(relance_home.operational_url)
    queue_invoices(engine, relance_home, ["F-1", "F-2"])
    _drain(engine, relance_home, directory(fallback_channels=("paper",)))
    sent = {e["invoice_number"]: e for e in _events(engine, "sent")}
    maildir = tmp_path / "bounces"
    for sub in ("new", "cur", "tmp"):
        (maildir / sub).mkdir(parents=True)
    (maildir / "new" / "1.eml").write_bytes(_dsn(sent["F-1"]["evidence"]["message_id"], "failed", "5.1.1"))
    (maildir / "new" / "2.eml").write_bytes(
        _dsn(sent["F-2"]["evidence"]["message_id"], "delivered", "2.0.0", outbox_header=str(sent["F-2"]["outbox_id"]))
    )
    (maildir / "new" / "3.eml").write_bytes(b"From: someone\r\nSubject: out of office\r\n\r\nI am away.\r\n")
    (maildir / "cur" / "4.eml").write_bytes(_dsn("<unknown@acme.example>", "failed", "5.1.1"))

    stats = read_dsn_folder(engine, maildir, directory(fallback_channels=("paper",)))
    assert stats.events == 2 and stats.fallbacks == 1
    assert sorted(stats.rejected_files) == ["3.eml", "4.eml"]
    [bounced] = _events(engine, "bounced")
    assert bounced["invoice_number"] == "F-1" and bounced["status_code"] == "5.1.1" and bounced["source"] == "dsn"
    assert "Recipient address rejected" in bounced["evidence"]["diagnostic"]
    [delivered] = _events(engine, "delivered")
    assert delivered["invoice_number"] == "F-2"
    assert "not a delivery status notification" in (maildir / "rejected" / "3.eml.reason.txt").read_text()
    assert (
        "no sent e-mail with Message-ID <unknown@acme.example>"
        in (maildir / "rejected" / "4.eml.reason.txt").read_text()
    )
    assert [r["channel"] for r in _outbox(engine)] == ["email", "email", "paper"]

    # the same reports again (a crash before they were moved): no second event, no second fallback
    for path in (maildir / "processed").iterdir():
        path.rename(maildir / "new" / path.name)
    again = read_dsn_folder(engine, maildir, directory(fallback_channels=("paper",)))
    assert again.events == 0 and again.duplicates == 2 and again.fallbacks == 0
    assert len(_outbox(engine)) == 3


def test_parse_dsn_reads_the_per_recipient_fields():
    report = parse_dsn(_dsn("<m1@acme.example>", "failed", "5.2.2", recipient="full@x.example"))
    assert report.original_message_id == "<m1@acme.example>"
    [rcpt] = report.recipients
    assert (rcpt.final_recipient, rcpt.action, rcpt.status) == ("full@x.example", "failed", "5.2.2")


def test_demo_server_bounces_invalid_domains_and_the_bounce_comes_back_as_an_event(relance_home, tmp_path, monkeypatch):
    from channels.mailstore import MailStore
    from demo.mailserver import start_mail_server
    from tests.conftest import free_port

    port = free_port()
    controller = start_mail_server(tmp_path / "mail", port=port, bounce_folder=tmp_path / "bounces")
    try:
        monkeypatch.setenv("RELANCE_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("RELANCE_SMTP_PORT", str(port))
        monkeypatch.setenv("RELANCE_SMTP_ARCHIVE", str(tmp_path / "mail"))
        engine = ops.open_store(relance_home.operational_url)
        queue_invoices(engine, relance_home, ["F-1"], customer_id="C1")
        queue_invoices(engine, relance_home, ["F-2"], customer_id="C2")
        from channels.recipients import Recipient, RecipientDirectory

        recipients = RecipientDirectory(
            [
                Recipient(customer_id="C1", email="ap@dupont.example"),
                Recipient(customer_id="C2", email="ap@closed-down.invalid"),
            ]
        )
        assert _drain(engine, relance_home, recipients).sent == 2
        assert len(MailStore(tmp_path / "mail").list()) == 2
        stats = read_dsn_folder(engine, tmp_path / "bounces", recipients)
        assert stats.events == 1
        [bounced] = _events(engine, "bounced")
        assert (bounced["invoice_number"], bounced["status_code"]) == ("F-2", "5.1.2")
    finally:
        controller.stop()


def test_fallback_to_the_platform_finds_the_xml_in_the_document_index(relance_home, rejecting_server):
    """The e-mail row lists only the PDF; the platform needs the UBL the documents asset indexed."""
    from stores.documents import DocumentStore

    engine = ops.open_store(relance_home.operational_url)
    ubl = b"<?xml version='1.0'?><Invoice xmlns='urn:oasis:names:specification:ubl:schema:xsd:Invoice-2'/>"
    with engine.begin() as conn:
        conn.execute(
            ops.document_index.insert().values(
                invoice_number="F-1",
                customer_id="C1",
                format="ubl",
                sha256=DocumentStore(relance_home.documents).put(ubl),
                filename="F-1.xml",
                created_at=ops.utcnow(),
            )
        )
    queue_invoices(engine, relance_home, ["F-1"])
    queue_invoices(engine, relance_home, ["R-1"], payload_extra={"step": "j+15"})
    with engine.begin() as conn:  # a reminder row that attaches nothing
        conn.execute(
            ops.outbox.update()
            .where(ops.outbox.c.invoice_number == "R-1")
            .values(kind="reminder", payload={"language": "fr", "step": "j+15", "subject": "Relance"})
        )
    recipients = directory(email="nobody@ex.example", fallback_channels=("platform",), siren="732829320")
    stats = _drain(engine, relance_home, recipients)
    assert stats.fell_back == 2
    from channels.adapters.platform import platform_dirs
    from demo.folder_platform import PlatformSimulator

    manifests = {m["invoice_number"]: m for m in PlatformSimulator(*platform_dirs(relance_home)).pending_manifests()}
    assert {f["format"] for f in manifests["F-1"]["files"]} == {"pdf", "ubl"}
    assert "R-1" not in manifests  # a reminder has no e-invoice to submit: it fails with that reason
    [platform_failure] = [e for e in _events(engine, "failed") if e["channel"] == "platform"]
    assert "no Factur-X or UBL document" in platform_failure["evidence"]["reason"]
