"""Resources shared by every domain, configured from the environment."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

import dagster as dg
import duckdb
from sqlalchemy import Engine

from stores import operational, warehouse
from stores.home import Home, relance_home


class RelanceResource(dg.ConfigurableResource):
    """The data home (RELANCE_HOME) and the operational store URL (RELANCE_OPERATIONAL_URL)."""

    # None: read RELANCE_HOME (default ./var) when the run uses it, not when the code location is loaded
    home: str | None = None
    operational_url: str | None = None

    @property
    def paths(self) -> Home:
        if self.home:
            return Home(Path(self.home).expanduser().resolve()).ensure()
        return relance_home().ensure()

    @contextmanager
    def warehouse(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        con = warehouse.connect(self.paths.warehouse, read_only=read_only)
        try:
            yield con
        finally:
            con.close()

    def opstore(self) -> Engine:
        return operational.open_store(self.operational_url or self.paths.operational_url)


def _from_env(name: str):
    # EnvVar: read at run time and shown as such in the Dagster UI. Unset at load time: None, so the
    # resource falls back to the environment (or the default) when a run starts, never to a path frozen
    # at import.
    return dg.EnvVar(name) if os.environ.get(name) else None


def relance_resource() -> RelanceResource:
    return RelanceResource(home=_from_env("RELANCE_HOME"), operational_url=_from_env("RELANCE_OPERATIONAL_URL"))


WAREHOUSE_POOL = "warehouse"  # every asset writing the DuckDB file runs in this pool, limit 1


class AnalyticsSettings(dg.ConfigurableResource):
    """Parameters of the analytics models (docs/analytics.md explains each one), bound by pipelines/analytics.py."""

    period_days: int = 90  # DSO, CEI, on-time rate, days to pay and postage look back this many days
    postage_tariff: str = "1.16"  # price of one paper letter, for the savings of electronic delivery
    issue_delay_days: int = 7  # an invoice issued later than this after delivery was issued late
    send_delay_days: int = 3  # an invoice sent later than this after its issue date was sent late
    po_share_threshold: float = 0.8  # a customer quoting a PO on this share of invoices needs one
    chronic_min_invoices: int = 3  # settled invoices needed before calling a customer a chronic late payer
    chronic_late_share: float = 0.5  # ... and the share of them that must have been late
    reminder_window_days: int = 14  # a reminder "worked" when the invoice was settled within this many days

    def parameters(self, as_of: date) -> dict:
        try:
            tariff = Decimal(self.postage_tariff)
        except InvalidOperation:
            raise ValueError(
                f"analytics_settings.postage_tariff must be an amount like 1.16, not {self.postage_tariff!r}"
            ) from None
        if self.period_days < 1 or self.reminder_window_days < 1:
            raise ValueError("analytics_settings.period_days and reminder_window_days must be at least 1")
        return {
            "as_of": as_of,
            "period_days": self.period_days,
            "postage_tariff": tariff,
            "issue_delay_days": self.issue_delay_days,
            "send_delay_days": self.send_delay_days,
            "po_share_threshold": self.po_share_threshold,
            "chronic_min_invoices": self.chronic_min_invoices,
            "chronic_late_share": self.chronic_late_share,
            "reminder_window_days": self.reminder_window_days,
        }
