"""The processing frame, BT-23 and the VAT treatment of 0 % lines, decided by sale and place."""

from __future__ import annotations

from decimal import Decimal

import pytest

from channels.documents import frames
from channels.documents.frames import (
    GOODS,
    SERVICES,
    ElectronicAddress,
    Frame,
    OperationCategory,
    SaleContext,
    VatDecisionError,
)

DOMESTIC_E = frames.domestic_exemption("Exonération de TVA, article 261 du CGI.", "VAT exempt, article 261 CGI.")


def treatment(rate, supply, **sale):
    return frames.vat_treatment(Decimal(rate), supply, SaleContext(**sale), domestic_exemption_mention=DOMESTIC_E)


@pytest.mark.parametrize(
    ("sale", "frame"),
    [
        (dict(buyer_country="FR"), Frame.DOMESTIC_B2B),
        (dict(buyer_country="fr"), Frame.DOMESTIC_B2B),
        (dict(buyer_country="DE", buyer_vat_id="DE123456789"), Frame.INTERNATIONAL_B2B),
        (dict(buyer_country="US"), Frame.INTERNATIONAL_B2B),
        (dict(buyer_country="MC"), Frame.INTERNATIONAL_B2B),  # French VAT, but no SIREN
        (dict(buyer_country="FR", consumer=True), Frame.B2C),
        (dict(buyer_country="US", consumer=True), Frame.B2C),
    ],
)
def test_frame_follows_the_buyer(sale, frame):
    assert SaleContext(**sale).frame is frame
    assert frame.requires_french_ids is (frame is Frame.DOMESTIC_B2B)


@pytest.mark.parametrize(
    ("types", "code", "fr", "en"),
    [
        ([GOODS, GOODS], "B1", "Livraison de biens", "Supply of goods"),
        ([SERVICES], "S1", "Prestation de services", "Supply of services"),
        ([GOODS, SERVICES], "M1", "Opération mixte (biens et services)", "Mixed supply (goods and services)"),
    ],
)
def test_bt23_from_the_lines_in_words(types, code, fr, en):
    category = frames.operation_category(types)
    assert category.value == code
    assert category.label("fr") == fr
    assert category.label("en") == en


def test_already_paid_invoices_get_the_second_frame_and_every_br_fr_08_code_has_words():
    assert frames.operation_category([GOODS], already_paid=True).value == "B2"
    assert OperationCategory.S4.label("en") == "Supply of services - final invoice after down payment"
    accepted = [
        "B1",
        "S1",
        "M1",
        "B2",
        "S2",
        "M2",
        "S3",
        "B4",
        "S4",
        "M4",
        "S5",
        "S6",
        "B7",
        "S7",
        "B8",
        "S8",
        "M8",
        "B9",
        "S9",
        "M9",
    ]  # BR-FR-08, 1.4.0.03
    assert [c.value for c in OperationCategory] == accepted
    for code in OperationCategory:
        assert code.label("fr") and code.label("en") and code.label("fr") != code.label("en")


def test_company_config_names_still_parse():
    assert OperationCategory.parse("goods") is OperationCategory.B1
    assert OperationCategory.parse("mixte") is OperationCategory.M1
    assert OperationCategory.parse("s4") is OperationCategory.S4
    assert OperationCategory.SERVICES is OperationCategory.S1
    with pytest.raises(ValueError, match="not one of"):
        OperationCategory.parse("X9")


@pytest.mark.parametrize("value", ["Bien", "marchandise", "Produit", "goods", "B"])
def test_goods_spellings(value):
    assert frames.parse_supply_type(value) == GOODS


@pytest.mark.parametrize("value", ["Service", "Prestation", "services", "S"])
def test_services_spellings(value):
    assert frames.parse_supply_type(value) == SERVICES


def test_unknown_supply_type_is_refused_and_empty_is_unknown():
    assert frames.parse_supply_type("  ") is None
    with pytest.raises(ValueError, match="neither goods"):
        frames.parse_supply_type("abonnement")


