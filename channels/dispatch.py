"""Drain the outbox: claim due rows, send each through its channel's adapter, record the outcome.

Used by the Dagster dispatch job (one call per chunk, chunks spread over processes), by
`relance dispatch`, and by the crash tests (a subprocess running `drain` that gets SIGKILLed).
"""

from __future__ import annotations

import logging
import os
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from channels import outbox as ob
from channels.adapters.base import (
    CHANNELS,
    Adapter,
    Delivery,
    DeliveryError,
    DeliveryItem,
    InDoubtError,
    PermanentError,
    Receipt,
    TransientError,
)
from channels.recipients import Recipient, RecipientDirectory
from stores.documents import DocumentStore
from stores.home import Home
from stores.operational import document_index, utcnow

log = logging.getLogger(__name__)

# what each channel needs from the documents of an invoice, in order of preference
CHANNEL_FORMATS = {
    "email": ("pdf",),
    "platform": ("pdf", "cii", "ubl"),
    "edi": ("edifact",),
    "ap_portal": ("pdf", "ubl"),
    "paper": ("pdf",),
}


@dataclass
class DrainStats:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    dead: int = 0
    fell_back: int = 0
    released: int = 0
    lost_claims: int = 0
    recovered: dict[str, int] = field(
        default_factory=lambda: {"recovered_sent": 0, "requeued": 0, "in_doubt": 0, "undecided": 0}
    )
    by_channel: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def merge(self, other: DrainStats) -> None:
        for key, value in other.__dict__.items():
            if isinstance(value, dict):
                for k, v in value.items():
                    getattr(self, key)[k] = getattr(self, key).get(k, 0) + v
            else:
                setattr(self, key, getattr(self, key) + value)


@dataclass(frozen=True)
class DispatchSettings:
    batch_size: int = 50
    lease_seconds: float = ob.DEFAULT_LEASE_SECONDS
    retry: ob.RetryPolicy = field(default_factory=ob.RetryPolicy)
    email_mode: str = "per_invoice"  # or "digest": one message per customer and claim

    def __post_init__(self):
        if self.lease_seconds <= 0:
            raise ValueError(f"the claim lease must be positive, not {self.lease_seconds} s")
        if self.batch_size < 1:
            raise ValueError(f"the batch size must be at least 1, not {self.batch_size}")

    @classmethod
    def from_env(cls) -> DispatchSettings:
        mode = os.environ.get("RELANCE_EMAIL_MODE", "per_invoice")
        if mode not in ("per_invoice", "digest"):
            raise ValueError(f"RELANCE_EMAIL_MODE must be per_invoice or digest, not {mode!r}")
        return cls(
            batch_size=int(os.environ.get("RELANCE_DISPATCH_BATCH", 50)),
            lease_seconds=float(os.environ.get("RELANCE_OUTBOX_LEASE_SECONDS", ob.DEFAULT_LEASE_SECONDS)),
            retry=ob.RetryPolicy.from_env(),
            email_mode=mode,
        )


class AdapterFactory:
    """Builds each channel's adapter on first use, from the environment and the data home."""

    def __init__(
        self,
        home: Home,
        overrides: Mapping[str, Adapter] | None = None,
        link_builder: Callable[[str], str] | None = None,
        engine: Engine | None = None,
    ):
        self.home = home
        self._adapters: dict[str, Adapter] = dict(overrides or {})
        self.link_builder = link_builder
        self.engine = engine  # the operational store, for adapters drawing sequence numbers (EDI)

    def get(self, channel: str) -> Adapter:
        if channel not in self._adapters:
            self._adapters[channel] = build_adapter(channel, self.home, self.link_builder, self.engine)
        return self._adapters[channel]

    def close(self) -> None:
        for adapter in self._adapters.values():
            try:
                adapter.close()
            except Exception:  # closing must not hide the drain result
                log.exception("closing the %s adapter failed", adapter.channel)


def default_link_builder() -> Callable[[str], str] | None:
    """The portal's signed links when the portal part is installed (channels.portal.links)."""
    try:
        from channels.portal.links import signed_link  # type: ignore[import-not-found]
    except ImportError:
        return None
    days = int(os.environ.get("RELANCE_PORTAL_LINK_DAYS", 30))
    return lambda customer_id: signed_link(customer_id, days)


