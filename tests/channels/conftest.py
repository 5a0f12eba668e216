import pytest

from channels.mailserver import start_mail_server
from channels.mailstore import MailStore
from tests.conftest import free_port
from tests.channels.helpers import self_signed_cert


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
