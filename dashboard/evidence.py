"""The full timeline of one invoice and its evidence pack (PDF). Plain Python: no Streamlit.

The timeline merges the operational event log (issued, every delivery attempt, retrievals, platform
statuses, reminders, disputes, promises) with payments and disputes from the snapshot. The evidence pack
answers a customer who says an invoice never arrived: every delivery and retrieval event with its time in
the customer's own time zone and what proves it (SMTP reply, message id, IP address and user agent...).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import Engine, select

from dashboard import data
from dashboard.data import Snapshot
from stores import operational as ops

TEMPLATES = Path(__file__).parent / "templates"
DELIVERY_TYPES = ("queued", "sending", "sent", "delivered", "bounced", "rejected", "failed", "dead")
EVIDENCE_TYPES = DELIVERY_TYPES + ops.RETRIEVAL_TYPES + ("lifecycle",)
# Evidence keys shown first, in this order, when an event carries them.
EVIDENCE_KEYS = (
    "smtp_reply",
    "smtp_code",
    "message_id",
    "remote_host",
    "recipient",
    "ip",
    "user_agent",
    "via",
    "receipt",
    "platform_status",
    "rule_ids",
)


@dataclass
class TimelineEntry:
    at: datetime  # UTC
    local_time: str  # in the customer's time zone, with the zone name
    kind: str  # the event type, or payment / dispute_opened / dispute_resolved from the snapshot
    channel: str | None
    source: str
    summary: str
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def is_delivery_or_retrieval(self) -> bool:
        return self.kind in EVIDENCE_TYPES


def customer_zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local(moment: datetime, zone: ZoneInfo) -> str:
    if moment.tzinfo is None:  # SQLite returns naive datetimes; the store only ever writes UTC
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S %Z")


def _summary(row: Mapping[str, Any]) -> str:
    kind = row["event_type"]
    parts = [kind.replace("_", " ")]
    if row.get("channel"):
        parts.append(f"via {row['channel']}")
    if kind == "lifecycle" and row.get("status_code"):
        label = ops.LIFECYCLE_STATUSES.get(str(row["status_code"]), "")
        parts.append(f"status {row['status_code']} {label}".strip())
    elif row.get("status_code"):
        parts.append(f"code {row['status_code']}")
    if row.get("reminder_step"):
        parts.append(f"step {row['reminder_step']}")
    return " · ".join(parts)


def _midday_utc(day: date) -> datetime:
    # Payments and disputes are dated, not timed: place them at noon UTC so they sort within their day.
    return datetime.combine(day, time(12), tzinfo=timezone.utc)


def timeline(engine: Engine, snap: Snapshot, invoice_number: str) -> tuple[dict, dict, list[TimelineEntry]]:
    """(invoice, customer, entries oldest first) for one invoice."""
    inv = data.invoice(snap, invoice_number)
    cust = data.customer(snap, inv["customer_id"])
    zone = customer_zone(cust.get("timezone"))
    with engine.connect() as conn:
        rows = (
            conn.execute(
                select(ops.events)
                .where(ops.events.c.invoice_number == invoice_number)
                .order_by(ops.events.c.occurred_at, ops.events.c.id)
            )
            .mappings()
            .all()
        )
    entries = []
    for row in rows:
        at = row["occurred_at"] if row["occurred_at"].tzinfo else row["occurred_at"].replace(tzinfo=timezone.utc)
        entries.append(
            TimelineEntry(
                at=at,
                local_time=local(at, zone),
                kind=row["event_type"],
                channel=row["channel"],
                source=row["source"],
                summary=_summary(row),
                evidence=dict(row["evidence"] or {}),
            )
        )
    for pay in data.invoice_payments(snap, invoice_number).to_dict("records"):
        at = _midday_utc(pay["payment_date"])
        entries.append(
            TimelineEntry(
                at=at,
                local_time=str(pay["payment_date"]),
                kind="payment",
                channel=None,
                source="erp",
                summary=f"payment {pay['amount']} {pay['currency']} ({pay.get('method') or 'unknown method'})",
                evidence={"payment_id": pay["payment_id"], "reference": pay.get("reference")},
            )
        )
    for dispute in data.invoice_disputes(snap, invoice_number).to_dict("records"):
        entries.append(
            TimelineEntry(
                at=_midday_utc(dispute["opened_on"]),
                local_time=str(dispute["opened_on"]),
                kind="dispute_opened",
                channel=None,
                source="erp",
                summary=f"dispute opened: {dispute['reason']}",
                evidence={"disputed_amount": dispute.get("disputed_amount")},
            )
        )
        if dispute.get("resolved_on"):
            entries.append(
                TimelineEntry(
                    at=_midday_utc(dispute["resolved_on"]),
                    local_time=str(dispute["resolved_on"]),
                    kind="dispute_resolved",
                    channel=None,
                    source="erp",
                    summary="dispute resolved",
                )
            )
    entries.sort(key=lambda e: e.at)
    return inv, cust, entries


def _ordered_evidence(evidence: Mapping[str, Any]) -> list[tuple[str, str]]:
    keys = [k for k in EVIDENCE_KEYS if k in evidence] + sorted(k for k in evidence if k not in EVIDENCE_KEYS)
    return [(k, _text(evidence[k])) for k in keys if evidence[k] not in (None, "", [], {})]


def _text(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(_text(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_text(v)}" for k, v in value.items())
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return str(value)


def evidence_pack_html(
    inv: Mapping[str, Any],
    cust: Mapping[str, Any],
    entries: list[TimelineEntry],
    *,
    generated_by: str,
    generated_at: datetime | None = None,
) -> str:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))
    generated_at = generated_at or ops.utcnow()
    zone = customer_zone(cust.get("timezone"))
    proofs = [e for e in entries if e.is_delivery_or_retrieval]
    return env.get_template("evidence_pack.html").render(
        invoice=inv,
        customer=cust,
        zone=str(zone),
        proofs=proofs,
        entries=entries,
        evidence=_ordered_evidence,
        generated_by=generated_by,
        generated_at=local(generated_at, zone),
        generated_at_utc=generated_at.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
        retrieved=[e for e in proofs if e.kind in ops.RETRIEVAL_TYPES],
        delivered=[e for e in proofs if e.kind == "delivered"],
    )


def evidence_pack_pdf(
    inv: Mapping[str, Any],
    cust: Mapping[str, Any],
    entries: list[TimelineEntry],
    *,
    generated_by: str,
    generated_at: datetime | None = None,
) -> bytes:
    from weasyprint import HTML

    html = evidence_pack_html(inv, cust, entries, generated_by=generated_by, generated_at=generated_at)
    return HTML(string=html, base_url=str(TEMPLATES)).write_pdf()
