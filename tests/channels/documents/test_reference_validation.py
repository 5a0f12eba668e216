"""Golden tests on the official samples in ../shared/reference: our validator must reproduce the results
measured in its PROVENANCE.md (XSD, CEN / Factur-X EN16931 rules, French BR-FR rules).

The Peppol BIS 3 column is reproduced where the OpenPeppol Schematron is available (tests/channels/documents/
rule_files.py says where it is looked for), through the production validator. For CII, the CEN column is
covered by the Factur-X EN16931 rule file, which contains the CEN EN 16931 rules bound to CII, and by the
CEN CII file of the FNFE 1.4.0.03 release, whose BR-FR files must give the same counts.
"""

from __future__ import annotations

import pytest

from channels.documents.edifact import parse_interchange
from channels.documents.validation import validate_xml
from tests.conftest import shared_path

# file -> (fatal in the EN rules, fatal in BR-FR, BR-FR rules that must be among those reported)
CII_EXPECTED = {
    "CII_example1.xml": (0, 29, {"BR-FR-05", "BR-FR-08"}),
    "CII_business_example_01.xml": (0, 17, {"BR-FR-05", "BR-FR-08"}),
    "CII_example5.xml": (0, 13, {"BR-FR-05", "BR-FR-08"}),
    "akretion-factur-x-en16931.xml": (0, 0, set()),
    "minimal-fr-b2b-en16931-generated.xml": (0, 0, set()),
}
UBL_FILES = ["ubl-tc434-example1.xml", "ubl-tc434-creditnote1.xml", "BIS3_Invoice_positive.xml"]


@pytest.mark.parametrize("name", sorted(CII_EXPECTED))
def test_cii_reference_files_match_the_measured_results(name):
    path = shared_path("reference", "cii", name)
    en_fatal, fr_fatal, fr_rules = CII_EXPECTED[name]

    result = validate_xml(path.read_bytes())

    assert result.syntax == "cii"
    assert not result.fatal_in("xsd"), "XSD must pass for every reference file"
    assert len(result.fatal_in("facturx-en16931")) == en_fatal
    assert len(result.fatal_in("br-fr-cii")) == fr_fatal
    reported = {issue.rule for issue in result.fatal_in("br-fr-cii")}
    assert fr_rules <= reported
    assert result.valid is (fr_fatal == 0)


def test_cii_example1_has_exactly_one_warning_and_it_is_not_fatal():
    result = validate_xml(shared_path("reference", "cii", "CII_example1.xml").read_bytes())
    assert [i.flag for i in result.fatal_in("facturx-en16931")] == []
    assert [i.flag for i in result.issues if i.rule_set == "facturx-en16931"] == ["warning"]


@pytest.mark.parametrize("name", UBL_FILES)
def test_ubl_reference_files_pass_xsd_and_the_cen_rules(name):
    result = validate_xml(shared_path("reference", "ubl", name).read_bytes(), ["cen-ubl", "br-fr-ubl"])
    assert result.syntax == "ubl"
    assert not result.fatal_in("xsd")
    assert len(result.fatal_in("cen-ubl")) == 0
    # None of these carries the French mentions: BR-FR reports them (PROVENANCE measured BR-FR on CII only).
    assert {"BR-FR-05", "BR-FR-08"} <= {i.rule for i in result.fatal_in("br-fr-ubl")}


def test_broken_xml_is_reported_not_raised():
    result = validate_xml(b"<rsm:CrossIndustryInvoice")
    assert not result.valid
    assert result.fatal[0].rule_id == "XML"


def test_schema_violation_is_reported_as_xsd_error():
    original = shared_path("reference", "cii", "minimal-fr-b2b-en16931-generated.xml").read_bytes()
    broken = original.replace(b"<ram:TypeCode>380</ram:TypeCode>", b"<ram:Unexpected>380</ram:Unexpected>", 1)
    result = validate_xml(broken)
    assert not result.valid
    assert {i.rule_set for i in result.fatal} == {"xsd"}


def test_edifact_reference_example_parses_with_pydifact():
    data = shared_path("reference", "edifact", "EDIFACT_EXAMPLE1.TXT").read_bytes()
    interchange = parse_interchange(data)
    messages = list(interchange.get_messages())
    assert len(messages) == 1
    assert messages[0].type == "INVOIC"
    assert messages[0].identifier[1:3] == ["D", "14B"]  # the EN 16931 binding, not D96A (see PROVENANCE.md)
    assert interchange.get_segment("BGM").elements[1] == "12115118"
    line_amounts = [s.elements[0][1] for s in messages[0].segments if s.tag == "MOA" and s.elements[0][0] == "203"]
    assert line_amounts[:3] == ["19.9", "9.85", "8.29"]


# PROVENANCE.md, Peppol BIS 3 column
PEPPOL_EXPECTED = {
    "ubl-tc434-example1.xml": (8, {"PEPPOL-EN16931-R001", "PEPPOL-EN16931-R003", "PEPPOL-EN16931-R004", "NL-R-003"}),
    "ubl-tc434-creditnote1.xml": (1, {"PEPPOL-EN16931-R004"}),
    "BIS3_Invoice_positive.xml": (0, set()),
}


@pytest.mark.parametrize("name", sorted(PEPPOL_EXPECTED))
def test_ubl_reference_files_match_the_measured_peppol_results(name):
    from channels.documents.rulesets import RuleSources
    from tests.channels.documents.rule_files import peppol_rules

    sources = RuleSources(peppol_rules=peppol_rules())
    result = validate_xml(shared_path("reference", "ubl", name).read_bytes(), ["peppol-ubl"], sources=sources)
    count, among = PEPPOL_EXPECTED[name]
    assert len(result.fatal_in("peppol-ubl")) == count
    assert among <= {i.rule_id for i in result.fatal}
    assert result.rule_set_labels[1].startswith("peppol-ubl 3.0.")


@pytest.mark.parametrize("name", sorted(CII_EXPECTED))
def test_the_fnfe_1_4_0_03_release_gives_the_same_counts(name):
    from channels.documents.rulesets import RuleSources
    from tests.channels.documents.rule_files import fnfe_rules

    sources = RuleSources(fr_ctc_folder=fnfe_rules())
    en_fatal, fr_fatal, fr_rules = CII_EXPECTED[name]
    result = validate_xml(shared_path("reference", "cii", name).read_bytes(), ["cen-cii", "br-fr-cii"], sources=sources)
    assert result.versions == ("1.3.16", "1.4.0.03")
    assert len(result.fatal_in("cen-cii")) == en_fatal
    assert len(result.fatal_in("br-fr-cii")) == fr_fatal
    assert fr_rules <= {issue.rule for issue in result.fatal_in("br-fr-cii")}


def test_other_xml_dialects_get_a_result_not_an_exception():
    cdar = shared_path("reference", "fr-ctc", "cdar", "examples", "UC4_F202500006_04-CDV-207_En_litige.xml")
    result = validate_xml(cdar.read_bytes())
    assert result.syntax == "xml" and not result.valid
    assert (
        result.fatal[0].rule_id == "XML-DIALECT" and "CrossDomainAcknowledgementAndResponse" in result.fatal[0].message
    )
