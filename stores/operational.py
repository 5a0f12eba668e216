"""The operational store (SQLAlchemy 2 Core): SQLite (WAL) by default, PostgreSQL for several hosts.

It holds what happens after an invoice is issued, written by channels, the portal and the dashboard:
the outbox, the append-only event log (state is derived from events), dashboard requests, the audit log,
portal tokens and API keys, dunning lines, and monotonic sequences (EDI interchange numbers).
Times are stored in UTC.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Engine,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    insert,
    select,
    update,
)

metadata = MetaData()

# BIGINT ids on PostgreSQL, INTEGER on SQLite (only INTEGER PRIMARY KEY autoincrements there).
Id = BigInteger().with_variant(Integer(), "sqlite")

# The invoice lifecycle vocabulary of the design. `lifecycle` events carry a platform status code.
EVENT_TYPES = (
    "issued",
    "rendered",
    "validated",
    "validation_failed",
    "queued",
    "sending",
    "sent",
    "delivered",
    "bounced",
    "rejected",
    "failed",
    "dead",
    "viewed",
    "downloaded",
    "fetched",  # retrievals
    "lifecycle",
    "reminded",
    "reminder_suppressed",
    "statement_sent",
    "disputed",
    "dispute_resolved",
    "promised",
    "paid",
    "partially_paid",
    "credited",
    "written_off",
)
RETRIEVAL_TYPES = ("viewed", "downloaded", "fetched")

# French e-invoicing reform lifecycle statuses (codes exchanged with approved platforms).
LIFECYCLE_STATUSES = {
    "200": "Déposée",
    "201": "Émise",
    "202": "Reçue",
    "203": "Mise à disposition",
    "204": "Prise en charge",
    "205": "Approuvée",
    "206": "Approuvée partiellement",
    "207": "En litige",
    "208": "Suspendue",
    "209": "Complétée",
    "210": "Refusée",
    "211": "Paiement transmis",
    "212": "Encaissée",
    "213": "Rejetée",
}

OUTBOX_STATES = ("queued", "sending", "sent", "failed", "dead")
DUNNING_LINE_STATES = ("draft", "ignored", "queued", "sent", "error")

events = Table(
    "events",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("event_type", String(32), nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("invoice_number", String(64)),
    Column("customer_id", String(64)),
    Column("channel", String(32)),
    # who recorded it: dispatch, smtp, dsn, platform, portal, api, email-link, dunning, dashboard, ...
    Column("source", String(32), nullable=False),
    Column("status_code", String(8)),  # platform lifecycle code (200..213) or SMTP code
    Column("reminder_step", String(64)),
    Column("outbox_id", BigInteger),
    Column("evidence", JSON, nullable=False, default=dict),
    Index("ix_events_invoice", "invoice_number"),
    Index("ix_events_customer", "customer_id"),
    Index("ix_events_type_time", "event_type", "occurred_at"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    # one key per (document or reminder step, channel): the guarantee that nothing is sent twice
    Column("idempotency_key", String(200), nullable=False, unique=True),
    Column("kind", String(32), nullable=False),  # invoice, reminder, resend, statement, digest
    Column("invoice_number", String(64)),
    Column("customer_id", String(64), nullable=False),
    Column("channel", String(32), nullable=False),
    Column("payload", JSON, nullable=False, default=dict),  # document hashes, template, step, language...
    Column("state", String(16), nullable=False, default="queued"),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", DateTime(timezone=True)),
    Column("claimed_by", String(100)),
    Column("claimed_at", DateTime(timezone=True)),
    Column("last_error", Text),
    Column("receipt", JSON),
    Column("batch_id", String(100)),
    Column("request_id", String(36)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_outbox_state_next", "state", "next_attempt_at"),
    Index("ix_outbox_batch", "batch_id"),
)

requests = Table(
    "requests",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("request_id", String(36), nullable=False, unique=True),
    Column("kind", String(32), nullable=False),  # reminder, resend
    Column("target", JSON, nullable=False),  # {"filters": {...}} or {"invoices": [...]}
    Column("step", String(64)),
    Column("template", String(128)),
    Column("requested_by", String(128), nullable=False),
    Column("reason", Text, nullable=False),
    Column("state", String(16), nullable=False, default="pending"),  # pending, running, done, failed
    Column("run_id", String(64)),
    Column("counts", JSON),  # {"sent": n, "skipped": {"paid": n, ...}}
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(128), nullable=False),
    Column("action", String(64), nullable=False),
    Column("target", JSON),
    Column("item_count", Integer),
    Column("detail", JSON),
)

portal_tokens = Table(
    "portal_tokens",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("token_id", String(64), nullable=False, unique=True),
    Column("customer_id", String(64), nullable=False, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("key_id", String(64), nullable=False, unique=True),
    Column("key_hash", String(128), nullable=False),
    Column("customer_id", String(64), nullable=False, index=True),
    Column("label", String(128)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
)

dunning_lines = Table(
    "dunning_lines",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("run_date", Date, nullable=False),
    Column("policy", String(64), nullable=False),
    Column("step", String(64), nullable=False),
    Column("invoice_number", String(64)),
    Column("customer_id", String(64), nullable=False),
    Column("channel", String(32)),
    Column("variant", String(32)),
    Column("amount", Numeric(18, 2)),
    Column("state", String(16), nullable=False),  # draft, ignored, queued, sent, error
    Column("reason", String(200)),
    Column("idempotency_key", String(200)),
    Column("request_id", String(36)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("run_date", "policy", "step", "invoice_number", "customer_id", name="uq_dunning_line"),
)

document_index = Table(
    "document_index",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("invoice_number", String(64), nullable=False, index=True),
    Column("customer_id", String(64), nullable=False, index=True),
    Column("format", String(16), nullable=False),  # pdf (Factur-X PDF/A-3), ubl, cii, edifact, attachment
    Column("sha256", String(64), nullable=False),
    Column("filename", String(255), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("invoice_number", "format", "sha256", name="uq_document_index"),
)

sequences = Table(
    "sequences",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

customer_holds = Table(
    "customer_holds",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("customer_id", String(64), nullable=False, index=True),
    Column("active", Boolean, nullable=False, default=True),
    Column("reason", Text),
    Column("set_by", String(128)),
    Column("set_at", DateTime(timezone=True), nullable=False),
)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for the operational store; SQLite gets WAL and a busy timeout so writers queue."""
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"timeout": 30, "check_same_thread": False})
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # pragma: no cover - trivial
            cur = dbapi_connection.cursor()
            cur.execute("pragma journal_mode=wal")
            cur.execute("pragma synchronous=normal")
            cur.execute("pragma busy_timeout=30000")
            cur.execute("pragma foreign_keys=on")
            cur.close()

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def init_schema(engine: Engine) -> None:
    metadata.create_all(engine)


