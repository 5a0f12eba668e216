"""`relance validate FILE... [--rules en16931,fr-ctc,facturx,peppol] [--json]`: check invoice files someone
hands over (CII, UBL, Factur-X PDF, EDIFACT) against the official rules, with a readable report per file."""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

RULE_GROUPS = ("en16931", "fr-ctc", "facturx", "peppol")


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="check CII, UBL, Factur-X PDF or EDIFACT files against the official rules",
        description="Check invoice files: CII and UBL against their XSD and business rules, a Factur-X PDF's "
        "embedded XML and its PDF layer (PDF/A-3, output intent, embedded files, XMP), an EDIFACT interchange's "
        "structure, characters and totals. Every rule set is named with its version. Exit 0 when every file "
        "is valid, 1 when one is not, 2 on a usage error.",
    )
    parser.add_argument("files", metavar="FILE", nargs="+", type=Path)
    parser.add_argument(
        "--rules",
        help="comma-separated rule sets to run instead of the defaults: en16931 (CEN EN 16931 only), fr-ctc "
        "(French BR-FR rules), facturx (Factur-X EN16931 profile), peppol (Peppol BIS 3, needs the "
        "OpenPeppol Schematron configured). Default: CII facturx + fr-ctc; UBL en16931 + peppol for a Peppol "
        "BIS document, en16931 + fr-ctc otherwise",
    )
    parser.add_argument("--json", action="store_true", help="one JSON report on standard output")
    parser.add_argument(
        "--company", type=Path, help="company file naming the rule files (default: RELANCE_COMPANY_CONFIG)"
    )
    parser.set_defaults(handler=run)


def _groups(text: str | None) -> list[str] | None:
    if not text:
        return None
    groups = [g.strip() for g in text.split(",") if g.strip()]
    unknown = [g for g in groups if g not in RULE_GROUPS]
    if unknown:
        raise ValueError(f"unknown rule set {', '.join(unknown)}: choose among {', '.join(RULE_GROUPS)}")
    return groups


def _sources(company_file: Path | None):
    from channels.documents.rulesets import RuleSources

    if company_file is None and not (Path.cwd() / "config" / "company.toml").exists():
        return RuleSources.from_environment()
    from channels.documents.company import CompanyConfigError, load_company

    try:
        return load_company(company_file).documents.rule_sources
    except CompanyConfigError:
        if company_file is not None:
            raise
        return RuleSources.from_environment()


def run(args: argparse.Namespace) -> int:
    from channels.documents.company import CompanyConfigError
    from channels.documents.edifact import check_invoic
    from channels.documents.file_check import check_file
    from channels.documents.rulesets import resolve_groups
    from channels.documents.validation import ValidationResult, validate_xml

    try:
        groups = _groups(args.rules)
        sources = _sources(args.company)
    except (ValueError, CompanyConfigError) as error:
        print(f"relance validate: {error}", file=sys.stderr)
        return 2

    def run_xml(data: bytes) -> ValidationResult:
        if groups is None:
            return validate_xml(data, sources=sources)
        probe = validate_xml(data, [], sources=sources)  # syntax and XSD only
        if probe.syntax not in ("cii", "ubl") or not probe.valid:
            return probe
        chosen, missing = resolve_groups(groups, probe.syntax, sources)
        result = validate_xml(data, chosen, sources=sources)
        return ValidationResult(
            result.syntax, result.issues, result.rule_sets, result.versions, result.not_run + tuple(missing)
        )

    def run_edifact(data: bytes) -> ValidationResult:
        return check_invoic(data)

    reports = [check_file(path, run_xml, run_edifact) for path in args.files]
    for report in reports:
        report.not_run = [n for r in report.results for n in r.not_run]
    if args.json:
        print(
            json.dumps(
                {"valid": all(r.valid for r in reports), "files": [r.as_dict() for r in reports]},
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        for report in reports:
            _print(report)
    # Rule sets asked for by name that could not run: the files were not checked as asked.
    incomplete = groups is not None and any(r.not_run for r in reports)
    return 0 if all(r.valid for r in reports) and not incomplete else 1


_NAMESPACED_STEP = re.compile(r"\*:([\w.-]+)\[namespace-uri\(\)='[^']*'\]|Q\{[^}]*\}")


def short_location(location: str) -> str:
    """/*:Invoice[namespace-uri()='...'][1]/Q{...}Line[2] -> /Invoice[1]/Line[2]: the path a person reads."""
    return _NAMESPACED_STEP.sub(lambda m: m.group(1) or "", location)


def _print(report) -> None:
    verdict = "valid" if report.valid else "INVALID"
    checked = ", ".join(report.rule_sets) or "nothing could be checked"
    print(f"{report.path}: {verdict} {report.kind} [{checked}]")
    for issue in report.all_issues:
        where = f" at {short_location(issue.location)}" if issue.location else ""
        print(f"  [{issue.flag}] {issue.rule_set} {issue.rule_id}{where}: {issue.message}")
    for missing in report.not_run:
        print(f"  [not run] {missing}")
