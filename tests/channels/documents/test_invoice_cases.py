"""Invoices built for every kind of sale, each passing every rule set that applies to it (EN 16931, the French
BR-FR rules of its frame, Peppol BIS 3 for the Peppol UBL, the EDIFACT read-back), and each wrong variant
failing with the rule that must fire.

Rule sets: CII facturx-en16931 (+ br-fr-cii for B2B / B2BINT), UBL cen-ubl + br-fr-ubl (French CTC
flavour) or cen-ubl + peppol-ubl (Peppol flavour; the Peppol rules where tests/channels/documents/rule_files.py finds
them), EDIFACT edifact-structure with the invoice's texts.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from facturx import get_xml_from_pdf
from lxml import etree

from channels.documents.cii import write_cii
from channels.documents.edifact import check_invoic, parse_interchange, texts_read_back, write_invoic
from channels.documents.frames import Frame
from channels.documents.loading import InvoiceDataError, build_invoice
from channels.documents.model import DeliveryInformation, InvoiceNote
from channels.documents.pdf import facturx_pdf
from channels.documents.rulesets import RuleSources, frame_rule_sets
from channels.documents.ubl import UblError, ubl_flavour, write_ubl
from channels.documents.validation import validate_xml
from tests.channels.documents.conftest import customer_row, invoice_row

D = Decimal
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
NS = {"ram": RAM, "cbc": CBC, "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"}


def line(number, description, quantity, price, rate, amount, supply, **extra):
    return {
        "invoice_number": "F-CASE",
        "line_number": number,
        "description": description,
        "quantity": D(quantity),
        "unit_price": D(price),
        "vat_rate": D(rate),
        "line_amount_excl_tax": D(amount),
        "supply_type": supply,
        **extra,
    }


GERMAN = dict(
    customer_id="C-DE",
    name="Müller Maschinenbau GmbH",
    siren="",
    vat_number="DE123456789",
    country="DE",
    language="en",
    address_line1="Hauptstraße 5",
    address_line2="",
    postcode="50667",
    city="Köln",
    email="ap@mueller.example",
    electronic_address="9930:DE123456789",
    edi_gln="4012345000009",
)
BELGIAN = dict(
    customer_id="C-BE",
    name="L’Atelier “Bruxellois” SPRL",
    siren="",
    vat_number="BE0123456749",
    country="BE",
    language="fr",
    address_line1="Rue de l'Étuve 12",
    address_line2="",
    postcode="1000",
    city="Bruxelles",
    email="factures@atelier.example",
    electronic_address="0208:0123456749",
)
AMERICAN = dict(
    customer_id="C-US",
    name="Acme Tools Inc.",
    siren="",
    vat_number="",
    country="US",
    language="en",
    address_line1="500 Market Street",
    address_line2="Suite 12",
    postcode="94105",
    city="San Francisco",
    email="payables@acme.example",
    electronic_address=None,
)

CASES = {
    "fr-goods": (
        {},
        [
            line(1, "Roulements à billes", "10", "12.50", "20", "125.00", "Bien"),
            line(2, "Visserie inox", "3", "25.00", "20", "75.00", "Bien"),
        ],
        dict(amount_excl_tax=D("200.00"), tax_amount=D("40.00"), amount_incl_tax=D("240.00")),
    ),
    "fr-services": (
        {},
        [line(1, "Maintenance préventive", "2", "450.00", "20", "900.00", "Service")],
        dict(amount_excl_tax=D("900.00"), tax_amount=D("180.00"), amount_incl_tax=D("1080.00")),
    ),
    "fr-mixed": (
        {},
        [
            line(1, "Moteur électrique", "1", "100.00", "20", "100.00", "goods"),
            line(2, "Installation sur site", "1", "200.00", "20", "200.00", "services"),
        ],
        dict(amount_excl_tax=D("300.00"), tax_amount=D("60.00"), amount_incl_tax=D("360.00")),
    ),
    "eu-goods": (
        GERMAN,
        [line(1, "Tôles galvanisées", "100", "4.50", "0", "450.00", "Bien")],
        dict(amount_excl_tax=D("450.00"), tax_amount=D("0.00"), amount_incl_tax=D("450.00")),
    ),
    "eu-services": (
        BELGIAN,
        [line(1, "Audit qualité – “phase 2”", "2", "500.00", "0", "1000.00", "Prestation")],
        dict(amount_excl_tax=D("1000.00"), tax_amount=D("0.00"), amount_incl_tax=D("1000.00")),
    ),
    "us-export": (
        AMERICAN,
        [
            line(1, "Pièces détachées", "5", "80.00", "0", "400.00", "Bien"),
            line(2, "Assistance technique", "3", "200.00", "0", "600.00", "Service"),
        ],
        dict(amount_excl_tax=D("1000.00"), tax_amount=D("0.00"), amount_incl_tax=D("1000.00")),
    ),
    "discounts": (
        {},
        [
            line(1, "Profilés aluminium", "10", "50.00", "20", "450.00", "Bien", discount_percent=D("10")),
            line(2, "Palettes bois", "4", "25.00", "20", "100.00", "Bien"),
            line(3, "Remise fidélité", "1", "-50.00", "20", "-50.00", "Bien"),
        ],
        dict(
            amount_excl_tax=D("515.00"), tax_amount=D("103.00"), amount_incl_tax=D("618.00"), shipping_amount=D("15.00")
        ),
    ),
    "usd": (
        {},
        [line(1, "Développement logiciel", "10", "100.00", "20", "1000.00", "Service")],
        dict(
            amount_excl_tax=D("1000.00"),
            tax_amount=D("200.00"),
            amount_incl_tax=D("1200.00"),
            currency="USD",
            exchange_rate=D("0.92"),
        ),
    ),
    "delivery-address": (
        {},
        [line(1, "Câbles électriques", "20", "7.50", "20", "150.00", "Bien")],
        dict(
            amount_excl_tax=D("150.00"),
            tax_amount=D("30.00"),
            amount_incl_tax=D("180.00"),
            delivery_name="Entrepôt Nord",
            delivery_address_line1="ZI des Prés, quai 4",
            delivery_postcode="59000",
            delivery_city="Lille",
            delivery_country="FR",
        ),
    ),
}


def build(company, case, **overrides):
    customer, lines, amounts = CASES[case]
    row = invoice_row(invoice_number="F-CASE", purchase_order="PO-77", **amounts)
    row.update(overrides)
    return build_invoice(company, row, customer_row(**{"edi_gln": "3041234567898", **customer}), lines)


def sources():
    from tests.channels.documents.rule_files import peppol_rules

    try:
        return RuleSources(peppol_rules=peppol_rules())
    except pytest.skip.Exception:
        return RuleSources()


def assert_valid(result, *expected_rule_sets):
    assert result.valid, [f"{i.rule_set} {i.rule_id}: {i.message}" for i in result.fatal]
    assert set(expected_rule_sets) <= set(result.rule_sets) | {n.split(":")[0] for n in result.not_run}


EXPECTED = {  # case -> (frame, BT-23, VAT categories, UBL flavour)
    "fr-goods": (Frame.DOMESTIC_B2B, "B1", {"S"}, "fr-ctc"),
    "fr-services": (Frame.DOMESTIC_B2B, "S1", {"S"}, "fr-ctc"),
    "fr-mixed": (Frame.DOMESTIC_B2B, "M1", {"S"}, "fr-ctc"),
    "eu-goods": (Frame.INTERNATIONAL_B2B, "B1", {"K"}, "peppol"),
    "eu-services": (Frame.INTERNATIONAL_B2B, "S1", {"AE"}, "peppol"),
    "us-export": (Frame.INTERNATIONAL_B2B, "M1", {"G"}, "fr-ctc"),
    "discounts": (Frame.DOMESTIC_B2B, "B1", {"S"}, "fr-ctc"),
    "usd": (Frame.DOMESTIC_B2B, "S1", {"S"}, "fr-ctc"),
    "delivery-address": (Frame.DOMESTIC_B2B, "B1", {"S"}, "fr-ctc"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_case_passes_every_rule_set_that_applies(company, case):
    invoice = build(company, case)
    frame, bt23, categories, flavour = EXPECTED[case]
    assert invoice.frame is frame and invoice.note("BAR").content == frame.value
    assert invoice.operation_category.value == bt23
    assert {b.category for b in invoice.vat_breakdown} == categories
    rules = sources()

    cii = write_cii(invoice)
    assert_valid(validate_xml(cii, frame_rule_sets("cii", frame.value), sources=rules), "facturx-en16931", "br-fr-cii")
    assert ubl_flavour(invoice, "auto") == flavour
    for each in {"fr-ctc", flavour}:
        ubl = write_ubl(invoice, each, "0009")
        assert_valid(validate_xml(ubl, frame_rule_sets("ubl", frame.value, each), sources=rules), "cen-ubl")
    edi = write_invoic(invoice, interchange_reference=42)
    assert_valid(check_invoic(edi, invoice), "edifact-structure")
    name, embedded = get_xml_from_pdf(facturx_pdf(invoice, cii), check_xsd=False)
    assert name == "factur-x.xml" and embedded == cii


def _cii(invoice):
    return etree.fromstring(write_cii(invoice))


def test_exemption_mentions_and_codes_by_place(company):
    k = _cii(build(company, "eu-goods"))
    assert (
        k.xpath(
            "string(//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:ExemptionReasonCode)",
            namespaces=NS,
        )
        == "VATEX-EU-IC"
    )
    assert "262 ter I" in k.xpath("string(//ram:ApplicableTradeTax/ram:ExemptionReason)", namespaces=NS)
    assert k.xpath("string(//ram:ShipToTradeParty/ram:PostalTradeAddress/ram:CountryID)", namespaces=NS) == "DE"
    ae = _cii(build(company, "eu-services"))
    assert "283-2" in ae.xpath("string(//ram:ApplicableTradeTax/ram:ExemptionReason)", namespaces=NS)
    g = build(company, "us-export")
    [entry] = g.vat_breakdown
    assert "262 I" in entry.exemption_reason and "259-1" in entry.exemption_reason
    assert entry.exemption_reason.startswith("VAT exempt")  # an English customer gets English mentions


def test_international_buyers_have_no_siren_and_their_own_address(company):
    german = build(company, "eu-goods")
    assert german.buyer.siren == "" and str(german.buyer.electronic_address) == "9930:DE123456789"
    american = build(company, "us-export")
    assert str(american.buyer.electronic_address) == "EM:payables@acme.example"


def test_discounts_are_allowances_and_charges_not_negative_prices(company):
    invoice = build(company, "discounts")
    assert [line.net_price for line in invoice.lines] == [D("50.00"), D("25.00")]
    [line_discount] = invoice.lines[0].allowances
    assert (line_discount.amount, line_discount.percent) == (D("50.00"), D("10"))
    assert [(a.charge, a.amount, a.reason) for a in invoice.allowances] == [
        (False, D("50.00"), "Remise fidélité"),
        (True, D("15.00"), "Frais de port"),
    ]
    totals = invoice.totals
    assert (totals.line_total, totals.allowance_total, totals.charge_total, totals.tax_basis_total) == (
        D("550.00"),
        D("50.00"),
        D("15.00"),
        D("515.00"),
    )
    ubl = etree.fromstring(write_ubl(invoice))
    assert ubl.xpath("string(cac:LegalMonetaryTotal/cbc:AllowanceTotalAmount)", namespaces=NS) == "50.00"
    assert (
        ubl.xpath("string(cac:InvoiceLine[1]/cac:AllowanceCharge/cbc:MultiplierFactorNumeric)", namespaces=NS) == "10"
    )
    segments = [s.tag for s in parse_interchange(write_invoic(invoice, interchange_reference=1)).segments]
    assert segments.count("ALC") == 3


def test_a_foreign_currency_states_its_vat_in_euros(company):
    invoice = build(company, "usd")
    assert invoice.accounting_currency.tax_total == D("184.00")
    root = _cii(invoice)
    assert root.xpath("string(//ram:TaxCurrencyCode)", namespaces=NS) == "EUR"
    assert root.xpath("string(//ram:TaxTotalAmount[@currencyID='EUR'])", namespaces=NS) == "184.00"
    assert root.xpath("string(//ram:TaxTotalAmount[@currencyID='USD'])", namespaces=NS) == "200.00"
    with pytest.raises(InvoiceDataError, match="BT-111") as refused:
        build(company, "usd", exchange_rate=None)
    assert refused.value.rule_id == "RELANCE-FX"


def test_a_separate_delivery_address_is_carried(company):
    invoice = build(company, "delivery-address")
    root = _cii(invoice)
    assert root.xpath("string(//ram:ShipToTradeParty/ram:Name)", namespaces=NS) == "Entrepôt Nord"
    assert root.xpath("string(//ram:ShipToTradeParty//ram:CityName)", namespaces=NS) == "Lille"
    ubl = etree.fromstring(write_ubl(invoice))
    assert ubl.xpath("string(cac:Delivery/cac:DeliveryLocation/cac:Address/cbc:CityName)", namespaces=NS) == "Lille"
    assert "NAD+DP" in write_invoic(invoice, interchange_reference=1).decode("iso-8859-1")


def test_b2c_runs_en16931_alone(company):
    invoice = build(company, "fr-goods")
    consumer = build_invoice(
        company,
        invoice_row(invoice_number="F-CASE", **CASES["fr-goods"][2]),
        customer_row(siren="", vat_number="", customer_kind="Particulier"),
        CASES["fr-goods"][1],
    )
    assert consumer.frame is Frame.B2C and consumer.note("BAR").content == "B2C"
    assert frame_rule_sets("cii", "B2C") == ("facturx-en16931",)
    assert validate_xml(write_cii(consumer), frame_rule_sets("cii", "B2C")).valid
    assert invoice.frame is Frame.DOMESTIC_B2B


def _rules(result):
    return {i.rule for i in result.fatal}


# (case, how to break it, syntax, rule sets, rule that must fire)
WRONG = {
    "K without the buyer's VAT number": (
        "eu-goods",
        lambda i: replace(i, buyer=replace(i.buyer, vat_id="")),
        "cii",
        ("facturx-en16931",),
        "BR-IC-02",
    ),
    "K without a deliver-to country": (
        "eu-goods",
        lambda i: replace(i, delivery=DeliveryInformation(date=i.delivery.date)),
        "ubl",
        ("cen-ubl",),
        "BR-IC-12",
    ),
    "K without a delivery date": (
        "eu-goods",
        lambda i: replace(i, delivery=replace(i.delivery, date=None)),
        "ubl",
        ("cen-ubl",),
        "BR-IC-11",
    ),
    "AE without its mention": (
        "eu-services",
        lambda i: replace(i, lines=tuple(replace(x, exemption_reason="", exemption_code="") for x in i.lines)),
        "ubl",
        ("cen-ubl",),
        "BR-AE-10",
    ),
    "a foreign buyer declared domestic B2B": (
        "eu-goods",
        lambda i: replace(i, notes=tuple(InvoiceNote("BAR", "B2B") if n.subject_code == "BAR" else n for n in i.notes)),
        "cii",
        ("br-fr-cii",),
        "BR-FR-11",
    ),
    "USD without the VAT total in euros": (
        "usd",
        lambda i: replace(i, accounting_currency=None),
        "cii",
        ("br-fr-cii",),
        "BR-FR-CO-12",
    ),
    "a discount as a negative price": (
        "discounts",
        lambda i: replace(
            i,
            allowances=(),
            lines=i.lines + (replace(i.lines[1], line_id="9", net_price=D("-50.00"), line_amount=D("-50.00")),),
        ),
        "cii",
        ("facturx-en16931",),
        "BR-27",
    ),
}


@pytest.mark.parametrize("name", sorted(WRONG))
def test_wrong_variants_fail_with_the_rule_that_must_fire(company, name):
    case, breaker, syntax, rule_sets, rule = WRONG[name]
    invoice = breaker(build(company, case))
    xml = write_cii(invoice) if syntax == "cii" else write_ubl(invoice)
    result = validate_xml(xml, rule_sets)
    assert rule in _rules(result), sorted(_rules(result))


def test_peppol_ubl_needs_the_buyers_peppol_address_and_one_note(company):
    american = build(company, "us-export")
    with pytest.raises(UblError, match="PEPPOL-EN16931-R010"):
        write_ubl(american, "peppol")
    german = build(company, "eu-goods")
    ubl = etree.fromstring(write_ubl(german, "peppol"))
    assert len(ubl.xpath("cbc:Note", namespaces=NS)) == 1
    assert ubl.xpath("string(cac:AccountingCustomerParty/cac:Party/cbc:EndpointID/@schemeID)", namespaces=NS) == "9930"


def test_peppol_rules_fire_on_the_french_flavour(company):
    from tests.channels.documents.rule_files import peppol_rules

    rules = RuleSources(peppol_rules=peppol_rules())
    german = build(company, "eu-goods")
    french = validate_xml(write_ubl(german, "fr-ctc"), ["peppol-ubl"], sources=rules)
    assert {"PEPPOL-EN16931-R002", "PEPPOL-EN16931-R007"} <= _rules(french)
    assert validate_xml(write_ubl(german, "peppol"), ["cen-ubl", "peppol-ubl"], sources=rules).valid


EDIFACT_NAMES = [
    "L’Atelier d’Élise & Fils",
    "« Café “Le Zinc” » – Brasserie",
    "Prix + remise : 10 % ? oui…",
    "Description finissant par une apostrophe'",
    "Ends with a release char?",
    "Œuvres de l’hôpital Saint-Étienne",
]


@pytest.mark.parametrize("text", EDIFACT_NAMES)
def test_edifact_carries_french_text_and_reads_it_back(company, text):
    invoice = build(company, "fr-goods")
    invoice = replace(
        invoice,
        buyer=replace(invoice.buyer, name=text),
        lines=(replace(invoice.lines[0], name=text), *invoice.lines[1:]),
    )
    data = write_invoic(invoice, interchange_reference=3)
    assert check_invoic(data, invoice).valid
    back = texts_read_back(parse_interchange(data))
    assert back["NAD+BY name"] == back["LIN 1 description"]
    assert "’" not in back["NAD+BY name"] and "“" not in back["NAD+BY name"]


def test_a_corrupted_character_fails_the_edifact_check(company):
    invoice = build(company, "fr-goods")
    invoice = replace(invoice, buyer=replace(invoice.buyer, name="L’Atelier"))
    data = write_invoic(invoice, interchange_reference=3)
    for corrupted in (data.replace(b"L?'Atelier", b"L?Atelier"), data.replace(b"L?'Atelier", b"LAtelier")):
        result = check_invoic(corrupted, invoice)
        assert "EDI-TEXT" in result.fatal_rules


def test_english_documents_are_english_throughout(company):
    invoice = build(company, "us-export", due_date=date(2026, 10, 15))
    assert invoice.language == "en"
    assert invoice.payment_terms == "Payment within 30 days"
    assert invoice.note("PMT").content.startswith("Fixed indemnity for recovery costs")
    assert all("é" not in n.content for n in invoice.notes)
