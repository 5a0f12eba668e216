"""Factur-X EN 16931 profile: UN/CEFACT Cross Industry Invoice (CII D16B) XML from the invoice model.

Element order follows the Factur-X 1.09 EN16931 XSD (the schema is a sequence: order matters). Allowances
and charges are SpecifiedTradeAllowanceCharge (line level without a VAT category, document level with one);
a foreign-currency invoice gives its VAT accounting currency (BT-6, TaxCurrencyCode) and the VAT total twice,
in its own currency and in euros (BT-111).
"""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from channels.documents.allowances import AllowanceCharge
from channels.documents.frames import FRENCH_DIRECTORY_SCHEME, SIRENE_SCHEME, ZERO_RATE_CATEGORIES
from channels.documents.model import Invoice, PostalAddress

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
NSMAP = {"rsm": RSM, "ram": RAM, "qdt": QDT, "udt": UDT}
GUIDELINE_EN16931 = "urn:cen.eu:en16931:2017"
VAT_DUE_ON_INVOICE_DATE = "5"  # BT-8 in CII (UNTDID 2475): VAT on debits


def _amount(value: Decimal) -> str:
    return f"{value:.2f}"


def _quantity(value: Decimal) -> str:
    return format(Decimal(value).normalize(), "f")


def _rate(value: Decimal) -> str:
    return f"{Decimal(value):.2f}"


class _Builder:
    def __init__(self):
        self.root = etree.Element(f"{{{RSM}}}CrossIndustryInvoice", nsmap=NSMAP)

    @staticmethod
    def sub(parent, ns: str, tag: str, text: str | None = None, **attrs) -> etree._Element:
        el = etree.SubElement(parent, f"{{{ns}}}{tag}", {k: v for k, v in attrs.items() if v})
        if text is not None:
            el.text = text
        return el

    def ram(self, parent, tag, text=None, **attrs):
        return self.sub(parent, RAM, tag, text, **attrs)

    def date(self, parent, tag, value, qualified=False):
        holder = self.ram(parent, tag)
        self.sub(holder, QDT if qualified else UDT, "DateTimeString", value.strftime("%Y%m%d"), format="102")
        return holder

    def address(self, parent, address: PostalAddress):
        holder = self.ram(parent, "PostalTradeAddress")
        if address.postcode:
            self.ram(holder, "PostcodeCode", address.postcode)
        if address.line_one:
            self.ram(holder, "LineOne", address.line_one)
        if address.line_two:
            self.ram(holder, "LineTwo", address.line_two)
        if address.city:
            self.ram(holder, "CityName", address.city)
        self.ram(holder, "CountryID", address.country_code)

    def allowance(self, parent, entry: AllowanceCharge, *, document_level: bool):
        holder = self.ram(parent, "SpecifiedTradeAllowanceCharge")
        self.sub(self.ram(holder, "ChargeIndicator"), UDT, "Indicator", "true" if entry.charge else "false")
        if entry.percent is not None:
            self.ram(holder, "CalculationPercent", f"{entry.percent:f}")
        if entry.base_amount is not None:
            self.ram(holder, "BasisAmount", _amount(entry.base_amount))
        self.ram(holder, "ActualAmount", _amount(entry.amount))
        if entry.reason_code:
            self.ram(holder, "ReasonCode", entry.reason_code)
        if entry.reason:
            self.ram(holder, "Reason", entry.reason)
        if document_level:
            tax = self.ram(holder, "CategoryTradeTax")
            self.ram(tax, "TypeCode", "VAT")
            self.ram(tax, "CategoryCode", entry.vat_category)
            self.ram(tax, "RateApplicablePercent", _rate(entry.vat_rate))


