"""Analytics tests run the real Dagster assets in-process against a real DuckDB warehouse file."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from assets.analytics import defs as analytics
from assets.business_date import RUN_DATE_TAG
from assets.events.copy import ensure_raw_table
from pipelines import ingest
from pipelines.resources import AnalyticsSettings, RelanceResource
from stores import warehouse
from tests.assets.analytics import fixture


def materialize_analytics(home: Path, run_date: date, assets=None) -> dg.ExecuteInProcessResult:
    """Materialize the analytics assets (all by default) as of `run_date`, like `relance materialize --date`."""
    result = dg.materialize(
        [*(assets or analytics.ASSETS), *analytics.CHECKS],
        resources={"relance": RelanceResource(home=str(home)), "analytics_settings": AnalyticsSettings()},
        tags={RUN_DATE_TAG: run_date.isoformat()},
    )
    assert result.success
    return result


def ingest_export(home: Path, path: Path, profile: str, run_date: date) -> None:
    """Take an ERP export into the warehouse of `home` through the ingest job `relance ingest` runs (raw,
    staging and marts as of `run_date`). The export's invoices were never sent through Relance, so the
    operational event log is empty: staging.events is built by its own SQL on an empty raw table."""
    defs = dg.Definitions.merge(ingest.defs, dg.Definitions(resources={"relance": RelanceResource(home=str(home))}))
    result = defs.resolve_job_def(ingest.INGEST_JOB).execute_in_process(
        run_config={"ops": {"raw_ingest": {"config": {"paths": [str(path)], "profile": profile}}}},
        tags={RUN_DATE_TAG: run_date.isoformat()},
        instance=dg.DagsterInstance.ephemeral(),
    )
    assert result.success
    con = warehouse.connect(home / "warehouse.duckdb")
    try:
        ensure_raw_table(con)
        warehouse.build_model(con, "staging", "events")
    finally:
        con.close()


def check_evaluations(result: dg.ExecuteInProcessResult) -> dict[str, dg.AssetCheckEvaluation]:
    """The asset checks that ran with the materialization, by check name."""
    return {evaluation.check_name: evaluation for evaluation in result.get_asset_check_evaluations()}


@pytest.fixture(scope="package")
def book_home(tmp_path_factory) -> Path:
    """A data home whose warehouse holds the hand-checked fixture book, with every analytics asset
    materialized as of 2026-03-31."""
    home = tmp_path_factory.mktemp("analytics-book")
    con = warehouse.connect(home / "warehouse.duckdb")
    fixture.load(con)
    con.close()
    result = materialize_analytics(home, fixture.AS_OF)
    (home / "checks.txt").write_text(
        "\n".join(f"{name} {evaluation.passed}" for name, evaluation in sorted(check_evaluations(result).items()))
    )
    return home


@pytest.fixture
def book(book_home):
    con = duckdb.connect(str(book_home / "warehouse.duckdb"), read_only=True)
    yield con
    con.close()


def rows(con, sql: str, params=None) -> list[dict]:
    result = con.execute(sql, params or [])
    names = [d[0] for d in result.description]
    return [dict(zip(names, row)) for row in result.fetchall()]
