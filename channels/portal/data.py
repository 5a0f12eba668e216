"""What the portal knows about a customer, read only from the serving snapshot (and never the warehouse).

The snapshot file is replaced atomically by each Dagster run; a reader keeps one read-only DuckDB
connection per published file (recognised by inode and mtime) and caches each customer's view for that
file, so a busy invoice list costs a stat() and a dictionary lookup.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from stores.snapshot import open_snapshot

OPAQUE_ID_BYTES = 16

CUSTOMER_COLUMNS = (
    "customer_id",
    "name",
    "email",
    "language",
    "timezone",
    "address_line1",
    "address_line2",
    "postcode",
    "city",
    "country",
    "vat_number",
    "siren",
)
INVOICE_COLUMNS = (
    "invoice_number",
    "document_type",
    "customer_id",
    "issue_date",
    "due_date",
    "amount_excl_tax",
    "tax_amount",
    "amount_incl_tax",
    "currency",
    "purchase_order",
    "original_invoice_number",
    "description",
    "paid_amount",
    "credited_amount",
    "open_amount",
    "settled_date",
    "status",
    "days_late",
    "is_late",
)
PAYMENT_COLUMNS = (
    "payment_id",
    "customer_id",
    "invoice_number",
    "payment_date",
    "amount",
    "currency",
    "method",
    "reference",
)


class SnapshotUnavailable(RuntimeError):
    """No snapshot has been published yet, or it lacks the tables the portal needs."""


def opaque_id(secret: bytes, kind: str, customer_id: str, natural_key: str) -> str:
    """A stable, unguessable id for an invoice or file, scoped to one customer (never the raw number)."""
    message = f"portal-{kind}:v1|{customer_id}|{natural_key}".encode()
    return (
        base64.urlsafe_b64encode(hmac.new(secret, message, hashlib.sha256).digest()[:OPAQUE_ID_BYTES])
        .rstrip(b"=")
        .decode("ascii")
    )


@dataclass(frozen=True)
class Invoice:
    oid: str
    invoice_number: str
    document_type: str
    issue_date: date | None
    due_date: date | None
    amount_excl_tax: Decimal
    tax_amount: Decimal
    amount_incl_tax: Decimal
    currency: str
    purchase_order: str | None
    original_invoice_number: str | None
    description: str | None
    paid_amount: Decimal
    credited_amount: Decimal
    open_amount: Decimal
    settled_date: date | None
    status: str
    days_late: int | None
    is_late: bool

    @property
    def is_open(self) -> bool:
        return self.status in ("open", "partially_paid")

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.oid,
            "invoice_number": self.invoice_number,
            "document_type": self.document_type,
            "issue_date": _iso(self.issue_date),
            "due_date": _iso(self.due_date),
            "amount_excl_tax": str(self.amount_excl_tax),
            "tax_amount": str(self.tax_amount),
            "amount_incl_tax": str(self.amount_incl_tax),
            "currency": self.currency,
            "purchase_order": self.purchase_order,
            "original_invoice_number": self.original_invoice_number,
            "description": self.description,
            "paid_amount": str(self.paid_amount),
            "credited_amount": str(self.credited_amount),
            "open_amount": str(self.open_amount),
            "settled_date": _iso(self.settled_date),
            "status": self.status,
            "days_late": self.days_late,
            "is_late": self.is_late,
        }


@dataclass(frozen=True)
class Payment:
    payment_id: str
    invoice_number: str | None
    payment_date: date | None
    amount: Decimal
    currency: str
    method: str | None
    reference: str | None


@dataclass(frozen=True)
class StatementLine:
    entry_date: date | None
    kind: str  # invoice | credit_note | payment
    reference: str
    due_date: date | None
    currency: str
    debit: Decimal
    credit: Decimal
    balance: Decimal  # running balance in the line's currency


@dataclass
class CustomerView:
    customer_id: str
    customer: dict[str, Any] | None
    invoices: list[Invoice]
    payments: list[Payment]
    by_oid: dict[str, Invoice] = field(default_factory=dict)
    # the snapshot file this view was read from (inode, mtime): part of every cache key built on it
    version: tuple[int, int] | None = None

    @property
    def language(self) -> str | None:
        return (self.customer or {}).get("language")

    @property
    def open_invoices(self) -> list[Invoice]:
        return [i for i in self.invoices if i.is_open]

    @property
    def settled_invoices(self) -> list[Invoice]:
        return [i for i in self.invoices if not i.is_open]

    def open_total(self) -> dict[str, Decimal]:
        totals: dict[str, Decimal] = {}
        for inv in self.open_invoices:
            totals[inv.currency] = totals.get(inv.currency, Decimal("0.00")) + inv.open_amount
        return totals

    def statement(self) -> list[StatementLine]:
        """Invoices and credit notes (by issue date) and payments (by payment date) with a running balance
        kept per currency (amounts in different currencies are never added together)."""
        zero = Decimal("0.00")
        entries: list[tuple[date | None, int, str, str, date | None, str, Decimal, Decimal]] = []
        for inv in self.invoices:
            if inv.document_type == "credit_note":
                entries.append(
                    (
                        inv.issue_date,
                        1,
                        "credit_note",
                        inv.invoice_number,
                        None,
                        inv.currency,
                        zero,
                        abs(inv.amount_incl_tax),
                    )
                )
            else:
                entries.append(
                    (
                        inv.issue_date,
                        0,
                        "invoice",
                        inv.invoice_number,
                        inv.due_date,
                        inv.currency,
                        inv.amount_incl_tax,
                        zero,
                    )
                )
        for pay in self.payments:
            entries.append(
                (pay.payment_date, 2, "payment", pay.reference or pay.payment_id, None, pay.currency, zero, pay.amount)
            )
        entries.sort(key=lambda e: (e[0] or date.min, e[1], e[3]))
        balances: dict[str, Decimal] = {}
        lines = []
        for entry_date, _order, kind, reference, due, currency, debit, credit in entries:
            balances[currency] = balances.get(currency, zero) + debit - credit
            lines.append(StatementLine(entry_date, kind, reference, due, currency, debit, credit, balances[currency]))
        return lines

    @staticmethod
    def closing_balances(lines: list[StatementLine]) -> dict[str, Decimal]:
        closing: dict[str, Decimal] = {}
        for line in lines:
            closing[line.currency] = line.balance
        return closing


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _money(value: Any) -> Decimal:
    if value is None:
        return Decimal("0.00")
    return value if isinstance(value, Decimal) else Decimal(str(value))


class SnapshotReader:
    """Customer views from the current serving snapshot, cached per published file."""

    def __init__(self, path: Path, secret: bytes, cache_size: int = 4096):
        self.path = Path(path)
        self._secret = secret
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self._version: tuple[int, int] | None = None
        self._con = None
        self._tables: set[str] = set()
        self._views: OrderedDict[str, CustomerView] = OrderedDict()

    def _current_connection(self):
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            raise SnapshotUnavailable(f"no serving snapshot at {self.path} yet") from None
        version = (stat.st_ino, stat.st_mtime_ns)
        if version != self._version:
            with self._lock:
                if version != self._version:
                    # DuckDB reuses an open database instance for the same path, so the old snapshot's
                    # connection must be closed before the new file can be seen.
                    if self._con is not None:
                        self._con.close()
                        self._con, self._version = None, None
                    con = open_snapshot(self.path)
                    self._tables = {
                        f"{s}.{t}"
                        for s, t in con.execute(
                            "select table_schema, table_name from information_schema.tables"
                        ).fetchall()
                    }
                    if "marts.invoices" not in self._tables:
                        con.close()
                        raise SnapshotUnavailable("the serving snapshot has no marts.invoices table yet")
                    self._con, self._version = con, version
                    self._views = OrderedDict()
        return self._con, self._version

    def cached(self, customer_id: str) -> CustomerView | None:
        """The customer's view if the current snapshot's is already in memory (no DuckDB query)."""
        _con, version = self._current_connection()
        with self._lock:
            view = self._views.get(customer_id) if self._version == version else None
            if view is not None:
                self._views.move_to_end(customer_id)
            return view

    def customer(self, customer_id: str) -> CustomerView:
        con, version = self._current_connection()
        key = customer_id
        with self._lock:
            if self._version == version and key in self._views:
                self._views.move_to_end(key)
                return self._views[key]
        try:
            view = self._load(con.cursor(), customer_id)
        except duckdb.Error:
            # the connection was closed under us by a snapshot swap in another thread: read the new one
            con, version = self._current_connection()
            view = self._load(con.cursor(), customer_id)
        view.version = version
        with self._lock:
            if self._version == version:
                self._views[key] = view
                while len(self._views) > self._cache_size:
                    self._views.popitem(last=False)
        return view

    def _load(self, cur, customer_id: str) -> CustomerView:
        customer = None
        if "staging.customers" in self._tables:
            available = {
                r[0]
                for r in cur.execute(
                    "select column_name from information_schema.columns "
                    "where table_schema = 'staging' and table_name = 'customers'"
                ).fetchall()
            }
            cols = [c for c in CUSTOMER_COLUMNS if c in available]
            row = cur.execute(
                f"select {', '.join(cols)} from staging.customers where customer_id = ? limit 1", [customer_id]
            ).fetchall()
            customer = dict(zip(cols, row[0])) if row else None
        rows = cur.execute(
            f"select {', '.join(INVOICE_COLUMNS)} from marts.invoices where customer_id = ? "
            "order by issue_date desc, invoice_number desc",
            [customer_id],
        ).fetchall()
        invoices = []
        for values in rows:
            r = dict(zip(INVOICE_COLUMNS, values))
            invoices.append(
                Invoice(
                    oid=opaque_id(self._secret, "invoice", customer_id, r["invoice_number"]),
                    invoice_number=r["invoice_number"],
                    document_type=r["document_type"] or "invoice",
                    issue_date=r["issue_date"],
                    due_date=r["due_date"],
                    amount_excl_tax=_money(r["amount_excl_tax"]),
                    tax_amount=_money(r["tax_amount"]),
                    amount_incl_tax=_money(r["amount_incl_tax"]),
                    currency=r["currency"] or "EUR",
                    purchase_order=r["purchase_order"],
                    original_invoice_number=r["original_invoice_number"],
                    description=r["description"],
                    paid_amount=_money(r["paid_amount"]),
                    credited_amount=_money(r["credited_amount"]),
                    open_amount=_money(r["open_amount"]),
                    settled_date=r["settled_date"],
                    status=r["status"] or "open",
                    days_late=r["days_late"],
                    is_late=bool(r["is_late"]),
                )
            )
        payments = []
        if "staging.payments" in self._tables:
            for values in cur.execute(
                f"select {', '.join(PAYMENT_COLUMNS)} from staging.payments where customer_id = ? "
                "order by payment_date, payment_id",
                [customer_id],
            ).fetchall():
                p = dict(zip(PAYMENT_COLUMNS, values))
                payments.append(
                    Payment(
                        p["payment_id"],
                        p["invoice_number"],
                        p["payment_date"],
                        _money(p["amount"]),
                        p["currency"] or "EUR",
                        p["method"],
                        p["reference"],
                    )
                )
        return CustomerView(customer_id, customer, invoices, payments, {i.oid: i for i in invoices})

    def close(self) -> None:
        with self._lock:
            if self._con is not None:
                self._con.close()
            self._con, self._version, self._views = None, None, OrderedDict()
