"""Check any file someone hands over: CII, UBL, a Factur-X PDF or an EDIFACT interchange, and say what it is
when it is none of these. Behind `relance validate`: every input gives a result, never a traceback.

A Factur-X PDF is checked twice: its embedded XML like any CII, and the PDF's own layer, which a reader of
the XML alone never sees:
- PDF/A-3 identification in the XMP metadata (pdfaid:part 3, conformance A, B or U);
- an output intent (/OutputIntents, GTS_PDFA1, with its ICC profile);
- the embedded files: factur-x.xml present, every file specification with an /AFRelationship (factur-x.xml
  Data, Source or Alternative) and listed in the catalog's /AF, factur-x.xml of MIME type text/xml;
- the Factur-X XMP properties: the fx: extension schema declared, DocumentType INVOICE, DocumentFileName
  factur-x.xml, Version 1.0, a ConformanceLevel, and that level agreeing with the XML's guideline (BT-24).
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from channels.documents.validation import ValidationIssue, ValidationResult

PDF_RULES = "pdf"  # rule_set of the PDF layer's issues
FILE_RULES = "file"
FACTURX_NAME = "factur-x.xml"
FX_NS = "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#"
PDFAID_NS = "http://www.aiim.org/pdfa/ns/id/"
EXTENSION_NS = "http://www.aiim.org/pdfa/ns/extension/"
RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
FACTURX_LEVELS = {  # XMP fx:ConformanceLevel -> guideline ids (BT-24) it may carry
    "MINIMUM": ("urn:factur-x.eu:1p0:minimum",),
    "BASIC WL": ("urn:factur-x.eu:1p0:basicwl",),
    "BASIC": ("urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic",),
    "EN 16931": ("urn:cen.eu:en16931:2017",),
    "EXTENDED": ("urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended",),
}
RELATIONSHIPS_FOR_FACTURX = ("/Data", "/Source", "/Alternative")


@dataclass
class FileReport:
    """One file's verdict: what it is, whether it is valid, and why."""

    path: str
    kind: str  # cii | ubl | facturx-pdf | pdf | edifact | xml | empty | directory | missing | unknown
    results: list[ValidationResult] = field(default_factory=list)
    issues: list[ValidationIssue] = field(default_factory=list)  # about the file itself (not its XML)
    not_run: list[str] = field(default_factory=list)  # rule sets asked for that cannot run here, with why

    @property
    def all_issues(self) -> list[ValidationIssue]:
        return list(self.issues) + [i for r in self.results for i in r.issues]

    @property
    def valid(self) -> bool:
        return bool(self.results) and not any(i.is_fatal for i in self.all_issues)

    @property
    def rule_sets(self) -> list[str]:
        names = []
        for result in self.results:
            for label in result.rule_set_labels:
                if label not in names:
                    names.append(label)
        if self.kind == "facturx-pdf":
            names.append(PDF_RULES)
        return names

    def as_dict(self) -> dict:
        return {
            "file": self.path,
            "kind": self.kind,
            "valid": self.valid,
            "rule_sets": self.rule_sets,
            "not_run": list(self.not_run),
            "issues": [i.as_dict() for i in self.all_issues],
        }


def detect_kind(data: bytes) -> str:
    """What the bytes are, from their content alone (never from the file name)."""
    stripped = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not stripped:
        return "empty"
    if stripped.startswith(b"%PDF-"):
        return "pdf"
    if stripped[:3] in (b"UNA", b"UNB"):
        return "edifact"
    if stripped.startswith(b"<"):
        return "xml"
    return "unknown"


def _issue(rule: str, message: str, location: str = "", rule_set: str = PDF_RULES, flag: str = "fatal"):
    return ValidationIssue(rule_set, rule, flag, message, location)


