"""Moving ingested files into the warehouse's raw layer (polars -> DuckDB through Arrow), once per file.

A file is identified by the SHA-256 of its bytes: raw.ingest_files remembers every file taken in, so
re-ingesting the same bytes changes nothing. Each file's records, quarantine and counts land in one
transaction: a file is in the warehouse completely or not at all.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import polars as pl

from assets.ingest.files import ingest_file
from assets.ingest.parsing import polars_type
from assets.ingest.profiles import Profile, ProfileError, available_profiles
from assets.ingest.reader import UnreadableFile
from assets.ingest.records import FileResult
from assets.ingest.schema import BOOLEAN, DATE, DECIMAL, ENTITIES, INTEGER, LIST, MONEY, Entity

RAW_TABLES = ("ingest_files", *ENTITIES, "quarantine")
_SQL_TYPES = {MONEY: "decimal(18,2)", DATE: "date", INTEGER: "bigint", BOOLEAN: "boolean", LIST: "varchar[]"}


def _sql_type(field) -> str:
    if field.kind == DECIMAL:
        return f"decimal(18,{field.scale})"
    return _SQL_TYPES.get(field.kind, "varchar")


def create_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists raw")
    con.execute("""
        create table if not exists raw.ingest_files (
            sha256 varchar primary key, file varchar not null, file_name varchar not null, profile varchar,
            format varchar, encoding varchar, delimiter varchar, extracted_at timestamptz, ingested_at timestamptz,
            rows_read bigint, accepted bigint, quarantined bigint, duplicates bigint, footer_lines bigint,
            records json)""")
    for entity in ENTITIES.values():
        columns = ", ".join(f"{f.name} {_sql_type(f)}" for f in entity.fields)
        con.execute(f"""
            create table if not exists raw.{entity.name} (
                file_sha256 varchar not null, source_file varchar not null, source_line bigint,
                extracted_at timestamptz not null, ingested_at timestamptz not null, {columns})""")
    _add_new_fields(con)
    con.execute("""
        create table if not exists raw.quarantine (
            file_sha256 varchar not null, source_file varchar not null, source_line bigint, entity varchar,
            raw_values json, reason varchar not null, extracted_at timestamptz not null,
            ingested_at timestamptz not null)""")


def _add_new_fields(con: duckdb.DuckDBPyConnection) -> None:
    """A warehouse created before a field joined the schema gets the column (empty for the files already
    taken in), so ingesting into it keeps working."""
    existing = {
        (table, column)
        for table, column in con.execute(
            "select table_name, column_name from information_schema.columns "
            "where table_schema = 'raw' and table_catalog = current_database()"
        ).fetchall()
    }
    for entity in ENTITIES.values():
        for f in entity.fields:
            if (entity.name, f.name) not in existing:
                con.execute(f"alter table raw.{entity.name} add column {f.name} {_sql_type(f)}")


def _aligned(entity: Entity, frame: pl.DataFrame) -> pl.DataFrame:
    """The record frame with every canonical column in the raw table's types, and its source line. The
    per-file constants (file, times) are added by DuckDB, where a constant costs nothing per row."""
    columns = [
        (pl.col("source_line") if "source_line" in frame.columns else pl.lit(None)).cast(pl.Int64).alias("source_line"),
    ]
    for f in entity.fields:
        source = pl.col(f.name) if f.name in frame.columns else pl.lit(None)
        columns.append(source.cast(polars_type(f)).alias(f.name))
    return frame.select(columns)


def already_ingested(con: duckdb.DuckDBPyConnection, sha256: str) -> dict | None:
    row = con.execute("select * from raw.ingest_files where sha256 = ?", [sha256]).fetchone()
    if row is None:
        return None
    names = [d[0] for d in con.description]
    return dict(zip(names, row))


def store(con: duckdb.DuckDBPyConnection, result: FileResult, ingested_at: datetime | None = None) -> None:
    ingested_at = ingested_at or datetime.now(timezone.utc)
    con.execute("begin transaction")
    try:
        provenance = [result.sha256, str(result.path), result.extracted_at, ingested_at]
        with_provenance = (
            "select *, ? as file_sha256, ? as source_file, cast(? as timestamptz) as extracted_at, "
            "cast(? as timestamptz) as ingested_at from incoming"
        )
        for name, frame in result.records.items():
            con.register("incoming", _aligned(ENTITIES[name], frame).to_arrow())
            con.execute(f"insert into raw.{name} by name {with_provenance}", provenance)
            con.unregister("incoming")
        con.register(
            "incoming",
            result.quarantine.select(pl.col("source_line").cast(pl.Int64), "entity", "raw_values", "reason").to_arrow(),
        )
        con.execute(f"insert into raw.quarantine by name {with_provenance}", provenance)
        con.unregister("incoming")
        con.execute(
            "insert into raw.ingest_files values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                result.sha256,
                str(result.path),
                result.path.name,
                result.profile,
                result.format,
                result.encoding,
                result.delimiter,
                result.extracted_at,
                ingested_at,
                result.rows_read,
                result.accepted,
                result.quarantined,
                result.duplicates,
                result.footer_lines,
                json.dumps({name: frame.height for name, frame in result.records.items()}),
            ],
        )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


def ingest_into(
    con: duckdb.DuckDBPyConnection, paths: Iterable[Path | str], profile_name: str | None = None, *, detail: bool = True
) -> list[dict]:
    """Ingest files into raw tables; one report per file (an `error` key when it could not be read).

    A file already ingested (same bytes) is reported with all its rows as duplicates and changes nothing.
    """
    create_raw_tables(con)
    profiles = available_profiles()
    reports: list[dict] = []
    for path in paths:
        path = Path(path)
        try:
            if path.is_file():
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                previous = already_ingested(con, digest)
                if previous is not None:
                    reports.append(
                        {
                            "file": str(path),
                            "sha256": digest,
                            "profile": previous["profile"],
                            "rows_read": previous["rows_read"],
                            "accepted": 0,
                            "quarantined": 0,
                            "duplicates": previous["rows_read"],
                            "footer_lines": 0,
                            "already_ingested": True,
                            "records": {},
                            "quarantine": [],
                            "note": (
                                f"same bytes as {previous['file_name']} ingested "
                                f"{previous['ingested_at']:%Y-%m-%d %H:%M} UTC"
                            ),
                        }
                    )
                    continue
            result = ingest_file(path, profile_name, profiles=profiles)
        except (UnreadableFile, ProfileError) as exc:
            reports.append({"file": str(path), "error": str(exc)})
            continue
        store(con, result)
        summary = result.summary()
        if not detail:
            summary["quarantine"] = summary["quarantine"][:1000]
        reports.append(summary)
    return reports


def pending_files(con: duckdb.DuckDBPyConnection, folder: Path) -> list[Path]:
    """Files in a folder whose bytes are not in the warehouse yet (hidden and partial files skipped)."""
    create_raw_tables(con)
    known = {r[0] for r in con.execute("select sha256 from raw.ingest_files").fetchall()}
    found = []
    for path in sorted(Path(folder).glob("*")):
        hidden_or_partial = path.name.startswith((".", "~")) or path.name.endswith((".part", ".tmp"))
        if path.is_file() and not hidden_or_partial and hashlib.sha256(path.read_bytes()).hexdigest() not in known:
            found.append(path)
    return found


__all__ = ["RAW_TABLES", "create_raw_tables", "ingest_into", "pending_files", "store", "Profile"]
