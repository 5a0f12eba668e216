"""The serving snapshot: what the dashboard and the portal read.

DuckDB locks a database file against every other process, even read-only ones, so readers never open the
warehouse. At the end of a run the chosen tables are copied into a brand-new file which then replaces the
previous snapshot with os.replace (atomic on POSIX): a reader sees the old snapshot or the new, never half.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable
from pathlib import Path

import duckdb

from stores import warehouse


def publish(con: duckdb.DuckDBPyConnection, tables: Iterable[str], target: Path) -> dict[str, int]:
    """Copy `schema.table` names from the open warehouse connection into a new snapshot at `target`."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging_file = target.with_name(f".{target.stem}-{uuid.uuid4().hex}.duckdb")
    alias = "snapshot_" + uuid.uuid4().hex[:8]
    counts: dict[str, int] = {}
    con.execute("attach ? as " + alias, [str(staging_file)])
    try:
        for qualified in tables:
            schema, name = qualified.split(".")
            if not warehouse.table_exists(con, schema, name):
                continue
            con.execute(f"create schema if not exists {alias}.{schema}")
            con.execute(f"create table {alias}.{schema}.{name} as select * from {schema}.{name}")
            counts[qualified] = con.execute(f"select count(*) from {alias}.{schema}.{name}").fetchone()[0]
        con.execute(
            f"create table {alias}.main.snapshot_info as select now() as published_at, ? as table_count",
            [len(counts)],
        )
    finally:
        con.execute(f"detach {alias}")
    os.replace(staging_file, target)
    return counts


def open_snapshot(path: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the current snapshot (each call sees the latest published file)."""
    if not Path(path).exists():
        raise FileNotFoundError(
            f"no serving snapshot at {path}: run `relance materialize` (or the demo) to publish one"
        )
    return duckdb.connect(str(path), read_only=True)
