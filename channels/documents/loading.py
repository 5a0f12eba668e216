"""Build invoice models from warehouse rows (staging.invoices, staging.invoice_lines, staging.customers).

Rows are plain mappings so the same code serves the DuckDB warehouse, a serving snapshot and test fixtures.
Supporting documents are read only from under the configured attachments folder; anything else is refused
with a reason (an invoice is never sent with a document missing or smuggled in).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from channels.documents.allowances import DISCOUNT, FREIGHT, AllowanceCharge, line_discount, split_over_vat_groups
from channels.documents.company import Company
from channels.documents.currency import CurrencyError, accounting_currency
from channels.documents.frames import (
    SUPPLY_TYPES,
    Frame,
    SaleContext,
    VatDecisionError,
    VatTreatment,
    buyer_electronic_address,
    domestic_exemption,
    operation_category,
    parse_electronic_address,
    parse_supply_type,
    vat_treatment,
)
from channels.documents.model import (
    NOTE_BUSINESS_PROCESS,
    NOTE_EARLY_PAYMENT_DISCOUNT,
    NOTE_LATE_PAYMENT_PENALTIES,
    NOTE_RECOVERY_INDEMNITY,
    NOTE_TAX,
    VAT_CATEGORY_INTRA_COMMUNITY,
    Attachment,
    Buyer,
    DeliveryInformation,
    DocumentType,
    Invoice,
    InvoiceLine,
    InvoiceNote,
    PostalAddress,
    money,
)

# VAT rates that exist in France (and BR-FR-16 accepts): used to recover a rate from exported totals.
FRENCH_VAT_RATES = tuple(Decimal(r) for r in ("20", "10", "5.5", "2.1", "8.5", "13", "1.75", "1.05", "0.9", "0"))


class InvoiceDataError(ValueError):
    """The exported data cannot make a correct invoice (reported as a validation failure, never sent)."""

    def __init__(self, rule_id: str, message: str):
        super().__init__(message)
        self.rule_id = rule_id
        self.message = message


class AttachmentRefused(InvoiceDataError):
    def __init__(self, message: str):
        super().__init__("RELANCE-ATTACHMENT", message)


def _dec(value: Any) -> Decimal:
    if value is None:
        return Decimal("0")
    if isinstance(value, float):
        # DuckDB decimals arrive as Decimal; a float here means a wrong column type upstream.
        raise InvoiceDataError("RELANCE-DATA", f"amount {value!r} arrived as a float, expected DECIMAL")
    return Decimal(value)


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _rate_from_totals(base: Decimal, tax: Decimal, number: str) -> Decimal:
    if base == 0:
        return Decimal("0")
    for rate in FRENCH_VAT_RATES:
        if abs(money(base * rate / 100) - tax) <= Decimal("0.01"):
            return rate
    raise InvoiceDataError(
        "RELANCE-VAT-RATE",
        f"invoice {number}: tax {tax} on {base} matches no French VAT rate and no lines were exported",
    )


@dataclass(frozen=True)
class AttachmentPolicy:
    root: Path  # every supporting document must resolve to a file under this folder
    max_bytes: int
    invoice_folders: tuple[str, ...] = ("{number}",)  # folders scanned per invoice, relative to the root

    def read(self, relative: str, invoice_number: str, base: Path | None = None) -> Attachment:
        """Read one supporting document, refusing paths outside the root, big files and non-PDFs.

        Relative paths are taken from `base` (the export's folder, as ERPs list them) or else the root."""
        raw = Path(relative)
        candidate = (raw if raw.is_absolute() else (base or self.root) / raw).resolve()
        root = self.root.resolve()
        if not candidate.is_relative_to(root):
            raise AttachmentRefused(
                f"invoice {invoice_number}: attachment {relative!r} is outside the allowed folder {root}"
            )
        if not candidate.is_file():
            raise AttachmentRefused(f"invoice {invoice_number}: attachment {relative!r} not found under {root}")
        size = candidate.stat().st_size
        if size > self.max_bytes:
            raise AttachmentRefused(
                f"invoice {invoice_number}: attachment {candidate.name} is {size} bytes, over the "
                f"{self.max_bytes}-byte limit"
            )
        data = candidate.read_bytes()
        if not data.startswith(b"%PDF-"):
            raise AttachmentRefused(
                f"invoice {invoice_number}: attachment {candidate.name} is not a PDF (PDF/A-3 embeds PDFs only)"
            )
        return Attachment(filename=candidate.name, data=data, description=attachment_code(candidate.name))

    def for_invoice(
        self, invoice_number: str, listed: Iterable[str], source_file: str | None = None
    ) -> tuple[Attachment, ...]:
        """Listed paths first (relative to the export file's folder), then PDFs of the invoice's folders."""
        base = Path(source_file).parent if source_file else None
        found: dict[str, Attachment] = {}
        for relative in listed:
            if relative and relative.strip():
                attachment = self.read(relative.strip(), invoice_number, base)
                found.setdefault(attachment.filename, attachment)
        safe_number = re.sub(r"[^A-Za-z0-9._-]", "_", invoice_number)
        for pattern in self.invoice_folders:
            folder = self.root / pattern.format(number=safe_number)
            if folder.is_dir():
                for path in sorted(folder.iterdir()):
                    if path.is_file() and path.name not in found:
                        attachment = self.read(str(path), invoice_number)
                        found[attachment.filename] = attachment
        return tuple(found.values())

    @classmethod
    def from_company(cls, company: Company) -> AttachmentPolicy:
        settings = company.documents
        return cls(settings.attachments_root, settings.max_attachment_bytes, settings.invoice_folders)


def attachment_code(filename: str) -> str:
    """BT-123 description code from the BR-FR-17 list, guessed from the file name."""
    name = filename.lower()
    if any(k in name for k in ("livraison", "delivery", "bl_", "bl-")):
        return "BON_LIVRAISON"
    if any(k in name for k in ("commande", "purchase", "po_", "po-", "order")):
        return "BON_COMMANDE"
    return "PJA"


def payment_terms_text(issue: date, due: date | None, language: str) -> str:
    if due is None:
        return ""
    days = (due - issue).days
    if language == "en":
        return f"Payment within {days} days" if days > 0 else "Payment on receipt"
    return f"Paiement à {days} jours" if days > 0 else "Paiement à réception"


CONSUMER_WORDS = {
    "b2c",
    "particulier",
    "particuliers",
    "consumer",
    "consommateur",
    "individual",
    "private",
    "personne physique",
    "non assujetti",
    "yes",
    "oui",
    "true",
    "1",
    "x",
}
BUSINESS_WORDS = {
    "b2b",
    "professionnel",
    "pro",
    "business",
    "company",
    "entreprise",
    "societe",
    "société",
    "assujetti",
    "no",
    "non",
    "false",
    "0",
    "",
}


def is_consumer(value: Any) -> bool:
    """The export's customer kind: a private person (B2C) or a business (B2B, the default)."""
    text = _text(value).lower()
    if text in CONSUMER_WORDS:
        return True
    if text in BUSINESS_WORDS:
        return False
    raise ValueError(f"customer kind {value!r} is neither a business (B2B) nor a private person (B2C)")


def mandatory_notes(
    company: Company, frame: Frame = Frame.DOMESTIC_B2B, language: str = "fr"
) -> tuple[InvoiceNote, ...]:
    mentions = company.mentions.in_language(language)
    notes = [
        InvoiceNote(NOTE_BUSINESS_PROCESS, frame.value),
        InvoiceNote(NOTE_LATE_PAYMENT_PENALTIES, mentions.late_payment_penalties),
        InvoiceNote(NOTE_RECOVERY_INDEMNITY, mentions.recovery_indemnity),
        InvoiceNote(NOTE_EARLY_PAYMENT_DISCOUNT, mentions.early_payment_discount),
    ]
    if company.vat_on_debits:
        notes.append(InvoiceNote(NOTE_TAX, mentions.vat_on_debits))
    return tuple(notes)


def _optional_dec(value: Any) -> Decimal | None:
    return None if value is None or value == "" else _dec(value)


def _delivery(invoice_row: Mapping[str, Any], buyer: Buyer, lines: list[InvoiceLine]) -> DeliveryInformation:
    """BG-13 from the export's delivery columns; without them, for an intra-Community supply of goods, the
    buyer's country alone (BR-IC-12 wants BT-80: the goods went to the buyer's country, which K asserts)."""
    delivery_date = invoice_row.get("delivery_date")
    when = delivery_date if isinstance(delivery_date, date) else None
    address = PostalAddress(
        line_one=_text(invoice_row.get("delivery_address_line1")),
        line_two=_text(invoice_row.get("delivery_address_line2")),
        postcode=_text(invoice_row.get("delivery_postcode")),
        city=_text(invoice_row.get("delivery_city")),
        country_code=(_text(invoice_row.get("delivery_country")) or buyer.address.country_code).upper()[:2],
    )
    if address.line_one or address.city:
        return DeliveryInformation(_text(invoice_row.get("delivery_name")) or buyer.name, address, when, exported=True)
    if any(line.vat_category == VAT_CATEGORY_INTRA_COMMUNITY for line in lines):
        return DeliveryInformation(address=PostalAddress(country_code=buyer.address.country_code), date=when)
    return DeliveryInformation(date=when)


def build_invoice(
    company: Company,
    invoice_row: Mapping[str, Any],
    customer_row: Mapping[str, Any],
    line_rows: Sequence[Mapping[str, Any]] = (),
    *,
    preceding_invoice_date: date | None = None,
    attachments: tuple[Attachment, ...] = (),
    language: str | None = None,
) -> Invoice:
    """The EN 16931 invoice of one exported invoice row, its customer and its lines; `language` overrides
    the customer's (fr | en) for every text the invoice carries."""
    number = _text(invoice_row.get("invoice_number"))
    if not number:
        raise InvoiceDataError("RELANCE-DATA", "invoice row without an invoice_number")
    kind = _text(invoice_row.get("document_type")) or "invoice"
    if kind not in ("invoice", "credit_note"):
        raise InvoiceDataError("RELANCE-DATA", f"invoice {number}: unknown document_type {kind!r}")
    credit = kind == "credit_note"
    if credit and not _text(invoice_row.get("original_invoice_number")):
        raise InvoiceDataError("RELANCE-DATA", f"credit note {number} does not name the invoice it credits")
    issue_date = invoice_row.get("issue_date")
    if not isinstance(issue_date, date):
        raise InvoiceDataError("RELANCE-DATA", f"invoice {number}: issue_date missing or not a date")
    # ERPs export credit notes with negative amounts; EN 16931 wants positive amounts on a 381.
    sign = Decimal(-1) if credit and _dec(invoice_row.get("amount_incl_tax")) < 0 else Decimal(1)
    base = _dec(invoice_row.get("amount_excl_tax")) * sign
    tax = _dec(invoice_row.get("tax_amount")) * sign
    language = language or _text(customer_row.get("language")) or company.default_language
    if language not in ("fr", "en"):
        language = company.default_language
    mentions = company.mentions.in_language(language)

    address = PostalAddress(
        line_one=_text(customer_row.get("address_line1")),
        line_two=_text(customer_row.get("address_line2")),
        postcode=_text(customer_row.get("postcode")),
        city=_text(customer_row.get("city")),
        country_code=(_text(customer_row.get("country")) or "FR").upper()[:2],
    )
    customer_id = _text(customer_row.get("customer_id"))
    try:
        consumer = is_consumer(customer_row.get("customer_kind"))
        declared = parse_electronic_address(customer_row.get("electronic_address"))
    except ValueError as error:
        raise InvoiceDataError("RELANCE-DATA", f"invoice {number}: customer {customer_id!r}: {error}") from error
    siren = re.sub(r"\s", "", _text(customer_row.get("siren")))
    vat_id = re.sub(r"\s", "", _text(customer_row.get("vat_number"))).upper()
    email = _text(customer_row.get("email"))
    sale = SaleContext(address.country_code, consumer=consumer, buyer_vat_id=vat_id)
    buyer = Buyer(
        name=_text(customer_row.get("name")),
        address=address,
        siren=siren,
        vat_id=vat_id,
        email=email,
        electronic_address=buyer_electronic_address(sale.frame, siren=siren, declared=declared, email=email),
        customer_id=customer_id,
        gln=_text(customer_row.get("edi_gln")),
        consumer=consumer,
    )
    if not buyer.name:
        raise InvoiceDataError("RELANCE-DATA", f"invoice {number}: customer {buyer.customer_id!r} has no name")
    home_exemption = domestic_exemption(
        company.mentions.vat_exemption_reason, company.mentions.in_language("en").vat_exemption_reason
    )
    default_supply = company.operation_category.nature if company.operation_category.nature in SUPPLY_TYPES else None

    def treatment(rate: Decimal, supply: str | None) -> VatTreatment:
        try:
            return vat_treatment(rate, supply, sale, domestic_exemption_mention=home_exemption)
        except VatDecisionError as error:
            raise InvoiceDataError("RELANCE-VAT-CATEGORY", f"invoice {number}: {error}") from error

    lines: list[InvoiceLine] = []
    negative: list[tuple[Decimal, str | None, Decimal, str]] = []  # discount lines of an invoice
    # ERPs differ on the sign of credit note lines too, independently of the header: judged on their sum.
    line_sign = (
        Decimal(-1) if credit and sum(_dec(r.get("line_amount_excl_tax")) for r in line_rows) < 0 else Decimal(1)
    )
    for row in sorted(line_rows, key=lambda r: int(r.get("line_number") or 0)):
        rate = _dec(row.get("vat_rate"))
        quantity = _dec(row.get("quantity")) or Decimal(1)
        amount = _dec(row.get("line_amount_excl_tax")) * line_sign
        price = _dec(row.get("unit_price"))
        description = _text(row.get("description")) or number
        try:
            supply = parse_supply_type(row.get("supply_type")) or default_supply
        except ValueError as error:
            raise InvoiceDataError(
                "RELANCE-DATA", f"invoice {number} line {row.get('line_number')}: {error}"
            ) from error
        if amount < 0:
            # A negative line (on a credit note: once its signs are turned positive) is a discount ("Remise",
            # "Geste commercial"): a document-level allowance (BG-20), since BR-27 forbids the negative price
            # it would otherwise need.
            negative.append((rate, supply, -amount, description))
            continue
        if line_sign < 0:
            # the minus sign sits on the quantity or on the price depending on the ERP
            quantity, price = abs(quantity), abs(price)
        discount_percent = _optional_dec(row.get("discount_percent"))
        discount_amount = _optional_dec(row.get("discount_amount"))
        line_allowances: tuple[AllowanceCharge, ...] = ()
        if discount_percent or discount_amount:
            try:
                allowance = line_discount(
                    quantity,
                    price,
                    amount,
                    percent=discount_percent,
                    amount=discount_amount,
                    reason="Discount" if language == "en" else "Remise",
                )
            except ValueError as error:
                raise InvoiceDataError(
                    "RELANCE-TOTALS", f"invoice {number} line {row.get('line_number')}: {error}"
                ) from error
            line_allowances = (allowance,) if allowance else ()
        elif money(quantity * price) != money(amount) and quantity:
            # Keep the exported line total authoritative (BR-CO / BT-131) and derive the net price from it.
            price = (amount / quantity).quantize(Decimal("0.0001"))
        vat = treatment(rate, supply)
        lines.append(
            InvoiceLine(
                line_id=str(row.get("line_number") or len(lines) + 1),
                name=description,
                quantity=quantity,
                net_price=price,
                vat_rate=rate,
                line_amount=amount,
                vat_category=vat.category,
                supply_type=supply,
                allowances=line_allowances,
                exemption_reason=vat.mention(language),
                exemption_code=vat.exemption_code,
            )
        )
    if not lines and not negative:
        rate = _rate_from_totals(base, tax, number)
        description = _text(invoice_row.get("description")) or (
            ("Avoir " if credit else "Facture ") + number
            if language == "fr"
            else ("Credit note " if credit else "Invoice ") + number
        )
        vat = treatment(rate, default_supply)
        lines.append(
            InvoiceLine(
                line_id="1",
                name=description,
                quantity=Decimal(1),
                net_price=base,
                vat_rate=rate,
                line_amount=base,
                vat_category=vat.category,
                supply_type=default_supply,
                exemption_reason=vat.mention(language),
                exemption_code=vat.exemption_code,
            )
        )
    if not lines:
        raise InvoiceDataError(
            "RELANCE-DATA", f"invoice {number}: every line is negative (discounts with nothing to discount)"
        )

    document_allowances: list[AllowanceCharge] = []
    for rate, supply, amount, description in negative:
        vat = treatment(rate, supply)
        document_allowances.append(
            AllowanceCharge(
                charge=False,
                amount=money(amount),
                reason=description,
                reason_code=DISCOUNT,
                vat_category=vat.category,
                vat_rate=Decimal(rate).quantize(Decimal("0.01")),
            )
        )
    groups: dict[tuple[str, Decimal], Decimal] = {}
    for line in lines:
        key = (line.vat_category, Decimal(line.vat_rate).quantize(Decimal("0.01")))
        groups[key] = groups.get(key, Decimal("0")) + line.net_amount
    for column, charge, code, reason_fr, reason_en in (
        ("discount_amount", False, DISCOUNT, "Remise", "Discount"),
        ("shipping_amount", True, FREIGHT, "Frais de port", "Shipping"),
    ):
        value = _optional_dec(invoice_row.get(column))
        if value:
            try:
                document_allowances += split_over_vat_groups(
                    abs(value),
                    groups,
                    charge=charge,
                    reason=reason_en if language == "en" else reason_fr,
                    reason_code=code,
                )
            except ValueError as error:
                raise InvoiceDataError("RELANCE-TOTALS", f"invoice {number}: {column}: {error}") from error

    types = [line.supply_type for line in lines]
    category = operation_category(types) if all(t in SUPPLY_TYPES for t in types) else company.operation_category
    due_date = invoice_row.get("due_date")
    invoice = Invoice(
        number=number,
        issue_date=issue_date,
        seller=company.seller,
        buyer=buyer,
        lines=tuple(lines),
        type_code=DocumentType.CREDIT_NOTE if credit else DocumentType.INVOICE,
        currency=(_text(invoice_row.get("currency")) or "EUR").upper(),
        due_date=due_date if isinstance(due_date, date) else None,
        payment_terms=payment_terms_text(issue_date, due_date if isinstance(due_date, date) else None, language),
        buyer_reference=_text(invoice_row.get("purchase_order")) or buyer.customer_id,
        purchase_order=_text(invoice_row.get("purchase_order")),
        preceding_invoice=_text(invoice_row.get("original_invoice_number")),
        preceding_invoice_date=preceding_invoice_date,
        operation_category=category,
        frame=sale.frame,
        vat_on_debits=company.vat_on_debits,
        notes=mandatory_notes(company, sale.frame, language),
        delivery=_delivery(invoice_row, buyer, lines),
        payment=company.payment,
        attachments=attachments,
        allowances=tuple(document_allowances),
        vat_exemption_reason=mentions.vat_exemption_reason,
        language=language,
        customer_id=buyer.customer_id,
    )
    _check_totals(invoice, base, tax)
    try:
        euros = accounting_currency(
            invoice.currency,
            invoice.totals.tax_total,
            tax_amount_eur=_optional_dec(invoice_row.get("tax_amount_eur")),
            exchange_rate=_optional_dec(invoice_row.get("exchange_rate")),
            configured=company.exchange_rates,
        )
    except CurrencyError as error:
        raise InvoiceDataError("RELANCE-FX", f"invoice {number}: {error}") from error
    if euros is not None and euros.tax_total < 0 < invoice.totals.tax_total:
        raise InvoiceDataError("RELANCE-FX", f"invoice {number}: VAT in euros {euros.tax_total} is negative")
    return replace(invoice, accounting_currency=euros) if euros is not None else invoice


def _check_totals(invoice: Invoice, base: Decimal, tax: Decimal) -> None:
    """The document's computed totals must match what the ERP booked (a cent of rounding is tolerated on VAT)."""
    totals = invoice.totals
    if totals.tax_basis_total != money(base):
        raise InvoiceDataError(
            "RELANCE-TOTALS",
            f"invoice {invoice.number}: lines less discounts plus charges add up to {totals.tax_basis_total} "
            f"excl. tax, the export says {money(base)}",
        )
    if abs(totals.tax_total - money(tax)) > Decimal("0.01"):
        raise InvoiceDataError(
            "RELANCE-TOTALS",
            f"invoice {invoice.number}: VAT per category is {totals.tax_total}, the export says {money(tax)}",
        )


@dataclass
class WarehouseInvoices:
    """Invoices read from a DuckDB connection (warehouse opened read-only, or the serving snapshot)."""

    company: Company
    con: Any  # duckdb connection
    _columns: dict[str, set[str]] = field(default_factory=dict)

    def _rows(self, sql: str, params: list[Any]) -> list[dict[str, Any]]:
        cursor = self.con.execute(sql, params)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]

    def _has_table(self, schema: str, name: str) -> bool:
        return bool(
            self.con.execute(
                "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
                [schema, name],
            ).fetchone()[0]
        )

    def rows_for(self, invoice_numbers: Sequence[str]) -> list[tuple[dict, dict, list[dict], date | None]]:
        """(invoice row, customer row, line rows, preceding invoice date) per number found, in the given order."""
        if not invoice_numbers:
            return []
        numbers = list(invoice_numbers)
        invoices = self._rows("select * from staging.invoices where invoice_number = any(?)", [numbers])
        customers = {
            r["customer_id"]: r
            for r in self._rows(
                "select * from staging.customers where customer_id = any(?)",
                [sorted({i["customer_id"] for i in invoices})],
            )
        }
        lines: dict[str, list[dict]] = {}
        if self._has_table("staging", "invoice_lines"):
            for row in self._rows("select * from staging.invoice_lines where invoice_number = any(?)", [numbers]):
                lines.setdefault(row["invoice_number"], []).append(row)
        originals = sorted({i["original_invoice_number"] for i in invoices if i.get("original_invoice_number")})
        original_dates = {
            r["invoice_number"]: r["issue_date"]
            for r in self._rows(
                "select invoice_number, issue_date from staging.invoices where invoice_number = any(?)", [originals]
            )
        }
        by_number = {i["invoice_number"]: i for i in invoices}
        result = []
        for number in numbers:
            row = by_number.get(number)
            if row is None:
                continue
            customer = customers.get(row["customer_id"])
            if customer is None:
                raise InvoiceDataError(
                    "RELANCE-DATA", f"invoice {number}: customer {row['customer_id']!r} not in staging.customers"
                )
            result.append(
                (row, customer, lines.get(number, []), original_dates.get(row.get("original_invoice_number")))
            )
        return result

    def load(self, invoice_number: str, language: str | None = None) -> Invoice:
        found = self.rows_for([invoice_number])
        if not found:
            raise LookupError(f"invoice {invoice_number!r} is not in staging.invoices")
        row, customer, lines, preceding = found[0]
        attachments = AttachmentPolicy.from_company(self.company).for_invoice(
            invoice_number, row.get("attachments") or [], row.get("source_file")
        )
        return build_invoice(
            self.company,
            row,
            customer,
            lines,
            preceding_invoice_date=preceding,
            attachments=attachments,
            language=language,
        )
