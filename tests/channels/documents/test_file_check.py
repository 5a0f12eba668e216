"""Any file handed over gets a verdict: kinds, the Factur-X PDF layer, and broken PDFs failing with the rule
that names their defect."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject

from channels.documents import file_check
from channels.documents.cii import write_cii
from channels.documents.edifact import check_invoic
from channels.documents.pdf import facturx_pdf, render_pdf
from channels.documents.validation import validate_xml
from tests.conftest import shared_path


def check(path):
    return file_check.check_file(path, validate_xml, check_invoic)


@pytest.fixture(scope="module")
def facturx_bytes():
    from channels.documents.company import load_company
    from channels.documents.loading import build_invoice
    from tests.channels.documents.conftest import customer_row, invoice_row, line_rows

    invoice = build_invoice(load_company(), invoice_row(), customer_row(), line_rows())
    return facturx_pdf(invoice, write_cii(invoice))


def _rewrite(data: bytes, edit) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    edit(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_our_factur_x_pdf_passes_the_pdf_layer_and_its_xml(tmp_path, facturx_bytes):
    path = tmp_path / "invoice.pdf"
    path.write_bytes(facturx_bytes)
    report = check(path)
    assert report.kind == "facturx-pdf"
    assert [i.rule_id for i in report.issues] == []
    assert report.valid
    assert report.results[0].syntax == "cii"
    assert "pdf" in report.rule_sets


@pytest.mark.parametrize(
    ("edit", "rule"),
    [
        (lambda w: w._root_object.pop("/OutputIntents"), "PDFA-OUTPUT-INTENT"),
        (lambda w: w._root_object.pop("/AF"), "PDFA-AF"),
    ],
)
def test_pdf_layer_defects_fail_with_their_rule(tmp_path, facturx_bytes, edit, rule):
    path = tmp_path / "broken.pdf"
    path.write_bytes(_rewrite(facturx_bytes, edit))
    report = check(path)
    assert rule in {i.rule_id for i in report.issues}
    assert not report.valid


def _set_relationship(writer, value):
    names = writer._root_object["/Names"]["/EmbeddedFiles"]["/Names"]
    for i in range(0, len(names), 2):
        spec = names[i + 1].get_object()
        if str(spec.get("/F")) == "factur-x.xml":
            spec[NameObject("/AFRelationship")] = NameObject(value)


def test_a_wrong_relationship_of_factur_x_xml_is_reported(tmp_path, facturx_bytes):
    path = tmp_path / "rel.pdf"
    path.write_bytes(_rewrite(facturx_bytes, lambda w: _set_relationship(w, "/Supplement")))
    assert "FX-AFRELATIONSHIP" in {i.rule_id for i in check(path).issues}


def test_xmp_that_contradicts_the_xml_level_is_reported(tmp_path, facturx_bytes):
    def downgrade(writer):
        stream = writer._root_object["/Metadata"].get_object()
        stream.set_data(stream.get_data().replace(b"EN 16931", b"BASIC"))

    path = tmp_path / "level.pdf"
    path.write_bytes(_rewrite(facturx_bytes, downgrade))
    assert "FX-LEVEL" in {i.rule_id for i in check(path).issues}


def test_a_plain_pdf_is_not_a_factur_x_invoice(tmp_path):
    from channels.documents.company import load_company
    from channels.documents.loading import build_invoice
    from tests.channels.documents.conftest import customer_row, invoice_row, line_rows

    path = tmp_path / "plain.pdf"
    path.write_bytes(render_pdf(build_invoice(load_company(), invoice_row(), customer_row(), line_rows())))
    report = check(path)
    assert report.kind == "pdf" and not report.valid
    assert [i.rule_id for i in report.issues] == ["FX-EMBEDDED"]


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"\x00\x01garbage\xff", "unknown"),
        (b"%PDF-1.7\n this is not really a pdf", "pdf"),
    ],
)
def test_garbage_and_empty_files_get_a_verdict(tmp_path, content, kind):
    path = tmp_path / "file.bin"
    path.write_bytes(content)
    report = check(path)
    assert report.kind == kind and not report.valid
    assert report.issues and report.issues[0].message


def test_directories_and_missing_files_get_a_verdict(tmp_path):
    assert check(tmp_path).kind == "directory"
    assert check(tmp_path / "nope.xml").kind == "missing"
    assert not check(tmp_path).valid


def test_reference_samples_by_kind():
    assert check(shared_path("reference", "cii", "CII_example1.xml")).kind == "cii"
    assert check(shared_path("reference", "ubl", "BIS3_Invoice_positive.xml")).kind == "ubl"
    assert check(shared_path("reference", "edifact", "EDIFACT_EXAMPLE1.TXT")).kind == "edifact"
