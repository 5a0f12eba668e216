"""Our own documents pass the official rules, and an invoice missing a French mention fails with its rule."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from lxml import etree

from channels.documents.cii import write_cii
from channels.documents.edifact import check_invoic, parse_interchange, write_invoic
from channels.documents.loading import build_invoice
from channels.documents.ubl import write_ubl
from channels.documents.validation import validate_xml
from tests.channels.documents.conftest import customer_row, invoice_row, line_rows


def _credit_note(company):
    row = invoice_row(
        invoice_number="AV-2026-0003",
        document_type="credit_note",
        original_invoice_number="FA-2026-0042",
        amount_excl_tax=Decimal("-100.00"),
        tax_amount=Decimal("-20.00"),
        amount_incl_tax=Decimal("-120.00"),
    )
    return build_invoice(company, row, customer_row(), [], preceding_invoice_date=date(2026, 9, 15))


def test_factur_x_cii_with_all_french_mentions_passes_xsd_en16931_and_br_fr(french_invoice):
    result = validate_xml(write_cii(french_invoice))
    assert result.rule_sets == ("facturx-en16931", "br-fr-cii")
    assert result.fatal == [], [f"{i.rule_id}: {i.message}" for i in result.fatal]
    assert result.valid


def test_ubl_with_all_french_mentions_passes_xsd_cen_and_br_fr(french_invoice):
    result = validate_xml(write_ubl(french_invoice))
    assert result.rule_sets == ("cen-ubl", "br-fr-ubl")
    assert result.fatal == [], [f"{i.rule_id}: {i.message}" for i in result.fatal]


def test_credit_note_in_both_syntaxes_passes_and_names_the_credited_invoice(company):
    credit = _credit_note(company)
    assert credit.totals.grand_total == Decimal("120.00")  # positive amounts on a 381
    for xml in (write_cii(credit), write_ubl(credit)):
        result = validate_xml(xml)
        assert result.valid, [f"{i.rule_id}: {i.message}" for i in result.fatal]
        assert b"FA-2026-0042" in xml and b"381" in xml


def test_missing_buyer_siren_fails_with_br_fr_11_in_cii_and_ubl(company):
    invoice = build_invoice(company, invoice_row(), customer_row(siren=""), line_rows())
    cii = validate_xml(write_cii(invoice))
    ubl = validate_xml(write_ubl(invoice))
    assert not cii.valid and not ubl.valid
    assert "BR-FR-11" in cii.fatal_rules
    # no SIREN: the buyer's address is its billing e-mail (EM), not one in the French directory
    assert {"BR-FR-11", "BR-FR-21"} <= set(ubl.fatal_rules)
    message = next(i.message for i in cii.fatal if i.rule == "BR-FR-11")
    assert "SIREN de l’acheteur" in message


def test_missing_french_mentions_fail_br_fr_05(french_invoice):
    invoice = replace(french_invoice, notes=tuple(n for n in french_invoice.notes if n.subject_code != "PMT"))
    result = validate_xml(write_cii(invoice))
    assert result.fatal_rules == ["BR-FR-05"]
    assert "PMT" in result.fatal[0].message


def test_cii_carries_bt23_siren_delivery_and_notes(french_invoice):
    root = etree.fromstring(write_cii(french_invoice))
    ns = {"ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"}
    assert root.xpath("string(//ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID)", namespaces=ns) == "S1"
    assert (
        root.xpath("string(//ram:SellerTradeParty/ram:SpecifiedLegalOrganization/ram:ID)", namespaces=ns) == "732829320"
    )
    assert (
        root.xpath("string(//ram:BuyerTradeParty/ram:SpecifiedLegalOrganization/ram:ID)", namespaces=ns) == "542107651"
    )
    # the export gives no delivery address: none is written (the billing address is not a delivery address)
    assert root.xpath("//ram:ShipToTradeParty", namespaces=ns) == []
    assert sorted(root.xpath("//ram:IncludedNote/ram:SubjectCode/text()", namespaces=ns)) == [
        "AAB",
        "BAR",
        "PMD",
        "PMT",
    ]
    assert root.xpath("string(//ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID)", namespaces=ns) == "PO-4521"


def test_vat_on_debits_sets_bt8_and_the_mention_and_stays_valid(company, french_invoice):
    company = replace(company, vat_on_debits=True)
    invoice = build_invoice(company, invoice_row(), customer_row(), line_rows())
    cii = write_cii(invoice)
    ubl = write_ubl(invoice)
    assert b"<ram:DueDateTypeCode>5</ram:DueDateTypeCode>" in cii
    assert b"<cbc:DescriptionCode>3</cbc:DescriptionCode>" in ubl
    assert b"#TXD#Option pour le paiement de la taxe" in ubl
    assert validate_xml(cii).valid and validate_xml(ubl).valid


def test_ubl_carries_peppol_identifiers(french_invoice):
    xml = write_ubl(french_invoice, profile="peppol", peppol_endpoint_scheme="0009")
    root = etree.fromstring(xml)
    ns = {
        "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
        "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    }
    assert (
        root.xpath("string(cbc:CustomizationID)", namespaces=ns)
        == "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
    )
    assert root.xpath("string(cbc:ProfileID)", namespaces=ns) == "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
    seller_endpoint = root.xpath("cac:AccountingSupplierParty/cac:Party/cbc:EndpointID", namespaces=ns)[0]
    assert (seller_endpoint.get("schemeID"), seller_endpoint.text) == ("0009", "73282932000074")
    buyer_endpoint = root.xpath("cac:AccountingCustomerParty/cac:Party/cbc:EndpointID", namespaces=ns)[0]
    assert (buyer_endpoint.get("schemeID"), buyer_endpoint.text) == ("0225", "542107651")
    assert len(root.xpath("cbc:Note", namespaces=ns)) == 1  # PEPPOL-EN16931-R002
    result = validate_xml(xml)
    assert result.rule_sets == ("cen-ubl",) or result.rule_sets == ("cen-ubl", "peppol-ubl")
    assert result.fatal_in("cen-ubl") == [] and result.fatal_in("xsd") == []
    # The French rules want ProfileID = BT-23 and one note per mention: the two flavours cannot be one document.
    french = validate_xml(xml, ["cen-ubl", "br-fr-ubl"])
    assert {"BR-FR-05", "BR-FR-08"} <= set(french.fatal_rules)


def test_edifact_invoic_d96a_round_trips_through_pydifact(company):
    invoice = build_invoice(company, invoice_row(), customer_row(edi_gln="3041234567898"), line_rows())
    data = write_invoic(invoice, interchange_reference=1207)
    interchange = parse_interchange(data)
    header = interchange.get_header_segment()
    assert header.elements[4] == "1207"
    segments = interchange.segments
    tags = [s.tag for s in segments]
    for tag in ("UNH", "BGM", "DTM", "RFF", "NAD", "CUX", "LIN", "QTY", "MOA", "PRI", "TAX", "UNS", "UNT"):
        assert tag in tags
    unh = next(s for s in segments if s.tag == "UNH")
    assert unh.elements[1] == ["INVOIC", "D", "96A", "UN", "EAN008"]
    moa = {
        s.elements[0][0]: s.elements[0][1]
        for s in segments
        if s.tag == "MOA" and s.elements[0][0] in ("77", "79", "176")
    }
    assert moa == {"77": "1234.56", "79": "1050.00", "176": "184.56"}
    assert data.rstrip().endswith(b"UNZ+1+1207'")
    assert check_invoic(data).valid


def test_edifact_self_check_catches_a_wrong_segment_count(company):
    invoice = build_invoice(company, invoice_row(), customer_row(edi_gln="3041234567898"), line_rows())
    data = write_invoic(invoice, interchange_reference=5)
    count = int(data.split(b"UNT+")[1].split(b"+")[0])
    data = data.replace(f"UNT+{count}+1'".encode(), f"UNT+{count - 1}+1'".encode())
    result = check_invoic(data)
    assert not result.valid and result.fatal_rules == ["EDI-UNT"]
