"""Where Relance keeps its data: everything lives under one home folder (RELANCE_HOME, default ./var)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Home:
    root: Path

    @property
    def inbox(self) -> Path:
        """ERP exports dropped here are picked up by the ingest sensor."""
        return self.root / "inbox"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def snapshot(self) -> Path:
        return self.root / "serving" / "snapshot.duckdb"

    @property
    def documents(self) -> Path:
        return self.root / "documents"

    @property
    def mail(self) -> Path:
        """Messages kept by the local demo SMTP server."""
        return self.root / "mail"

    @property
    def dagster_home(self) -> Path:
        return self.root / "dagster"

    def outbox(self, channel: str) -> Path:
        """Folder-based channel outboxes (e-invoice platform, EDI, print house)."""
        return self.root / "outbox" / channel

    @property
    def operational_url(self) -> str:
        """SQLAlchemy URL of the operational store: RELANCE_OPERATIONAL_URL, else SQLite in the home."""
        return os.environ.get("RELANCE_OPERATIONAL_URL") or f"sqlite:///{self.root / 'operational.sqlite'}"

    def ensure(self) -> Home:
        for folder in (self.root, self.inbox, self.documents, self.snapshot.parent):
            folder.mkdir(parents=True, exist_ok=True)
        return self


def relance_home() -> Home:
    return Home(Path(os.environ.get("RELANCE_HOME", "./var")).expanduser().resolve())


PROJECT_ROOT = Path(__file__).resolve().parent.parent
SQL_ROOT = PROJECT_ROOT / "sql"
CONFIG_ROOT = PROJECT_ROOT / "config"
