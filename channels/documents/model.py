"""An invoice model that mirrors EN 16931 (the European semantic model of an electronic invoice).

Classes are named for the specification's business groups (BG-n) and each field carries its business term
id (BT-n) in a comment, in the style of python-drafthorse, so the writers (CII, UBL, EDIFACT, PDF) map one
model to every syntax. Money is Decimal throughout; VAT is computed per category (category code + rate)
on the category's taxable total (lines less document allowances plus document charges) and rounded
half-up to the cent, which is what EN 16931 (BR-CO-17) and the French administration expect, rather than
summing per-line rounded VAT.

What kind of sale it is (frame, BT-23, VAT category of 0 % lines) is decided in frames.py; allowances and
charges are in allowances.py, the euro VAT total of a foreign-currency invoice in currency.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from channels.documents.allowances import AllowanceCharge
from channels.documents.allowances import total as allowance_total
from channels.documents.currency import AccountingCurrency
from channels.documents.frames import (
    VAT_EXEMPT,
    VAT_EXPORT,
    VAT_INTRA_COMMUNITY,
    VAT_REVERSE_CHARGE,
    VAT_STANDARD,
    ZERO_RATE_CATEGORIES,
    ElectronicAddress,
    Frame,
    OperationCategory,
)

CENT = Decimal("0.01")

# Kept under their earlier names for the writers and tests that use them.
VAT_CATEGORY_STANDARD = VAT_STANDARD
VAT_CATEGORY_EXEMPT = VAT_EXEMPT
VAT_CATEGORY_REVERSE_CHARGE = VAT_REVERSE_CHARGE
VAT_CATEGORY_INTRA_COMMUNITY = VAT_INTRA_COMMUNITY
VAT_CATEGORY_EXPORT = VAT_EXPORT


class DocumentType(StrEnum):
    """BT-3 invoice type code (UNTDID 1001)."""

    INVOICE = "380"
    CREDIT_NOTE = "381"


# BT-21 subject codes (UNTDID 4451) for the French mandatory mentions.
NOTE_LATE_PAYMENT_PENALTIES = "PMD"  # pénalités de retard
NOTE_RECOVERY_INDEMNITY = "PMT"  # indemnité forfaitaire pour frais de recouvrement (40 EUR)
NOTE_EARLY_PAYMENT_DISCOUNT = "AAB"  # escompte ou absence d'escompte
NOTE_TAX = "TXD"  # mention de taxe, used for the VAT-on-debits option
NOTE_BUSINESS_PROCESS = "BAR"  # B2B, B2BINT, B2C ... (BR-FR-20)


def money(value: Decimal | int | str) -> Decimal:
    """An amount rounded half-up to the cent (never binary floating point)."""
    if isinstance(value, float):
        raise TypeError("amounts must be Decimal, int or str, never float")
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class PostalAddress:  # BG-5 seller / BG-8 buyer / BG-15 deliver-to address
    line_one: str = ""  # BT-35 / BT-50 / BT-75
    line_two: str = ""  # BT-36 / BT-51 / BT-76
    postcode: str = ""  # BT-38 / BT-53 / BT-78
    city: str = ""  # BT-37 / BT-52 / BT-77
    country_code: str = "FR"  # BT-40 / BT-55 / BT-80 (ISO 3166-1 alpha-2)

    def lines(self) -> list[str]:
        return [x for x in (self.line_one, self.line_two, f"{self.postcode} {self.city}".strip()) if x]


@dataclass(frozen=True)
class Seller:  # BG-4
    name: str  # BT-27
    siren: str  # BT-30 legal registration identifier, scheme 0002 (SIRENE)
    vat_id: str  # BT-31
    address: PostalAddress  # BG-5
    siret: str = ""  # BT-29 seller identifier (scheme 0009 SIRET)
    legal_information: str = ""  # BT-33 e.g. "SAS au capital de 10 000 EUR - RCS Paris"
    electronic_address: str = ""  # BT-34, defaults to the SIREN (scheme 0225, French directory)
    contact_email: str = ""  # BT-43
    contact_phone: str = ""  # BT-42
    gln: str = ""  # GS1 Global Location Number (EDI party id; not an EN 16931 term)

    @property
    def endpoint(self) -> str:
        return self.electronic_address or self.siren


@dataclass(frozen=True)
class Buyer:  # BG-7
    name: str  # BT-44
    address: PostalAddress  # BG-8
    siren: str = ""  # BT-47 legal registration identifier (scheme 0002)
    vat_id: str = ""  # BT-48
    email: str = ""  # BT-58 buyer contact e-mail
    electronic_address: ElectronicAddress | None = None  # BT-49 with its scheme (BT-49-1)
    customer_id: str = ""  # BT-46 buyer identifier as the seller knows it
    gln: str = ""  # GS1 Global Location Number (EDI party id; not an EN 16931 term)
    consumer: bool = False  # a private person (B2C)

    @property
    def endpoint(self) -> str:
        return self.electronic_address.identifier if self.electronic_address else ""


@dataclass(frozen=True)
class DeliveryInformation:  # BG-13
    name: str = ""  # BT-70 deliver-to party name
    address: PostalAddress | None = None  # BG-15
    date: date | None = None  # BT-72 actual delivery date
    exported: bool = False  # the address came from the export (printed); else only what a rule needs (BT-80)


@dataclass(frozen=True)
class InvoiceNote:  # BG-1
    subject_code: str  # BT-21
    content: str  # BT-22


@dataclass(frozen=True)
class PaymentInstructions:  # BG-16
    means_code: str = "58"  # BT-81 (UNTDID 4461: 58 SEPA credit transfer, 30 credit transfer)
    iban: str = ""  # BT-84 payment account identifier
    bic: str = ""  # BT-86 payment service provider identifier
    account_name: str = ""  # BT-85
    remittance_information: str = ""  # BT-83, defaults to the invoice number


@dataclass(frozen=True)
class Attachment:  # BG-24 additional supporting document
    filename: str  # BT-125-2 attached document filename
    data: bytes  # BT-125 (embedded in the PDF/A-3, referenced in the XML)
    description: str = "PJA"  # BT-123: a BR-FR-17 code (PJA, BON_LIVRAISON, BON_COMMANDE, DOCUMENT_ANNEXE...)
    mime_type: str = "application/pdf"  # BT-125-1


@dataclass(frozen=True)
class InvoiceLine:  # BG-25
    line_id: str  # BT-126
    name: str  # BT-153 item name
    quantity: Decimal  # BT-129 invoiced quantity
    net_price: Decimal  # BT-146 item net price (excl. VAT), before line allowances and charges
    vat_rate: Decimal  # BT-152 invoiced item VAT rate, percent
    vat_category: str = VAT_CATEGORY_STANDARD  # BT-151
    unit_code: str = "C62"  # BT-130 (UN/ECE rec 20; C62 = one/unit)
    line_amount: Decimal | None = None  # BT-131 as exported by the ERP (else computed)
    supply_type: str | None = None  # goods | services (decides BT-23 and the exemption of a 0 % line)
    allowances: tuple[AllowanceCharge, ...] = ()  # BG-27 line allowances / BG-28 line charges
    exemption_reason: str = ""  # BT-120 its VAT category carries (0 % lines)
    exemption_code: str = ""  # BT-121 (VATEX)

    @property
    def net_amount(self) -> Decimal:  # BT-131 = quantity x price - allowances + charges
        if self.line_amount is not None:
            return money(self.line_amount)
        adjustments = sum((a.signed for a in self.allowances), Decimal("0"))
        return money(self.quantity * self.net_price) + adjustments

    @property
    def allowance_total(self) -> Decimal:
        return allowance_total(self.allowances, charge=False)


@dataclass(frozen=True)
class VatBreakdown:  # BG-23
    category: str  # BT-118
    rate: Decimal  # BT-119
    taxable_amount: Decimal  # BT-116
    tax_amount: Decimal  # BT-117
    exemption_reason: str = ""  # BT-120
    exemption_reason_code: str = ""  # BT-121 (VATEX)


@dataclass(frozen=True)
class DocumentTotals:  # BG-22
    line_total: Decimal  # BT-106 sum of invoice line net amounts
    allowance_total: Decimal  # BT-107 sum of document level allowances
    charge_total: Decimal  # BT-108 sum of document level charges
    tax_basis_total: Decimal  # BT-109 total amount without VAT
    tax_total: Decimal  # BT-110 total VAT amount
    grand_total: Decimal  # BT-112 total amount with VAT
    prepaid: Decimal  # BT-113 paid amount
    due_payable: Decimal  # BT-115 amount due for payment


@dataclass(frozen=True)
class Invoice:
    number: str  # BT-1
    issue_date: date  # BT-2
    seller: Seller  # BG-4
    buyer: Buyer  # BG-7
    lines: tuple[InvoiceLine, ...]  # BG-25
    type_code: DocumentType = DocumentType.INVOICE  # BT-3
    currency: str = "EUR"  # BT-5
    accounting_currency: AccountingCurrency | None = None  # BT-6 and BT-111 (VAT total in euros)
    due_date: date | None = None  # BT-9
    payment_terms: str = ""  # BT-20
    buyer_reference: str = ""  # BT-10
    purchase_order: str = ""  # BT-13
    preceding_invoice: str = ""  # BT-25 (credit notes: the invoice credited)
    preceding_invoice_date: date | None = None  # BT-26
    operation_category: OperationCategory = OperationCategory.S1  # BT-23 cadre de facturation
    frame: Frame = Frame.DOMESTIC_B2B  # processing frame, written as the BAR note
    vat_on_debits: bool = False  # BT-8 = invoice date (option pour le paiement de la TVA d'après les débits)
    notes: tuple[InvoiceNote, ...] = ()  # BG-1
    delivery: DeliveryInformation = field(default_factory=DeliveryInformation)  # BG-13
    payment: PaymentInstructions = field(default_factory=PaymentInstructions)  # BG-16
    attachments: tuple[Attachment, ...] = ()  # BG-24
    allowances: tuple[AllowanceCharge, ...] = ()  # BG-20 document allowances / BG-21 document charges
    prepaid_amount: Decimal = Decimal("0.00")  # BT-113
    vat_exemption_reason: str = "Exonération de TVA"  # BT-120 for category E lines without their own
    language: str = "fr"  # document language (not an EN 16931 term): fr | en
    customer_id: str = ""  # the ERP's customer code

    def __post_init__(self):
        if not self.number:
            raise ValueError("an invoice needs a number (BT-1)")
        if not self.lines:
            raise ValueError(f"invoice {self.number} has no lines (BG-25 needs at least one)")
        if self.type_code == DocumentType.CREDIT_NOTE and not self.preceding_invoice:
            raise ValueError(f"credit note {self.number} does not name the invoice it credits (BT-25)")
        for entry in self.allowances:
            if entry.vat_rate is None:
                raise ValueError(f"invoice {self.number}: a document allowance or charge needs a VAT rate (BT-96)")

    @property
    def is_credit_note(self) -> bool:
        return self.type_code == DocumentType.CREDIT_NOTE

    def note(self, subject_code: str) -> InvoiceNote | None:
        return next((n for n in self.notes if n.subject_code == subject_code), None)

    @property
    def document_allowances(self) -> tuple[AllowanceCharge, ...]:
        return tuple(a for a in self.allowances if not a.charge)

    @property
    def document_charges(self) -> tuple[AllowanceCharge, ...]:
        return tuple(a for a in self.allowances if a.charge)

    @property
    def has_allowances(self) -> bool:
        return bool(self.allowances) or any(line.allowances for line in self.lines)

    @property
    def vat_breakdown(self) -> list[VatBreakdown]:
        """BG-23: one entry per (category, rate); taxable = lines - allowances + charges of that group, VAT =
        taxable x rate rounded half-up to the cent; 0 % categories carry their exemption reason."""
        groups: dict[tuple[str, Decimal], Decimal] = {}
        reasons: dict[str, tuple[str, str]] = {}
        for line in self.lines:
            key = (line.vat_category, Decimal(line.vat_rate).quantize(CENT))
            groups[key] = groups.get(key, Decimal("0")) + line.net_amount
            if line.exemption_reason or line.exemption_code:
                # One breakdown per category (BR-IC-01, BR-G-01...): lines of one category under different
                # rules (exported goods and services) carry every mention, joined.
                text, code = reasons.get(line.vat_category, ("", ""))
                if line.exemption_reason and line.exemption_reason not in text:
                    text = f"{text}; {line.exemption_reason}" if text else line.exemption_reason
                reasons[line.vat_category] = (text, code or line.exemption_code)
        for entry in self.allowances:
            key = (entry.vat_category, Decimal(entry.vat_rate).quantize(CENT))
            groups[key] = groups.get(key, Decimal("0")) + entry.signed
        breakdown = []
        for (category, rate), taxable in sorted(groups.items(), key=lambda kv: (-kv[0][1], kv[0][0])):
            reason, code = reasons.get(category, ("", ""))
            if category == VAT_CATEGORY_EXEMPT and not (reason or code):
                reason = self.vat_exemption_reason  # K, AE and G get their mention from frames.py only
            breakdown.append(
                VatBreakdown(
                    category=category,
                    rate=rate,
                    taxable_amount=money(taxable),
                    tax_amount=money(taxable * rate / Decimal(100)),
                    exemption_reason=reason if category in ZERO_RATE_CATEGORIES else "",
                    exemption_reason_code=code if category in ZERO_RATE_CATEGORIES else "",
                )
            )
        return breakdown

    def line_groups(self) -> dict[tuple[str, Decimal], Decimal]:
        """Net amount of the lines per (VAT category, rate): what document allowances are split over."""
        groups: dict[tuple[str, Decimal], Decimal] = {}
        for line in self.lines:
            key = (line.vat_category, Decimal(line.vat_rate).quantize(CENT))
            groups[key] = groups.get(key, Decimal("0")) + line.net_amount
        return groups

    @property
    def totals(self) -> DocumentTotals:
        line_total = money(sum((line.net_amount for line in self.lines), Decimal("0")))
        allowances = allowance_total(self.allowances, charge=False)
        charges = allowance_total(self.allowances, charge=True)
        basis = line_total - allowances + charges
        tax_total = money(sum((b.tax_amount for b in self.vat_breakdown), Decimal("0")))
        grand_total = basis + tax_total
        prepaid = money(self.prepaid_amount)
        return DocumentTotals(
            line_total, allowances, charges, basis, tax_total, grand_total, prepaid, grand_total - prepaid
        )
