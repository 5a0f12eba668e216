"""The business date: the one day a run computes as of (what is open and overdue, lateness, which reminders
are due, the KPIs), the same for every asset, check and command of that run.

It is, in this order: the run's `relance/run_date` tag (`relance materialize --date`, the CLI's runs, the
tests); the run's daily partition (the dunning batches' schedule and backfills); otherwise the day on which
the run started, in the company's time zone. The company's day, not UTC's: a run at 00:30 in Paris
(23:30 UTC) belongs to the new day, as the company's staff and its ERP see it. The time zone is
RELANCE_TIMEZONE (an IANA name), Europe/Paris by default.

Plain Python: a Dagster context is only read (its run's tags, and when it started), never imported.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import date, datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

RUN_DATE_TAG = "relance/run_date"
PARTITION_TAG = "dagster/partition"
TIME_ZONE_VARIABLE = "RELANCE_TIMEZONE"
DEFAULT_TIME_ZONE = "Europe/Paris"


def company_time_zone_name() -> str:
    """The IANA name of the company's time zone (RELANCE_TIMEZONE, default Europe/Paris), checked."""
    name = os.environ.get(TIME_ZONE_VARIABLE) or DEFAULT_TIME_ZONE
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{TIME_ZONE_VARIABLE}={name!r} is not an IANA time zone such as Europe/Paris") from None
    return name


def company_time_zone() -> ZoneInfo:
    return ZoneInfo(company_time_zone_name())


def today(now: datetime | None = None) -> date:
    """The company's date at `now` (default: this instant)."""
    moment = now or datetime.now(timezone.utc)
    if moment.tzinfo is None:
        raise ValueError("the business date is taken from a timezone-aware time")
    return moment.astimezone(company_time_zone()).date()


def business_date(run: Any = None, *, now: datetime | None = None) -> date:
    """The business date of a run: `run` is a Dagster execution context, a run's tags, or None (no run:
    a sensor, a command, the dashboard). `now` replaces the start time of the run (tests)."""
    tags = _tags(run)
    tagged = _iso_date(tags.get(RUN_DATE_TAG), RUN_DATE_TAG)
    partition = _partition_date(tags.get(PARTITION_TAG))
    if tagged and partition and tagged != partition:
        raise ValueError(
            f"the run's {RUN_DATE_TAG} tag ({tagged}) and its daily partition ({partition}) name different days"
        )
    if tagged or partition:
        return tagged or partition
    return today(now or _run_started(run))


def run_tags(day: date) -> dict[str, str]:
    """The tags that give a run its business date."""
    return {RUN_DATE_TAG: day.isoformat()}


def _tags(run: Any) -> Mapping[str, str]:
    if run is None:
        return {}
    if isinstance(run, Mapping):
        return run
    dagster_run = getattr(run, "run", None)  # an asset, op or asset-check execution context
    return dict(getattr(dagster_run, "tags", None) or {})


def _iso_date(value: str | None, what: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"the run's {what} tag must be a date (YYYY-MM-DD), not {value!r}") from None


def _partition_date(value: str | None) -> date | None:
    # only a daily partition names a day; other partition keys say nothing about the business date
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _run_started(run: Any) -> datetime | None:
    """When the run of a Dagster context was created, so every step of a run that crosses midnight keeps
    the day it started on; None outside a run."""
    instance = getattr(run, "instance", None)
    run_id = getattr(getattr(run, "run", None), "run_id", None)
    if instance is None or run_id is None:
        return None
    record = instance.get_run_record_by_id(run_id)
    if record is None or record.create_timestamp is None:
        return None
    created = record.create_timestamp
    return created if created.tzinfo else created.replace(tzinfo=timezone.utc)
