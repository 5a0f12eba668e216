"""The Factur-X PDF: PDF/A-3b, factur-x.xml embedded, supporting documents embedded, formatted per language,
template sandboxed, attachments outside the allowed folder / too big / not PDF refused with a reason."""

from __future__ import annotations

import io
import re
from dataclasses import replace

import pytest
from facturx import get_xml_from_pdf
from pypdf import PdfReader

from channels.documents.cii import write_cii
from channels.documents.loading import AttachmentPolicy, AttachmentRefused, build_invoice
from channels.documents.pdf import RenderError, facturx_pdf, harfbuzz_subsetting_in_use, render_html
from channels.documents.render import RenderTask, render_task
from tests.channels.documents.conftest import customer_row, invoice_row, line_rows

NNBSP, NBSP = "\u202f", "\u00a0"


def _tiny_pdf(text: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=f"<p>{text}</p>").write_pdf()


@pytest.fixture
def attachments_root(company, tmp_path):
    root = company.documents.attachments_root
    (root / "FA-2026-0042").mkdir(parents=True)
    (root / "bons").mkdir()
    (root / "bons" / "bon_livraison_4521.pdf").write_bytes(_tiny_pdf("Bon de livraison 4521"))
    (root / "FA-2026-0042" / "timesheet-sept.pdf").write_bytes(_tiny_pdf("Timesheet"))
    return root


@pytest.mark.slow
def test_facturx_pdf_is_pdfa3b_with_the_xml_and_the_attachments_embedded(company, attachments_root):
    task = RenderTask(
        invoice_row(attachments=["bons/bon_livraison_4521.pdf"]), customer_row(), line_rows(), None, ("pdf", "cii")
    )
    outcome = render_task(task, company)
    assert outcome.valid, outcome.evidence()
    pdf = next(d for d in outcome.documents if d.format == "pdf").data
    cii = next(d for d in outcome.documents if d.format == "cii").data

    filename, xml = get_xml_from_pdf(pdf, check_xsd=True)
    assert filename == "factur-x.xml"
    assert xml == cii

    reader = PdfReader(io.BytesIO(pdf))
    xmp = reader.xmp_metadata
    assert xmp is not None
    rdf = xmp.rdf_root.toxml()
    assert re.search(r"pdfaid:part[^0-9]*3", rdf) and re.search(r"pdfaid:conformance[^A-Z]*B", rdf)
    assert "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#" in rdf
    assert re.search(r"fx:ConformanceLevel[^A-Z]*EN 16931", rdf)
    root = reader.trailer["/Root"]
    [intent] = root["/OutputIntents"]  # PDF/A needs the sRGB output intent WeasyPrint wrote to survive
    assert intent.get_object()["/S"] == "/GTS_PDFA1"
    listed = [str(a.get_object()["/F"]) for a in root["/AF"]]
    assert sorted(listed) == ["bon_livraison_4521.pdf", "factur-x.xml", "timesheet-sept.pdf"]  # each once
    assert set(reader.attachments) == {"factur-x.xml", "bon_livraison_4521.pdf", "timesheet-sept.pdf"}
    assert reader.attachments["bon_livraison_4521.pdf"][0].startswith(b"%PDF-")
    assert {name: relationship for name, (relationship, _, _) in _structure(pdf)["files"].items()} == {
        "factur-x.xml": "/Data",
        "bon_livraison_4521.pdf": "/Supplement",
        "timesheet-sept.pdf": "/Supplement",
    }
    info, dc = reader.metadata, xmp.rdf_root.toxml()  # PDF/A: the Info entries repeat the XMP ones
    assert info["/Title"] in dc and info["/Author"] in dc and info["/Subject"] in dc
    indexed = sorted(d.filename for d in outcome.documents if d.format == "attachment")
    assert indexed == ["bon_livraison_4521.pdf", "timesheet-sept.pdf"]
    text = reader.pages[0].extract_text()
    assert "FA-2026-0042" in text and "Client Exemple SARL" in text and "40 EUR" in text


