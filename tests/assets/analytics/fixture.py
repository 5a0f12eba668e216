"""A small hand-checked book of receivables, written into the contract tables (marts.invoices,
marts.customers, staging.payments, staging.disputes, staging.events) of a real DuckDB file.

Every expected figure in tests/assets/analytics is computed by hand from the rows below; the comments on each
invoice say what it is there to exercise. Dates are 2025-2026, the KPIs are taken as of 2026-03-31.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from decimal import Decimal

import duckdb

from assets.analytics.contract import create_contract_tables

AS_OF = date(2026, 3, 31)

CUSTOMERS = [
    # customer_id, name, segment, preferred_channel, tags
    ("C1", "Alpha SA", "enterprise", "email", []),
    ("C2", "Beta SARL", "sme", "paper", ["po_required"]),
    ("C3", "Gamma SAS", "sme", "platform", []),
    ("C4", "Delta SA", "enterprise", "email", []),
]

# invoice_number, document_type, customer, issue, delivery, due, amount incl. tax, PO, original, settled
INVOICES = [
    ("I1", "invoice", "C1", "2025-12-01", "2025-11-28", "2025-12-31", "1000.00", "PO-1", None, "2025-12-20"),
    ("I2", "invoice", "C1", "2026-01-10", "2026-01-08", "2026-02-09", "2000.00", "PO-2", None, "2026-02-19"),
    ("I3", "invoice", "C1", "2026-02-15", "2026-02-14", "2026-03-17", "500.00", "PO-3", None, None),
    ("I4", "invoice", "C2", "2026-01-05", "2026-01-04", "2026-02-04", "1200.00", None, None, "2026-03-10"),
    ("I5", "invoice", "C2", "2026-03-01", "2026-02-27", "2026-03-31", "800.00", "PO-5", None, None),
    ("I6", "invoice", "C3", "2025-11-01", "2025-10-30", "2025-12-01", "3000.00", "PO-6", None, None),
    ("I7", "invoice", "C3", "2026-02-01", "2026-01-30", "2026-03-03", "1500.00", "PO-7", None, "2026-04-05"),
    ("I8", "invoice", "C3", "2026-01-20", "2026-01-19", "2026-02-19", "700.00", "PO-8", None, "2026-02-10"),
    ("I9", "invoice", "C2", "2025-12-15", "2025-12-12", "2026-01-14", "600.00", "PO-9", None, None),
    ("I10", "invoice", "C1", "2026-01-25", "2026-01-23", "2026-02-24", "400.00", "PO-10", None, None),
    ("I11", "invoice", "C1", "2026-01-02", "2025-12-30", "2026-02-01", "900.00", "PO-11", None, "2026-02-20"),
    ("I12", "invoice", "C3", "2026-01-05", "2025-12-01", "2026-02-04", "1000.00", "PO-12", None, "2026-02-14"),
    ("I13", "invoice", "C3", "2026-01-08", "2026-01-07", "2026-02-07", "250.00", "PO-13", None, "2026-02-12"),
    ("I14", "invoice", "C4", "2025-06-01", "2025-05-30", "2025-07-01", "500.00", None, None, "2025-07-15"),
    ("I15", "invoice", "C4", "2025-07-01", "2025-06-30", "2025-07-31", "500.00", None, None, "2025-08-20"),
    ("I16", "invoice", "C4", "2025-08-01", "2025-07-30", "2025-08-31", "500.00", None, None, "2025-09-20"),
    ("I17", "invoice", "C4", "2026-02-01", "2026-01-30", "2026-03-03", "500.00", None, None, "2026-03-13"),
    ("CN1", "credit_note", "C1", "2026-02-10", None, "2026-02-10", "100.00", None, "I11", "2026-02-20"),
]

# payment_id, customer, invoice, date, amount
PAYMENTS = [
    ("P1", "C1", "I1", "2025-12-20", "1000.00"),
    ("P2", "C1", "I2", "2026-02-19", "2000.00"),
    ("P3", "C1", "I3", "2026-03-20", "200.00"),
    ("P4", "C2", "I4", "2026-03-10", "1200.00"),
    ("P5", "C3", "I8", "2026-02-10", "700.00"),
    ("P6", "C1", "I11", "2026-02-20", "800.00"),
    ("P7", "C3", "I12", "2026-02-14", "1000.00"),
    ("P8", "C3", "I13", "2026-02-12", "250.00"),
    ("P9", "C4", "I14", "2025-07-15", "500.00"),
    ("P10", "C4", "I15", "2025-08-20", "500.00"),
    ("P11", "C4", "I16", "2025-09-20", "500.00"),
    ("P12", "C4", "I17", "2026-03-13", "500.00"),
    # paid after the as-of date: invisible to every KPI taken on 2026-03-31
    ("P13", "C3", "I7", "2026-04-05", "1500.00"),
]

DISPUTES = [
    # invoice, customer, opened_on, reason, disputed amount, resolved_on
    ("I9", "C2", "2026-01-10", "Price difference on line 2", "120.00", None),
]

# invoice, type, timestamp (UTC), channel, status_code, reminder_step, evidence
EVENTS = [
    ("I1", "sent", "2025-12-01T09:00", "email", None, None, {}),
    ("I1", "delivered", "2025-12-01T09:01", "email", "250", None, {}),
    ("I1", "viewed", "2025-12-02T10:00", "email", None, None, {"ip": "192.0.2.1"}),
    ("I2", "sent", "2026-01-10T09:00", "email", None, None, {}),
    ("I2", "bounced", "2026-01-10T09:05", "email", "550", None, {"reply": "5.1.1 user unknown"}),
    ("I2", "sent", "2026-02-12T08:00", "email", None, "first", {"variant": "A"}),
    ("I2", "reminded", "2026-02-12T08:00", "email", None, "first", {"variant": "A"}),
    ("I3", "sent", "2026-02-15T09:00", "email", None, None, {}),
    ("I3", "delivered", "2026-02-15T09:01", "email", "250", None, {}),
    ("I3", "sent", "2026-03-25T08:00", "email", None, "first", {"variant": "A"}),
    ("I3", "reminded", "2026-03-25T08:00", "email", None, "first", {"variant": "A"}),
    ("I4", "sent", "2026-01-06T10:00", "paper", None, None, {"postage": "1.16"}),
    ("I4", "sent", "2026-02-10T08:00", "paper", None, "first", {"postage": "1.16", "variant": "A"}),
    ("I4", "reminded", "2026-02-10T08:00", "paper", None, "first", {"variant": "A"}),
    ("I4", "sent", "2026-03-01T08:00", "paper", None, "second", {"postage": "1.29", "variant": "A"}),
    ("I4", "reminded", "2026-03-01T08:00", "paper", None, "second", {"variant": "A"}),
    ("I5", "sent", "2026-03-02T10:00", "paper", None, None, {"postage": "1.16"}),
    ("I6", "sent", "2025-11-01T09:00", "platform", None, None, {}),
    ("I6", "lifecycle", "2025-11-05T09:00", "platform", "210", None, {"reason": "Not ordered"}),
    ("I7", "sent", "2026-02-01T09:00", "platform", None, None, {}),
    ("I7", "lifecycle", "2026-02-02T09:00", "platform", "213", None, {"reason": "Invalid SIRET"}),
    ("I7", "sent", "2026-03-10T08:00", "email", None, "first", {"variant": "B"}),
    ("I7", "reminded", "2026-03-10T08:00", "email", None, "first", {"variant": "B"}),
    ("I8", "sent", "2026-01-20T09:00", "platform", None, None, {}),
    ("I8", "fetched", "2026-01-21T11:00", "platform", None, None, {}),
    ("I9", "sent", "2025-12-15T10:00", "paper", None, None, {"postage": "1.16"}),
    ("I10", "sent", "2026-01-25T09:00", "email", None, None, {}),
    ("I10", "delivered", "2026-01-25T09:01", "email", "250", None, {}),
    ("I10", "downloaded", "2026-01-28T15:00", "email", None, None, {}),
    ("I10", "promised", "2026-02-26T12:00", "portal", None, None, {"promised_date": "2026-03-05"}),
    ("I10", "sent", "2026-03-01T08:00", "email", None, "first", {"variant": "B"}),
    ("I10", "reminded", "2026-03-01T08:00", "email", None, "first", {"variant": "B"}),
    ("I11", "sent", "2026-01-02T09:00", "email", None, None, {}),
    ("I11", "delivered", "2026-01-02T09:01", "email", "250", None, {}),
    ("I11", "viewed", "2026-01-12T16:00", "email", None, None, {}),
    ("I12", "sent", "2026-01-05T09:00", "platform", None, None, {}),
    ("I13", "sent", "2026-01-20T09:00", "platform", None, None, {}),
    # after the as-of date: must not count anywhere
    ("I5", "viewed", "2026-04-02T09:00", "paper", None, None, {}),
]


def _d(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _money(text: str | None) -> Decimal | None:
    return Decimal(text) if text is not None else None


def load(con: duckdb.DuckDBPyConnection) -> None:
    """Write the fixture book into `con` (a real DuckDB file in the tests)."""
    create_contract_tables(con)
    extracted = datetime(2026, 4, 10, tzinfo=timezone.utc)
    for cid, name, segment, channel, tags in CUSTOMERS:
        con.execute(
            "insert into marts.customers (customer_id, name, country, language, segment, tags, "
            "preferred_channel, payment_terms_days, on_hold, extracted_at) values (?, ?, 'FR', 'fr', ?, ?, ?, 30, "
            "false, ?)",
            [cid, name, segment, tags, channel, extracted],
        )
    credited = {"I11": Decimal("100.00")}
    for number, kind, cid, issue, delivery, due, amount, po, original, settled in INVOICES:
        amount_d = Decimal(amount)
        paid = sum((_money(p[4]) for p in PAYMENTS if p[2] == number), Decimal("0.00"))
        credit = credited.get(number, Decimal("0.00"))
        open_amount = max(amount_d - paid - credit, Decimal("0.00")) if kind == "invoice" else Decimal("0.00")
        status = (
            "credited"
            if kind == "credit_note"
            else ("paid" if open_amount == 0 else "partially_paid" if paid else "open")
        )
        con.execute(
            "insert into marts.invoices (issuer_id, invoice_number, document_type, customer_id, issue_date, "
            "delivery_date, due_date, amount_excl_tax, tax_amount, amount_incl_tax, currency, purchase_order, "
            "original_invoice_number, paid_amount, credited_amount, open_amount, settled_date, status, "
            "extracted_at) values ('ISS', ?, ?, ?, ?, ?, ?, ?, 0, ?, 'EUR', ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                number,
                kind,
                cid,
                _d(issue),
                _d(delivery),
                _d(due),
                amount_d,
                amount_d,
                po,
                original,
                paid,
                credit,
                open_amount,
                _d(settled),
                status,
                extracted,
            ],
        )
    for pid, cid, number, paid_on, amount in PAYMENTS:
        con.execute(
            "insert into staging.payments values (?, ?, ?, ?, ?, 'EUR', 'transfer', null, 'payments.csv', ?)",
            [pid, cid, number, _d(paid_on), _money(amount), extracted],
        )
    for number, cid, opened, reason, amount, resolved in DISPUTES:
        con.execute(
            "insert into staging.disputes values (?, ?, ?, ?, ?, ?)",
            [number, cid, _d(opened), reason, _money(amount), _d(resolved)],
        )
    customer_of = {row[0]: row[2] for row in INVOICES}
    for position, (number, kind, at, channel, code, step, evidence) in enumerate(EVENTS, start=1):
        occurred = datetime.fromisoformat(at).replace(tzinfo=timezone.utc)
        con.execute(
            "insert into staging.events values (?, ?, ?, ?, ?, ?, ?, ?, 'fixture', ?, ?, null, ?)",
            [
                position,
                f"e{position}",
                kind,
                occurred,
                occurred,
                number,
                customer_of[number],
                channel,
                code,
                step,
                json.dumps(evidence),
            ],
        )
