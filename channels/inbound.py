"""What comes back from the channels: DSN bounce reports and platform lifecycle statuses -> events.

Both readers are idempotent: each event gets a deterministic id (UUID5 of the report and the outbox row),
inserted with ON CONFLICT DO NOTHING, so reading the same file twice (a crash before the file was moved
to `processed/`) records nothing twice. Files that cannot be understood are moved to `rejected/` with a
`.reason.txt` beside them: nothing is silently dropped.
"""

from __future__ import annotations

import email
import email.policy
import re
import shutil
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from channels import outbox as ob
from channels.mailstore import iter_mail_files
from channels.recipients import RecipientDirectory
from stores.operational import LIFECYCLE_STATUSES, event_row, events, outbox

NAMESPACE = uuid.UUID("7f0a1c2e-4b7d-4d59-9a51-5e1e2c0b7d11")
OUTBOX_HEADER = "X-Relance-Outbox"


@dataclass
class InboundStats:
    files: int = 0
    events: int = 0
    duplicates: int = 0
    unmatched: int = 0
    rejected_files: list[str] = field(default_factory=list)
    fallbacks: int = 0

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _insert_event_once(conn, event_type: str, key: str, **fields: Any) -> bool:
    row = event_row(event_type, **fields)
    row["event_id"] = str(uuid.uuid5(NAMESPACE, f"{event_type}|{key}"))
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    result = conn.execute(dialect_insert(events).values(**row).on_conflict_do_nothing(index_elements=["event_id"]))
    return result.rowcount == 1


def _move(path: Path, folder: Path, reason: str | None = None) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / path.name
    shutil.move(str(path), target)
    if reason:
        (folder / f"{path.name}.reason.txt").write_text(reason + "\n", encoding="utf-8")


def _outbox_rows(conn, ids: Iterable[int]) -> list[dict[str, Any]]:
    ids = list(ids)
    if not ids:
        return []
    return [dict(r._mapping) for r in conn.execute(select(outbox).where(outbox.c.id.in_(ids)))]


# --- DSN -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DsnRecipient:
    final_recipient: str | None
    action: str
    status: str | None
    diagnostic: str | None


@dataclass(frozen=True)
class DsnReport:
    report_message_id: str | None
    original_message_id: str | None
    outbox_ids: tuple[int, ...]
    recipients: tuple[DsnRecipient, ...]


def _fields(block: str) -> dict[str, str]:
    out: dict[str, str] = {}
    last = None
    for line in block.splitlines():
        if line[:1] in (" ", "\t") and last:
            out[last] += " " + line.strip()
        elif ":" in line:
            name, value = line.split(":", 1)
            last = name.strip().lower()
            out[last] = value.strip()
    return {k: " ".join(v.split()) for k, v in out.items()}  # unfold continuation lines


def parse_dsn(data: bytes) -> DsnReport:
    """Read an RFC 3464 delivery status notification; ValueError with a reason when it is not one."""
    message: EmailMessage = email.message_from_bytes(data, policy=email.policy.default)  # type: ignore[assignment]
    if message.get_content_type() != "multipart/report":
        raise ValueError(f"not a delivery status notification (content type {message.get_content_type()})")
    status_part = original_headers = None
    for part in message.walk():
        ctype = part.get_content_type()
        if ctype == "message/delivery-status":
            status_part = part
        elif ctype in ("message/rfc822", "text/rfc822-headers"):
            original_headers = part
    if status_part is None:
        raise ValueError("multipart/report without a message/delivery-status part")
    # per RFC 3464 the status part is one per-message block then one block per recipient
    payload = status_part.get_payload()
    if isinstance(payload, list):
        blocks = ["\n".join(f"{k}: {v}" for k, v in p.items()) for p in payload]
    else:
        raw = status_part.get_payload(decode=True) or b""
        blocks = re.split(r"\r?\n\s*\r?\n", raw.decode("utf-8", "replace").strip())
    recipients = []
    for block in blocks[1:] if len(blocks) > 1 else blocks:
        values = _fields(block)
        if "action" not in values:
            continue
        final = values.get("final-recipient", "")
        recipients.append(
            DsnRecipient(
                final_recipient=final.split(";", 1)[-1].strip() or None,
                action=values["action"].lower(),
                status=values.get("status"),
                diagnostic=values.get("diagnostic-code"),
            )
        )
    if not recipients:
        raise ValueError("delivery status without any per-recipient Action field")
    original_id, outbox_ids = None, ()
    if original_headers is not None:
        if original_headers.get_content_type() == "message/rfc822":
            inner = original_headers.get_payload()
            inner = inner[0] if isinstance(inner, list) else inner
            headers = {k.lower(): str(v) for k, v in inner.items()}
        else:
            raw = original_headers.get_payload(decode=True) or original_headers.get_payload().encode()
            headers = _fields(raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw)
        original_id = (headers.get("message-id") or "").strip() or None
        outbox_ids = tuple(int(i) for i in re.findall(r"\d+", headers.get(OUTBOX_HEADER.lower(), "")))
    if original_id is None:
        raise ValueError("the report does not quote the original Message-ID")
    return DsnReport(
        report_message_id=(message.get("Message-ID") or "").strip() or None,
        original_message_id=original_id,
        outbox_ids=outbox_ids,
        recipients=tuple(recipients),
    )


def _rows_by_message_id(conn, message_id: str, hinted: tuple[int, ...]) -> list[dict[str, Any]]:
    rows = [r for r in _outbox_rows(conn, hinted) if (r.get("receipt") or {}).get("message_id") == message_id]
    if rows:
        return rows
    # no (trusted) hint: the Message-ID recorded in sent e-mail rows
    candidates = conn.execute(select(outbox).where(outbox.c.channel == "email", outbox.c.state == "sent"))
    return [dict(r._mapping) for r in candidates if (r.receipt or {}).get("message_id") == message_id]


