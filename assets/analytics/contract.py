"""The upstream tables analytics reads, created empty with the columns and types docs/contracts.md fixes.

Ingest and the portal own the real tables; this shape is what the backtest's private database starts from
and what the tests' fixture book is written into, so both exercise exactly the contract the marts are
written against.
"""

from __future__ import annotations

import duckdb


def create_contract_tables(con: duckdb.DuckDBPyConnection) -> None:
    """The upstream tables analytics reads, with the contract's columns and types (docs/contracts.md)."""
    for schema in ("raw", "staging", "intermediate", "marts"):
        con.execute(f"create schema if not exists {schema}")
    con.execute("""
        create or replace table marts.customers (
            customer_id varchar, name varchar, email varchar, phone varchar, siren varchar,
            vat_number varchar, country varchar, language varchar, timezone varchar, segment varchar,
            tags varchar[], preferred_channel varchar, fallback_channels varchar[], address_line1 varchar,
            address_line2 varchar, postcode varchar, city varchar, edi_gln varchar, platform_id varchar,
            ap_portal_id varchar, payment_terms_days integer, on_hold boolean, source_file varchar,
            extracted_at timestamptz, open_amount decimal(18,2), overdue_amount decimal(18,2),
            invoice_count integer)""")
    con.execute("""
        create or replace table marts.invoices (
            issuer_id varchar, invoice_number varchar, document_type varchar, customer_id varchar,
            issue_date date, delivery_date date, due_date date, amount_excl_tax decimal(18,2),
            tax_amount decimal(18,2), amount_incl_tax decimal(18,2), currency varchar,
            purchase_order varchar, original_invoice_number varchar, description varchar,
            attachments varchar[], source_file varchar, source_line integer, extracted_at timestamptz,
            paid_amount decimal(18,2), credited_amount decimal(18,2), open_amount decimal(18,2),
            settled_date date, status varchar, days_late integer, is_late boolean, billing_channel varchar)""")
    con.execute("""
        create or replace table staging.payments (
            payment_id varchar, customer_id varchar, invoice_number varchar, payment_date date,
            amount decimal(18,2), currency varchar, method varchar, reference varchar,
            source_file varchar, extracted_at timestamptz)""")
    con.execute("""
        create or replace table staging.disputes (
            invoice_number varchar, customer_id varchar, opened_on date, reason varchar,
            disputed_amount decimal(18,2), resolved_on date)""")
    con.execute("""
        create or replace table staging.events (
            id bigint, event_id varchar, event_type varchar, occurred_at timestamptz,
            recorded_at timestamptz, invoice_number varchar, customer_id varchar, channel varchar,
            source varchar, status_code varchar, reminder_step varchar, outbox_id bigint, evidence json)""")