def build_adapter(
    channel: str, home: Home, link_builder: Callable[[str], str] | None = None, engine: Engine | None = None
) -> Adapter:
    if channel == "email":
        from channels.adapters.email import EmailAdapter, SmtpConfig

        roots = [home.documents] + [
            Path(p) for p in os.environ.get("RELANCE_ATTACHMENT_DIRS", "").split(os.pathsep) if p
        ]
        return EmailAdapter(
            SmtpConfig.from_env(default_archive=str(home.mail)),
            attachment_roots=roots,
            link_builder=link_builder if link_builder is not None else default_link_builder(),
        )
    if channel == "platform":
        from channels.adapters.platform import PlatformAdapter, platform_dirs

        return PlatformAdapter(platform_dirs(home)[0])
    if channel == "edi":
        from channels.adapters.edi import EdiAdapter, EdiConfig
        from stores.operational import open_store

        return EdiAdapter(home.outbox("edi"), EdiConfig.from_env(), engine or open_store(home.operational_url))
    if channel == "ap_portal":
        from channels.adapters.ap_portal import adapter_from_env

        return adapter_from_env()
    if channel == "paper":
        from channels.adapters.paper import PaperAdapter, load_tariff

        return PaperAdapter(home.outbox("paper"), load_tariff())
    raise PermanentError(f"no adapter for channel {channel!r}; known: {', '.join(CHANNELS)}", code="unknown_channel")