def check_pdf_layer(data: bytes) -> tuple[bytes | None, list[ValidationIssue], bool]:
    """(embedded factur-x.xml or None, issues of the PDF layer, whether it presents itself as Factur-X)."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    issues: list[ValidationIssue] = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(io.BytesIO(data))
            catalog = reader.trailer["/Root"]
            xmp_stream = catalog.get("/Metadata")
            xmp = xmp_stream.get_object().get_data() if xmp_stream is not None else None
            files = _embedded_files(catalog)
    except (PyPdfError, KeyError, ValueError, TypeError, AttributeError, OSError) as error:
        return None, [_issue("PDF-READ", f"not a readable PDF: {error}")], False

    xml = None
    facturx_spec = files.get(FACTURX_NAME)
    if facturx_spec is not None:
        xml = facturx_spec[1]
    presents_as_facturx = facturx_spec is not None or (xmp is not None and FX_NS.encode() in xmp)
    if not presents_as_facturx:
        return None, [], False

    # PDF/A-3 identification
    description = _xmp_values(xmp) if xmp else {}
    if xmp is None:
        issues.append(_issue("PDFA-XMP", "no XMP metadata stream in the catalog: PDF/A needs one", "/Root/Metadata"))
    part, conformance = description.get((PDFAID_NS, "part")), description.get((PDFAID_NS, "conformance"))
    if xmp is not None and part != "3":
        issues.append(
            _issue("PDFA-PART", f"XMP pdfaid:part is {part!r}: a Factur-X file must be PDF/A-3", "XMP pdfaid:part")
        )
    if xmp is not None and (conformance or "").upper() not in ("A", "B", "U"):
        issues.append(
            _issue(
                "PDFA-CONFORMANCE",
                f"XMP pdfaid:conformance is {conformance!r}, expected A, B or U",
                "XMP pdfaid:conformance",
            )
        )
    # output intent
    intents = catalog.get("/OutputIntents")
    intents = [i.get_object() for i in intents] if intents is not None else []
    pdfa_intents = [i for i in intents if i.get("/S") == "/GTS_PDFA1"]
    if not pdfa_intents:
        issues.append(_issue("PDFA-OUTPUT-INTENT", "no /OutputIntents entry with /S /GTS_PDFA1", "/Root/OutputIntents"))
    elif not any(i.get("/DestOutputProfile") is not None for i in pdfa_intents):
        issues.append(
            _issue(
                "PDFA-OUTPUT-INTENT",
                "the PDF/A output intent has no /DestOutputProfile (ICC profile)",
                "/Root/OutputIntents",
            )
        )
    # embedded files and their relationships
    if facturx_spec is None:
        issues.append(
            _issue(
                "FX-EMBEDDED", f"{FACTURX_NAME} is not embedded (EmbeddedFiles name tree)", "/Root/Names/EmbeddedFiles"
            )
        )
    af = catalog.get("/AF")
    af_refs = {_ref(a) for a in af} if af is not None else set()
    for name, (spec, _payload, subtype, ref) in files.items():
        relationship = spec.get("/AFRelationship")
        where = f"/Root/Names/EmbeddedFiles/{name}"
        if relationship is None:
            issues.append(_issue("PDFA-AFRELATIONSHIP", f"embedded file {name} has no /AFRelationship", where))
        elif name == FACTURX_NAME and relationship not in RELATIONSHIPS_FOR_FACTURX:
            issues.append(
                _issue(
                    "FX-AFRELATIONSHIP",
                    f"{FACTURX_NAME} has /AFRelationship {relationship}, expected /Data, /Source or /Alternative",
                    where,
                )
            )
        if ref not in af_refs:
            issues.append(_issue("PDFA-AF", f"embedded file {name} is not listed in the catalog's /AF", "/Root/AF"))
        if name == FACTURX_NAME and subtype not in ("/text/xml", "/text#2Fxml", "text/xml"):
            issues.append(_issue("FX-MIME", f"{FACTURX_NAME} has MIME type {subtype!r}, expected text/xml", where))
    # Factur-X XMP properties
    if xmp is not None:
        if EXTENSION_NS.encode() not in xmp or FX_NS.encode() not in xmp:
            issues.append(
                _issue(
                    "FX-XMP-SCHEMA",
                    "the XMP does not declare the Factur-X extension schema (fx:)",
                    "XMP pdfaExtension:schemas",
                )
            )
        expected = {"DocumentType": "INVOICE", "DocumentFileName": FACTURX_NAME, "Version": "1.0"}
        for prop, wanted in expected.items():
            value = description.get((FX_NS, prop))
            if value != wanted:
                issues.append(_issue("FX-XMP", f"XMP fx:{prop} is {value!r}, expected {wanted!r}", f"XMP fx:{prop}"))
        level = description.get((FX_NS, "ConformanceLevel"))
        if level not in FACTURX_LEVELS:
            issues.append(
                _issue(
                    "FX-XMP",
                    f"XMP fx:ConformanceLevel is {level!r}, expected one of {', '.join(FACTURX_LEVELS)}",
                    "XMP fx:ConformanceLevel",
                )
            )
        elif xml is not None:
            guideline = _guideline(xml)
            if guideline is not None and guideline not in FACTURX_LEVELS[level]:
                issues.append(
                    _issue(
                        "FX-LEVEL",
                        f"XMP says level {level} but the XML's guideline (BT-24) is {guideline!r}",
                        "XMP fx:ConformanceLevel",
                    )
                )
    return xml, issues, True


def _embedded_files(catalog) -> dict[str, tuple]:
    """name -> (file specification, bytes, /Subtype of its stream, object reference) from the EmbeddedFiles
    name tree."""
    names = catalog.get("/Names")
    tree = names.get_object().get("/EmbeddedFiles") if names is not None else None
    found: dict[str, tuple] = {}

    def walk(node) -> None:
        node = node.get_object()
        entries = node.get("/Names")
        if entries is not None:
            for i in range(0, len(entries) - 1, 2):
                ref = _ref(entries[i + 1])
                spec = entries[i + 1].get_object()
                name = str(spec.get("/UF") or spec.get("/F") or entries[i])
                stream = spec.get("/EF", {}).get("/F")
                stream = stream.get_object() if stream is not None else None
                payload = stream.get_data() if stream is not None else b""
                subtype = str(stream.get("/Subtype")) if stream is not None and stream.get("/Subtype") else None
                found[name] = (spec, payload, subtype, ref)
        for kid in node.get("/Kids") or []:
            walk(kid)

    if tree is not None:
        walk(tree)
    return found


def _ref(value) -> object:
    """An object's identity in the file: its object number when indirect, else the Python object."""
    return (value.idnum, value.generation) if hasattr(value, "idnum") else id(value)


