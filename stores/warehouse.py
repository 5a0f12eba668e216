"""The DuckDB warehouse: one file, written only by Dagster runs; SQL lives in sql/<layer>/<name>.sql.

Each SQL file holds one `select` statement (jaffle-shop style). Building a model wraps it in
`create or replace table <layer>.<name> as ...`; values reach the statement only as bound parameters.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import duckdb

from stores.home import SQL_ROOT

LAYERS = ("raw", "staging", "intermediate", "marts")
_NAMED_PARAM = re.compile(r"(?<!:)\$([a-z_][a-z0-9_]*)")


def connect(path: Path | str, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    path = Path(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only)
    if not read_only:
        for layer in LAYERS:
            con.execute(f"create schema if not exists {layer}")
    return con


def sql_text(layer: str, name: str) -> str:
    path = SQL_ROOT / layer / f"{name}.sql"
    if not path.exists():
        raise FileNotFoundError(f"no SQL model {layer}/{name} (looked for {path})")
    return path.read_text(encoding="utf-8").strip().rstrip(";")


def _bind(sql: str, params: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Pass only the parameters the statement names, so one mapping can serve several models."""
    if not params:
        return None
    wanted = set(_NAMED_PARAM.findall(sql))
    missing = wanted - set(params)
    if missing:
        raise KeyError(f"SQL needs parameters {sorted(missing)}")
    return {k: v for k, v in params.items() if k in wanted} or None


def query(con: duckdb.DuckDBPyConnection, layer: str, name: str, params: Mapping[str, Any] | None = None):
    sql = sql_text(layer, name)
    return con.execute(sql, _bind(sql, params))


def build_model(con: duckdb.DuckDBPyConnection, layer: str, name: str, params: Mapping[str, Any] | None = None) -> int:
    """(Re)build table <layer>.<name> from its SQL file; returns its row count."""
    sql = sql_text(layer, name)
    con.execute(f"create or replace table {layer}.{name} as {sql}", _bind(sql, params))
    return con.execute(f"select count(*) from {layer}.{name}").fetchone()[0]


def table_exists(con: duckdb.DuckDBPyConnection, layer: str, name: str) -> bool:
    row = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [layer, name],
    ).fetchone()
    return bool(row[0])
