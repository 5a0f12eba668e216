"""A warehouse file holding the three staging tables the documents domain reads, shaped as in
docs/contracts.md (DECIMAL money, DATE dates, VARCHAR[] lists)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import duckdb

from tests.channels.documents.conftest import customer_row, invoice_row, line_rows

EXTRACTED_AT = datetime(2026, 9, 16, 6, 0, tzinfo=timezone.utc)

DDL = [
    """create table staging.customers (customer_id varchar, name varchar, email varchar, phone varchar,
       siren varchar, vat_number varchar, country varchar, language varchar, timezone varchar, segment varchar,
       tags varchar[], preferred_channel varchar, fallback_channels varchar[], address_line1 varchar,
       address_line2 varchar, postcode varchar, city varchar, edi_gln varchar, platform_id varchar,
       ap_portal_id varchar, payment_terms_days integer, on_hold boolean, source_file varchar,
       extracted_at timestamptz)""",
    """create table staging.invoices (issuer_id varchar, invoice_number varchar, document_type varchar,
       customer_id varchar, issue_date date, delivery_date date, due_date date, amount_excl_tax decimal(18,2),
       tax_amount decimal(18,2), amount_incl_tax decimal(18,2), currency varchar, purchase_order varchar,
       original_invoice_number varchar, description varchar, attachments varchar[], source_file varchar,
       source_line integer, extracted_at timestamptz)""",
    """create table staging.invoice_lines (invoice_number varchar, line_number integer, description varchar,
       quantity decimal(18,4), unit_price decimal(18,4), vat_rate decimal(5,2),
       line_amount_excl_tax decimal(18,2))""",
]

CUSTOMER_COLUMNS = [
    "customer_id",
    "name",
    "email",
    "phone",
    "siren",
    "vat_number",
    "country",
    "language",
    "timezone",
    "segment",
    "tags",
    "preferred_channel",
    "fallback_channels",
    "address_line1",
    "address_line2",
    "postcode",
    "city",
    "edi_gln",
    "platform_id",
    "ap_portal_id",
    "payment_terms_days",
    "on_hold",
    "source_file",
    "extracted_at",
]
INVOICE_COLUMNS = [
    "issuer_id",
    "invoice_number",
    "document_type",
    "customer_id",
    "issue_date",
    "delivery_date",
    "due_date",
    "amount_excl_tax",
    "tax_amount",
    "amount_incl_tax",
    "currency",
    "purchase_order",
    "original_invoice_number",
    "description",
    "attachments",
    "source_file",
    "source_line",
    "extracted_at",
]
LINE_COLUMNS = [
    "invoice_number",
    "line_number",
    "description",
    "quantity",
    "unit_price",
    "vat_rate",
    "line_amount_excl_tax",
]


def _insert(con, table: str, columns: list[str], rows: list[dict]) -> None:
    placeholders = ", ".join("?" for _ in columns)
    con.executemany(
        f"insert into {table} ({', '.join(columns)}) values ({placeholders})",
        [[row.get(c) for c in columns] for row in rows],
    )


def customers():
    base = dict(
        timezone="Europe/Paris",
        segment="SME",
        tags=[],
        fallback_channels=["paper"],
        platform_id=None,
        ap_portal_id=None,
        on_hold=False,
        source_file="customers.csv",
        extracted_at=EXTRACTED_AT,
    )
    return [
        {**customer_row(), **base, "edi_gln": None},
        {
            **customer_row(
                customer_id="C077",
                name="Buyer Ltd",
                language="en",
                preferred_channel="platform",
                siren="732829320",
                vat_number="FR44732829320",
            ),
            **base,
            "edi_gln": None,
        },
        {
            **customer_row(customer_id="C100", name="Grossiste EDI SA", preferred_channel="edi"),
            **base,
            "edi_gln": "3041234567898",
        },
        {**customer_row(customer_id="C200", name="Sans SIREN SARL", siren="", vat_number=""), **base, "edi_gln": None},
    ]


def invoices():
    common = dict(source_file="invoices.csv", extracted_at=EXTRACTED_AT, issuer_id="main")
    one_line = dict(amount_excl_tax="1000.00", tax_amount="200.00", amount_incl_tax="1200.00")
    return [
        {**invoice_row(), **common, "source_line": 2},
        {**invoice_row(invoice_number="FA-2026-0043", customer_id="C077", **one_line), **common, "source_line": 3},
        {**invoice_row(invoice_number="FA-2026-0044", customer_id="C100", **one_line), **common, "source_line": 4},
        {**invoice_row(invoice_number="FA-2026-0045", customer_id="C200", **one_line), **common, "source_line": 5},
        {
            **invoice_row(
                invoice_number="AV-2026-0001",
                document_type="credit_note",
                customer_id="C042",
                original_invoice_number="FA-2026-0042",
                amount_excl_tax="-100.00",
                tax_amount="-20.00",
                amount_incl_tax="-120.00",
                purchase_order=None,
            ),
            **common,
            "source_line": 6,
        },
    ]


def build_warehouse(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    try:
        con.execute("create schema if not exists staging")
        for ddl in DDL:
            con.execute(ddl)
        _insert(con, "staging.customers", CUSTOMER_COLUMNS, customers())
        _insert(con, "staging.invoices", INVOICE_COLUMNS, invoices())
        _insert(con, "staging.invoice_lines", LINE_COLUMNS, line_rows())
    finally:
        con.close()
    return path
