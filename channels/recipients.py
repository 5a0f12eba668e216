"""Who receives a delivery: the customer's contact details and channel preferences.

Dispatch reads them once per run from the warehouse (`staging.customers`, the contract's customer
columns) and passes them to the workers; an outbox row may override them with `payload["recipient"]`
(a resend to another address, or a test).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

RECIPIENT_COLUMNS = (
    "customer_id",
    "name",
    "email",
    "language",
    "timezone",
    "preferred_channel",
    "fallback_channels",
    "address_line1",
    "address_line2",
    "postcode",
    "city",
    "country",
    "edi_gln",
    "platform_id",
    "ap_portal_id",
    "siren",
)


@dataclass(frozen=True)
class Recipient:
    customer_id: str
    name: str = ""
    email: str | None = None
    language: str = "fr"
    timezone: str = "Europe/Paris"
    preferred_channel: str = "email"
    fallback_channels: tuple[str, ...] = ()
    address_line1: str | None = None
    address_line2: str | None = None
    postcode: str | None = None
    city: str | None = None
    country: str | None = "FR"
    edi_gln: str | None = None
    platform_id: str | None = None
    ap_portal_id: str | None = None
    siren: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_mapping(cls, row: Mapping[str, Any]) -> Recipient:
        values = {k: row.get(k) for k in RECIPIENT_COLUMNS if row.get(k) is not None}
        values["customer_id"] = str(row["customer_id"])
        values["fallback_channels"] = tuple(c for c in (row.get("fallback_channels") or ()) if c)
        return cls(**values)

    def with_overrides(self, overrides: Mapping[str, Any] | None) -> Recipient:
        if not overrides:
            return self
        values = {k: v for k, v in overrides.items() if k in RECIPIENT_COLUMNS and k != "customer_id"}
        if "fallback_channels" in values:
            values["fallback_channels"] = tuple(values["fallback_channels"] or ())
        return replace(self, **values)

    def channel_chain(self) -> tuple[str, ...]:
        """Preferred channel first, then the fallbacks in order, each once."""
        chain: list[str] = []
        for channel in (self.preferred_channel, *self.fallback_channels):
            if channel and channel not in chain:
                chain.append(channel)
        return tuple(chain)

    def postal_lines(self) -> list[str]:
        lines = [
            self.name,
            self.address_line1,
            self.address_line2,
            " ".join(p for p in (self.postcode, self.city) if p),
            self.country,
        ]
        return [str(line) for line in lines if line]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["fallback_channels"] = list(self.fallback_channels)
        return data


class RecipientDirectory:
    """Customer id -> Recipient, as read at the start of a dispatch run."""

    def __init__(self, recipients: Iterable[Recipient] = ()):
        self._by_id = {r.customer_id: r for r in recipients}

    def __len__(self) -> int:
        return len(self._by_id)

    def get(self, customer_id: str) -> Recipient | None:
        return self._by_id.get(customer_id)

    def to_rows(self) -> list[dict[str, Any]]:
        return [r.to_dict() for r in self._by_id.values()]

    @classmethod
    def from_rows(cls, rows: Iterable[Mapping[str, Any]]) -> RecipientDirectory:
        return cls(Recipient.from_mapping(r) for r in rows)


def load_from_duckdb(con) -> RecipientDirectory:
    """Read the customers of a warehouse or serving snapshot connection (staging, else marts)."""
    for table in ("staging.customers", "marts.customers"):
        schema, name = table.split(".")
        exists = con.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
            [schema, name],
        ).fetchone()[0]
        if not exists:
            continue
        present = {
            r[0]
            for r in con.execute(
                "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
                [schema, name],
            ).fetchall()
        }
        columns = [c for c in RECIPIENT_COLUMNS if c in present]
        cursor = con.execute(f"select {', '.join(columns)} from {table}")
        return RecipientDirectory.from_rows(dict(zip(columns, row)) for row in cursor.fetchall())
    return RecipientDirectory()
