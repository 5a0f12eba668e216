"""UBL 2.1 Invoice / CreditNote from the invoice model, in two flavours that cannot be one document:

- "fr-ctc", the French e-invoicing UBL: ProfileID = BT-23 (B1/S1/M1..., BR-FR-08), one note per French
  mention with its subject code (#PMD#, #PMT#, #AAB#, #BAR#: BR-FR-05, BR-FR-20), seller address in the
  French directory (scheme 0225, BR-FR-13) and the buyer's electronic address with its scheme. Passes the
  CEN and BR-FR rules.
- "peppol", Peppol BIS Billing 3.0: ProfileID urn:fdc:peppol.eu:2017:poacc:billing:01:1.0 (PEPPOL-EN16931-R007),
  at most one note (R002: the mentions in one text), the seller's Peppol address (0009 SIRET, 0002 SIREN or
  0225) and the buyer's Peppol address (R010), which only the export can give (never derived from a VAT
  number). Passes the CEN and Peppol rules; BR-FR-05/08 fail on it by design.

`ubl_flavour` chooses per invoice from the company's `[documents] ubl_profile`. Element order follows the
UBL 2.1 XSD sequences.
"""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from channels.documents.allowances import AllowanceCharge
from channels.documents.frames import (
    FRENCH_DIRECTORY_SCHEME,
    SIRENE_SCHEME,
    SIRET_SCHEME,
    ZERO_RATE_CATEGORIES,
    Frame,
)
from channels.documents.model import NOTE_BUSINESS_PROCESS, Invoice, PostalAddress

CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CREDIT_NOTE_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
PEPPOL_CUSTOMIZATION = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PEPPOL_PROFILE = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
VAT_DUE_ON_INVOICE_DATE = "3"  # BT-8 in UBL (UNTDID 2005): VAT on debits
FLAVOURS = ("fr-ctc", "peppol")


class UblError(ValueError):
    """The invoice cannot be written in the asked flavour (e.g. Peppol without the buyer's Peppol address)."""


def ubl_flavour(invoice: Invoice, profile: str = "auto") -> str:
    """fr-ctc | peppol for this invoice under the company's ubl_profile (auto | fr-ctc | peppol): Peppol needs
    the buyer's Peppol address; under auto only a business abroad gets it (at home BR-FR applies)."""
    address = invoice.buyer.electronic_address
    reachable = address is not None and address.is_peppol
    if profile == "fr-ctc" or not reachable:
        return "fr-ctc"
    if profile == "peppol":
        return "peppol"
    return "peppol" if invoice.frame is Frame.INTERNATIONAL_B2B else "fr-ctc"


class _Ubl:
    def __init__(self, currency: str):
        self.currency = currency

    @staticmethod
    def cbc(parent, tag, text, **attrs):
        el = etree.SubElement(parent, f"{{{CBC}}}{tag}", {k: v for k, v in attrs.items() if v})
        el.text = text
        return el

    @staticmethod
    def cac(parent, tag):
        return etree.SubElement(parent, f"{{{CAC}}}{tag}")

    def amount(self, parent, tag, value: Decimal, currency: str | None = None):
        return self.cbc(parent, tag, f"{value:.2f}", currencyID=currency or self.currency)

    def address(self, parent, tag: str, address: PostalAddress):
        holder = self.cac(parent, tag)
        if address.line_one:
            self.cbc(holder, "StreetName", address.line_one)
        if address.line_two:
            self.cbc(holder, "AdditionalStreetName", address.line_two)
        if address.city:
            self.cbc(holder, "CityName", address.city)
        if address.postcode:
            self.cbc(holder, "PostalZone", address.postcode)
        self.cbc(self.cac(holder, "Country"), "IdentificationCode", address.country_code)
        return holder

    def tax_scheme(self, parent):
        self.cbc(self.cac(parent, "TaxScheme"), "ID", "VAT")

    def allowance(self, parent, entry: AllowanceCharge, *, document_level: bool):
        holder = self.cac(parent, "AllowanceCharge")
        self.cbc(holder, "ChargeIndicator", "true" if entry.charge else "false")
        if entry.reason_code:
            self.cbc(holder, "AllowanceChargeReasonCode", entry.reason_code)
        if entry.reason:
            self.cbc(holder, "AllowanceChargeReason", entry.reason)
        if entry.percent is not None:
            self.cbc(holder, "MultiplierFactorNumeric", f"{entry.percent:f}")
        self.amount(holder, "Amount", entry.amount)
        if entry.base_amount is not None:
            self.amount(holder, "BaseAmount", entry.base_amount)
        if document_level:
            category = self.cac(holder, "TaxCategory")
            self.cbc(category, "ID", entry.vat_category)
            self.cbc(category, "Percent", f"{Decimal(entry.vat_rate):.2f}")
            self.tax_scheme(category)