class Dispatcher:
    def __init__(
        self,
        engine: Engine,
        home: Home,
        directory: RecipientDirectory,
        *,
        adapters: AdapterFactory | None = None,
        settings: DispatchSettings | None = None,
    ):
        self.engine = engine
        self.home = home
        self.directory = directory
        self.adapters = adapters or AdapterFactory(home)
        if self.adapters.engine is None:
            self.adapters.engine = engine
        self.settings = settings or DispatchSettings()
        self.documents = DocumentStore(home.documents)

    # --- preparing deliveries -------------------------------------------------------------------------
    def recipient_for(self, row: Mapping[str, Any]) -> Recipient:
        payload = row.get("payload") or {}
        base = self.directory.get(row["customer_id"])
        overrides = payload.get("recipient")
        if base is None:
            if not overrides:
                raise PermanentError(
                    f"customer {row['customer_id']} is not in the customer directory", code="unknown_customer"
                )
            base = Recipient(customer_id=row["customer_id"])
        return base.with_overrides(overrides)

    def documents_for(self, row: Mapping[str, Any]) -> dict[str, Path]:
        hashes: dict[str, str] = {}
        # An invoice's own row can use every indexed format (a fallback to the platform needs the XML the
        # e-mail row never listed); reminders and statements carry exactly what their step attaches.
        if row.get("invoice_number") and row["kind"] == "invoice":
            with self.engine.connect() as conn:
                indexed = conn.execute(
                    select(document_index.c.format, document_index.c.sha256)
                    .where(
                        document_index.c.invoice_number == row["invoice_number"],
                        document_index.c.customer_id == row["customer_id"],
                    )
                    .order_by(document_index.c.id)
                ).all()
            hashes.update({fmt: digest for fmt, digest in indexed if fmt != "attachment"})
        hashes.update((row.get("payload") or {}).get("documents") or {})  # explicit hashes win
        paths: dict[str, Path] = {}
        for fmt, digest in hashes.items():
            try:
                path = self.documents.path_for(digest)
            except ValueError as exc:
                raise PermanentError(f"{fmt} document reference is invalid: {exc}", code="document_invalid") from exc
            if not path.exists():
                raise PermanentError(
                    f"{fmt} document {digest} of {row.get('invoice_number')} is not in the document store",
                    code="document_missing",
                )
            paths[fmt] = path
        return paths

    def item_for(self, row: Mapping[str, Any]) -> DeliveryItem:
        return DeliveryItem(
            outbox_id=row["id"],
            idempotency_key=row["idempotency_key"],
            kind=row["kind"],
            invoice_number=row.get("invoice_number"),
            payload=dict(row.get("payload") or {}),
            documents=self.documents_for(row),
        )

    def group(
        self, rows: list[dict[str, Any]], token: str
    ) -> list[tuple[list[dict[str, Any]], Delivery | DeliveryError]]:
        """Rows -> deliveries (one per row, or per customer for e-mail digests); bad rows carry their error."""
        prepared: list[tuple[dict[str, Any], Recipient | None, DeliveryItem | None, DeliveryError | None]] = []
        for row in rows:
            try:
                prepared.append((row, self.recipient_for(row), self.item_for(row), None))
            except DeliveryError as exc:
                prepared.append((row, None, None, exc))
        out: list[tuple[list[dict[str, Any]], Delivery | DeliveryError]] = []
        digests: dict[tuple[str, str], list[tuple[dict[str, Any], Recipient, DeliveryItem]]] = {}
        for row, recipient, item, error in prepared:
            if error is not None:
                out.append(([row], error))
            elif (
                row["channel"] == "email" and self.settings.email_mode == "digest" and row["kind"] == "invoice"
            ):  # reminders and statements are never merged in
                digests.setdefault((row["customer_id"], recipient.email or ""), []).append((row, recipient, item))
            else:
                out.append(
                    ([row], Delivery(channel=row["channel"], recipient=recipient, items=(item,), claim_token=token))
                )
        for members in digests.values():
            out.append(
                (
                    [m[0] for m in members],
                    Delivery(
                        channel="email", recipient=members[0][1], items=tuple(m[2] for m in members), claim_token=token
                    ),
                )
            )
        return out

    # --- outcomes -------------------------------------------------------------------------------------
    def _next_channel(self, row: Mapping[str, Any], recipient: Recipient | None) -> str | None:
        if recipient is None:
            return None
        payload = row.get("payload") or {}
        tried = set(payload.get("tried_channels") or []) | {row["channel"]}
        chain = recipient.channel_chain()
        later = chain[chain.index(row["channel"]) + 1 :] if row["channel"] in chain else chain
        for channel in later:
            if channel not in tried:
                return channel
        return None

    def _record(
        self,
        rows: list[dict[str, Any]],
        token: str,
        outcome: Receipt | DeliveryError,
        recipient: Recipient | None,
        stats: DrainStats,
    ) -> None:
        with self.engine.begin() as conn:
            for row in rows:
                if isinstance(outcome, Receipt):
                    evidence = outcome.as_evidence()
                    if len(rows) > 1:
                        evidence["digest_of"] = [r["invoice_number"] for r in rows]
                    if ob.mark_sent(conn, row, token, evidence):
                        stats.sent += 1
                        stats.by_channel[row["channel"]] = stats.by_channel.get(row["channel"], 0) + 1
                    else:
                        stats.lost_claims += 1
                elif isinstance(outcome, PermanentError):
                    next_channel = self._next_channel(row, recipient)
                    evidence = dict(outcome.evidence)
                    if next_channel:
                        evidence["fallback_channel"] = next_channel
                    if ob.mark_permanent_failure(
                        conn,
                        row,
                        token,
                        outcome.reason,
                        evidence=evidence,
                        code=outcome.code,
                        extra_event=outcome.event_type,
                    ):
                        stats.failed += 1
                        if next_channel and ob.enqueue_fallback(conn, row, next_channel, outcome.reason):
                            stats.fell_back += 1
                    else:
                        stats.lost_claims += 1
                else:
                    state = ob.mark_transient_failure(
                        conn,
                        row,
                        token,
                        outcome.reason,
                        policy=self.settings.retry,
                        evidence=outcome.evidence,
                        code=outcome.code,
                    )
                    if state == "dead":
                        stats.dead += 1
                    elif state == "queued":
                        stats.retried += 1
                    else:
                        stats.lost_claims += 1

    def _send(self, delivery: Delivery) -> Receipt | DeliveryError | None:
        """The adapter's outcome; None when the send is in doubt and left for lease-based recovery."""
        try:
            adapter = self.adapters.get(delivery.channel)
            return adapter.send(delivery)
        except InDoubtError as exc:
            try:
                found = adapter.lookup(delivery)
            except InDoubtError:
                found = None
            if found is not None:
                return found
            log.warning("send of outbox %s in doubt (%s): left for recovery", delivery.outbox_ids, exc.reason)
            return None
        except DeliveryError as exc:
            return exc
        except Exception as exc:  # an adapter bug must not crash the whole drain
            log.exception("adapter %s crashed", delivery.channel)
            return TransientError(
                f"{type(exc).__name__}: {exc}",
                code="adapter_error",
                evidence={"traceback": traceback.format_exc(limit=5)},
            )

    # --- recovery -------------------------------------------------------------------------------------
    def _resolve(self, rows: list[dict[str, Any]]) -> dict[int, Any]:
        outcomes: dict[int, Any] = {}
        by_claim: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            by_claim.setdefault(row["claimed_by"] or "", []).append(row)
        for token, claimed in by_claim.items():
            for members, delivery in self.group(claimed, token):
                if isinstance(delivery, DeliveryError):
                    # could never have been sent: preparing it fails, so queue it again to fail properly
                    for row in members:
                        outcomes[row["id"]] = None
                    continue
                try:
                    found = self.adapters.get(delivery.channel).lookup(delivery)
                except InDoubtError as exc:
                    found = exc
                except TransientError as exc:
                    log.warning("cannot settle outbox %s yet: %s", delivery.outbox_ids, exc.reason)
                    found = ob.UNDECIDED
                except PermanentError as exc:
                    found = InDoubtError(exc.reason)
                for row in members:
                    outcomes[row["id"]] = found
        return outcomes

    def recover(self, chunk_index: int = 0, chunk_count: int = 1) -> dict[str, int]:
        return ob.recover_stale(
            self.engine,
            self.settings.lease_seconds,
            self._resolve,
            chunk_index=chunk_index,
            chunk_count=chunk_count,
            max_attempts=self.settings.retry.max_attempts,
        )

    # --- the loop -------------------------------------------------------------------------------------
    def drain(
        self,
        *,
        chunk_index: int = 0,
        chunk_count: int = 1,
        max_batches: int | None = None,
        wait_for_leases: bool = False,
        poll_seconds: float = 0.2,
        max_wait_seconds: float | None = None,
    ) -> DrainStats:
        """Send everything due in this chunk; with `wait_for_leases`, also wait out other workers' claims
        (at most `max_wait_seconds`, default three leases, so an unreachable channel cannot hang us)."""
        stats = DrainStats()
        batches = 0
        wait_until = time.monotonic() + (
            max_wait_seconds if max_wait_seconds is not None else 3 * self.settings.lease_seconds
        )
        try:
            while max_batches is None or batches < max_batches:
                for key, value in self.recover(chunk_index, chunk_count).items():
                    stats.recovered[key] = stats.recovered.get(key, 0) + value
                token, rows = ob.claim_due(
                    self.engine, limit=self.settings.batch_size, chunk_index=chunk_index, chunk_count=chunk_count
                )
                if not rows:
                    if (
                        wait_for_leases
                        and time.monotonic() < wait_until
                        and self._open_claims(chunk_index, chunk_count)
                    ):
                        time.sleep(poll_seconds)
                        continue
                    break
                batches += 1
                stats.claimed += len(rows)
                if not self._send_claim(token, rows, stats):
                    # every row went back unsent: the lease is shorter than one send, looping would spin
                    log.warning(
                        "claim lease of %s s ran out before the first send; stopping this drain",
                        self.settings.lease_seconds,
                    )
                    break
        finally:
            self.adapters.close()
        return stats

    def _open_claims(self, chunk_index: int, chunk_count: int) -> bool:
        from stores.operational import outbox

        conditions = [outbox.c.state == "sending"]
        if chunk_count > 1:
            conditions.append(outbox.c.id % chunk_count == chunk_index)
        with self.engine.connect() as conn:
            return conn.execute(select(outbox.c.id).where(*conditions).limit(1)).first() is not None

    def _send_claim(self, token: str, rows: list[dict[str, Any]], stats: DrainStats) -> int:
        """Send what a claim holds; returns how many deliveries were attempted."""
        claimed_at = rows[0]["claimed_at"]
        # stop sending from a claim well before its lease ends, so recovery never races a live send
        deadline = claimed_at + timedelta(seconds=self.settings.lease_seconds / 2)
        pending = self.group(rows, token)
        for index, (members, delivery) in enumerate(pending):
            if utcnow() >= deadline:
                with self.engine.begin() as conn:
                    for later_members, _ in pending[index:]:
                        for row in later_members:
                            if ob.release(conn, row, token, "claim lease nearly over"):
                                stats.released += 1
                return index
            if isinstance(delivery, DeliveryError):
                self._record(members, token, delivery, self._safe_recipient(members[0]), stats)
                continue
            outcome = self._send(delivery)
            if outcome is None:
                continue
            self._record(members, token, outcome, delivery.recipient, stats)
        return len(pending)

    def _safe_recipient(self, row: Mapping[str, Any]) -> Recipient | None:
        try:
            return self.recipient_for(row)
        except DeliveryError:
            return None