def read_dsn_folder(engine: Engine, folder: Path, directory: RecipientDirectory | None = None) -> InboundStats:
    """Turn the DSNs of a Maildir or .eml folder into bounced/delivered events, matched by Message-ID."""
    stats = InboundStats()
    folder = Path(folder)
    base = folder  # processed/ and rejected/ sit in the folder itself, a Maildir or not
    for path in list(iter_mail_files(folder)):
        stats.files += 1
        try:
            report = parse_dsn(path.read_bytes())
        except ValueError as exc:
            _move(path, base / "rejected", str(exc))
            stats.rejected_files.append(path.name)
            continue
        with engine.begin() as conn:
            rows = _rows_by_message_id(conn, report.original_message_id, report.outbox_ids)
            if not rows:
                stats.unmatched += 1
                _move(path, base / "rejected", f"no sent e-mail with Message-ID {report.original_message_id}")
                stats.rejected_files.append(path.name)
                continue
            for row in rows:
                for rcpt in report.recipients:
                    if rcpt.action == "failed":
                        event_type = "bounced"
                    elif rcpt.action in ("delivered", "relayed"):
                        event_type = "delivered"
                    else:
                        continue  # `delayed`: the relay still tries; its final report will follow
                    key = f"{report.original_message_id}|{rcpt.final_recipient}|{row['id']}"
                    inserted = _insert_event_once(
                        conn,
                        event_type,
                        key,
                        source="dsn",
                        invoice_number=row["invoice_number"],
                        customer_id=row["customer_id"],
                        channel="email",
                        outbox_id=row["id"],
                        status_code=(rcpt.status or "")[:8] or None,
                        evidence={
                            "message_id": report.original_message_id,
                            "recipient": rcpt.final_recipient,
                            "action": rcpt.action,
                            "status": rcpt.status,
                            "diagnostic": rcpt.diagnostic,
                            "report_message_id": report.report_message_id,
                            "report_file": path.name,
                        },
                    )
                    if not inserted:
                        stats.duplicates += 1
                        continue
                    stats.events += 1
                    if event_type == "bounced" and (rcpt.status or "").startswith("5") and directory is not None:
                        stats.fallbacks += _fallback(conn, row, directory, f"bounced: {rcpt.status} {rcpt.diagnostic}")
        _move(path, base / "processed")
    return stats


def _fallback(conn, row: dict[str, Any], directory: RecipientDirectory, reason: str) -> int:
    recipient = directory.get(row["customer_id"])
    if recipient is None:
        return 0
    chain = recipient.channel_chain()
    tried = set((row.get("payload") or {}).get("tried_channels") or []) | {row["channel"]}
    later = chain[chain.index(row["channel"]) + 1 :] if row["channel"] in chain else chain
    for channel in later:
        if channel not in tried:
            return 1 if ob.enqueue_fallback(conn, row, channel, reason) else 0
    return 0


# --- platform lifecycle statuses -----------------------------------------------------------------------


def read_platform_statuses(engine: Engine, status_dir: Path) -> InboundStats:
    """Lifecycle status files from the e-invoice platform -> `lifecycle` events with their status code."""
    from channels.adapters.platform import parse_status_file

    stats = InboundStats()
    status_dir = Path(status_dir)
    if not status_dir.is_dir():
        return stats
    for path in sorted(p for p in status_dir.glob("*.json") if p.is_file()):
        stats.files += 1
        try:
            entries = parse_status_file(path)
        except ValueError as exc:
            _move(path, status_dir / "rejected", str(exc))
            stats.rejected_files.append(path.name)
            continue
        with engine.begin() as conn:
            resolved = []
            for entry in entries:
                row = _platform_row(conn, entry)
                if row is None:
                    resolved = None
                    reason = (
                        f"entry {entry['position']}: no platform submission "
                        f"{entry.get('submission') or entry.get('invoice_number')!r}"
                    )
                    break
                resolved.append((entry, row))
            if resolved is None:
                stats.unmatched += 1
                _move(path, status_dir / "rejected", reason)
                stats.rejected_files.append(path.name)
                continue
            for entry, row in resolved:
                code = entry["status_code"]
                key = f"{path.name}|{entry['position']}|{row['id']}|{code}"
                evidence = {
                    "status_label": LIFECYCLE_STATUSES[code],
                    "submission": entry.get("submission"),
                    "status_file": path.name,
                    **({"reason": entry["reason"]} if entry.get("reason") else {}),
                }
                common = dict(
                    source="platform",
                    invoice_number=row["invoice_number"],
                    customer_id=row["customer_id"],
                    channel="platform",
                    outbox_id=row["id"],
                    status_code=code,
                    evidence=evidence,
                    occurred_at=entry["occurred_at"],
                )
                if _insert_event_once(conn, "lifecycle", key, **common):
                    stats.events += 1
                else:
                    stats.duplicates += 1
                if code == "213":  # Rejetée: the platform refused the invoice itself
                    _insert_event_once(conn, "rejected", key, **common)
        _move(path, status_dir / "processed")
    return stats


def _platform_row(conn, entry: dict[str, Any]) -> dict[str, Any] | None:
    submission = entry.get("submission")
    if submission:
        match = re.match(r"^(\d{10})-", str(submission))
        if match:
            rows = _outbox_rows(conn, [int(match.group(1))])
            if rows and rows[0]["channel"] == "platform":
                return rows[0]
        return None
    row = conn.execute(
        select(outbox)
        .where(outbox.c.channel == "platform", outbox.c.invoice_number == str(entry["invoice_number"]))
        .order_by(outbox.c.id.desc())
        .limit(1)
    ).first()
    return dict(row._mapping) if row else None
