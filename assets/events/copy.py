"""Copying the operational event log into the warehouse (raw.operational_events), incrementally.

SQLAlchemy reads the events table of the operational store (SQLite or PostgreSQL) into polars, and DuckDB
takes the batch through Arrow: no DuckDB extension (sqlite/postgres scanners) and no lock held on the
operational store beyond one read per batch.

The watermark is the highest event id already copied. On PostgreSQL ids come from a sequence at insert
time but become visible at commit, so a slow transaction can commit an id below one already copied.
Each run therefore re-reads a window of `overlap` ids below the watermark and copies only the event_ids
the warehouse does not hold yet: late commits within the window are caught, nothing is copied twice.
Plain Python: no Dagster here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import duckdb
import polars as pl
from sqlalchemy import Engine, String, cast, select

from stores import operational as ops

RAW_TABLE = "raw.operational_events"
DEFAULT_BATCH = 50_000
DEFAULT_OVERLAP = 1_000

RAW_DDL = f"""
create table if not exists {RAW_TABLE} (
    id bigint not null,
    event_id varchar not null,
    event_type varchar not null,
    occurred_at timestamptz not null,
    recorded_at timestamptz not null,
    invoice_number varchar,
    customer_id varchar,
    channel varchar,
    source varchar not null,
    status_code varchar,
    reminder_step varchar,
    outbox_id bigint,
    evidence varchar not null,
    ingested_at timestamptz not null
)"""

_SCHEMA = {
    "id": pl.Int64,
    "event_id": pl.String,
    "event_type": pl.String,
    "occurred_at": pl.Datetime("us", "UTC"),
    "recorded_at": pl.Datetime("us", "UTC"),
    "invoice_number": pl.String,
    "customer_id": pl.String,
    "channel": pl.String,
    "source": pl.String,
    "status_code": pl.String,
    "reminder_step": pl.String,
    "outbox_id": pl.Int64,
    "evidence": pl.String,
}


@dataclass(frozen=True)
class IngestResult:
    copied: int
    watermark_before: int
    watermark_after: int
    total_rows: int


def _normalise_evidence(value) -> str:
    # SQLite hands JSON back as text, PostgreSQL as a parsed object: store one canonical JSON text
    if value is None:
        return "{}"
    parsed = json.loads(value) if isinstance(value, str) else value
    return json.dumps(parsed, ensure_ascii=False, sort_keys=True, default=str)


def _utc(column: pl.Series) -> pl.Series:
    dtype = column.dtype
    if isinstance(dtype, pl.Datetime) and dtype.time_zone is not None:
        return column.dt.convert_time_zone("UTC").dt.cast_time_unit("us")
    if isinstance(dtype, pl.Datetime):
        # SQLite keeps timezone-aware columns as naive text; the store writes them in UTC
        return column.dt.cast_time_unit("us").dt.replace_time_zone("UTC")
    return column.cast(pl.Datetime("us", "UTC"))


def read_batch(conn, after_id: int, limit: int) -> pl.DataFrame:
    """Events with id > after_id (oldest first) as a polars frame with the raw table's types."""
    ev = ops.events
    query = (
        select(
            ev.c.id,
            ev.c.event_id,
            ev.c.event_type,
            ev.c.occurred_at,
            ev.c.recorded_at,
            ev.c.invoice_number,
            ev.c.customer_id,
            ev.c.channel,
            ev.c.source,
            ev.c.status_code,
            ev.c.reminder_step,
            ev.c.outbox_id,
            cast(ev.c.evidence, String).label("evidence"),
        )
        .where(ev.c.id > after_id)
        .order_by(ev.c.id)
        .limit(limit)
    )
    frame = pl.read_database(query, connection=conn, infer_schema_length=None)
    if frame.height == 0:
        return pl.DataFrame(schema=_SCHEMA)
    return frame.with_columns(
        _utc(frame["occurred_at"]).alias("occurred_at"),
        _utc(frame["recorded_at"]).alias("recorded_at"),
        pl.col("evidence").map_elements(_normalise_evidence, return_dtype=pl.String),
        pl.col("id").cast(pl.Int64),
        pl.col("outbox_id").cast(pl.Int64),
        *[
            pl.col(c).cast(pl.String)
            for c in (
                "event_id",
                "event_type",
                "invoice_number",
                "customer_id",
                "channel",
                "source",
                "status_code",
                "reminder_step",
            )
        ],
    ).select(list(_SCHEMA))


def ensure_raw_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists raw")
    con.execute(RAW_DDL)


def watermark(con: duckdb.DuckDBPyConnection) -> int:
    return int(con.execute(f"select coalesce(max(id), 0) from {RAW_TABLE}").fetchall()[0][0])


def copy_events(
    engine: Engine, con: duckdb.DuckDBPyConnection, batch_size: int = DEFAULT_BATCH, overlap: int = DEFAULT_OVERLAP
) -> IngestResult:
    """Copy the events the warehouse does not have yet; returns counts and the watermark moved."""
    if batch_size < 1 or overlap < 0:
        raise ValueError("batch_size must be >= 1 and overlap >= 0")
    ensure_raw_table(con)
    before = watermark(con)
    floor = max(0, before - overlap)
    cursor, copied = floor, 0
    while True:
        with engine.connect() as conn:
            frame = read_batch(conn, cursor, batch_size)
        if frame.height == 0:
            break
        arrow_batch = frame.to_arrow()
        con.register("incoming_operational_events", arrow_batch)
        try:
            con.execute("begin")
            inserted = con.execute(
                f"""
                insert into {RAW_TABLE}
                select incoming.*, now() as ingested_at
                from incoming_operational_events as incoming
                where not exists (
                    select 1 from {RAW_TABLE} as known
                    where known.id > $floor and known.event_id = incoming.event_id
                )
            """,
                {"floor": floor},
            ).fetchall()[0][0]
            con.execute("commit")
        except Exception:
            con.execute("rollback")
            raise
        finally:
            con.unregister("incoming_operational_events")
        copied += int(inserted)
        cursor = int(frame["id"].max())
        if frame.height < batch_size:
            break
    total = int(con.execute(f"select count(*) from {RAW_TABLE}").fetchall()[0][0])
    return IngestResult(copied=copied, watermark_before=before, watermark_after=watermark(con), total_rows=total)
