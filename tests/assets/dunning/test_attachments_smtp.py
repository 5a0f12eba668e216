"""A reminder step that attaches the invoice PDF and a statement, received by a real SMTP server."""

from __future__ import annotations

import email
import email.policy
import io
from datetime import date, datetime, timedelta, timezone

from pypdf import PdfReader
from sqlalchemy import insert

from assets.dunning.batch import REMINDER_KINDS, build_reminder_batch, enqueue_batch
from assets.dunning.data import load_day_facts
from assets.dunning.policy import parse_policy
from channels.dispatch import Dispatcher
from channels.mailstore import MailStore
from channels.recipients import load_from_duckdb
from demo.mailserver import start_mail_server
from stores import operational as ops
from stores.documents import DocumentStore
from tests.assets.dunning.world import World
from tests.conftest import free_port

RUN = date(2026, 10, 26)
NOW = datetime(2026, 10, 26, 9, tzinfo=timezone.utc)


def test_invoice_pdf_and_statement_attached(relance_home, tmp_path, monkeypatch):
    from weasyprint import HTML

    policy_file = tmp_path / "firm.toml"
    policy_file.write_text(
        'name = "firm"\n[[steps]]\nname = "d10"\noffset = 10\nchannel = "email"\n'
        'template = "reminder_firm"\nlanguage = "en"\nattach_invoice = true\n'
        "attach_statement = true\n",
        encoding="utf-8",
    )
    policies = [parse_policy(policy_file.read_text(), policy_file)]
    invoice_pdf = HTML(string="<h1>Invoice A-1</h1>").write_pdf()
    sha = DocumentStore(relance_home.documents).put(invoice_pdf)
    engine = ops.open_store(relance_home.operational_url)
    with engine.begin() as conn:
        conn.execute(
            insert(ops.document_index).values(
                invoice_number="A-1", customer_id="A", format="pdf", sha256=sha, filename="A-1.pdf", created_at=NOW
            )
        )
    world = World(relance_home.warehouse)
    world.add_customer("A", language="fr")
    world.add_invoice("A-1", "A", RUN - timedelta(days=40), RUN - timedelta(days=10), "480.00")
    world.add_invoice("A-2", "A", RUN - timedelta(days=5), RUN + timedelta(days=25), "120.00")
    world.add_payment("P0", "A", None, RUN - timedelta(days=60), "1.00", NOW)

    port = free_port()
    server = start_mail_server(relance_home.mail, host="127.0.0.1", port=port)
    monkeypatch.setenv("RELANCE_SMTP_PORT", str(port))
    monkeypatch.setenv("RELANCE_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("RELANCE_SMTP_ARCHIVE", str(relance_home.mail))
    try:
        build_reminder_batch(world.con, engine, policies, RUN, NOW, as_of=RUN)
        facts = load_day_facts(world.con, engine, RUN, NOW, as_of=RUN)
        assert enqueue_batch(engine, relance_home, policies, facts, kinds=REMINDER_KINDS)["counts"]["queued"] == 1
        stats = Dispatcher(engine, relance_home, load_from_duckdb(world.con)).drain()
        assert stats.sent == 1, stats.as_dict()
    finally:
        server.stop()
        world.close()

    store = MailStore(relance_home.mail)
    (record,) = store.list()
    message = email.message_from_bytes(store.get(record.id)[1], policy=email.policy.default)
    # the step forces English; and A-1 had no reminder before: the firm step does not claim there was one
    assert message["Subject"] == "Payment reminder: €480.00 overdue"
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert "Despite our reminder" not in body and "According to our records" in body
    # who writes, how to pay, where to see it all: from config/company.toml and a signed portal link
    assert message["From"] == "Relance Démo SAS <facturation@relance-demo.example>"
    assert "IBAN FR76 3000 6000 0112 3456 7890 189, BIC AGRIFRPPXXX, quoting A-1" in body
    assert "SIREN 732829320" in body and "1 rue de la Paix, 75001 Paris" in body
    link = next(line for line in body.splitlines() if "/p/" in line).strip()
    from channels.portal.links import verify_token

    token = link.split("/p/", 1)[1].split("?", 1)[0]
    from channels.portal.config import PortalSettings

    settings = PortalSettings.from_env()
    assert verify_token(engine, settings.secret, token).customer_id == "A"
    attachments = {part.get_filename(): part.get_content() for part in message.iter_attachments()}
    assert attachments["A-1.pdf"] == invoice_pdf
    statement = attachments["statement-A-2026-10-26.pdf"]
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(statement)).pages)
    # the statement lists every open invoice, the one not yet due included
    assert "A-1" in text and "A-2" in text and "600.00" in text
    # the statement says who it is from and how to pay
    flat = " ".join(text.split())
    for expected in (
        "Relance Démo SAS",
        "1 rue de la Paix",
        "75001 Paris",
        "SIREN 732829320",
        "IBAN FR76 3000 6000 0112 3456 7890 189",
    ):
        assert expected in flat, expected
