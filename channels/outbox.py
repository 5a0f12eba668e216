"""The outbox: every send goes through one row per (document or reminder step, channel).

States: queued -> sending -> sent | failed | dead, and every change is recorded as an event in the same
transaction as the change itself, so the event log and the outbox never disagree.

How a row is claimed safely by concurrent workers:
- PostgreSQL: `update outbox ... where id in (select id ... for update skip locked) returning *`, so two
  workers never wait on, or take, the same rows.
- SQLite: `BEGIN IMMEDIATE` takes the single write lock before reading, then the same
  `update ... where state = 'queued' and id in (...) returning *`; the claim is one write transaction, so
  a second worker sees the rows already in 'sending'.
Each claim gets a token (host:pid:random) stored in `claimed_by`; every later transition checks the token,
so a worker whose claim was recovered by someone else cannot overwrite the new outcome.

Crash safety (why nothing is sent twice and nothing stays in 'sending'): attempts are counted at claim
time, so a row that keeps crashing its worker eventually goes dead. A row left in 'sending' past its lease
(`claimed_at + lease`) belongs to a dead or stuck worker; `recover_stale` hands it to the channel's
`lookup`, which checks the other side for the row's deterministic reference (Message-ID, file name,
idempotency key). Found: the row becomes 'sent' (evidence `recovered_after_crash`). Not found: the row is
queued again (the send never completed, so sending it now is the first delivery). Undecidable: the row
fails with reason `in_doubt` rather than risk a second send. Workers stop sending from a claim before its
lease runs out, so a recovered row is never still being sent.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Engine, and_, func, or_, select, update

from stores import operational as ops
from stores.operational import outbox, record_event, utcnow

DEFAULT_LEASE_SECONDS = 300.0
DEFAULT_MAX_ATTEMPTS = 8
DEFAULT_BACKOFF_SECONDS = 30.0
MAX_BACKOFF_SECONDS = 6 * 3600.0
SOURCE = "dispatch"


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    base_seconds: float = DEFAULT_BACKOFF_SECONDS
    cap_seconds: float = MAX_BACKOFF_SECONDS

    def delay_after(self, attempts: int) -> timedelta:
        """Exponential backoff: base, 2*base, 4*base... capped."""
        return timedelta(seconds=min(self.cap_seconds, self.base_seconds * (2 ** max(0, attempts - 1))))

    @classmethod
    def from_env(cls) -> RetryPolicy:
        return cls(
            max_attempts=int(os.environ.get("RELANCE_OUTBOX_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS)),
            base_seconds=float(os.environ.get("RELANCE_OUTBOX_BACKOFF_SECONDS", DEFAULT_BACKOFF_SECONDS)),
        )


def new_claim_token() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def _aware(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes for timezone-aware columns; they were written in UTC.
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


def _row_dict(row) -> dict[str, Any]:
    data = dict(row._mapping)
    for key in ("next_attempt_at", "claimed_at", "created_at", "updated_at"):
        data[key] = _aware(data.get(key))
    return data


def _event(
    conn,
    event_type: str,
    row: Mapping[str, Any],
    *,
    evidence: Mapping[str, Any] | None = None,
    status_code: str | None = None,
    channel: str | None = None,
    source: str = SOURCE,
) -> str:
    payload = row.get("payload") or {}
    return record_event(
        conn,
        event_type,
        source=source,
        invoice_number=row.get("invoice_number"),
        customer_id=row.get("customer_id"),
        channel=channel or row.get("channel"),
        outbox_id=row.get("id"),
        reminder_step=payload.get("step") if isinstance(payload, dict) else None,
        status_code=status_code,
        evidence=evidence,
    )


def enqueue(
    conn,
    *,
    idempotency_key: str,
    kind: str,
    customer_id: str,
    channel: str,
    invoice_number: str | None = None,
    payload: Mapping[str, Any] | None = None,
    batch_id: str | None = None,
    request_id: str | None = None,
    not_before: datetime | None = None,
) -> int | None:
    """Insert a queued row and its `queued` event; None (and nothing changed) when the key already exists.

    Runs in the caller's transaction. The insert uses ON CONFLICT DO NOTHING so two concurrent enqueuers
    of the same key never raise: exactly one gets the id.
    """
    if not idempotency_key or len(idempotency_key) > 200:
        raise ValueError("idempotency_key must be a non-empty string of at most 200 characters")
    from channels.adapters.base import CHANNELS

    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}; known: {', '.join(CHANNELS)}")
    now = utcnow()
    values = dict(
        idempotency_key=idempotency_key,
        kind=kind,
        invoice_number=invoice_number,
        customer_id=customer_id,
        channel=channel,
        payload=dict(payload or {}),
        state="queued",
        attempts=0,
        next_attempt_at=not_before or now,
        batch_id=batch_id,
        request_id=request_id,
        created_at=now,
        updated_at=now,
    )
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    stmt = (
        dialect_insert(outbox)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(outbox.c.id)
    )
    new_id = conn.execute(stmt).scalar_one_or_none()
    if new_id is None:
        return None
    _event(
        conn,
        "queued",
        {**values, "id": new_id},
        evidence={"idempotency_key": idempotency_key, "kind": kind, "batch_id": batch_id},
    )
    return int(new_id)


def _due_filter(now: datetime, chunk_index: int, chunk_count: int, channels: Iterable[str] | None):
    conditions = [outbox.c.state == "queued", or_(outbox.c.next_attempt_at.is_(None), outbox.c.next_attempt_at <= now)]
    if chunk_count > 1:
        conditions.append(outbox.c.id % chunk_count == chunk_index)
    if channels:
        conditions.append(outbox.c.channel.in_(list(channels)))
    return and_(*conditions)


def claim_due(
    engine: Engine,
    *,
    limit: int,
    token: str | None = None,
    chunk_index: int = 0,
    chunk_count: int = 1,
    channels: Iterable[str] | None = None,
    now: datetime | None = None,
) -> tuple[str, list[dict[str, Any]]]:
    """Move up to `limit` due queued rows to 'sending' under a fresh claim token; returns (token, rows)."""
    token = token or new_claim_token()
    now = now or utcnow()
    due = _due_filter(now, chunk_index, chunk_count, channels)
    candidates = select(outbox.c.id).where(due).order_by(outbox.c.next_attempt_at, outbox.c.id).limit(limit)
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            candidates = candidates.with_for_update(skip_locked=True)
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        stmt = (
            update(outbox)
            .where(outbox.c.id.in_(candidates.scalar_subquery()), outbox.c.state == "queued")
            .values(state="sending", claimed_by=token, claimed_at=now, updated_at=now, attempts=outbox.c.attempts + 1)
            .returning(*outbox.c)
        )
        rows = sorted((_row_dict(r) for r in conn.execute(stmt)), key=lambda r: r["id"])
        for row in rows:
            _event(conn, "sending", row, evidence={"attempt": row["attempts"], "claimed_by": token})
        conn.commit()
    return token, rows


def _transition(conn, row: Mapping[str, Any], token: str, **values: Any) -> bool:
    """Apply a change only if this claim still owns the row; False when it was recovered meanwhile."""
    values.setdefault("updated_at", utcnow())
    result = conn.execute(
        update(outbox)
        .where(outbox.c.id == row["id"], outbox.c.state == "sending", outbox.c.claimed_by == token)
        .values(**values)
    )
    return result.rowcount == 1


def mark_sent(
    conn, row: Mapping[str, Any], token: str, evidence: Mapping[str, Any], status_code: str | None = None
) -> bool:
    if not _transition(conn, row, token, state="sent", receipt=dict(evidence), last_error=None):
        return False
    _event(conn, "sent", row, evidence=evidence, status_code=status_code)
    return True


def mark_transient_failure(
    conn,
    row: Mapping[str, Any],
    token: str,
    reason: str,
    *,
    policy: RetryPolicy,
    evidence: Mapping[str, Any] | None = None,
    code: str | None = None,
    now: datetime | None = None,
) -> str | None:
    """Retry later with exponential backoff, or 'dead' once attempts are used up. Returns the new state."""
    now = now or utcnow()
    attempts = int(row["attempts"])
    details = {"reason": reason, "attempt": attempts, **(evidence or {})}
    if attempts >= policy.max_attempts:
        if not _transition(conn, row, token, state="dead", last_error=reason, claimed_by=None):
            return None
        _event(conn, "dead", row, evidence={**details, "max_attempts": policy.max_attempts}, status_code=code)
        return "dead"
    retry_at = now + policy.delay_after(attempts)
    if not _transition(conn, row, token, state="queued", last_error=reason, next_attempt_at=retry_at, claimed_by=None):
        return None
    _event(
        conn,
        "queued",
        row,
        status_code=code,
        evidence={**details, "retry": True, "next_attempt_at": retry_at.isoformat()},
    )
    return "queued"


def mark_permanent_failure(
    conn,
    row: Mapping[str, Any],
    token: str,
    reason: str,
    *,
    evidence: Mapping[str, Any] | None = None,
    code: str | None = None,
    extra_event: str | None = None,
) -> bool:
    """The row fails for good; `extra_event` (rejected, bounced) records what the other side said."""
    if not _transition(conn, row, token, state="failed", last_error=reason, claimed_by=None):
        return False
    details = {"reason": reason, **(evidence or {})}
    if extra_event:
        _event(conn, extra_event, row, evidence=details, status_code=code)
    _event(conn, "failed", row, evidence=details, status_code=code)
    return True


def release(conn, row: Mapping[str, Any], token: str, reason: str) -> bool:
    """Give back a claimed row that was never attempted (worker stopping before its lease ends)."""
    if not _transition(conn, row, token, state="queued", claimed_by=None, attempts=outbox.c.attempts - 1):
        return False
    _event(conn, "queued", row, evidence={"released": True, "reason": reason})
    return True


def enqueue_fallback(conn, row: Mapping[str, Any], next_channel: str, reason: str) -> int | None:
    """Queue the same document on the next channel of the customer's chain, keyed so it happens once."""
    payload = dict(row.get("payload") or {})
    root_key = payload.get("fallback_root") or row["idempotency_key"]
    tried = list(payload.get("tried_channels") or []) + [row["channel"]]
    payload.update(
        fallback_root=root_key, tried_channels=tried, fallback_from_outbox_id=row["id"], fallback_reason=reason
    )
    # the documents of the failed channel may not be what the next one needs: the dispatcher re-reads
    # them from document_index, keeping only the hashes given explicitly
    return enqueue(
        conn,
        idempotency_key=f"{root_key}|fallback:{next_channel}"[:200],
        kind=row["kind"],
        customer_id=row["customer_id"],
        channel=next_channel,
        invoice_number=row["invoice_number"],
        payload=payload,
        batch_id=row.get("batch_id"),
        request_id=row.get("request_id"),
    )


