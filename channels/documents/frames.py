"""What kind of sale an invoice is, and what that decides on the document: the processing frame (domestic
B2B, international B2B inside or outside the EU, B2C), the French "cadre de facturation" (BT-23), and the
VAT category with its exemption code and mention for every 0 % line.

One home for these rules: the loader, the writers and the templates all ask this module.

Sources:
- BT-23 values: the BR-FR-08 list of the FNFE-MPE rules 1.4.0.03 (B1 ... M9) and the DGFiP external
  specifications (rule G1.02); the letter is the nature of the sale (B goods, S services, M both), the digit the
  situation (1 deposit of an invoice, 2 already paid, 4 final invoice after a down payment, 3/5/6 subcontracting
  and co-contracting, 7 VAT already collected (e-reported), 8 multi-seller, 9 self-billed multi-seller).
- BAR note values (BR-FR-20): B2B, B2BINT, B2C, OUTOFSCOPE, ARCHIVEONLY. Only B2B makes BR-FR-11 (buyer SIREN)
  and BR-FR-21 (buyer address in the French directory, scheme 0225) apply; BR-FR-12 wants a buyer electronic
  address (BT-49) in every frame.
- VAT categories (UNCL 5305 as EN 16931 restricts it) and VATEX codes (CEF VATEX list): K intra-Community
  supply (BR-IC: buyer VAT id, delivery date, deliver-to country), AE reverse charge (BR-AE: buyer VAT id), G
  export outside the EU (BR-G), E exempt (BR-E), O outside the scope (BR-O forbids the seller's VAT id, which a
  French seller always shows, so Relance never writes O).
- French legal mentions (Code général des impôts): article 262 ter I (intra-Community supply of goods),
  article 283-2 (VAT due by the customer), article 262 I (export of goods), article 259-1 (services to a
  business established outside France), article 261 and following (domestic exemptions, the company's own text).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

# EU member states (ISO 3166-1 alpha-2; Greece is GR in addresses, EL only in VAT numbers). Monaco is inside
# the French VAT territory (Convention fiscale franco-monégasque): a Monaco buyer is billed French VAT.
EU_COUNTRIES = frozenset(
    {
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "ES",
        "FI",
        "FR",
        "GR",
        "HR",
        "HU",
        "IE",
        "IT",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
    }
)
FRENCH_VAT_TERRITORY = frozenset({"FR", "MC"})

GOODS = "goods"
SERVICES = "services"
SUPPLY_TYPES = (GOODS, SERVICES)


class Frame(StrEnum):
    """The processing frame, written as the BAR note (BT-21 "BAR", BT-22 the value)."""

    DOMESTIC_B2B = "B2B"
    INTERNATIONAL_B2B = "B2BINT"
    B2C = "B2C"

    @property
    def requires_french_ids(self) -> bool:
        """BR-FR-11 / BR-FR-21: buyer SIREN and a buyer address in the French directory (scheme 0225)."""
        return self is Frame.DOMESTIC_B2B


@dataclass(frozen=True)
class SaleContext:
    """Who buys, from where: enough to choose the frame and the VAT treatment of 0 % lines."""

    buyer_country: str  # ISO 3166-1 alpha-2
    consumer: bool = False  # a private person (B2C), as the export says
    buyer_vat_id: str = ""

    @property
    def country(self) -> str:
        return (self.buyer_country or "FR").upper()

    @property
    def domestic(self) -> bool:
        return self.country in FRENCH_VAT_TERRITORY

    @property
    def in_eu(self) -> bool:
        return self.country in EU_COUNTRIES

    @property
    def frame(self) -> Frame:
        if self.consumer:
            return Frame.B2C
        # Monaco is in the French VAT territory but has no SIREN: not a "B2B France" buyer for BR-FR-11.
        return Frame.DOMESTIC_B2B if self.country == "FR" else Frame.INTERNATIONAL_B2B

    @property
    def region(self) -> str:
        """domestic | eu | non-eu: how the sale is described in messages and tests."""
        if self.domestic:
            return "domestic"
        return "eu" if self.in_eu else "non-eu"


def parse_supply_type(value: object) -> str | None:
    """goods | services from what an export writes (Bien, Marchandise, Produit, Service, Prestation...)."""
    if value is None:
        return None
    text = str(value).strip().lower()
    if not text:
        return None
    if text in (
        "goods",
        "good",
        "g",
        "b",
        "bien",
        "biens",
        "marchandise",
        "marchandises",
        "produit",
        "produits",
        "article",
        "articles",
        "product",
        "products",
        "item",
        "stock",
        "livraison",
        "lb",
    ):
        return GOODS
    if text in (
        "services",
        "service",
        "s",
        "p",
        "prestation",
        "prestations",
        "prestation de services",
        "main d'oeuvre",
        "main d'œuvre",
        "labour",
        "labor",
        "ps",
    ):
        return SERVICES
    raise ValueError(
        f"supply type {value!r} is neither goods (bien, marchandise...) nor services (service, prestation...)"
    )


class OperationCategory(StrEnum):
    """BT-23, the French "cadre de facturation" (every value BR-FR-08 accepts)."""

    B1 = "B1"
    S1 = "S1"
    M1 = "M1"
    B2 = "B2"
    S2 = "S2"
    M2 = "M2"
    S3 = "S3"
    B4 = "B4"
    S4 = "S4"
    M4 = "M4"
    S5 = "S5"
    S6 = "S6"
    B7 = "B7"
    S7 = "S7"
    B8 = "B8"
    S8 = "S8"
    M8 = "M8"
    B9 = "B9"
    S9 = "S9"
    M9 = "M9"

    # The three an export of ordinary invoices gives, under their historical names.
    GOODS = "B1"
    SERVICES = "S1"
    MIXED = "M1"

    @classmethod
    def parse(cls, value: str) -> OperationCategory:
        aliases = {
            "goods": cls.B1,
            "biens": cls.B1,
            "bien": cls.B1,
            "services": cls.S1,
            "service": cls.S1,
            "mixed": cls.M1,
            "mixte": cls.M1,
        }
        key = str(value).strip()
        if key.lower() in aliases:
            return aliases[key.lower()]
        try:
            return cls(key.upper())
        except ValueError:
            raise ValueError(
                f"operation category {value!r} is not one of goods, services, mixed or a BT-23 code "
                f"({', '.join(c.value for c in cls)})"
            ) from None

    @property
    def nature(self) -> str:
        return {"B": GOODS, "S": SERVICES, "M": "mixed"}[self.value[0]]

    def label(self, language: str) -> str:
        nature, situation = OPERATION_NATURE[self.value[0]], OPERATION_SITUATION[self.value[1]]
        words = nature[language] if situation[language] == "" else f"{nature[language]} - {situation[language]}"
        return words


# How BT-23 is printed: the nature of the sale, then the situation when it is not an ordinary invoice.
OPERATION_NATURE = {
    "B": {"fr": "Livraison de biens", "en": "Supply of goods"},
    "S": {"fr": "Prestation de services", "en": "Supply of services"},
    "M": {"fr": "Opération mixte (biens et services)", "en": "Mixed supply (goods and services)"},
}
OPERATION_SITUATION = {
    "1": {"fr": "", "en": ""},
    "2": {"fr": "facture déjà payée", "en": "invoice already paid"},
    "3": {"fr": "sous-traitance, paiement direct", "en": "subcontracting with direct payment"},
    "4": {"fr": "facture définitive après acompte", "en": "final invoice after down payment"},
    "5": {"fr": "facture déposée par un sous-traitant", "en": "invoice filed by a subcontractor"},
    "6": {"fr": "facture déposée par un cotraitant", "en": "invoice filed by a co-contractor"},
    "7": {"fr": "TVA déjà collectée (e-reporting)", "en": "VAT already collected (e-reported)"},
    "8": {"fr": "facture multi-vendeurs", "en": "multi-seller invoice"},
    "9": {"fr": "facture bidirectionnelle", "en": "self-billed multi-seller invoice"},
}


def supply_nature(line_types: Iterable[str]) -> str:
    """goods | services | mixed from the supply type of every line (lines are goods or services)."""
    kinds = set(line_types)
    unknown = kinds - set(SUPPLY_TYPES)
    if unknown:
        raise ValueError(f"unknown supply type(s) {sorted(unknown)}")
    if kinds == {GOODS}:
        return GOODS
    if kinds == {SERVICES}:
        return SERVICES
    if not kinds:
        raise ValueError("an invoice without lines has no nature")
    return "mixed"


def operation_category(line_types: Iterable[str], *, already_paid: bool = False) -> OperationCategory:
    """BT-23 of an invoice from its lines: B1 / S1 / M1, or B2 / S2 / M2 when it was paid in full before
    being issued (BR-FR-CO-09 then wants BT-113 = BT-112, nothing due, the payment date as due date)."""
    letter = {GOODS: "B", SERVICES: "S", "mixed": "M"}[supply_nature(line_types)]
    return OperationCategory(letter + ("2" if already_paid else "1"))


# --- VAT categories ------------------------------------------------------------------------------------------
VAT_STANDARD = "S"
VAT_EXEMPT = "E"
VAT_REVERSE_CHARGE = "AE"
VAT_INTRA_COMMUNITY = "K"
VAT_EXPORT = "G"
VAT_ZERO_RATED = "Z"
ZERO_RATE_CATEGORIES = frozenset({VAT_EXEMPT, VAT_REVERSE_CHARGE, VAT_INTRA_COMMUNITY, VAT_EXPORT})


class VatDecisionError(ValueError):
    """A 0 % line whose sale gives no VAT exemption Relance can state (the export is wrong or incomplete)."""


@dataclass(frozen=True)
class VatTreatment:
    category: str  # BT-151 / BT-118
    exemption_code: str = ""  # BT-121 (VATEX), empty when the category needs none or the text suffices
    mention_fr: str = ""  # BT-120 and the printed mention, French
    mention_en: str = ""  # the same in English

    def mention(self, language: str) -> str:
        return self.mention_en if language == "en" else self.mention_fr


INTRA_COMMUNITY_GOODS = VatTreatment(
    VAT_INTRA_COMMUNITY,
    "VATEX-EU-IC",
    "Exonération de TVA, article 262 ter I du CGI (livraison intracommunautaire)",
    "VAT exempt: intra-Community supply of goods, article 262 ter I of the French tax code (CGI)",
)
REVERSE_CHARGE_SERVICES = VatTreatment(
    VAT_REVERSE_CHARGE,
    "VATEX-EU-AE",
    "Autoliquidation, article 283-2 du CGI : TVA due par le preneur",
    "Reverse charge: VAT to be accounted for by the customer, article 283-2 of the French tax code (CGI)",
)
EXPORT_GOODS = VatTreatment(
    VAT_EXPORT,
    "VATEX-EU-G",
    "Exonération de TVA, article 262 I du CGI (exportation)",
    "VAT exempt: export of goods outside the EU, article 262 I of the French tax code (CGI)",
)
# Services to a business established outside the EU are taxed where the customer is (article 259-1 CGI): no
# French VAT. EN 16931's O ("not subject to VAT") forbids the seller's VAT id (BR-O-02), so the export
# category G carries it, with the article as its text and no VATEX-EU-G code (that code means goods).
EXPORT_SERVICES = VatTreatment(
    VAT_EXPORT,
    "",
    "TVA non applicable, article 259-1 du CGI (prestation de services hors UE)",
    "No French VAT: services to a business outside the EU, article 259-1 of the French tax code (CGI)",
)


def domestic_exemption(mention_fr: str, mention_en: str = "") -> VatTreatment:
    """E with the company's own mention (which article of the CGI exempts its sales is its own affair)."""
    return VatTreatment(VAT_EXEMPT, "", mention_fr, mention_en or mention_fr)


