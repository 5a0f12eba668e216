"""A stand-in for an e-invoice platform that exchanges files with Relance by folder: it picks up the
submissions (manifests) the platform adapter (channels/adapters/platform.py) drops in the outbox folder and
answers each with a lifecycle status file (French reform codes 200 Déposée ... 213 Rejetée) in the status
folder, which `relance feedback` reads back. Behind `relance platform simulate`; the tests use it too.

(The AFNOR XP Z12-013 API stand-in of an approved platform is another module: demo/approved_platform/.)
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from channels.files import write_atomically
from stores.operational import LIFECYCLE_STATUSES


class PlatformSimulator:
    """The platform's side, for the demo and the tests: picks up manifests, answers with status files."""

    def __init__(self, outbox_dir: Path, status_dir: Path):
        self.outbox_dir = Path(outbox_dir)
        self.status_dir = Path(status_dir)

    def pending_manifests(self) -> list[dict[str, Any]]:
        return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(self.outbox_dir.glob("*.json"))]

    @property
    def ledger(self) -> Path:
        return self.status_dir / ".answered"

    def answered(self) -> set[str]:
        """Submissions the simulator already answered (its own ledger, one submission per line)."""
        if not self.ledger.exists():
            return set()
        return {line.strip() for line in self.ledger.read_text(encoding="utf-8").splitlines() if line.strip()}

    def report(self, manifest: dict[str, Any], codes: list[str], reason: str | None = None) -> Path:
        now = datetime.now(timezone.utc)
        statuses = [
            {
                "submission": manifest["submission"],
                "invoice_number": manifest["invoice_number"],
                "status_code": code,
                "status_label": LIFECYCLE_STATUSES[code],
                "occurred_at": now.isoformat(),
                **({"reason": reason} if reason else {}),
            }
            for code in codes
        ]
        target = self.status_dir / f"{manifest['submission']}-{'-'.join(codes)}-{uuid.uuid4().hex[:6]}.json"
        written = write_atomically(target, json.dumps(statuses, ensure_ascii=False).encode("utf-8"))
        with open(self.ledger, "a", encoding="utf-8") as fh:
            fh.write(manifest["submission"] + "\n")
        return written