# a resolver's answer for a row it could not check right now (the other side unreachable): try again later
UNDECIDED = object()


def stale_claims(
    engine: Engine, lease_seconds: float, now: datetime | None = None, chunk_index: int = 0, chunk_count: int = 1
) -> list[dict[str, Any]]:
    now = now or utcnow()
    conditions = [outbox.c.state == "sending", outbox.c.claimed_at < now - timedelta(seconds=lease_seconds)]
    if chunk_count > 1:
        conditions.append(outbox.c.id % chunk_count == chunk_index)
    with engine.connect() as conn:
        return [_row_dict(r) for r in conn.execute(select(outbox).where(*conditions).order_by(outbox.c.id))]


def recover_stale(
    engine: Engine,
    lease_seconds: float,
    resolve: Callable[[list[dict[str, Any]]], Mapping[int, Any]],
    now: datetime | None = None,
    chunk_index: int = 0,
    chunk_count: int = 1,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> dict[str, int]:
    """Settle rows left in 'sending' by a dead worker (see the module notes).

    `resolve(rows)` returns, per outbox id, a Receipt-like object with `as_evidence()` (the send did
    happen), None (it did not), an exception instance (cannot tell, ever) or UNDECIDED (cannot tell yet:
    the row stays claimed and is looked at again by the next recovery).
    """
    counts = {"recovered_sent": 0, "requeued": 0, "in_doubt": 0}
    rows = stale_claims(engine, lease_seconds, now, chunk_index, chunk_count)
    if not rows:
        return counts
    outcomes = resolve(rows)
    with engine.begin() as conn:
        for row in rows:
            token = row["claimed_by"]
            outcome = outcomes.get(row["id"], UNDECIDED)
            if outcome is UNDECIDED:
                counts.setdefault("undecided", 0)
                counts["undecided"] += 1
            elif isinstance(outcome, BaseException):
                if mark_permanent_failure(
                    conn, row, token, f"in_doubt: {outcome}", evidence={"recovered_claim": token}
                ):
                    counts["in_doubt"] += 1
            elif outcome is not None:
                if mark_sent(conn, row, token, outcome.as_evidence()):
                    counts["recovered_sent"] += 1
            elif int(row["attempts"]) >= max_attempts:
                # a row whose every attempt ended with its worker dead is poison: stop retrying it
                reason = f"the worker died during each of its {row['attempts']} attempts"
                if _transition(conn, row, token, state="dead", claimed_by=None, last_error=reason):
                    _event(conn, "dead", row, evidence={"reason": reason, "recovered_claim": token})
                    counts["dead"] = counts.get("dead", 0) + 1
            elif _transition(conn, row, token, state="queued", claimed_by=None, next_attempt_at=utcnow()):
                _event(
                    conn,
                    "queued",
                    row,
                    evidence={
                        "recovered_claim": token,
                        "reason": "stale claim, the other side has no trace of the send",
                    },
                )
                counts["requeued"] += 1
    return counts


def counts_by_state(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        rows = conn.execute(select(outbox.c.state, func.count()).group_by(outbox.c.state)).all()
    return {state: int(n) for state, n in rows}


def due_count(engine: Engine, now: datetime | None = None) -> int:
    now = now or utcnow()
    with engine.connect() as conn:
        return int(
            conn.execute(select(func.count()).select_from(outbox).where(_due_filter(now, 0, 1, None))).scalar_one()
        )


__all__ = [
    "enqueue",
    "claim_due",
    "mark_sent",
    "mark_transient_failure",
    "mark_permanent_failure",
    "release",
    "enqueue_fallback",
    "stale_claims",
    "recover_stale",
    "counts_by_state",
    "due_count",
    "RetryPolicy",
    "new_claim_token",
    "UNDECIDED",
    "ops",
]
