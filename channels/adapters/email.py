"""E-mail delivery over SMTP: one message per invoice or one digest per customer, PDF attached.

Configuration comes from the environment (secrets never live in files):
RELANCE_SMTP_HOST (default 127.0.0.1), RELANCE_SMTP_PORT (8025), RELANCE_SMTP_USER / RELANCE_SMTP_PASSWORD
(AUTH when a user is set), RELANCE_SMTP_SECURITY = starttls | tls | none (none), RELANCE_SMTP_FROM (default:
the company's name and e-mail address in config/company.toml), RELANCE_SMTP_TIMEOUT (seconds, 30),
RELANCE_SMTP_CAFILE (a CA bundle to trust, e.g. the demo's self-signed certificate), RELANCE_SMTP_ARCHIVE (a
folder receiving every sent message: the demo server's mail folder, a Maildir or a folder of .eml files; used to settle
sends interrupted by a crash), RELANCE_SMTP_ARCHIVE_BCC (an address added as a BCC envelope recipient so
that archive gets a copy), RELANCE_EMAIL_MAX_ATTACHMENT_BYTES (10 MiB).

Exactly-once: each message carries a Message-ID derived from its outbox row(s), so the same row always
produces the same Message-ID. Up to the end of the DATA phase nothing is delivered (a server drops a
transaction whose data never ended). After the final dot the server may have stored the message even if
we never see the reply; that send is "in doubt". `lookup` settles it by searching the archive for the
Message-ID: found means sent, absent means the transaction never completed. Without an archive the row
fails as in doubt instead of being sent a second time.
"""

from __future__ import annotations

import base64
import email.charset
import email.policy
import hashlib
import os
import re
import smtplib
import ssl
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from email.header import Header
from email.message import Message
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, parseaddr
from pathlib import Path

from channels.adapters.base import (
    Delivery,
    InDoubtError,
    PermanentError,
    Receipt,
    TransientError,
)
from channels.mailstore import MailStore

SECURITY_MODES = ("starttls", "tls", "none")
DEFAULT_MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
_ADDRESS_RE = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$"
)

SUBJECTS = {
    "fr": {
        "invoice": "Facture {number}",
        "credit_note": "Avoir {number}",
        "digest": "Vos factures ({count})",
        "reminder": "Relance : facture {number}",
        "statement": "Relevé de compte",
    },
    "en": {
        "invoice": "Invoice {number}",
        "credit_note": "Credit note {number}",
        "digest": "Your invoices ({count})",
        "reminder": "Reminder: invoice {number}",
        "statement": "Account statement",
    },
}
BODIES = {
    "fr": (
        "Bonjour,\n\nVeuillez trouver ci-joint {what}.\n\n{link_text}Cordialement,\n{sender}\n",
        "votre facture {numbers}",
        "vos factures {numbers}",
        "Retrouvez toutes vos factures et votre relevé sur votre espace personnel :\n{link}\n\n",
    ),
    "en": (
        "Hello,\n\nPlease find attached {what}.\n\n{link_text}Kind regards,\n{sender}\n",
        "your invoice {numbers}",
        "your invoices {numbers}",
        "All your invoices and your statement are on your personal page:\n{link}\n\n",
    ),
}


