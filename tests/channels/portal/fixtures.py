"""A small, fully known world for the portal tests: two customers in a published serving snapshot (tables
and columns of docs/contracts.md), their documents in the DocumentStore and the document index."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import duckdb
from pypdf import PdfWriter
from sqlalchemy import Engine, insert

from assets.business_date import business_date
from stores import operational as ops
from stores.documents import DocumentStore
from stores.home import Home
from stores.snapshot import publish

CUSTOMERS_DDL = """
create table staging.customers (
  customer_id varchar, name varchar, email varchar, phone varchar, siren varchar, vat_number varchar,
  country varchar, language varchar, timezone varchar, segment varchar, tags varchar[],
  preferred_channel varchar, fallback_channels varchar[], address_line1 varchar, address_line2 varchar,
  postcode varchar, city varchar, edi_gln varchar, platform_id varchar, ap_portal_id varchar,
  payment_terms_days integer, on_hold boolean, source_file varchar, extracted_at timestamptz)"""
INVOICES_DDL = """
create table marts.invoices (
  issuer_id varchar, invoice_number varchar, document_type varchar, customer_id varchar, issue_date date,
  delivery_date date, due_date date, amount_excl_tax decimal(18,2), tax_amount decimal(18,2),
  amount_incl_tax decimal(18,2), currency varchar, purchase_order varchar, original_invoice_number varchar,
  description varchar, attachments varchar[], source_file varchar, source_line integer, extracted_at timestamptz,
  paid_amount decimal(18,2), credited_amount decimal(18,2), open_amount decimal(18,2), settled_date date,
  status varchar, days_late integer, is_late boolean)"""
PAYMENTS_DDL = """
create table staging.payments (
  payment_id varchar, customer_id varchar, invoice_number varchar, payment_date date, amount decimal(18,2),
  currency varchar, method varchar, reference varchar, source_file varchar, extracted_at timestamptz)"""

TODAY = business_date()


@dataclass
class World:
    home: Home
    engine: Engine
    files: dict[str, str]  # label -> sha256
    pdf_bytes: bytes


def small_pdf(text_pages: int = 1) -> bytes:
    writer = PdfWriter()
    for _ in range(text_pages):
        writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": "Facture F-2026-0001"})
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def customer_row(customer_id, name, email, language, timezone="Europe/Paris"):
    return (
        customer_id,
        name,
        email,
        "+33100000000",
        "552100554",
        "FR40552100554",
        "FR",
        language,
        timezone,
        "smb",
        ["vip"],
        "email",
        ["paper"],
        "1 rue de la Paix",
        None,
        "75002",
        "Paris",
        None,
        None,
        None,
        30,
        False,
        "customers.csv",
        "2026-01-01 00:00:00+00",
    )


def invoice_row(
    number,
    customer_id,
    issue,
    due,
    ht,
    tva,
    doc_type="invoice",
    paid="0",
    credited="0",
    status="open",
    settled=None,
    original=None,
):
    ttc = Decimal(ht) + Decimal(tva)
    open_amount = Decimal("0.00") if status in ("paid", "credited") else ttc - Decimal(paid) - Decimal(credited)
    days_late = max(0, (TODAY - due).days) if due and status in ("open", "partially_paid") else 0
    return (
        "ACME-FR",
        number,
        doc_type,
        customer_id,
        issue,
        issue,
        due,
        Decimal(ht),
        Decimal(tva),
        ttc,
        "EUR",
        "PO-77",
        original,
        f"Livraison {number}",
        [],
        "invoices.csv",
        1,
        "2026-01-01 00:00:00+00",
        Decimal(paid),
        Decimal(credited),
        open_amount,
        settled,
        status,
        days_late,
        days_late > 0,
    )


def build_snapshot(home: Home, customers, invoices, payments) -> None:
    warehouse_file = home.root / "fixture-warehouse.duckdb"
    con = duckdb.connect(str(warehouse_file))
    try:
        con.execute("create schema if not exists staging")
        con.execute("create schema if not exists marts")
        for ddl in (CUSTOMERS_DDL, INVOICES_DDL, PAYMENTS_DDL):
            con.execute(ddl)
        con.executemany("insert into staging.customers values (" + ",".join("?" * 24) + ")", customers)
        con.executemany("insert into marts.invoices values (" + ",".join("?" * 25) + ")", invoices)
        if payments:
            con.executemany("insert into staging.payments values (" + ",".join("?" * 10) + ")", payments)
        publish(con, ["staging.customers", "marts.invoices", "staging.payments"], home.snapshot)
    finally:
        con.close()
    warehouse_file.unlink()


def build_world(home: Home, operational_url: str) -> World:
    home.ensure()
    customers = [
        customer_row("C001", "Boulangerie Martin", "compta@martin.example", "fr"),
        customer_row("C002", "Acme Trading Ltd", "ap@acme.example", "en", "Europe/London"),
    ]
    invoices = [
        invoice_row("F-2026-0001", "C001", TODAY - timedelta(days=40), TODAY - timedelta(days=10), "1000.00", "200.00"),
        invoice_row(
            "F-2026-0002",
            "C001",
            TODAY - timedelta(days=70),
            TODAY - timedelta(days=40),
            "500.00",
            "100.00",
            paid="600.00",
            status="paid",
            settled=TODAY - timedelta(days=45),
        ),
        invoice_row(
            "F-2026-0004",
            "C001",
            TODAY - timedelta(days=5),
            TODAY + timedelta(days=25),
            "250.00",
            "50.00",
            paid="100.00",
            status="partially_paid",
        ),
        invoice_row(
            "AV-2026-0001",
            "C001",
            TODAY - timedelta(days=20),
            None,
            "-50.00",
            "-10.00",
            doc_type="credit_note",
            credited="-60.00",
            status="credited",
            original="F-2026-0001",
        ),
        invoice_row("F-2026-0003", "C002", TODAY - timedelta(days=15), TODAY + timedelta(days=15), "2000.00", "400.00"),
    ]
    payments = [
        (
            "P-1",
            "C001",
            "F-2026-0002",
            TODAY - timedelta(days=45),
            Decimal("600.00"),
            "EUR",
            "transfer",
            "VIR-001",
            "payments.csv",
            "2026-01-01 00:00:00+00",
        ),
        (
            "P-2",
            "C001",
            "F-2026-0004",
            TODAY - timedelta(days=2),
            Decimal("100.00"),
            "EUR",
            "card",
            "CB-002",
            "payments.csv",
            "2026-01-01 00:00:00+00",
        ),
        (
            "P-3",
            "C002",
            None,
            TODAY - timedelta(days=1),
            Decimal("10.00"),
            "EUR",
            "transfer",
            "VIR-003",
            "payments.csv",
            "2026-01-01 00:00:00+00",
        ),
    ]
    build_snapshot(home, customers, invoices, payments)

    store = DocumentStore(home.documents)
    pdf = small_pdf()
    files = {
        "c001_pdf": store.put(pdf),
        "c001_ubl": store.put(b'<?xml version="1.0"?><Invoice><ID>F-2026-0001</ID></Invoice>'),
        "c001_attachment": store.put(small_pdf(2)),
        "c002_pdf": store.put(small_pdf(3)),
    }
    engine = ops.open_store(operational_url)
    now = ops.utcnow()
    with engine.begin() as conn:
        conn.execute(
            insert(ops.document_index),
            [
                dict(
                    invoice_number="F-2026-0001",
                    customer_id="C001",
                    format="pdf",
                    sha256=files["c001_pdf"],
                    filename="F-2026-0001.pdf",
                    created_at=now,
                ),
                dict(
                    invoice_number="F-2026-0001",
                    customer_id="C001",
                    format="ubl",
                    sha256=files["c001_ubl"],
                    filename="F-2026-0001.xml",
                    created_at=now,
                ),
                dict(
                    invoice_number="F-2026-0001",
                    customer_id="C001",
                    format="attachment",
                    sha256=files["c001_attachment"],
                    filename="bon de livraison 77.pdf",
                    created_at=now,
                ),
                dict(
                    invoice_number="F-2026-0003",
                    customer_id="C002",
                    format="pdf",
                    sha256=files["c002_pdf"],
                    filename="F-2026-0003.pdf",
                    created_at=now,
                ),
            ],
        )
    return World(home=home, engine=engine, files=files, pdf_bytes=pdf)
