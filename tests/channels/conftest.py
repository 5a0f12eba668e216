import pytest

from channels.mailstore import MailStore
from demo.mailserver import start_mail_server
from tests.channels.helpers import self_signed_cert
from tests.conftest import free_port


@pytest.fixture
def mail_server(tmp_path):
    """A real aiosmtpd server on loopback keeping messages in a MailStore; yields (port, store)."""
    root = tmp_path / "received"
    port = free_port()
    controller = start_mail_server(root, port=port)
    try:
        yield port, MailStore(root)
    finally:
        controller.stop()


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory):
    return self_signed_cert(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def smtp_env(monkeypatch, mail_server):
    port, store = mail_server
    monkeypatch.setenv("RELANCE_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("RELANCE_SMTP_PORT", str(port))
    monkeypatch.setenv("RELANCE_SMTP_SECURITY", "none")
    monkeypatch.setenv("RELANCE_SMTP_FROM", "Factures ACME <factures@acme.example>")
    monkeypatch.setenv("RELANCE_SMTP_ARCHIVE", str(store.root))
    for name in ("RELANCE_SMTP_USER", "RELANCE_SMTP_PASSWORD", "RELANCE_SMTP_CAFILE", "RELANCE_EMAIL_MODE"):
        monkeypatch.delenv(name, raising=False)
    return port, store


class RejectingHandler:
    """Real server behaviour for particular mailboxes: 451 (greylisting) or 550 (no such user)."""

    def __init__(self, store: MailStore):
        from demo.mailserver import StoringHandler

        self.storing = StoringHandler(store)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address.startswith("greylisted@"):
            return "451 4.7.1 Greylisted, try again later"
        if address.startswith("nobody@"):
            return "550 5.1.1 User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        return await self.storing.handle_DATA(server, session, envelope)


@pytest.fixture
def rejecting_server(tmp_path, monkeypatch):
    store = MailStore(tmp_path / "received")
    port = free_port()
    controller = start_mail_server(store.root, port=port, handler=RejectingHandler(store))
    monkeypatch.setenv("RELANCE_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("RELANCE_SMTP_PORT", str(port))
    monkeypatch.setenv("RELANCE_SMTP_SECURITY", "none")
    monkeypatch.setenv("RELANCE_SMTP_ARCHIVE", str(store.root))
    yield store
    controller.stop()
