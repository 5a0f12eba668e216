"""One business date for every asset, check and command: the run's `relance/run_date` tag, else its daily
partition, else the day the run started in the company's time zone (Europe/Paris unless RELANCE_TIMEZONE
says otherwise). Ingest used to take the machine's local date and analytics the UTC date, so between
midnight in Paris and midnight UTC the two disagreed about "today"; now both take Paris's."""

from datetime import date, datetime, timezone

import dagster as dg
import pytest

from assets.analytics.defs import SQL_ASSETS
from assets.business_date import PARTITION_TAG, RUN_DATE_TAG, business_date, company_time_zone_name, today
from assets.ingest.defs import MARTS_ASSETS, STAGING_ASSETS
from pipelines.resources import AnalyticsSettings, RelanceResource


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


def test_near_midnight_utc_the_business_day_is_the_company_s(monkeypatch):
    monkeypatch.delenv("RELANCE_TIMEZONE", raising=False)
    assert company_time_zone_name() == "Europe/Paris"
    # winter, Paris is UTC+1: 23:30 UTC is already 00:30 the next day in Paris
    assert business_date(now=utc(2026, 1, 1, 22, 59)) == date(2026, 1, 1)
    assert business_date(now=utc(2026, 1, 1, 23, 30)) == date(2026, 1, 2)
    # summer, Paris is UTC+2: the day turns at 22:00 UTC
    assert business_date(now=utc(2026, 7, 1, 21, 59)) == date(2026, 7, 1)
    assert business_date(now=utc(2026, 7, 1, 22, 0)) == date(2026, 7, 2)


def test_the_company_time_zone_is_a_setting(monkeypatch):
    monkeypatch.setenv("RELANCE_TIMEZONE", "America/New_York")
    assert today(utc(2026, 1, 2, 3, 0)) == date(2026, 1, 1)
    monkeypatch.setenv("RELANCE_TIMEZONE", "Paris")
    with pytest.raises(ValueError, match="RELANCE_TIMEZONE='Paris' is not an IANA time zone"):
        business_date()


def test_the_run_s_tag_then_its_partition_decide_before_the_clock():
    late_evening = utc(2026, 1, 1, 23, 30)
    assert business_date({RUN_DATE_TAG: "2025-05-05"}, now=late_evening) == date(2025, 5, 5)
    assert business_date({PARTITION_TAG: "2025-05-06"}, now=late_evening) == date(2025, 5, 6)
    # a partition that is no day (another partitioning) says nothing about the business date
    assert business_date({PARTITION_TAG: "customer-42"}, now=late_evening) == date(2026, 1, 2)
    assert business_date({RUN_DATE_TAG: "2025-05-06", PARTITION_TAG: "2025-05-06"}) == date(2025, 5, 6)
    with pytest.raises(ValueError, match="name different days"):
        business_date({RUN_DATE_TAG: "2025-05-05", PARTITION_TAG: "2025-05-06"})
    with pytest.raises(ValueError, match="must be a date"):
        business_date({RUN_DATE_TAG: "yesterday"})


def test_ingest_and_analytics_assets_of_one_untagged_run_agree_on_the_date(tmp_path, monkeypatch):
    monkeypatch.delenv("RELANCE_TIMEZONE", raising=False)
    wanted = {"staging/invoices", "staging/payments", "marts/invoices", "intermediate/analytics_receivable_snapshots"}
    assets = [a for a in [*STAGING_ASSETS, *MARTS_ASSETS, *SQL_ASSETS] if a.key.to_user_string() in wanted]
    before = today()
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize(
        assets,
        resources={"relance": RelanceResource(home=str(tmp_path)), "analytics_settings": AnalyticsSettings()},
        instance=instance,
    )
    after = today()
    assert result.success
    dates = {}
    for event in result.get_asset_materialization_events():
        dates[event.materialization.asset_key.to_user_string()] = event.materialization.metadata["run_date"].value
    assert set(dates) == wanted
    assert len(set(dates.values())) == 1, dates  # ingest and analytics: the same day
    # the day the run was created on, in Paris
    created = instance.get_run_record_by_id(result.run_id).create_timestamp
    assert set(dates.values()) == {today(created).isoformat()}
    assert today(created) in (before, after)
