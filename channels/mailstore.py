"""A folder of received e-mails: one .eml per message plus an index (JSON lines) to browse them.

Written by the demo SMTP server (demo/mailserver.py, `relance mail serve`), read by `relance mail
list/show`, by tests that count what a server really received, and by the e-mail adapter's crash recovery
(was this Message-ID received?): the format is production's, as the adapter reads it. Message files are
written atomically before the index line, and the server answers 250 only after both, so anything the
index lists is complete (add `--fsync` to also survive a power cut).

`find_message_id` also understands plain Maildir folders and folders of .eml files (an archive mailbox
that gets a BCC of every outgoing message), for setups where the relay is not the demo server.
"""

from __future__ import annotations

import email
import email.policy
import fcntl
import json
import os
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from email.message import EmailMessage
from pathlib import Path
from typing import Any

INDEX_NAME = "index.jsonl"


@dataclass(frozen=True)
class StoredMail:
    id: str
    message_id: str | None
    mail_from: str
    rcpt_tos: list[str]
    subject: str | None
    received_at: str
    size: int
    file: str
    peer: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def header_block(data: bytes) -> bytes:
    end = data.find(b"\r\n\r\n")
    if end < 0:
        end = data.find(b"\n\n")
    return data if end < 0 else data[:end] + b"\r\n\r\n"


def parse_headers(data: bytes) -> EmailMessage:
    return email.message_from_bytes(data, policy=email.policy.default)  # type: ignore[return-value]


class MailStore:
    def __init__(self, root: Path, fsync: bool = False):
        self.root = Path(root)
        # A killed server process loses nothing without fsync (the page cache survives it); fsync only
        # guards against power loss, at several milliseconds per message.
        self.fsync = fsync

    @property
    def index_path(self) -> Path:
        return self.root / INDEX_NAME

    def save(self, data: bytes, *, mail_from: str, rcpt_tos: list[str], peer: str | None = None) -> StoredMail:
        self.root.mkdir(parents=True, exist_ok=True)
        received = datetime.now(timezone.utc)
        mail_id = f"{received:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:10]}"
        headers = parse_headers(header_block(data))  # the body (attachments) is not needed for the index
        target = self.root / f"{mail_id}.eml"
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".tmp-")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            if self.fsync:
                os.fsync(fh.fileno())
        os.replace(tmp, target)
        record = StoredMail(
            id=mail_id,
            message_id=(headers.get("Message-ID") or "").strip() or None,
            mail_from=mail_from,
            rcpt_tos=list(rcpt_tos),
            subject=str(headers.get("Subject")) if headers.get("Subject") else None,
            received_at=received.isoformat(),
            size=len(data),
            file=target.name,
            peer=peer,
        )
        line = json.dumps(record.to_dict(), ensure_ascii=False) + "\n"
        with open(self.index_path, "a", encoding="utf-8") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            fh.write(line)
            fh.flush()
            if self.fsync:
                os.fsync(fh.fileno())
            fcntl.flock(fh, fcntl.LOCK_UN)
        return record

    def list(self) -> list[StoredMail]:
        if not self.index_path.exists():
            return []
        out = []
        with open(self.index_path, encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    try:
                        out.append(StoredMail(**json.loads(line)))
                    except (json.JSONDecodeError, TypeError):
                        continue  # a torn last line from a killed writer; the message file is still there
        return out

    def get(self, mail_id: str) -> tuple[StoredMail, bytes]:
        for record in self.list():
            if record.id == mail_id:
                return record, (self.root / record.file).read_bytes()
        raise KeyError(f"no message {mail_id!r} in {self.root}")

    def message_ids(self) -> list[str]:
        return [r.message_id for r in self.list() if r.message_id]

    def find_message_id(self, message_id: str) -> dict[str, Any] | None:
        """Where a message with this Message-ID was received, or None."""
        wanted = message_id.strip()
        if self.index_path.exists():
            for record in self.list():
                if record.message_id == wanted:
                    return {"archive": str(self.root), "archived_as": record.id, "received_at": record.received_at}
            return None
        for path in iter_mail_files(self.root):
            try:
                with open(path, "rb") as fh:
                    head = header_block(fh.read(64 * 1024))
            except OSError:
                continue
            if (parse_headers(head).get("Message-ID") or "").strip() == wanted:
                return {"archive": str(self.root), "archived_as": path.name}
        return None


def iter_mail_files(root: Path) -> Iterator[Path]:
    """Messages of a Maildir (new/ and cur/) or of a folder of .eml files."""
    root = Path(root)
    if (root / "cur").is_dir() or (root / "new").is_dir():
        for sub in ("new", "cur"):
            folder = root / sub
            if folder.is_dir():
                yield from sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
        return
    if root.is_dir():
        yield from sorted(p for p in root.glob("*.eml") if p.is_file())