def open_store(url: str) -> Engine:
    engine = make_engine(url)
    init_schema(engine)
    return engine


def event_row(
    event_type: str,
    *,
    source: str,
    invoice_number: str | None = None,
    customer_id: str | None = None,
    channel: str | None = None,
    occurred_at: datetime | None = None,
    status_code: str | None = None,
    reminder_step: str | None = None,
    outbox_id: int | None = None,
    evidence: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}; known: {', '.join(EVENT_TYPES)}")
    now = utcnow()
    when = occurred_at or now
    if when.tzinfo is None:
        raise ValueError("event times must be timezone-aware (UTC)")
    return {
        "event_id": str(uuid.uuid4()),
        "event_type": event_type,
        "occurred_at": when.astimezone(timezone.utc),
        "recorded_at": now,
        "invoice_number": invoice_number,
        "customer_id": customer_id,
        "channel": channel,
        "source": source,
        "status_code": status_code,
        "reminder_step": reminder_step,
        "outbox_id": outbox_id,
        "evidence": dict(evidence or {}),
    }


def record_event(conn, event_type: str, **fields: Any) -> str:
    """Append one event inside the caller's transaction; returns its event_id."""
    row = event_row(event_type, **fields)
    conn.execute(insert(events), [row])
    return row["event_id"]


def record_events(conn, rows: Iterable[Mapping[str, Any]]) -> int:
    batch = [event_row(**dict(r)) for r in rows]
    if batch:
        conn.execute(insert(events), batch)
    return len(batch)


def next_sequence(conn, name: str) -> int:
    """Monotonic counter that never repeats, even across crashes (used for EDI interchange numbers)."""
    dialect = conn.dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        stmt = (
            pg_insert(sequences)
            .values(name=name, value=1)
            .on_conflict_do_update(index_elements=["name"], set_={"value": sequences.c.value + 1})
            .returning(sequences.c.value)
        )
        return conn.execute(stmt).scalar_one()
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    stmt = (
        sqlite_insert(sequences)
        .values(name=name, value=1)
        .on_conflict_do_update(index_elements=["name"], set_={"value": sequences.c.value + 1})
        .returning(sequences.c.value)
    )
    return conn.execute(stmt).scalar_one()


def audit(
    conn,
    actor: str,
    action: str,
    target: Any = None,
    item_count: int | None = None,
    detail: Mapping[str, Any] | None = None,
) -> None:
    conn.execute(
        insert(audit_log).values(
            at=utcnow(),
            actor=actor,
            action=action,
            target=target,
            item_count=item_count,
            detail=dict(detail or {}),
        )
    )


def events_since(conn, last_id: int, limit: int = 100_000) -> list[dict[str, Any]]:
    """Events with id > last_id, oldest first: how the warehouse asset brings them in incrementally."""
    rows = conn.execute(select(events).where(events.c.id > last_id).order_by(events.c.id).limit(limit))
    return [dict(r._mapping) for r in rows]


__all__ = [
    "metadata",
    "events",
    "outbox",
    "requests",
    "audit_log",
    "portal_tokens",
    "api_keys",
    "dunning_lines",
    "document_index",
    "sequences",
    "customer_holds",
    "EVENT_TYPES",
    "RETRIEVAL_TYPES",
    "LIFECYCLE_STATUSES",
    "OUTBOX_STATES",
    "DUNNING_LINE_STATES",
    "make_engine",
    "init_schema",
    "open_store",
    "record_event",
    "record_events",
    "next_sequence",
    "audit",
    "events_since",
    "utcnow",
    "update",
    "select",
    "insert",
]
