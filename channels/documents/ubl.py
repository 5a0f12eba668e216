"""UBL 2.1 Invoice / CreditNote with Peppol BIS Billing 3.0 identifiers, from the invoice model.

Two flavours, because the French rules and Peppol disagree on two fields:
- "fr-ctc" (default): CustomizationID of Peppol BIS 3, ProfileID = BT-23 (B1/S1/M1, BR-FR-08) and electronic
  addresses in the French directory scheme 0225 (BR-FR-21). Passes CEN and BR-FR.
- "peppol": ProfileID urn:fdc:peppol.eu:2017:poacc:billing:01:1.0 and endpoint ids in an ISO 6523 scheme
  (seller 0009 SIRET or 0002 SIREN, buyer 0002 SIREN). Passes CEN; BR-FR-08 and BR-FR-21 fail by design.
Element order follows the UBL 2.1 XSD sequences.
"""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from channels.documents.model import VAT_CATEGORY_EXEMPT, VAT_CATEGORY_REVERSE_CHARGE, Invoice, PostalAddress

CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CREDIT_NOTE_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
PEPPOL_CUSTOMIZATION = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PEPPOL_PROFILE = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
SIRENE_SCHEME = "0002"
SIRET_SCHEME = "0009"
FRENCH_DIRECTORY_SCHEME = "0225"
VAT_DUE_ON_INVOICE_DATE = "3"  # BT-8 in UBL (UNTDID 2005): VAT on debits


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

    def amount(self, parent, tag, value: Decimal):
        return self.cbc(parent, tag, f"{value:.2f}", currencyID=self.currency)

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


def build_ubl(invoice: Invoice, profile: str = "fr-ctc", peppol_endpoint_scheme: str = SIRET_SCHEME) -> etree._Element:
    if profile not in ("fr-ctc", "peppol"):
        raise ValueError(f"UBL profile must be fr-ctc or peppol, not {profile!r}")
    credit = invoice.is_credit_note
    ns = CREDIT_NOTE_NS if credit else INVOICE_NS
    root = etree.Element(f"{{{ns}}}{'CreditNote' if credit else 'Invoice'}", nsmap={None: ns, "cac": CAC, "cbc": CBC})
    u = _Ubl(invoice.currency)
    u.cbc(root, "CustomizationID", PEPPOL_CUSTOMIZATION)
    u.cbc(root, "ProfileID", PEPPOL_PROFILE if profile == "peppol" else invoice.operation_category.value)
    u.cbc(root, "ID", invoice.number)
    u.cbc(root, "IssueDate", invoice.issue_date.isoformat())
    if not credit and invoice.due_date:
        u.cbc(root, "DueDate", invoice.due_date.isoformat())
    u.cbc(root, "CreditNoteTypeCode" if credit else "InvoiceTypeCode", invoice.type_code.value)
    for note in invoice.notes:
        u.cbc(root, "Note", f"#{note.subject_code}#{note.content}")  # EN 16931 UBL binding of BT-21/BT-22
    u.cbc(root, "DocumentCurrencyCode", invoice.currency)
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
    if profile == "peppol":
        seller_endpoint = (
            (seller.siret, SIRET_SCHEME) if peppol_endpoint_scheme == SIRET_SCHEME else (seller.siren, SIRENE_SCHEME)
        )
        buyer_endpoint = (invoice.buyer.siren, SIRENE_SCHEME)
    else:
        seller_endpoint = (seller.endpoint, FRENCH_DIRECTORY_SCHEME)
        buyer_endpoint = (invoice.buyer.endpoint, FRENCH_DIRECTORY_SCHEME)

    party = u.cac(u.cac(root, "AccountingSupplierParty"), "Party")
    u.cbc(party, "EndpointID", seller_endpoint[0], schemeID=seller_endpoint[1])
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
    if buyer_endpoint[0]:
        u.cbc(party, "EndpointID", buyer_endpoint[0], schemeID=buyer_endpoint[1])
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

    if invoice.delivery.date or invoice.delivery.address:
        delivery = u.cac(root, "Delivery")
        if invoice.delivery.date:
            u.cbc(delivery, "ActualDeliveryDate", invoice.delivery.date.isoformat())
        if invoice.delivery.address:
            u.address(u.cac(delivery, "DeliveryLocation"), "Address", invoice.delivery.address)
            u.cbc(u.cac(u.cac(delivery, "DeliveryParty"), "PartyName"), "Name", invoice.delivery.name or buyer.name)

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
        if entry.category in (VAT_CATEGORY_EXEMPT, VAT_CATEGORY_REVERSE_CHARGE) and entry.exemption_reason:
            u.cbc(category, "TaxExemptionReason", entry.exemption_reason)
        u.tax_scheme(category)

    monetary = u.cac(root, "LegalMonetaryTotal")
    u.amount(monetary, "LineExtensionAmount", totals.line_total)
    u.amount(monetary, "TaxExclusiveAmount", totals.tax_basis_total)
    u.amount(monetary, "TaxInclusiveAmount", totals.grand_total)
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
