"""The analytics assets inside the whole Relance code location: their keys, their upstream keys (read from
the SQL), and the settings' validation."""

from __future__ import annotations

from datetime import date

import dagster as dg
import pytest

from assets.sql_assets import upstream_keys
from pipelines.resources import AnalyticsSettings


def test_code_location_wires_analytics_to_the_other_domains():
    from pipelines.definitions import defs

    graph = defs.get_repository_def().asset_graph
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    for table in (
        "kpi_summary",
        "kpi_aging",
        "late_rates",
        "late_invoice_causes",
        "late_origin_by_customer",
        "reminder_effectiveness",
        "risk_scores",
        "risk_calibration",
        "risk_model_metrics",
    ):
        assert f"marts/{table}" in keys
    parents = graph.get(dg.AssetKey(["intermediate", "analytics_invoices"])).parent_keys
    assert parents == {
        dg.AssetKey(k)
        for k in (
            ["marts", "invoices"],
            ["marts", "customers"],
            ["staging", "payments"],
            ["staging", "disputes"],
            ["intermediate", "analytics_invoice_events"],
        )
    }
    assert (
        dg.AssetKey(["staging", "events"])
        in graph.get(dg.AssetKey(["intermediate", "analytics_invoice_events"])).parent_keys
    )
    # the serving snapshot publishes the analytics marts
    assert dg.AssetKey(["marts", "risk_scores"]) in graph.get(dg.AssetKey(["serving", "snapshot"])).parent_keys


def test_a_table_named_in_a_comment_is_not_an_input():
    # late_cause_candidates mentions marts.late_invoice_causes in its header comment only
    assert dg.AssetKey(["marts", "late_invoice_causes"]) not in upstream_keys("intermediate", "late_cause_candidates")


def test_settings_refuse_nonsense():
    with pytest.raises(ValueError, match="postage_tariff"):
        AnalyticsSettings(postage_tariff="one euro").parameters(date(2026, 1, 1))
    with pytest.raises(ValueError, match="period_days"):
        AnalyticsSettings(period_days=0).parameters(date(2026, 1, 1))


def test_a_fresh_warehouse_materializes_empty_kpis(tmp_path):
    from assets.analytics.contract import create_contract_tables
    from stores import warehouse
    from tests.assets.analytics.conftest import check_evaluations, materialize_analytics, rows

    con = warehouse.connect(tmp_path / "warehouse.duckdb")
    create_contract_tables(con)
    con.close()
    result = materialize_analytics(tmp_path, date(2026, 3, 31))
    assert all(evaluation.passed for evaluation in check_evaluations(result).values())
    con = warehouse.connect(tmp_path / "warehouse.duckdb", read_only=True)
    (summary,) = rows(con, "select receivable_amount, dso_standard from marts.kpi_summary")
    assert summary["receivable_amount"] == 0 and summary["dso_standard"] is None  # no sales: no DSO
    assert rows(con, "select count(*) as n from marts.late_invoice_causes") == [{"n": 0}]
