"""The one interface every delivery channel implements, and the typed errors it raises.

An adapter takes a prepared `Delivery` (one invoice, or several for a digest, with the recipient and the
document files) and either returns a `Receipt` or raises `TransientError` (worth retrying later: server
down, 4xx, timeouts) or `PermanentError` (retrying cannot help: 5xx, bad address, refused input). The
dispatcher turns those outcomes into outbox state changes and events; adapters never touch the store.

`lookup(delivery)` answers the question a crash leaves open: "did the send that was in flight when the
worker died actually reach the other side?" Adapters whose sends are keyed by something deterministic
(a file name, a Message-ID, an idempotency key) answer it from the other side. `InDoubtError` is the one
exception for a send nobody can vouch for: `send` raises it when the connection drops after the point of no
return (the dispatcher then asks `lookup` instead of sending again), and `lookup` raises it when it cannot
tell either (the dispatcher then refuses to guess: the row fails with that reason rather than risking a
second send).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

from channels.recipients import Recipient

CHANNELS = ("email", "platform", "edi", "ap_portal", "paper")


class DeliveryError(Exception):
    """Base of the typed adapter errors: a reason for people, a code and evidence for the event log."""

    def __init__(
        self,
        reason: str,
        *,
        code: str | None = None,
        evidence: dict[str, Any] | None = None,
        event_type: str | None = None,
    ):
        super().__init__(reason)
        self.reason = reason
        self.code = code
        self.evidence = dict(evidence or {})
        # the event that records the refusal besides the state change (e.g. `rejected` for an SMTP 5xx)
        self.event_type = event_type


class TransientError(DeliveryError):
    """The send did not happen and may succeed later (connection refused, 4xx, timeout)."""


class PermanentError(DeliveryError):
    """The send did not happen and never will on this channel (5xx, invalid recipient, refused document)."""


class InDoubtError(TransientError):
    """An interrupted send may or may not have reached the other side, and this adapter cannot tell (yet)."""

    def __init__(self, reason: str, *, evidence: dict[str, Any] | None = None):
        super().__init__(reason, code="in_doubt", evidence=evidence)


@dataclass(frozen=True)
class DeliveryItem:
    """One outbox row inside a delivery."""

    outbox_id: int
    idempotency_key: str
    kind: str
    invoice_number: str | None
    payload: dict[str, Any]
    # format -> file in the document store (pdf, ubl, cii, edifact, attachment names...)
    documents: dict[str, Path] = field(default_factory=dict)


@dataclass(frozen=True)
class Delivery:
    """What one adapter call sends: usually one item; an e-mail digest carries several for one customer."""

    channel: str
    recipient: Recipient
    items: tuple[DeliveryItem, ...]
    claim_token: str

    @property
    def outbox_ids(self) -> tuple[int, ...]:
        return tuple(i.outbox_id for i in self.items)

    @property
    def first(self) -> DeliveryItem:
        return self.items[0]

    @property
    def language(self) -> str:
        return str(self.first.payload.get("language") or self.recipient.language or "fr")


@dataclass
class Receipt:
    """Proof of a send: what the other side answered, kept as the `sent` event's evidence."""

    channel: str
    reference: str  # Message-ID, file name, deposit id...
    evidence: dict[str, Any] = field(default_factory=dict)
    cost: Decimal | None = None  # postage for paper letters
    recovered: bool = False  # true when found by lookup() after a crash rather than sent now

    def as_evidence(self) -> dict[str, Any]:
        data = {"reference": self.reference, **self.evidence}
        if self.cost is not None:
            data["cost"] = str(self.cost)
        if self.recovered:
            data["recovered_after_crash"] = True
        return data


class Adapter(Protocol):
    channel: str

    def send(self, delivery: Delivery) -> Receipt: ...

    def lookup(self, delivery: Delivery) -> Receipt | None: ...

    def close(self) -> None: ...