def build_cii(invoice: Invoice) -> etree._Element:
    b = _Builder()
    root = b.root
    context = b.sub(root, RSM, "ExchangedDocumentContext")
    b.ram(b.ram(context, "BusinessProcessSpecifiedDocumentContextParameter"), "ID", invoice.operation_category.value)
    b.ram(b.ram(context, "GuidelineSpecifiedDocumentContextParameter"), "ID", GUIDELINE_EN16931)

    document = b.sub(root, RSM, "ExchangedDocument")
    b.ram(document, "ID", invoice.number)
    b.ram(document, "TypeCode", invoice.type_code.value)
    b.date(document, "IssueDateTime", invoice.issue_date)
    for note in invoice.notes:
        holder = b.ram(document, "IncludedNote")
        b.ram(holder, "Content", note.content)
        b.ram(holder, "SubjectCode", note.subject_code)

    transaction = b.sub(root, RSM, "SupplyChainTradeTransaction")
    for line in invoice.lines:
        item = b.ram(transaction, "IncludedSupplyChainTradeLineItem")
        b.ram(b.ram(item, "AssociatedDocumentLineDocument"), "LineID", line.line_id)
        b.ram(b.ram(item, "SpecifiedTradeProduct"), "Name", line.name)
        agreement = b.ram(item, "SpecifiedLineTradeAgreement")
        b.ram(b.ram(agreement, "NetPriceProductTradePrice"), "ChargeAmount", f"{Decimal(line.net_price):f}")
        b.ram(
            b.ram(item, "SpecifiedLineTradeDelivery"),
            "BilledQuantity",
            _quantity(line.quantity),
            unitCode=line.unit_code,
        )
        settlement = b.ram(item, "SpecifiedLineTradeSettlement")
        tax = b.ram(settlement, "ApplicableTradeTax")
        b.ram(tax, "TypeCode", "VAT")
        b.ram(tax, "CategoryCode", line.vat_category)
        b.ram(tax, "RateApplicablePercent", _rate(line.vat_rate))
        for entry in line.allowances:
            b.allowance(settlement, entry, document_level=False)
        b.ram(
            b.ram(settlement, "SpecifiedTradeSettlementLineMonetarySummation"),
            "LineTotalAmount",
            _amount(line.net_amount),
        )

    agreement = b.ram(transaction, "ApplicableHeaderTradeAgreement")
    if invoice.buyer_reference:
        b.ram(agreement, "BuyerReference", invoice.buyer_reference)
    seller = invoice.seller
    party = b.ram(agreement, "SellerTradeParty")
    if seller.siret:
        b.ram(party, "GlobalID", seller.siret, schemeID="0009")
    b.ram(party, "Name", seller.name)
    if seller.legal_information:
        b.ram(party, "Description", seller.legal_information)
    b.ram(b.ram(party, "SpecifiedLegalOrganization"), "ID", seller.siren, schemeID=SIRENE_SCHEME)
    if seller.contact_email or seller.contact_phone:
        contact = b.ram(party, "DefinedTradeContact")
        if seller.contact_phone:
            b.ram(b.ram(contact, "TelephoneUniversalCommunication"), "CompleteNumber", seller.contact_phone)
        if seller.contact_email:
            b.ram(b.ram(contact, "EmailURIUniversalCommunication"), "URIID", seller.contact_email)
    b.address(party, seller.address)
    b.ram(b.ram(party, "URIUniversalCommunication"), "URIID", seller.endpoint, schemeID=FRENCH_DIRECTORY_SCHEME)
    b.ram(b.ram(party, "SpecifiedTaxRegistration"), "ID", seller.vat_id, schemeID="VA")

    buyer = invoice.buyer
    party = b.ram(agreement, "BuyerTradeParty")
    if buyer.customer_id:
        b.ram(party, "ID", buyer.customer_id)
    b.ram(party, "Name", buyer.name)
    if buyer.siren:
        b.ram(b.ram(party, "SpecifiedLegalOrganization"), "ID", buyer.siren, schemeID=SIRENE_SCHEME)
    if buyer.email:
        b.ram(b.ram(b.ram(party, "DefinedTradeContact"), "EmailURIUniversalCommunication"), "URIID", buyer.email)
    b.address(party, buyer.address)
    if buyer.electronic_address is not None:
        address = buyer.electronic_address
        b.ram(b.ram(party, "URIUniversalCommunication"), "URIID", address.identifier, schemeID=address.scheme)
    if buyer.vat_id:
        b.ram(b.ram(party, "SpecifiedTaxRegistration"), "ID", buyer.vat_id, schemeID="VA")
    if invoice.purchase_order:
        b.ram(b.ram(agreement, "BuyerOrderReferencedDocument"), "IssuerAssignedID", invoice.purchase_order)
    for attachment in invoice.attachments:
        doc = b.ram(agreement, "AdditionalReferencedDocument")
        b.ram(doc, "IssuerAssignedID", attachment.filename)
        b.ram(doc, "TypeCode", "916")  # referenced supporting document; the file itself is in the PDF/A-3
        b.ram(doc, "Name", attachment.description)

    delivery = b.ram(transaction, "ApplicableHeaderTradeDelivery")
    if invoice.delivery.address is not None:
        ship_to = b.ram(delivery, "ShipToTradeParty")
        if invoice.delivery.name:
            b.ram(ship_to, "Name", invoice.delivery.name)
        b.address(ship_to, invoice.delivery.address)
    if invoice.delivery.date is not None:
        b.date(b.ram(delivery, "ActualDeliverySupplyChainEvent"), "OccurrenceDateTime", invoice.delivery.date)

    settlement = b.ram(transaction, "ApplicableHeaderTradeSettlement")
    b.ram(settlement, "PaymentReference", invoice.payment.remittance_information or invoice.number)
    euros = invoice.accounting_currency
    if euros is not None:
        b.ram(settlement, "TaxCurrencyCode", euros.code)
    b.ram(settlement, "InvoiceCurrencyCode", invoice.currency)
    if invoice.payment.iban:
        means = b.ram(settlement, "SpecifiedTradeSettlementPaymentMeans")
        b.ram(means, "TypeCode", invoice.payment.means_code)
        account = b.ram(means, "PayeePartyCreditorFinancialAccount")
        b.ram(account, "IBANID", invoice.payment.iban)
        if invoice.payment.account_name:
            b.ram(account, "AccountName", invoice.payment.account_name)
        if invoice.payment.bic:
            b.ram(b.ram(means, "PayeeSpecifiedCreditorFinancialInstitution"), "BICID", invoice.payment.bic)
    for entry in invoice.vat_breakdown:
        tax = b.ram(settlement, "ApplicableTradeTax")
        b.ram(tax, "CalculatedAmount", _amount(entry.tax_amount))
        b.ram(tax, "TypeCode", "VAT")
        exempt = entry.category in ZERO_RATE_CATEGORIES
        if exempt and entry.exemption_reason:
            b.ram(tax, "ExemptionReason", entry.exemption_reason)
        b.ram(tax, "BasisAmount", _amount(entry.taxable_amount))
        b.ram(tax, "CategoryCode", entry.category)
        if exempt and entry.exemption_reason_code:
            b.ram(tax, "ExemptionReasonCode", entry.exemption_reason_code)
        if invoice.vat_on_debits and not exempt:
            b.ram(tax, "DueDateTypeCode", VAT_DUE_ON_INVOICE_DATE)
        b.ram(tax, "RateApplicablePercent", _rate(entry.rate))
    for entry in invoice.allowances:
        b.allowance(settlement, entry, document_level=True)
    if invoice.payment_terms or invoice.due_date:
        terms = b.ram(settlement, "SpecifiedTradePaymentTerms")
        if invoice.payment_terms:
            b.ram(terms, "Description", invoice.payment_terms)
        if invoice.due_date:
            b.date(terms, "DueDateDateTime", invoice.due_date)
    totals = invoice.totals
    summation = b.ram(settlement, "SpecifiedTradeSettlementHeaderMonetarySummation")
    b.ram(summation, "LineTotalAmount", _amount(totals.line_total))
    if invoice.document_charges:
        b.ram(summation, "ChargeTotalAmount", _amount(totals.charge_total))
    if invoice.document_allowances:
        b.ram(summation, "AllowanceTotalAmount", _amount(totals.allowance_total))
    b.ram(summation, "TaxBasisTotalAmount", _amount(totals.tax_basis_total))
    b.ram(summation, "TaxTotalAmount", _amount(totals.tax_total), currencyID=invoice.currency)
    if euros is not None:
        b.ram(summation, "TaxTotalAmount", _amount(euros.tax_total), currencyID=euros.code)
    b.ram(summation, "GrandTotalAmount", _amount(totals.grand_total))
    if totals.prepaid:
        b.ram(summation, "TotalPrepaidAmount", _amount(totals.prepaid))
    b.ram(summation, "DuePayableAmount", _amount(totals.due_payable))
    if invoice.preceding_invoice:
        reference = b.ram(settlement, "InvoiceReferencedDocument")
        b.ram(reference, "IssuerAssignedID", invoice.preceding_invoice)
        if invoice.preceding_invoice_date:
            b.date(reference, "FormattedIssueDateTime", invoice.preceding_invoice_date, qualified=True)
    return root


def write_cii(invoice: Invoice) -> bytes:
    return etree.tostring(build_cii(invoice), xml_declaration=True, encoding="UTF-8", pretty_print=True)