def test_positive_rates_are_standard_everywhere():
    for country in ("FR", "DE", "US"):
        assert treatment("20", GOODS, buyer_country=country).category == "S"


def test_intra_eu_goods_are_k_with_article_262_ter():
    t = treatment("0", GOODS, buyer_country="DE", buyer_vat_id="DE123456789")
    assert (t.category, t.exemption_code) == ("K", "VATEX-EU-IC")
    assert "262 ter I" in t.mention("fr") and "262 ter I" in t.mention("en")


def test_intra_eu_services_are_reverse_charged_under_article_283_2():
    t = treatment("0", SERVICES, buyer_country="BE", buyer_vat_id="BE0123456749")
    assert (t.category, t.exemption_code) == ("AE", "VATEX-EU-AE")
    assert "283-2" in t.mention("fr") and "Autoliquidation" in t.mention("fr")


def test_exports_are_g_with_article_262_i_for_goods_and_259_1_for_services():
    goods = treatment("0", GOODS, buyer_country="US")
    assert (goods.category, goods.exemption_code) == ("G", "VATEX-EU-G")
    assert "262 I " in goods.mention("fr")
    services = treatment("0", SERVICES, buyer_country="CH")
    # VATEX-EU-G means goods (PEPPOL-EN16931-P0104 ties the code to G): the text alone states the rule.
    assert (services.category, services.exemption_code) == ("G", "")
    assert "259-1" in services.mention("en")


def test_e_only_for_domestic_exemptions():
    assert treatment("0", GOODS, buyer_country="FR") is DOMESTIC_E
    assert treatment("0", None, buyer_country="MC") is DOMESTIC_E
    for sale in (dict(buyer_country="DE", buyer_vat_id="DE123456789"), dict(buyer_country="US")):
        for supply in (GOODS, SERVICES):
            assert treatment("0", supply, **sale).category != "E"


@pytest.mark.parametrize(
    ("supply", "sale", "reason"),
    [
        (GOODS, dict(buyer_country="DE"), "VAT number"),
        (None, dict(buyer_country="DE", buyer_vat_id="DE123456789"), "goods or services"),
        (GOODS, dict(buyer_country="DE", consumer=True), "OSS"),
        (SERVICES, dict(buyer_country="US", consumer=True), "exported goods"),
    ],
)
def test_zero_rate_without_a_rule_is_refused(supply, sale, reason):
    with pytest.raises(VatDecisionError, match=reason):
        treatment("0", supply, **sale)


def test_exported_goods_to_a_consumer_abroad_are_g():
    assert treatment("0", GOODS, buyer_country="US", consumer=True).category == "G"


def test_electronic_addresses():
    parse = frames.parse_electronic_address
    assert parse("0208:0123456789") == ElectronicAddress("0208", "0123456789")
    assert parse("iso6523-actorid-upis::9930:DE123456789") == ElectronicAddress("9930", "DE123456789")
    assert parse("732829320") == ElectronicAddress("0225", "732829320")
    assert parse("ap@example.de") == ElectronicAddress("EM", "ap@example.de")
    assert parse("") is None and parse(None) is None
    assert not ElectronicAddress("EM", "a@b.c").is_peppol and ElectronicAddress("0009", "1").is_peppol
    with pytest.raises(ValueError, match="scheme:identifier"):
        parse("DE123456789")


def test_buyer_address_per_frame():
    declared = ElectronicAddress("0208", "0123456789")
    pick = frames.buyer_electronic_address
    assert pick(Frame.DOMESTIC_B2B, siren="732829320", declared=None, email="a@b.fr") == ElectronicAddress(
        "0225", "732829320"
    )
    assert pick(Frame.INTERNATIONAL_B2B, siren="", declared=declared, email="a@b.de") == declared
    # Nothing declared abroad: the e-mail address the invoice is delivered to, never a derived Peppol id.
    assert pick(Frame.INTERNATIONAL_B2B, siren="", declared=None, email="ap@b.de") == ElectronicAddress("EM", "ap@b.de")
    assert pick(Frame.B2C, siren="", declared=None, email="") is None