def vat_treatment(
    rate: Decimal | int | str, supply_type: str | None, sale: SaleContext, *, domestic_exemption_mention: VatTreatment
) -> VatTreatment:
    """The VAT category of one line, with its exemption code and mention when the rate is 0 %.

    A positive rate is standard (S), wherever the buyer is. At 0 %:
    - a French buyer (or a private person anywhere): the domestic exemption E with the company's mention;
    - an EU business with a VAT number: goods K (262 ter I), services AE (283-2);
    - a business outside the EU: goods G (262 I), services G with the 259-1 mention;
    anything else (an EU business without a VAT number, a line of unknown type abroad) is refused: the invoice
    would state an exemption nobody can justify.
    """
    if Decimal(rate) > 0:
        return VatTreatment(VAT_STANDARD)
    if sale.domestic:
        return domestic_exemption_mention
    if sale.consumer:
        if sale.in_eu:
            # Sales to EU consumers bear VAT (French, or the buyer's country's through the OSS): 0 % is no rule.
            raise VatDecisionError(
                f"a 0 % sale to a private person in {sale.country} has no exemption: "
                "EU consumers are charged VAT (French rate, or theirs through the OSS)"
            )
        if supply_type == GOODS:
            return EXPORT_GOODS
        raise VatDecisionError(
            f"a 0 % sale of {supply_type or 'unknown items'} to a private person in "
            f"{sale.country}: only exported goods are exempt (article 262 I CGI)"
        )
    if supply_type not in SUPPLY_TYPES:
        raise VatDecisionError(
            f"a 0 % line for a buyer in {sale.country} must say whether it sells goods or "
            "services: the exemption depends on it (export the line's supply type)"
        )
    if sale.in_eu:
        if not sale.buyer_vat_id:
            raise VatDecisionError(
                f"a 0 % intra-EU sale to {sale.country} needs the buyer's VAT number "
                "(BR-IC-02 / BR-AE-02): export it or invoice French VAT"
            )
        return INTRA_COMMUNITY_GOODS if supply_type == GOODS else REVERSE_CHARGE_SERVICES
    return EXPORT_GOODS if supply_type == GOODS else EXPORT_SERVICES


