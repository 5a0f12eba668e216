"""Where `relance risk backtest` gets its data: a private in-memory DuckDB, filled either from a copy of the
warehouse's tables (the warehouse is only ever written by Dagster runs) or from an ERP export taken in by
the ingest path (`assets.ingest.load.ingest_into` with a profile, then the staging and marts SQL)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

from assets.analytics.contract import create_contract_tables
from assets.business_date import business_date
from stores import warehouse

# what the risk features read, as the contract names them
SOURCE_TABLES = ("marts.invoices", "marts.customers", "staging.payments", "staging.disputes", "staging.events")
INGEST_STAGING = ("customers", "invoices", "invoice_history", "invoice_lines", "payments", "disputes", "quarantine")


class BacktestInputError(ValueError):
    """The data asked for cannot be read."""


def _fresh() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    create_contract_tables(con)  # empty tables of the contract shape for anything the source lacks
    return con


def from_warehouse(path: Path) -> duckdb.DuckDBPyConnection:
    """Copy the tables the model reads out of the warehouse file (opened read-only, then detached)."""
    if not Path(path).exists():
        raise BacktestInputError(f"no warehouse at {path}: run the ingest first, or pass --input and --profile")
    con = _fresh()
    try:
        con.execute(f"attach '{Path(path).as_posix()}' as source_warehouse (read_only)")
    except duckdb.IOException as exc:
        raise BacktestInputError(
            f"cannot open {path} (a Dagster run may be writing it; DuckDB locks the file): {exc}"
        ) from exc
    try:
        for table in SOURCE_TABLES:
            schema, name = table.split(".")
            present = con.execute(
                "select count(*) from information_schema.tables "
                "where table_catalog = 'source_warehouse' and table_schema = ? and table_name = ?",
                [schema, name],
            ).fetchall()[0][0]
            if present:
                con.execute(f"create or replace table {table} as select * from source_warehouse.{table}")
            elif table == "marts.invoices":
                raise BacktestInputError(f"{path} has no marts.invoices yet: run the ingest first")
    finally:
        con.execute("detach source_warehouse")
    return con


def from_export(path: Path, profile: str | None, run_date: date | None = None) -> duckdb.DuckDBPyConnection:
    """Take an ERP export in through the ingest path (raw -> staging -> marts) into a private database."""
    from assets.ingest.load import create_raw_tables, ingest_into

    if not Path(path).exists():
        raise BacktestInputError(f"input file not found: {path}")
    con = _fresh()
    for table in ("marts.invoices", "marts.customers", "staging.payments", "staging.disputes"):
        con.execute(f"drop table {table}")
    create_raw_tables(con)
    reports = ingest_into(con, [path], profile)
    errors = [r["error"] for r in reports if "error" in r]
    if errors:
        raise BacktestInputError("; ".join(errors))
    for table in INGEST_STAGING:
        warehouse.build_model(con, "staging", table)  # staging takes no parameter
    latest = con.execute(
        "select max(d) from (select max(issue_date) d from staging.invoices union all "
        "select max(due_date) from staging.invoices union all select max(payment_date) from staging.payments)"
    ).fetchall()[0][0]
    # settle as of the last date the export knows about, unless told otherwise
    params = {"as_of": run_date or latest or business_date()}
    warehouse.build_model(con, "marts", "invoices", params)
    warehouse.build_model(con, "marts", "customers", params)
    return con


def latest_known_date(con: duckdb.DuckDBPyConnection) -> date:
    row = con.execute(
        "select greatest(max(issue_date), max(settled_date), max(due_date)) from marts.invoices "
        "where document_type = 'invoice'"
    ).fetchall()[0][0]
    if row is None:
        raise BacktestInputError("the data holds no invoice")
    return row


def build_features(con: duckdb.DuckDBPyConnection, as_of: date) -> None:
    """The point-in-time features of every invoice (scored at issue), as of `as_of`."""
    warehouse.build_model(con, "intermediate", "analytics_invoice_events", {"as_of": as_of})
    warehouse.build_model(con, "intermediate", "risk_features", {"as_of": as_of})