def _structure(pdf: bytes) -> dict:
    """What a Factur-X reader and a PDF/A validator look at: catalog entries, embedded files with their
    relationship and type, Info entries, and the XMP properties (namespace, name) with their values."""
    reader = PdfReader(io.BytesIO(pdf))
    root = reader.trailer["/Root"]
    files = {}
    for spec in (a.get_object() for a in root["/AF"]):
        stream = spec["/EF"]["/F"].get_object()
        files[str(spec["/F"])] = (str(spec["/AFRelationship"]), str(stream["/Subtype"]), spec["/UF"] == spec["/F"])
    properties = {}
    for element in reader.xmp_metadata.rdf_root.getElementsByTagNameNS("*", "*"):
        if element.namespaceURI.startswith(("http://purl.org/dc/", "urn:factur-x", "http://www.aiim.org/pdfa/")):
            text = "".join(n.data for n in element.childNodes if n.nodeType == n.TEXT_NODE).strip()
            properties[(element.namespaceURI, element.localName)] = text
        for (namespace, name), value in element.attributes.itemsNS() if element.localName == "Description" else ():
            properties[(namespace, name)] = value
    return {
        "catalog": set(root) - {"/Pages"},
        "files": files,
        "info": set(reader.metadata),
        "xmp": properties,
        "outline": (root.get("/PageMode"), root["/Lang"]),
    }


@pytest.mark.slow
def test_facturx_pdf_has_everything_the_factur_x_package_would_write(french_invoice):
    """The PDF is written in one WeasyPrint pass; factur-x's generate_from_binary, run on the visual PDF of
    the same invoice, is the reference for what a Factur-X file carries."""
    from facturx import generate_from_binary

    from channels.documents.pdf import render_pdf

    cii = write_cii(french_invoice)
    ours = _structure(facturx_pdf(french_invoice, cii))
    reference = _structure(
        generate_from_binary(
            render_pdf(french_invoice), cii, flavor="factur-x", level="en16931", check_xsd=False, lang="fr-FR"
        )
    )
    assert ours["catalog"] == reference["catalog"]
    assert ours["files"] == reference["files"] == {"factur-x.xml": ("/Data", "/text/xml", True)}
    assert ours["info"] >= reference["info"] - {"/Creator"} and "/Creator" in ours["info"]
    assert ours["outline"] == reference["outline"] == ("/UseAttachments", "fr-FR")
    factur_x = {k: v for k, v in reference["xmp"].items() if "factur-x" in k[0] or "pdfa/ns/" in k[0]}
    assert factur_x and {k: ours["xmp"].get(k) for k in factur_x} == factur_x
    assert ours["xmp"][("urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#", "ConformanceLevel")] == "EN 16931"
    pdfaid = "http://www.aiim.org/pdfa/ns/id/"
    assert ours["xmp"][(pdfaid, "part")] == "3" and ours["xmp"][(pdfaid, "conformance")] == "B"


def test_french_template_formats_amounts_and_dates_the_french_way(french_invoice):
    html = render_html([french_invoice])
    assert f"1{NNBSP}234,56{NBSP}€" in html  # "1 234,56 €" as babel writes it for fr_FR
    assert "15 septembre 2026" in html
    assert "Net à payer" in html and "SIREN 542107651" in html
    assert "Prestation de services" in html  # BT-23 printed
    assert "Pénalités de retard" in html and "40 EUR" in html


def test_english_template_formats_amounts_and_dates_the_english_way(french_invoice):
    html = render_html([replace(french_invoice, language="en")])
    assert "€1,234.56" in html
    assert "15 September 2026" in html
    assert "Amount due" in html and "Supply of services" in html


@pytest.mark.slow
def test_pdf_text_shows_the_amount_due(french_invoice):
    pdf = facturx_pdf(french_invoice, write_cii(french_invoice))
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert re.search(r"1\s?234,56\s?€", text)


def test_customer_data_is_escaped_in_the_template(company):
    invoice = build_invoice(
        company, invoice_row(), customer_row(name="Evil <script>alert(1)</script> & Co"), line_rows()
    )
    html = render_html([invoice])
    assert "<script>" not in html
    assert "Evil &lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in html


