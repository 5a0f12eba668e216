"""`relance validate` on files nobody here wrote (the official samples) and on anything else a user may hand
over: a readable report or JSON, the rule sets named with their versions, a verdict and never a traceback."""

from __future__ import annotations

import json

import pytest

from pipelines.cli import main
from tests.conftest import shared_path


def run(capsys, *args):
    code = main(["validate", *map(str, args)])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    return code, captured.out, captured.err


def test_a_valid_en16931_invoice_that_lacks_the_french_mentions(capsys):
    sample = shared_path("reference", "cii", "CII_example1.xml")
    code, out, _ = run(capsys, sample)
    assert code == 1
    first = out.splitlines()[0]
    assert first.startswith(f"{sample}: INVALID cii [xsd, facturx-en16931 1.09.2, br-fr-cii ")
    # rule id, a location a person can read, the rule's message
    assert "[fatal] br-fr-cii BR-FR-05_BT-22_PMT at /CrossIndustryInvoice[1]/ExchangedDocument[1]: BR-FR-05" in out
    code, out, _ = run(capsys, sample, "--rules", "en16931")
    assert code == 0 and "valid cii [xsd, facturx-en16931 1.09.2]" in out


def test_json_report_for_every_kind_of_input(capsys, tmp_path):
    from channels.documents.cii import write_cii
    from channels.documents.company import load_company
    from channels.documents.loading import build_invoice
    from channels.documents.pdf import facturx_pdf
    from tests.channels.documents.conftest import customer_row, invoice_row, line_rows

    invoice = build_invoice(load_company(home_root=tmp_path), invoice_row(), customer_row(), line_rows())
    (tmp_path / "facturx.pdf").write_bytes(facturx_pdf(invoice, write_cii(invoice)))
    (tmp_path / "empty.xml").write_bytes(b"")
    (tmp_path / "garbage.bin").write_bytes(b"\x00\xffnot an invoice")
    (tmp_path / "broken.xml").write_bytes(b"<rsm:CrossIndustryInvoice")
    folder = tmp_path / "folder"
    folder.mkdir()
    files = [
        tmp_path / "facturx.pdf",
        shared_path("reference", "ubl", "ubl-tc434-example1.xml"),
        shared_path("reference", "edifact", "EDIFACT_EXAMPLE1.TXT"),
        shared_path("reference", "fr-ctc", "cdar", "examples", "UC1_F202500003_02-CDV-202_Recue.xml"),
        tmp_path / "empty.xml",
        tmp_path / "garbage.bin",
        tmp_path / "broken.xml",
        folder,
        tmp_path / "missing.xml",
    ]
    code, out, _ = run(capsys, *files, "--json")
    report = json.loads(out)
    assert code == 1 and report["valid"] is False
    by_name = {entry["file"].rsplit("/", 1)[-1]: entry for entry in report["files"]}
    assert [by_name[f.name]["kind"] for f in files] == [
        "facturx-pdf",
        "ubl",
        "edifact",
        "xml",
        "empty",
        "unknown",
        "xml",
        "directory",
        "missing",
    ]
    pdf = by_name["facturx.pdf"]
    assert pdf["valid"] and "pdf" in pdf["rule_sets"] and pdf["rule_sets"][0] == "xsd"
    assert by_name["EDIFACT_EXAMPLE1.TXT"]["valid"] is True
    dialect = by_name["UC1_F202500003_02-CDV-202_Recue.xml"]["issues"][0]
    assert dialect["rule_id"] == "XML-DIALECT" and "CrossDomainAcknowledgementAndResponse" in dialect["message"]
    assert by_name["broken.xml"]["issues"][0]["rule_id"] == "XML"
    for entry in report["files"]:
        assert set(entry) == {"file", "kind", "valid", "rule_sets", "not_run", "issues"}
        for issue in entry["issues"]:
            assert set(issue) == {"rule_set", "rule_id", "flag", "message", "location"}


def test_peppol_rules_run_when_configured_and_say_so_when_not(capsys, monkeypatch):
    from channels.documents.rulesets import PEPPOL_RULES_ENV
    from tests.channels.documents.rule_files import peppol_rules

    sample = shared_path("reference", "ubl", "ubl-tc434-creditnote1.xml")
    rules = peppol_rules()
    monkeypatch.delenv(PEPPOL_RULES_ENV, raising=False)
    monkeypatch.setenv("RELANCE_COMPANY_CONFIG", str(shared_path("reference") / "none.toml"))
    code, out, _ = run(capsys, sample, "--rules", "peppol")
    assert code == 1 and "[not run] peppol-ubl: not configured" in out
    monkeypatch.setenv(PEPPOL_RULES_ENV, str(rules))
    code, out, _ = run(capsys, sample, "--rules", "peppol,en16931")
    assert code == 1
    assert "peppol-ubl 3.0." in out.splitlines()[0] and "PEPPOL-EN16931-R004" in out


@pytest.mark.parametrize("rules", ["xrechnung", "en16931,zugferd"])
def test_an_unknown_rule_set_is_a_one_line_usage_error(capsys, rules):
    code, out, err = run(capsys, shared_path("reference", "cii", "CII_example1.xml"), "--rules", rules)
    assert code == 2 and out == "" and err.count("\n") == 1 and "choose among" in err