def _xmp_values(xmp: bytes) -> dict[tuple[str, str], str]:
    """(namespace, property) -> text for simple properties, written as elements or as attributes."""
    values: dict[tuple[str, str], str] = {}
    try:
        start = xmp.find(b"<x:xmpmeta")
        root = etree.fromstring(xmp[start : xmp.rfind(b">") + 1] if start >= 0 else xmp)
    except etree.XMLSyntaxError:
        return values
    for description in root.iter(f"{{{RDF_NS}}}Description"):
        for name, value in description.attrib.items():
            qname = etree.QName(name)
            if qname.namespace and qname.namespace != RDF_NS:
                values.setdefault((qname.namespace, qname.localname), value)
        for child in description:
            if isinstance(child.tag, str) and len(child) == 0 and child.text:
                qname = etree.QName(child)
                values.setdefault((qname.namespace, qname.localname), child.text.strip())
    return values


def _guideline(xml: bytes) -> str | None:
    try:
        root = etree.fromstring(xml)
    except etree.XMLSyntaxError:
        return None
    found = root.find(".//{*}GuidelineSpecifiedDocumentContextParameter/{*}ID")
    return found.text.strip() if found is not None and found.text else None


def check_file(
    path: Path, validate_xml: Callable[[bytes], ValidationResult], check_edifact: Callable[[bytes], ValidationResult]
) -> FileReport:
    """The report for one path; `validate_xml` / `check_edifact` run the chosen rule sets."""
    shown = str(path)
    if path.is_dir():
        return FileReport(
            shown, "directory", issues=[_issue("FILE", "is a directory, not an invoice file", rule_set=FILE_RULES)]
        )
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return FileReport(shown, "missing", issues=[_issue("FILE", "no such file", rule_set=FILE_RULES)])
    except OSError as error:
        return FileReport(
            shown, "unknown", issues=[_issue("FILE", f"cannot be read: {error.strerror or error}", rule_set=FILE_RULES)]
        )
    return check_bytes(shown, data, validate_xml, check_edifact)


def check_bytes(shown: str, data: bytes, validate_xml, check_edifact) -> FileReport:
    kind = detect_kind(data)
    if kind == "empty":
        return FileReport(shown, "empty", issues=[_issue("FILE", "the file is empty", rule_set=FILE_RULES)])
    if kind == "unknown":
        return FileReport(
            shown,
            "unknown",
            issues=[
                _issue(
                    "FILE",
                    "neither XML, PDF nor EDIFACT (expected CII, UBL, a Factur-X PDF or an EDIFACT interchange)",
                    rule_set=FILE_RULES,
                )
            ],
        )
    if kind == "edifact":
        return FileReport(shown, "edifact", results=[check_edifact(data)])
    if kind == "pdf":
        xml, issues, is_facturx = check_pdf_layer(data)
        if not is_facturx:
            issues = issues or [_issue("FX-EMBEDDED", f"a PDF without {FACTURX_NAME}: not a Factur-X invoice")]
            return FileReport(shown, "pdf", issues=issues)
        report = FileReport(shown, "facturx-pdf", issues=issues)
        if xml is not None:
            report.results.append(validate_xml(xml))
        return report
    result = validate_xml(data)
    return FileReport(shown, result.syntax if result.syntax in ("cii", "ubl") else "xml", results=[result])