@dataclass(frozen=True)
class SmtpConfig:
    host: str = "127.0.0.1"
    port: int = 8025
    user: str | None = None
    password: str | None = None
    security: str = "none"
    sender: str = "Relance <factures@relance.localhost>"
    timeout: float = 30.0
    cafile: str | None = None
    archive: str | None = None
    archive_bcc: str | None = None
    max_attachment_bytes: int = DEFAULT_MAX_ATTACHMENT_BYTES

    def __post_init__(self):
        if self.security not in SECURITY_MODES:
            raise ValueError(f"RELANCE_SMTP_SECURITY must be one of {', '.join(SECURITY_MODES)}, not {self.security!r}")
        for label, value in (("RELANCE_SMTP_FROM", self.sender), ("RELANCE_SMTP_ARCHIVE_BCC", self.archive_bcc)):
            if value and ("\r" in value or "\n" in value):
                raise ValueError(f"{label} contains a line break")

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, default_archive: str | None = None) -> SmtpConfig:
        env = dict(os.environ if env is None else env)
        host = env.get("RELANCE_SMTP_HOST") or "127.0.0.1"
        archive = env.get("RELANCE_SMTP_ARCHIVE")
        if (
            archive is None
            and default_archive
            and host in ("127.0.0.1", "localhost", "::1")
            and Path(default_archive).is_dir()
        ):
            # a server on this machine with a mail folder in the data home is the demo server (`relance mail
            # serve`): its folder is the archive that settles interrupted sends
            archive = default_archive
        return cls(
            host=host,
            port=int(env.get("RELANCE_SMTP_PORT") or 8025),
            user=env.get("RELANCE_SMTP_USER") or None,
            password=env.get("RELANCE_SMTP_PASSWORD") or None,
            security=(env.get("RELANCE_SMTP_SECURITY") or "none").lower(),
            sender=env.get("RELANCE_SMTP_FROM") or company_sender() or cls.sender,
            timeout=float(env.get("RELANCE_SMTP_TIMEOUT") or 30),
            cafile=env.get("RELANCE_SMTP_CAFILE") or None,
            archive=archive or None,
            archive_bcc=env.get("RELANCE_SMTP_ARCHIVE_BCC") or None,
            max_attachment_bytes=int(env.get("RELANCE_EMAIL_MAX_ATTACHMENT_BYTES") or DEFAULT_MAX_ATTACHMENT_BYTES),
        )


def company_sender() -> str | None:
    """`"Name" <address>` of the issuing company (config/company.toml, RELANCE_COMPANY_CONFIG): the From of
    every message unless RELANCE_SMTP_FROM says otherwise. None when the file has no e-mail address."""
    from channels.documents.company import CompanyConfigError, load_company

    try:
        seller = load_company().seller
    except (CompanyConfigError, OSError):
        return None
    name = " ".join(seller.name.replace('"', "'").split())
    return f'"{name}" <{seller.contact_email}>' if seller.contact_email else None


def message_id_for(delivery: Delivery, domain: str) -> str:
    """The same outbox row(s) always give the same Message-ID: what crash recovery looks up."""
    basis = "|".join(f"{i.outbox_id}:{i.idempotency_key}" for i in sorted(delivery.items, key=lambda i: i.outbox_id))
    return f"<relance.{hashlib.sha256(basis.encode()).hexdigest()[:40]}@{domain}>"


def _no_line_breaks(label: str, value: str | None) -> None:
    if value and ("\r" in value or "\n" in value):
        raise PermanentError(
            f"header injection refused: {label} contains CR/LF ({value!r})",
            code="header_injection",
            evidence={"field": label},
        )


def check_recipient(name: str | None, address: str | None) -> tuple[str, str]:
    _no_line_breaks("recipient name", name)
    _no_line_breaks("recipient address", address)
    if not address:
        raise PermanentError("no e-mail address for this customer", code="no_address")
    address = address.strip()
    if not _ADDRESS_RE.match(address):
        raise PermanentError(f"invalid e-mail address {address!r}", code="invalid_address")
    return (name or "").strip(), address


class AttachmentPolicy:
    """Which files may leave as attachments: inside allowed folders, PDF, not too big."""

    def __init__(self, allowed_roots: list[Path], max_bytes: int):
        self.allowed_roots = [Path(r).resolve() for r in allowed_roots]
        self.max_bytes = max_bytes

    def read(self, path: Path, filename: str) -> bytes:
        _no_line_breaks("attachment file name", filename)
        resolved = Path(path).resolve()
        if not any(resolved.is_relative_to(root) for root in self.allowed_roots):
            raise PermanentError(
                f"attachment {filename!r} is outside the allowed folders "
                f"({', '.join(map(str, self.allowed_roots))}): {path}",
                code="attachment_path",
                evidence={"path": str(path)},
            )
        if not resolved.is_file():
            raise PermanentError(
                f"attachment {filename!r} not found: {path}", code="attachment_missing", evidence={"path": str(path)}
            )
        size = resolved.stat().st_size
        if size > self.max_bytes:
            raise PermanentError(
                f"attachment {filename!r} is {size} bytes, over the {self.max_bytes}-byte limit",
                code="attachment_too_large",
                evidence={"path": str(path), "size": size},
            )
        data = resolved.read_bytes()
        if not data.startswith(b"%PDF-"):
            raise PermanentError(
                f"attachment {filename!r} is not a PDF", code="attachment_not_pdf", evidence={"path": str(path)}
            )
        return data


