"""The local SMTP server of the demo and the tests (aiosmtpd): keeps every message it receives.

Supports plain SMTP, STARTTLS or implicit TLS (certificate and key files), and AUTH PLAIN/LOGIN against
a fixed user list. Messages go to a `MailStore` folder (RELANCE_HOME/mail by default); the 250 reply is
sent only once the message file and its index line are on disk.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

from channels.mailstore import MailStore

BOUNCE_SUFFIX = ".invalid"  # RFC 2606: a domain that can never receive mail


class StoringHandler:
    """Keeps every accepted message. Like a relay that accepts first and fails delivery later, it writes a
    delivery status notification (RFC 3464) to `bounce_folder` for recipients in a `.invalid` domain, so the
    demo shows bounces coming back through `relance feedback`."""

    def __init__(self, store: MailStore, bounce_folder: Path | None = None):
        self.store = store
        self.bounce_folder = Path(bounce_folder) if bounce_folder else None

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd hook name
        peer = session.peer[0] if session.peer else None
        data = envelope.original_content or envelope.content
        record = self.store.save(data, mail_from=envelope.mail_from, rcpt_tos=list(envelope.rcpt_tos), peer=peer)
        if self.bounce_folder is not None:
            for recipient in envelope.rcpt_tos:
                if recipient.lower().endswith(BOUNCE_SUFFIX):
                    write_dsn(self.bounce_folder, data, recipient, envelope.mail_from)
        return f"250 2.0.0 OK queued as {record.id}"


def write_dsn(folder: Path, original: bytes, recipient: str, sender: str) -> Path:
    """A failed-delivery report quoting the original headers, delivered into a Maildir (new/)."""
    import uuid
    from email.utils import formatdate

    from channels.files import write_atomically
    from channels.mailstore import header_block

    boundary = f"dsn-{uuid.uuid4().hex}"
    headers = header_block(original).decode("utf-8", "replace").rstrip("\r\n")
    text = (
        f"From: MAILER-DAEMON@relance.localhost (Mail Delivery System)\r\nTo: {sender}\r\n"
        f"Subject: Undelivered Mail Returned to Sender\r\nDate: {formatdate(usegmt=True)}\r\n"
        f"Message-ID: <{uuid.uuid4().hex}@relance.localhost>\r\nMIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"\r\n\r\n'
        f"--{boundary}\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
        f"Your message could not be delivered to {recipient}: the domain does not exist.\r\n\r\n"
        f"--{boundary}\r\nContent-Type: message/delivery-status\r\n\r\n"
        f"Reporting-MTA: dns; relance.localhost\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\nAction: failed\r\nStatus: 5.1.2\r\n"
        f"Diagnostic-Code: smtp; 550 5.1.2 <{recipient}>: Host or domain name not found\r\n\r\n"
        f"--{boundary}\r\nContent-Type: text/rfc822-headers\r\n\r\n{headers}\r\n\r\n--{boundary}--\r\n"
    )
    for sub in ("tmp", "new", "cur"):
        (Path(folder) / sub).mkdir(parents=True, exist_ok=True)
    return write_atomically(Path(folder) / "new" / f"{uuid.uuid4().hex}.eml", text.encode("utf-8"))


class UserListAuthenticator:
    def __init__(self, users: Mapping[str, str]):
        self.users = dict(users)

    def __call__(self, server, session, envelope, mechanism, auth_data):
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        user = auth_data.login.decode("utf-8", "replace")
        password = auth_data.password.decode("utf-8", "replace")
        if self.users.get(user) == password:
            return AuthResult(success=True, auth_data=user)
        return AuthResult(success=False, handled=False)


def server_tls_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(cert), str(key))
    return context


def start_mail_server(
    root: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8025,
    tls_cert: Path | None = None,
    tls_key: Path | None = None,
    implicit_tls: bool = False,
    users: Mapping[str, str] | None = None,
    require_auth: bool = False,
    handler=None,
    data_size_limit: int = 50 * 1024 * 1024,
    fsync: bool = False,
    bounce_folder: Path | None = None,
) -> Controller:
    """Start the server in a background thread and return its controller (call `.stop()` to end it)."""
    if (tls_cert is None) != (tls_key is None):
        raise ValueError("give both --tls-cert and --tls-key, or neither")
    if implicit_tls and tls_cert is None:
        raise ValueError("implicit TLS needs --tls-cert and --tls-key")
    if require_auth and not users:
        raise ValueError("--require-auth needs at least one --user USER:PASSWORD")
    context = server_tls_context(Path(tls_cert), Path(tls_key)) if tls_cert else None
    server_kwargs = dict(
        data_size_limit=data_size_limit,
        authenticator=UserListAuthenticator(users) if users else None,
        auth_required=require_auth,
        # without TLS the demo still accepts AUTH, since it only listens where the operator chose
        auth_require_tls=context is not None,
    )
    handler = handler or StoringHandler(MailStore(root, fsync=fsync), bounce_folder=bounce_folder)
    if implicit_tls:
        controller = Controller(
            handler, hostname=host, port=port, ssl_context=context, server_hostname="localhost", **server_kwargs
        )
    else:
        controller = Controller(
            handler, hostname=host, port=port, tls_context=context, require_starttls=False, **server_kwargs
        )
    controller.start()
    return controller


__all__ = ["start_mail_server", "StoringHandler", "UserListAuthenticator", "SMTP"]