def _seller_endpoint(invoice: Invoice, flavour: str, peppol_endpoint_scheme: str) -> tuple[str, str]:
    seller = invoice.seller
    if flavour == "peppol":
        if peppol_endpoint_scheme == SIRET_SCHEME:
            if not seller.siret:
                raise UblError("a Peppol address in scheme 0009 needs the company's SIRET")
            return seller.siret, SIRET_SCHEME
        return seller.siren, peppol_endpoint_scheme
    return seller.endpoint, FRENCH_DIRECTORY_SCHEME


def build_ubl(invoice: Invoice, profile: str = "fr-ctc", peppol_endpoint_scheme: str = SIRET_SCHEME) -> etree._Element:
    """The UBL of `invoice` in flavour `profile` (fr-ctc | peppol)."""
    if profile not in FLAVOURS:
        raise ValueError(f"UBL flavour must be one of {', '.join(FLAVOURS)}, not {profile!r}")
    peppol = profile == "peppol"
    buyer_address = invoice.buyer.electronic_address
    if peppol and (buyer_address is None or not buyer_address.is_peppol):
        raise UblError(
            f"invoice {invoice.number}: a Peppol BIS 3 UBL needs the buyer's Peppol address (BT-49, "
            f"PEPPOL-EN16931-R010); customer {invoice.customer_id!r} has "
            f"{'only ' + str(buyer_address) if buyer_address else 'none'}: export its electronic_address"
        )
    credit = invoice.is_credit_note
    ns = CREDIT_NOTE_NS if credit else INVOICE_NS
    root = etree.Element(f"{{{ns}}}{'CreditNote' if credit else 'Invoice'}", nsmap={None: ns, "cac": CAC, "cbc": CBC})
    u = _Ubl(invoice.currency)
    u.cbc(root, "CustomizationID", PEPPOL_CUSTOMIZATION)
    u.cbc(root, "ProfileID", PEPPOL_PROFILE if peppol else invoice.operation_category.value)
    u.cbc(root, "ID", invoice.number)
    u.cbc(root, "IssueDate", invoice.issue_date.isoformat())
    if not credit and invoice.due_date:
        u.cbc(root, "DueDate", invoice.due_date.isoformat())
    u.cbc(root, "CreditNoteTypeCode" if credit else "InvoiceTypeCode", invoice.type_code.value)
    if peppol:
        mentions = [n.content for n in invoice.notes if n.subject_code != NOTE_BUSINESS_PROCESS]
        if mentions:
            u.cbc(root, "Note", " ".join(mentions))  # PEPPOL-EN16931-R002: one note
    else:
        for note in invoice.notes:
            u.cbc(root, "Note", f"#{note.subject_code}#{note.content}")  # EN 16931 UBL binding of BT-21/BT-22
    u.cbc(root, "DocumentCurrencyCode", invoice.currency)
    euros = invoice.accounting_currency
    if euros is not None:
        u.cbc(root, "TaxCurrencyCode", euros.code)
    if invoice.buyer_reference:
        u.cbc(root, "BuyerReference", invoice.buyer_reference)
    if invoice.vat_on_debits:
        u.cbc(u.cac(root, "InvoicePeriod"), "DescriptionCode", VAT_DUE_ON_INVOICE_DATE)
    if invoice.purchase_order:
        u.cbc(u.cac(root, "OrderReference"), "ID", invoice.purchase_order)
    if invoice.preceding_invoice:
        reference = u.cac(u.cac(root, "BillingReference"), "InvoiceDocumentReference")
        u.cbc(reference, "ID", invoice.preceding_invoice)
        if invoice.preceding_invoice_date:
            u.cbc(reference, "IssueDate", invoice.preceding_invoice_date.isoformat())
    for attachment in invoice.attachments:
        reference = u.cac(root, "AdditionalDocumentReference")
        u.cbc(reference, "ID", attachment.filename)
        u.cbc(reference, "DocumentDescription", attachment.description)

    seller = invoice.seller
    endpoint, scheme = _seller_endpoint(invoice, profile, peppol_endpoint_scheme)
    party = u.cac(u.cac(root, "AccountingSupplierParty"), "Party")
    u.cbc(party, "EndpointID", endpoint, schemeID=scheme)
    if seller.siret:
        u.cbc(u.cac(party, "PartyIdentification"), "ID", seller.siret, schemeID=SIRET_SCHEME)
    u.cbc(u.cac(party, "PartyName"), "Name", seller.name)
    u.address(party, "PostalAddress", seller.address)
    tax = u.cac(party, "PartyTaxScheme")
    u.cbc(tax, "CompanyID", seller.vat_id)
    u.tax_scheme(tax)
    legal = u.cac(party, "PartyLegalEntity")
    u.cbc(legal, "RegistrationName", seller.name)
    u.cbc(legal, "CompanyID", seller.siren, schemeID=SIRENE_SCHEME)
    if seller.legal_information:
        u.cbc(legal, "CompanyLegalForm", seller.legal_information)
    if seller.contact_email or seller.contact_phone:
        contact = u.cac(party, "Contact")
        if seller.contact_phone:
            u.cbc(contact, "Telephone", seller.contact_phone)
        if seller.contact_email:
            u.cbc(contact, "ElectronicMail", seller.contact_email)

    buyer = invoice.buyer
    party = u.cac(u.cac(root, "AccountingCustomerParty"), "Party")
    if buyer_address is not None:
        u.cbc(party, "EndpointID", buyer_address.identifier, schemeID=buyer_address.scheme)
    # The ERP customer code (BT-46) is not written: BR-FR-CO-10 wants a scheme for it and it has none.
    u.cbc(u.cac(party, "PartyName"), "Name", buyer.name)
    u.address(party, "PostalAddress", buyer.address)
    if buyer.vat_id:
        tax = u.cac(party, "PartyTaxScheme")
        u.cbc(tax, "CompanyID", buyer.vat_id)
        u.tax_scheme(tax)
    legal = u.cac(party, "PartyLegalEntity")
    u.cbc(legal, "RegistrationName", buyer.name)
    if buyer.siren:
        u.cbc(legal, "CompanyID", buyer.siren, schemeID=SIRENE_SCHEME)
    if buyer.email:
        u.cbc(u.cac(party, "Contact"), "ElectronicMail", buyer.email)

    delivery_info = invoice.delivery
    if delivery_info.date or delivery_info.address:
        delivery = u.cac(root, "Delivery")
        if delivery_info.date:
            u.cbc(delivery, "ActualDeliveryDate", delivery_info.date.isoformat())
        if delivery_info.address:
            u.address(u.cac(delivery, "DeliveryLocation"), "Address", delivery_info.address)
            if delivery_info.name:
                u.cbc(u.cac(u.cac(delivery, "DeliveryParty"), "PartyName"), "Name", delivery_info.name)

    if invoice.payment.iban:
        means = u.cac(root, "PaymentMeans")
        u.cbc(means, "PaymentMeansCode", invoice.payment.means_code)
        if credit and invoice.due_date:
            u.cbc(means, "PaymentDueDate", invoice.due_date.isoformat())
        u.cbc(means, "PaymentID", invoice.payment.remittance_information or invoice.number)
        account = u.cac(means, "PayeeFinancialAccount")
        u.cbc(account, "ID", invoice.payment.iban)
        if invoice.payment.account_name:
            u.cbc(account, "Name", invoice.payment.account_name)
        if invoice.payment.bic:
            u.cbc(u.cac(account, "FinancialInstitutionBranch"), "ID", invoice.payment.bic)
    if invoice.payment_terms:
        u.cbc(u.cac(root, "PaymentTerms"), "Note", invoice.payment_terms)
    for entry in invoice.allowances:
        u.allowance(root, entry, document_level=True)

    totals = invoice.totals
    tax_total = u.cac(root, "TaxTotal")
    u.amount(tax_total, "TaxAmount", totals.tax_total)
    for entry in invoice.vat_breakdown:
        subtotal = u.cac(tax_total, "TaxSubtotal")
        u.amount(subtotal, "TaxableAmount", entry.taxable_amount)
        u.amount(subtotal, "TaxAmount", entry.tax_amount)
        category = u.cac(subtotal, "TaxCategory")
        u.cbc(category, "ID", entry.category)
        u.cbc(category, "Percent", f"{entry.rate:.2f}")
        if entry.category in ZERO_RATE_CATEGORIES:
            if entry.exemption_reason_code:
                u.cbc(category, "TaxExemptionReasonCode", entry.exemption_reason_code)
            if entry.exemption_reason:
                u.cbc(category, "TaxExemptionReason", entry.exemption_reason)
        u.tax_scheme(category)
    if euros is not None:
        # BT-111: a second tax total, without subtotals, in the VAT accounting currency (PEPPOL-EN16931-R054)
        u.amount(u.cac(root, "TaxTotal"), "TaxAmount", euros.tax_total, currency=euros.code)

    monetary = u.cac(root, "LegalMonetaryTotal")
    u.amount(monetary, "LineExtensionAmount", totals.line_total)
    u.amount(monetary, "TaxExclusiveAmount", totals.tax_basis_total)
    u.amount(monetary, "TaxInclusiveAmount", totals.grand_total)
    if invoice.document_allowances:
        u.amount(monetary, "AllowanceTotalAmount", totals.allowance_total)
    if invoice.document_charges:
        u.amount(monetary, "ChargeTotalAmount", totals.charge_total)
    if totals.prepaid:
        u.amount(monetary, "PrepaidAmount", totals.prepaid)
    u.amount(monetary, "PayableAmount", totals.due_payable)

    for line in invoice.lines:
        element = u.cac(root, "CreditNoteLine" if credit else "InvoiceLine")
        u.cbc(element, "ID", line.line_id)
        u.cbc(
            element,
            "CreditedQuantity" if credit else "InvoicedQuantity",
            format(Decimal(line.quantity).normalize(), "f"),
            unitCode=line.unit_code,
        )
        u.amount(element, "LineExtensionAmount", line.net_amount)
        for entry in line.allowances:
            u.allowance(element, entry, document_level=False)
        item = u.cac(element, "Item")
        u.cbc(item, "Name", line.name)
        category = u.cac(item, "ClassifiedTaxCategory")
        u.cbc(category, "ID", line.vat_category)
        u.cbc(category, "Percent", f"{Decimal(line.vat_rate):.2f}")
        u.tax_scheme(category)
        u.cbc(u.cac(element, "Price"), "PriceAmount", f"{Decimal(line.net_price):f}", currencyID=invoice.currency)
    return root


def write_ubl(invoice: Invoice, profile: str = "fr-ctc", peppol_endpoint_scheme: str = SIRET_SCHEME) -> bytes:
    return etree.tostring(
        build_ubl(invoice, profile, peppol_endpoint_scheme), xml_declaration=True, encoding="UTF-8", pretty_print=True
    )