class EmailAdapter:
    channel = "email"

    def __init__(
        self, config: SmtpConfig, *, attachment_roots: list[Path], link_builder: Callable[[str], str] | None = None
    ):
        self.config = config
        self.policy = AttachmentPolicy(attachment_roots, config.max_attachment_bytes)
        self.link_builder = link_builder
        sender_name, sender_address = parseaddr(config.sender)
        if not sender_address or "@" not in sender_address:
            raise ValueError(f"RELANCE_SMTP_FROM is not an address: {config.sender!r}")
        self.sender_name, self.sender_address = sender_name, sender_address
        self.domain = sender_address.rsplit("@", 1)[1]
        self._smtp: smtplib.SMTP | None = None

    # --- message ---------------------------------------------------------------------------------------
    def build_message(self, delivery: Delivery) -> Message:
        recipient = delivery.recipient
        name, address = check_recipient(recipient.name, recipient.email)
        language = delivery.language if delivery.language in SUBJECTS else "fr"
        numbers = [i.invoice_number for i in delivery.items if i.invoice_number]
        first = delivery.first
        subject = first.payload.get("subject")
        if not subject:
            if len(delivery.items) > 1:
                subject = SUBJECTS[language]["digest"].format(count=len(delivery.items))
            else:
                kind = first.payload.get("document_type") or first.kind
                template = SUBJECTS[language].get(kind) or SUBJECTS[language]["invoice"]
                subject = template.format(number=first.invoice_number or "")
        _no_line_breaks("subject", subject)
        attachments = [(filename, self.policy.read(path, filename)) for filename, path in self._attachments(delivery)]

        # The compat32 MIME classes: several times faster to build and serialise than EmailMessage's header
        # registry, which matters at bulk volume; every header value was checked for CR/LF above.
        extra_headers = []
        for header, value in (first.payload.get("headers") or {}).items():
            # only our own tracking headers may come from a payload, never From/To/Bcc...
            if not str(header).startswith("X-Relance-") or not re.fullmatch(r"[A-Za-z0-9-]+", str(header)):
                raise PermanentError(
                    f"payload header {header!r} refused: only X-Relance-* headers may be set", code="header_refused"
                )
            _no_line_breaks(f"header {header}", str(value))
            extra_headers.append((str(header), str(value)))
        body = first.payload.get("body_text") or self._default_body(delivery, language, numbers)
        text = MIMEText(body, "plain", UTF8_QP)
        if first.payload.get("body_html"):
            text_part = MIMEMultipart("alternative")
            text_part.attach(text)
            text_part.attach(MIMEText(str(first.payload["body_html"]), "html", UTF8_QP))
        else:
            text_part = text
        if attachments:
            message = MIMEMultipart("mixed")
            message.attach(text_part)
            encoded: dict[bytes, bytes] = {}
            for filename, data in attachments:
                # The generator writes a body line by line (hundreds of calls for a 30 KB PDF): put a
                # placeholder in the tree and splice the base64 text in, already CRLF-terminated, at the end.
                placeholder = f"relance-attachment-{uuid.uuid4().hex}"
                part = MIMEApplication(placeholder, "pdf", _encoder=_declare_base64)
                part.add_header("Content-Disposition", "attachment", filename=_filename_param(filename))
                message.attach(part)
                encoded[placeholder.encode()] = base64.encodebytes(data).replace(b"\n", b"\r\n").rstrip(b"\r\n")
            message.relance_encoded_attachments = encoded  # type: ignore[attr-defined]
        else:
            message = text_part
        message["From"] = formataddr((self.sender_name, self.sender_address), charset="utf-8")
        message["To"] = formataddr((name, address), charset="utf-8") if name else address
        message["Subject"] = _header_text(subject)
        message["Date"] = formatdate(usegmt=True)
        message["Message-ID"] = message_id_for(delivery, self.domain)
        message["X-Relance-Outbox"] = ",".join(str(i) for i in delivery.outbox_ids)
        for header, value in extra_headers:
            message[header] = _header_text(value)
        return message

    def _attachments(self, delivery: Delivery) -> list[tuple[str, Path]]:
        out: list[tuple[str, Path]] = []
        for item in delivery.items:
            pdf = item.documents.get("pdf")
            if pdf is None and item.kind == "invoice":
                raise PermanentError(
                    f"no PDF for invoice {item.invoice_number}: nothing to attach", code="document_missing"
                )
            if pdf is not None:
                out.append((f"{item.invoice_number or 'document'}.pdf", pdf))
            for extra in item.payload.get("attachments") or []:
                if isinstance(extra, str):
                    extra = {"path": extra}
                path = Path(extra.get("path", ""))
                out.append((extra.get("filename") or path.name, path))
        return out

    def _default_body(self, delivery: Delivery, language: str, numbers: list[str]) -> str:
        template, one, many, link_template = BODIES[language]
        what = (one if len(numbers) == 1 else many).format(numbers=", ".join(numbers))
        link_text = ""
        if self.link_builder is not None:
            link = self.link_builder(delivery.recipient.customer_id)
            _no_line_breaks("portal link", link)
            link_text = link_template.format(link=link)
        return template.format(what=what, link_text=link_text, sender=self.sender_name or self.sender_address)

    # --- transport -------------------------------------------------------------------------------------
    def _client_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=self.config.cafile)
        return context

    def _connect(self) -> smtplib.SMTP:
        if self._smtp is not None:
            return self._smtp
        cfg = self.config
        try:
            if cfg.security == "tls":
                smtp = smtplib.SMTP_SSL(cfg.host, cfg.port, timeout=cfg.timeout, context=self._client_context())
            else:
                smtp = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout)
            smtp.ehlo()
            if cfg.security == "starttls":
                if not smtp.has_extn("starttls"):
                    smtp.close()
                    raise TransientError(
                        f"{cfg.host}:{cfg.port} does not offer STARTTLS; refusing to send in clear", code="no_starttls"
                    )
                smtp.starttls(context=self._client_context())
                smtp.ehlo()
            if cfg.user:
                smtp.login(cfg.user, cfg.password or "")
        except smtplib.SMTPAuthenticationError as exc:
            # our configuration, not the message, is wrong: retry after the operator fixes it
            raise TransientError(
                f"SMTP authentication failed for {cfg.user!r}: {exc.smtp_code} {_text(exc.smtp_error)}",
                code=str(exc.smtp_code),
            ) from exc
        except (ssl.SSLError, ssl.CertificateError) as exc:
            raise TransientError(f"TLS with {cfg.host}:{cfg.port} failed: {exc}", code="tls") from exc
        except smtplib.SMTPResponseException as exc:
            raise TransientError(
                f"SMTP server refused the session: {exc.smtp_code} {_text(exc.smtp_error)}", code=str(exc.smtp_code)
            ) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise TransientError(f"cannot reach SMTP server {cfg.host}:{cfg.port}: {exc}", code="connect") from exc
        self._smtp = smtp
        return smtp

    def _drop_connection(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.close()
            except Exception:  # noqa: BLE001 - closing a broken socket
                pass
            self._smtp = None

    def send(self, delivery: Delivery) -> Receipt:
        message = self.build_message(delivery)  # refuses bad input before any byte leaves
        envelope_to = [parseaddr(message["To"])[1]]
        if self.config.archive_bcc:
            envelope_to.append(self.config.archive_bcc)
        data = serialize(message)
        for attempt in (1, 2):
            smtp = self._connect()
            try:
                return self._transaction(smtp, message, envelope_to, data)
            except smtplib.SMTPServerDisconnected as exc:
                # a reused connection the server closed while idle: reconnect once before giving up
                self._drop_connection()
                if attempt == 2:
                    raise TransientError(f"SMTP server closed the connection: {exc}", code="disconnected") from exc
        raise AssertionError("unreachable")

    def _transaction(self, smtp: smtplib.SMTP, message: Message, envelope_to: list[str], data: bytes) -> Receipt:
        message_id = message["Message-ID"]
        try:
            code, reply = smtp.mail(self.sender_address)
            if code != 250:
                smtp.rset()
                raise _reply_error("sender refused", code, reply)
            code, reply = smtp.rcpt(envelope_to[0])
            if code not in (250, 251):
                smtp.rset()
                raise _reply_error(
                    f"recipient {envelope_to[0]} refused", code, reply, evidence={"recipient": envelope_to[0]}
                )
            for extra in envelope_to[1:]:
                smtp.rcpt(extra)
            code, reply = smtp.docmd("data")
            if code != 354:
                smtp.rset()
                raise _reply_error("DATA refused", code, reply)
        except smtplib.SMTPServerDisconnected:
            raise
        except (OSError, smtplib.SMTPException) as exc:
            self._drop_connection()
            raise TransientError(
                f"SMTP conversation failed before the message was sent: {exc}", code="connection"
            ) from exc
        # point of no return: once the final dot is out, the server may store the message
        try:
            payload = _dot_stuff(data)
            if not payload.endswith(b"\r\n"):
                payload += b"\r\n"
            smtp.send(payload + b".\r\n")
            code, reply = smtp.getreply()
        except (OSError, smtplib.SMTPException) as exc:
            self._drop_connection()
            raise InDoubtError(
                f"connection lost after the message data was sent ({exc})", evidence={"message_id": message_id}
            ) from exc
        if code != 250:
            raise _reply_error("message refused after DATA", code, reply, evidence={"message_id": message_id})
        return Receipt(
            channel=self.channel,
            reference=message_id,
            evidence={
                "message_id": message_id,
                "smtp_code": code,
                "smtp_reply": _text(reply),
                "recipients": envelope_to[:1],
                "size": len(data),
            },
        )

    def lookup(self, delivery: Delivery) -> Receipt | None:
        if not self.config.archive:
            raise InDoubtError("no RELANCE_SMTP_ARCHIVE to check whether the interrupted message was received")
        message_id = message_id_for(delivery, self.domain)
        found = MailStore(Path(self.config.archive)).find_message_id(message_id)
        if found is None:
            return None
        return Receipt(
            channel=self.channel, reference=message_id, recovered=True, evidence={"message_id": message_id, **found}
        )

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except Exception:  # noqa: BLE001
                pass
            self._smtp = None


SMTP_COMPAT32 = email.policy.compat32.clone(linesep="\r\n")


def _declare_base64(part: MIMEApplication) -> None:
    part["Content-Transfer-Encoding"] = "base64"


def serialize(message: Message) -> bytes:
    """The message as sent on the wire (CRLF), attachments spliced in where build_message left markers."""
    data = message.as_bytes(policy=SMTP_COMPAT32)
    for placeholder, encoded in getattr(message, "relance_encoded_attachments", {}).items():
        data = data.replace(placeholder, encoded, 1)
    return data


UTF8_QP = email.charset.Charset("utf-8")
UTF8_QP.body_encoding = email.charset.QP  # bodies stay readable in the raw message (links, amounts)


def _header_text(value: str) -> str | Header:
    """ASCII stays as is; anything else is RFC 2047-encoded so accents survive every relay."""
    try:
        value.encode("ascii")
        return value
    except UnicodeEncodeError:
        return Header(value, "utf-8")


def _filename_param(filename: str) -> str | tuple[str, str, str]:
    try:
        filename.encode("ascii")
        return filename
    except UnicodeEncodeError:
        return ("utf-8", "", filename)  # RFC 2231


def _text(reply) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def _dot_stuff(data: bytes) -> bytes:
    return re.sub(rb"(?m)^\.", b"..", data)


def _reply_error(what: str, code: int, reply, evidence: dict | None = None):
    details = {"smtp_code": code, "smtp_reply": _text(reply), **(evidence or {})}
    message = f"{what}: {code} {_text(reply)}"
    if 500 <= code < 600:
        return PermanentError(message, code=str(code), evidence=details, event_type="rejected")
    return TransientError(message, code=str(code), evidence=details)
