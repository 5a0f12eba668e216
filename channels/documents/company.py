"""The issuing company's identity, read from config/company.toml and checked before any document is made.

A wrong SIREN, VAT number, IBAN or BIC on every invoice is costly, so each is checked (python-stdnum for
SIREN/SIRET/VAT, schwifty for IBAN/BIC) and a bad value stops with a message that names the field.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from channels.documents.currency import CurrencyError, ExchangeRates
from channels.documents.model import OperationCategory, PaymentInstructions, PostalAddress, Seller
from channels.documents.rulesets import RuleSources
from stores.home import CONFIG_ROOT

DEFAULT_COMPANY_FILE = CONFIG_ROOT / "company.toml"
# auto: Peppol BIS 3 for a business abroad with a Peppol address, the French CTC UBL otherwise
UBL_PROFILES = ("auto", "fr-ctc", "peppol")
PEPPOL_ENDPOINT_SCHEMES = ("0009", "0002", "0225")
MENTION_KEYS = ("late_payment_penalties", "recovery_indemnity", "early_payment_discount")


class CompanyConfigError(ValueError):
    pass


@dataclass(frozen=True)
class LegalMentions:
    late_payment_penalties: str  # PMD note
    recovery_indemnity: str  # PMT note
    early_payment_discount: str  # AAB note
    vat_on_debits: str
    vat_exemption_reason: str  # BT-120 of domestic exemptions (category E)
    english: LegalMentions | None = None  # [company.legal_mentions.en]; French ones when absent

    def in_language(self, language: str) -> LegalMentions:
        return self.english if language == "en" and self.english is not None else self


@dataclass(frozen=True)
class DocumentSettings:
    attachments_root: Path  # absolute: supporting documents must sit under it
    max_attachment_bytes: int
    invoice_folders: tuple[str, ...]  # per-invoice folders under attachments_root, "{number}" patterns
    ubl_profile: str  # auto | fr-ctc | peppol
    peppol_endpoint_scheme: str  # 0009 (SIRET) | 0002 (SIREN) | 0225 (SIREN in the French directory)
    rule_sources: RuleSources = field(default_factory=RuleSources)  # FNFE folder and Peppol rules, if configured


@dataclass(frozen=True)
class Company:
    seller: Seller
    payment: PaymentInstructions
    mentions: LegalMentions
    default_language: str
    operation_category: OperationCategory
    vat_on_debits: bool
    payment_terms_days: int
    logo: Path | None
    documents: DocumentSettings
    source: Path
    exchange_rates: ExchangeRates = field(default_factory=ExchangeRates)  # euros per unit, with their source


def _require(section: dict, key: str, where: str) -> str:
    value = section.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise CompanyConfigError(f"{where}.{key} is missing")
    return str(value).strip()


def load_company(path: Path | str | None = None, home_root: Path | None = None) -> Company:
    """Read and check the company file (RELANCE_COMPANY_CONFIG, else config/company.toml)."""
    from schwifty import BIC, IBAN
    from schwifty.exceptions import SchwiftyException
    from stdnum.eu import vat
    from stdnum.fr import siren, siret

    path = Path(path or os.environ.get("RELANCE_COMPANY_CONFIG") or DEFAULT_COMPANY_FILE)
    if not path.exists():
        raise CompanyConfigError(f"company configuration not found: {path}")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise CompanyConfigError(f"{path}: not valid TOML ({error})") from error
    company = data.get("company") or {}
    where = f"{path.name} [company]"
    name = _require(company, "name", where)
    siren_value = siren.compact(_require(company, "siren", where))
    if not siren.is_valid(siren_value):
        raise CompanyConfigError(f"{where}.siren {siren_value!r} is not a valid SIREN (9 digits, Luhn check)")
    siret_value = siret.compact(str(company.get("siret") or ""))
    if siret_value and (not siret.is_valid(siret_value) or not siret_value.startswith(siren_value)):
        raise CompanyConfigError(f"{where}.siret {siret_value!r} is not a valid SIRET of SIREN {siren_value}")
    gln_value = str(company.get("gln") or "").strip()
    if gln_value:
        from stdnum import ean

        if len(gln_value) != 13 or not ean.is_valid(gln_value):
            raise CompanyConfigError(f"{where}.gln {gln_value!r} is not a valid 13-digit GLN")
    vat_value = vat.compact(_require(company, "vat_id", where))
    if not vat.is_valid(vat_value):
        raise CompanyConfigError(f"{where}.vat_id {vat_value!r} is not a valid EU VAT number")
    language = str(company.get("default_language") or "fr")
    if language not in ("fr", "en"):
        raise CompanyConfigError(f"{where}.default_language must be fr or en, not {language!r}")

    address = company.get("address") or {}
    postal = PostalAddress(
        line_one=_require(address, "line_one", f"{where}.address"),
        line_two=str(address.get("line_two") or ""),
        postcode=_require(address, "postcode", f"{where}.address"),
        city=_require(address, "city", f"{where}.address"),
        country_code=str(address.get("country_code") or "FR").upper(),
    )

    bank = company.get("bank") or {}
    try:
        iban = IBAN(_require(bank, "iban", f"{where}.bank"))
    except SchwiftyException as error:
        raise CompanyConfigError(f"{where}.bank.iban is not a valid IBAN: {error}") from error
    bic_text = str(bank.get("bic") or "")
    bic_value = ""
    if bic_text:
        try:
            bic = BIC(bic_text)
        except SchwiftyException as error:
            raise CompanyConfigError(f"{where}.bank.bic is not a valid BIC: {error}") from error
        if bic.country_code != iban.country_code:
            raise CompanyConfigError(
                f"{where}.bank.bic {bic_text} is for country {bic.country_code}, the IBAN for {iban.country_code}"
            )
        bic_value = str(bic)

    mentions_section = company.get("legal_mentions") or {}
    english_section = mentions_section.get("en") or {}
    english = None
    if english_section:
        english = LegalMentions(
            **{key: _require(english_section, key, f"{where}.legal_mentions.en") for key in MENTION_KEYS},
            vat_on_debits=str(english_section.get("vat_on_debits") or "VAT on debits option."),
            vat_exemption_reason=str(english_section.get("vat_exemption_reason") or "VAT exempt"),
        )
    mentions = LegalMentions(
        **{key: _require(mentions_section, key, f"{where}.legal_mentions") for key in MENTION_KEYS},
        vat_on_debits=str(
            mentions_section.get("vat_on_debits") or "Option pour le paiement de la taxe d'après les débits."
        ),
        vat_exemption_reason=str(mentions_section.get("vat_exemption_reason") or "Exonération de TVA"),
        english=english,
    )
    try:
        exchange_rates = ExchangeRates.from_config(data.get("exchange_rates"), f"{path.name} [exchange_rates]")
    except CurrencyError as error:
        raise CompanyConfigError(str(error)) from error
    try:
        category = OperationCategory.parse(company.get("operation_category") or "services")
    except ValueError as error:
        raise CompanyConfigError(f"{where}.operation_category: {error}") from error

    logo = None
    if company.get("logo"):
        logo = (path.parent / str(company["logo"])).resolve()
        if not logo.exists():
            raise CompanyConfigError(f"{where}.logo {logo} does not exist")

    docs = data.get("documents") or {}
    from stores.home import relance_home

    root = Path(str(docs.get("attachments_root") or "inbox")).expanduser()
    if not root.is_absolute():
        root = (home_root or relance_home().root) / root
    profile = str(docs.get("ubl_profile") or "auto")
    if profile not in UBL_PROFILES:
        raise CompanyConfigError(
            f"{path.name} [documents].ubl_profile must be one of {', '.join(UBL_PROFILES)}, not {profile!r}"
        )
    scheme = str(docs.get("peppol_endpoint_scheme") or "0009")
    if scheme not in PEPPOL_ENDPOINT_SCHEMES:
        raise CompanyConfigError(
            f"{path.name} [documents].peppol_endpoint_scheme must be one of "
            f"{', '.join(PEPPOL_ENDPOINT_SCHEMES)}, not {scheme!r}"
        )
    if scheme == "0009" and not siret_value:
        raise CompanyConfigError(f"{path.name}: peppol_endpoint_scheme 0009 (SIRET) needs [company].siret")
    folders = tuple(str(f) for f in (docs.get("invoice_folders") or ["{number}", "attachments/{number}"]))
    for folder in folders:
        if "{number}" not in folder or Path(folder).is_absolute() or ".." in Path(folder).parts:
            raise CompanyConfigError(
                f"{path.name} [documents].invoice_folders entry {folder!r} must be a "
                "relative path containing {{number}}"
            )
    rule_paths = {}
    for key in ("fr_ctc_rules", "peppol_rules"):
        if docs.get(key):
            configured = Path(str(docs[key])).expanduser()
            rule_paths[key] = configured if configured.is_absolute() else (path.parent / configured).resolve()
    rule_sources = RuleSources.from_environment(rule_paths.get("fr_ctc_rules"), rule_paths.get("peppol_rules"))
    problems = rule_sources.check()
    if problems:
        raise CompanyConfigError(f"{path.name} [documents]: {problems[0]}")
    max_bytes = int(docs.get("max_attachment_bytes") or 5_000_000)
    if max_bytes <= 0:
        raise CompanyConfigError(f"{path.name} [documents].max_attachment_bytes must be positive")

    seller = Seller(
        name=name,
        siren=siren_value,
        vat_id=vat_value,
        address=postal,
        siret=siret_value,
        legal_information=str(company.get("legal_information") or ""),
        contact_email=str(company.get("email") or ""),
        contact_phone=str(company.get("phone") or ""),
        gln=gln_value,
    )
    return Company(
        seller=seller,
        payment=PaymentInstructions(
            means_code="58", iban=iban.compact, bic=bic_value, account_name=str(bank.get("account_name") or name)
        ),
        mentions=mentions,
        default_language=language,
        operation_category=category,
        vat_on_debits=bool(company.get("vat_on_debits", False)),
        payment_terms_days=int(company.get("payment_terms_days") or 30),
        logo=logo,
        documents=DocumentSettings(root.resolve(), max_bytes, folders, profile, scheme, rule_sources),
        source=path,
        exchange_rates=exchange_rates,
    )
