"""E-invoice platform: Factur-X / UBL files plus a JSON manifest dropped in the platform's outbox folder.

A stand-in for an approved platform (PA) or a Peppol access point that exchanges files with us by folder
(RELANCE_HOME/outbox/platform by default, RELANCE_PLATFORM_OUTBOX to change it). The invoice files are
written first, the manifest last and atomically: the platform takes a submission only once its manifest
exists, so a crash never hands over half a submission. Names derive from the outbox row, so a crashed
send is settled by checking whether its manifest exists.

The platform reports lifecycle statuses (French reform codes 200 Déposée ... 213 Rejetée) as JSON files
in its status folder (RELANCE_HOME/status/platform, RELANCE_PLATFORM_STATUS_DIR): `read_statuses` turns
them into `lifecycle` events. The demo plays the platform's side with demo/folder_platform.py.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from channels.adapters.base import Delivery, PermanentError, Receipt
from channels.files import safe_name, write_atomically
from stores.operational import LIFECYCLE_STATUSES

MANIFEST_VERSION = 1
FILE_SUFFIX = {"pdf": ".pdf", "cii": ".cii.xml", "ubl": ".ubl.xml"}
SYNTAX = {"pdf": "Factur-X", "cii": "CII", "ubl": "UBL"}


def submission_name(delivery: Delivery) -> str:
    item = delivery.first
    return f"{item.outbox_id:010d}-{safe_name(item.invoice_number or item.kind)}"


class PlatformAdapter:
    channel = "platform"

    def __init__(self, outbox_dir: Path):
        self.outbox_dir = Path(outbox_dir)

    def send(self, delivery: Delivery) -> Receipt:
        item = delivery.first
        formats = [f for f in ("pdf", "ubl", "cii") if f in item.documents]
        if not formats:
            raise PermanentError(
                f"no Factur-X or UBL document for {item.invoice_number}: nothing to submit", code="document_missing"
            )
        if "pdf" in formats and "cii" in formats:
            formats.remove("cii")  # the Factur-X PDF already carries its CII
        recipient = delivery.recipient
        if not (recipient.platform_id or recipient.siren):
            raise PermanentError(
                f"customer {recipient.customer_id} has no platform id or SIREN to address the e-invoice to",
                code="no_platform_address",
            )
        name = submission_name(delivery)
        files = []
        for fmt in formats:
            data = item.documents[fmt].read_bytes()
            if fmt == "pdf" and not data.startswith(b"%PDF-"):
                raise PermanentError(f"{item.invoice_number}: the Factur-X document is not a PDF", code="not_pdf")
            file_name = name + FILE_SUFFIX[fmt]
            write_atomically(self.outbox_dir / file_name, data)
            files.append(
                {
                    "name": file_name,
                    "format": fmt,
                    "syntax": SYNTAX[fmt],
                    "sha256": hashlib.sha256(data).hexdigest(),
                    "size": len(data),
                }
            )
        manifest = {
            "manifest_version": MANIFEST_VERSION,
            "submission": name,
            "outbox_id": item.outbox_id,
            "idempotency_key": item.idempotency_key,
            "invoice_number": item.invoice_number,
            "kind": item.kind,
            "customer_id": recipient.customer_id,
            "recipient": {"platform_id": recipient.platform_id, "siren": recipient.siren, "name": recipient.name},
            "files": files,
            "submitted_at": datetime.now(timezone.utc).isoformat(),
        }
        write_atomically(
            self.outbox_dir / f"{name}.json", json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8")
        )
        return Receipt(
            channel=self.channel,
            reference=name,
            evidence={"submission": name, "manifest": f"{name}.json", "files": [f["name"] for f in files]},
        )

    def lookup(self, delivery: Delivery) -> Receipt | None:
        name = submission_name(delivery)
        if (self.outbox_dir / f"{name}.json").exists():
            return Receipt(
                channel=self.channel,
                reference=name,
                recovered=True,
                evidence={"submission": name, "manifest": f"{name}.json"},
            )
        return None

    def close(self) -> None:
        return None


def parse_status_file(path: Path) -> list[dict[str, Any]]:
    """A status file holds one status object or a list of them; each is checked, with clear reasons."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{Path(path).name}: not a JSON status file ({exc})") from exc
    entries = data if isinstance(data, list) else [data]
    out = []
    for position, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise ValueError(f"{Path(path).name}[{position}]: a status must be an object")
        code = str(entry.get("status_code", "")).strip()
        if code not in LIFECYCLE_STATUSES:
            raise ValueError(
                f"{Path(path).name}[{position}]: unknown lifecycle status code {code!r} (expected 200..213)"
            )
        if not (entry.get("submission") or entry.get("invoice_number")):
            raise ValueError(f"{Path(path).name}[{position}]: a status needs its submission or invoice_number")
        occurred = entry.get("occurred_at")
        try:
            when = datetime.fromisoformat(occurred) if occurred else None
        except ValueError as exc:
            raise ValueError(f"{Path(path).name}[{position}]: occurred_at {occurred!r} is not ISO 8601") from exc
        if when is not None and when.tzinfo is None:
            raise ValueError(f"{Path(path).name}[{position}]: occurred_at must carry a time zone")
        out.append({**entry, "status_code": code, "occurred_at": when, "position": position})
    return out


def platform_dirs(home) -> tuple[Path, Path]:
    outbox_dir = Path(os.environ.get("RELANCE_PLATFORM_OUTBOX") or home.outbox("platform"))
    status_dir = Path(os.environ.get("RELANCE_PLATFORM_STATUS_DIR") or home.root / "status" / "platform")
    return outbox_dir, status_dir