def test_template_sandbox_blocks_private_attribute_access():
    from jinja2.exceptions import SecurityError

    from channels.documents.pdf import environment

    template = environment().from_string("{{ x.__class__.__mro__ }}")
    with pytest.raises(SecurityError):
        template.render(x=1)


def test_weasyprint_uses_harfbuzz_subsetting():
    assert harfbuzz_subsetting_in_use(), "install Debian's libharfbuzz-subset0: fontTools subsetting is ~5x slower"


def test_attachment_outside_the_allowed_folder_is_refused(company, attachments_root, tmp_path):
    secret = tmp_path / "secret.pdf"
    secret.write_bytes(_tiny_pdf("secret"))
    policy = AttachmentPolicy(attachments_root, company.documents.max_attachment_bytes)
    with pytest.raises(AttachmentRefused, match="outside the allowed folder"):
        policy.read("../secret.pdf", "FA-1")
    with pytest.raises(AttachmentRefused, match="outside the allowed folder"):
        policy.read(str(secret), "FA-1")
    (attachments_root / "link.pdf").symlink_to(secret)
    with pytest.raises(AttachmentRefused, match="outside the allowed folder"):
        policy.read("link.pdf", "FA-1")


def test_oversized_and_non_pdf_attachments_are_refused(company, attachments_root):
    (attachments_root / "photo.pdf").write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 100)
    (attachments_root / "big.pdf").write_bytes(b"%PDF-1.7\n" + b"0" * 2000)
    policy = AttachmentPolicy(attachments_root, 1000)
    with pytest.raises(AttachmentRefused, match="not a PDF"):
        policy.read("photo.pdf", "FA-1")
    with pytest.raises(AttachmentRefused, match="over the 1000-byte limit"):
        policy.read("big.pdf", "FA-1")
    with pytest.raises(AttachmentRefused, match="not found"):
        policy.read("missing.pdf", "FA-1")


def test_refused_attachment_fails_the_invoice_and_produces_no_document(company, attachments_root):
    task = RenderTask(invoice_row(attachments=["../../etc/passwd"]), customer_row(), line_rows(), None, ("pdf", "cii"))
    outcome = render_task(task, company)
    assert not outcome.valid
    assert outcome.documents == []
    assert outcome.evidence()["fatal_rules"] == ["RELANCE-ATTACHMENT"]
    assert "outside the allowed folder" in outcome.evidence()["issues"][0]["message"]


def test_configured_logo_is_drawn_and_other_local_files_cannot_be_fetched(company, tmp_path, french_invoice):
    from dataclasses import replace as dc_replace

    from channels.documents.pdf import html_to_pdf

    logo = tmp_path / "logo.svg"
    logo.write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20">'
        '<rect width="40" height="20" fill="#036"/></svg>',
        encoding="utf-8",
    )
    invoice = dc_replace(french_invoice)
    html = render_html([invoice], logo)
    assert f'src="{logo.resolve().as_uri()}"' in html
    with_logo = html_to_pdf(html, logo)
    without_logo = html_to_pdf(render_html([invoice]))
    assert len(with_logo) > len(without_logo)  # the image XObject is in the file

    snooping = html.replace(logo.resolve().as_uri(), (tmp_path / "secret.svg").as_uri())
    (tmp_path / "secret.svg").write_text(logo.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(RenderError, match=r"may not fetch .*secret\.svg"):
        html_to_pdf(snooping, logo)


def test_a_render_failure_becomes_a_failed_outcome_not_a_crash(company, tmp_path):
    from dataclasses import replace as dc_replace

    vanished_logo = tmp_path / "gone.svg"  # configured, then deleted before rendering
    task = RenderTask(invoice_row(), customer_row(), line_rows(), None, ("pdf", "cii"))
    outcome = render_task(task, dc_replace(company, logo=vanished_logo))
    assert not outcome.valid and outcome.documents == []
    assert outcome.evidence()["fatal_rules"] == ["RELANCE-RENDER"]
    assert "gone.svg" in outcome.evidence()["issues"][0]["message"]
