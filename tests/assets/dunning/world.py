"""A small warehouse for dunning tests: the contract's staging tables (docs/contracts.md) in a temp DuckDB
file, filled row by row as a simulated calendar advances."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

from stores import warehouse

DDL = (
    """create table if not exists staging.customers (
        customer_id varchar, name varchar, email varchar, phone varchar, siren varchar, vat_number varchar,
        country varchar, language varchar, timezone varchar, segment varchar, tags varchar[],
        preferred_channel varchar, fallback_channels varchar[], address_line1 varchar, address_line2 varchar,
        postcode varchar, city varchar, edi_gln varchar, platform_id varchar, ap_portal_id varchar,
        payment_terms_days integer, on_hold boolean, source_file varchar, extracted_at timestamptz)""",
    """create table if not exists staging.invoices (
        issuer_id varchar, invoice_number varchar, document_type varchar, customer_id varchar, issue_date date,
        delivery_date date, due_date date, amount_excl_tax decimal(18,2), tax_amount decimal(18,2),
        amount_incl_tax decimal(18,2), currency varchar, purchase_order varchar, original_invoice_number varchar,
        description varchar, attachments varchar[], source_file varchar, source_line integer,
        extracted_at timestamptz)""",
    """create table if not exists staging.payments (
        payment_id varchar, customer_id varchar, invoice_number varchar, payment_date date,
        amount decimal(18,2), currency varchar, method varchar, reference varchar, source_file varchar,
        extracted_at timestamptz)""",
    """create table if not exists staging.disputes (
        invoice_number varchar, customer_id varchar, opened_on date, reason varchar,
        disputed_amount decimal(18,2), resolved_on date)""",
)


class World:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.con = warehouse.connect(self.path)
        for ddl in DDL:
            self.con.execute(ddl)

    def close(self) -> None:
        self.con.close()

    def add_customer(
        self,
        customer_id: str,
        *,
        name: str | None = None,
        language: str = "fr",
        timezone_name: str = "Europe/Paris",
        segment: str = "sme",
        tags: list[str] | None = None,
        preferred_channel: str = "email",
        fallback_channels: list[str] | None = None,
        on_hold: bool = False,
        email: str | None = None,
    ) -> None:
        self.con.execute(
            "insert into staging.customers (customer_id, name, email, country, language, timezone, segment, tags, "
            "preferred_channel, fallback_channels, address_line1, postcode, city, payment_terms_days, on_hold, "
            "source_file, extracted_at) values (?, ?, ?, 'FR', ?, ?, ?, ?, ?, ?, '1 rue de la Paix', '75002', "
            "'Paris', 30, ?, 'customers.csv', now())",
            [
                customer_id,
                name or f"Client {customer_id}",
                email or f"{customer_id.lower()}@example.com",
                language,
                timezone_name,
                segment,
                tags or [],
                preferred_channel,
                fallback_channels or [],
                on_hold,
            ],
        )

    def add_invoice(
        self,
        number: str,
        customer_id: str,
        issue: date,
        due: date,
        amount: str,
        *,
        document_type: str = "invoice",
        original: str | None = None,
    ) -> None:
        total = Decimal(amount)
        self.con.execute(
            "insert into staging.invoices (issuer_id, invoice_number, document_type, customer_id, issue_date, "
            "delivery_date, due_date, amount_excl_tax, tax_amount, amount_incl_tax, currency, "
            "original_invoice_number, source_file, source_line, extracted_at) "
            "values ('ISSUER', ?, ?, ?, ?, ?, ?, ?, ?, ?, 'EUR', ?, 'invoices.csv', 1, now())",
            [
                number,
                document_type,
                customer_id,
                issue,
                issue,
                due,
                (total / Decimal("1.2")).quantize(Decimal("0.01")),
                total - (total / Decimal("1.2")).quantize(Decimal("0.01")),
                total,
                original,
            ],
        )

    def add_payment(
        self,
        payment_id: str,
        customer_id: str,
        invoice: str | None,
        paid_on: date,
        amount: str,
        extracted_at: datetime | None = None,
    ) -> None:
        self.con.execute(
            "insert into staging.payments values (?, ?, ?, ?, ?, 'EUR', 'transfer', ?, 'payments.csv', ?)",
            [
                payment_id,
                customer_id,
                invoice,
                paid_on,
                Decimal(amount),
                payment_id,
                extracted_at or datetime.now(timezone.utc),
            ],
        )

    def add_dispute(
        self, invoice: str, customer_id: str, opened: date, resolved: date | None = None, reason: str = "quantity"
    ) -> None:
        self.con.execute(
            "insert into staging.disputes values (?, ?, ?, ?, null, ?)",
            [invoice, customer_id, opened, reason, resolved],
        )

    def extract_payments(self, at: datetime) -> None:
        """A new payments extraction: every row now carries this extraction time."""
        self.con.execute("update staging.payments set extracted_at = ?", [at])