# --- electronic addresses ------------------------------------------------------------------------------------
FRENCH_DIRECTORY_SCHEME = "0225"  # French e-invoicing directory (BR-FR-21)
EMAIL_SCHEME = "EM"  # EAS code for an e-mail address (accepted by EN 16931, not by Peppol)
SIRENE_SCHEME = "0002"
SIRET_SCHEME = "0009"


@dataclass(frozen=True)
class ElectronicAddress:  # BT-34 / BT-49 with its scheme (BT-34-1 / BT-49-1)
    scheme: str
    identifier: str

    def __str__(self) -> str:
        return f"{self.scheme}:{self.identifier}"

    @property
    def is_peppol(self) -> bool:
        """An address Peppol can route to (any EAS code but e-mail)."""
        return bool(self.scheme) and self.scheme != EMAIL_SCHEME


def parse_electronic_address(value: object) -> ElectronicAddress | None:
    """ "0208:0123456789", "iso6523-actorid-upis::0225:123456789" or "9930:DE123456789" -> address; an e-mail
    address -> scheme EM; a bare 9-digit number -> a SIREN in the French directory (0225)."""
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    if text.lower().startswith("iso6523-actorid-upis::"):
        text = text.split("::", 1)[1]
    if "@" in text and ":" not in text:
        return ElectronicAddress(EMAIL_SCHEME, text)
    if ":" in text:
        scheme, identifier = (part.strip() for part in text.split(":", 1))
        if not ((scheme.isdigit() and len(scheme) == 4) or scheme.upper() == EMAIL_SCHEME) or not identifier:
            raise ValueError(f"electronic address {value!r} is not scheme:identifier (e.g. 0208:0123456789)")
        return ElectronicAddress(scheme.upper(), identifier)
    compact = text.replace(" ", "")
    if compact.isdigit() and len(compact) in (9, 14):
        return ElectronicAddress(FRENCH_DIRECTORY_SCHEME, compact)
    raise ValueError(f"electronic address {value!r} is not scheme:identifier (e.g. 0208:0123456789)")


def buyer_electronic_address(
    frame: Frame, *, siren: str, declared: ElectronicAddress | None, email: str
) -> ElectronicAddress | None:
    """BT-49 for the frame: the address the export declares, else for a French business its SIREN in the
    French directory (BR-FR-21), else the billing e-mail the invoice is actually delivered to (scheme EM)."""
    if declared is not None:
        return declared
    if frame is Frame.DOMESTIC_B2B and siren:
        return ElectronicAddress(FRENCH_DIRECTORY_SCHEME, siren)
    if email:
        return ElectronicAddress(EMAIL_SCHEME, email)
    return None
