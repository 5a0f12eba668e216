"""Where the tests find rule files that no package ships: the OpenPeppol Schematron and the FNFE release.

The Peppol rules (PEPPOL-EN16931-UBL.sch, OpenPeppol peppol-bis-invoice-3) are read from RELANCE_PEPPOL_RULES
or ../shared/reference/peppol/; the FNFE 1.4.0.03 files from ../shared/reference/fr-ctc/invoice-rules/.
Tests that need them skip, saying why, when they are absent; they are never copied into the project.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from channels.documents.rulesets import PEPPOL_RULES_ENV
from tests.conftest import SHARED, shared_path


def peppol_rules() -> Path:
    configured = os.environ.get(PEPPOL_RULES_ENV)
    candidates = [Path(configured)] if configured else []
    candidates.append(SHARED / "reference" / "peppol" / "PEPPOL-EN16931-UBL.sch")
    for path in candidates:
        if path.is_file():
            return path
    pytest.skip(
        f"the OpenPeppol rules are absent: set {PEPPOL_RULES_ENV} to PEPPOL-EN16931-UBL.sch "
        f"(OpenPeppol peppol-bis-invoice-3, rules/sch/) or put it in {candidates[-1].parent}"
    )


def fnfe_rules() -> Path:
    return shared_path("reference", "fr-ctc", "invoice-rules")
