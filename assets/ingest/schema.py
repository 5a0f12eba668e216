"""The canonical receivables schema every ERP export is mapped onto, with the header names recognised
with no configuration (French and English, as ERPs and spreadsheets write them).

Header matching compares *normalised* names: lower case, accents removed, punctuation folded to spaces,
and the many spellings of "number" (N°, No, Nr, Num, Numéro, #) folded to one token, so that
"N° facture", "No. Facture", "Numéro de facture" and "num_facture" all read the same.
docs/schema.md documents these fields; keep both in step.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

# Field kinds decide how a raw string is parsed.
TEXT, DATE, MONEY, DECIMAL, INTEGER, BOOLEAN, LIST = "text", "date", "money", "decimal", "integer", "boolean", "list"


@dataclass(frozen=True)
class Field:
    name: str
    kind: str
    meaning: str
    headers: tuple[str, ...] = ()
    scale: int = 2  # decimals kept for money/decimal fields


@dataclass(frozen=True)
class Entity:
    name: str
    label: str  # what a credit manager calls one row ("invoice", "payment", ...)
    fields: tuple[Field, ...]
    required: tuple[str, ...]
    # fields whose presence in a header tells this entity apart from the others
    signature: tuple[str, ...]
    # what identifies one record inside a file (two rows with the same key but different values conflict)
    key: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict)

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.name} has no field {name!r}")

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]


_STOP_WORDS = {"de", "du", "d", "des", "la", "le", "l", "of", "the", "en", "a"}
_NUMBER_TOKENS = {"n", "no", "nr", "nro", "num", "number", "numero", "nbr", "nummer"}


def normalise_header(header: str) -> str:
    text = str(header).replace("°", " num ").replace("#", " num ").replace("º", " num ")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    text = re.sub(r"[^a-z0-9]+", " ", text).strip()
    tokens: list[str] = []
    for token in text.split():
        token = "num" if token in _NUMBER_TOKENS else token
        if token in _STOP_WORDS:
            continue
        if not (token == "num" and tokens and tokens[-1] == "num"):  # "N°" is N + ° : one number token
            tokens.append(token)
    return " ".join(tokens)


def _split_camel(header: str) -> str:
    # "invoiceNumber" -> "invoice Number" so camelCase headers normalise like spaced ones
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", header)


def header_key(header: str) -> str:
    return normalise_header(_split_camel(str(header)))


CUSTOMER_ID_HEADERS = (
    "customer_id",
    "Code client",
    "N° client",
    "Numéro client",
    "Client",
    "Compte client",
    "ID client",
    "Identifiant client",
    "Référence client",
    "Customer ID",
    "Customer",
    "Customer No",
    "Customer Number",
    "Customer Code",
    "Customer Account",
    "Account",
    "Account No",
    "Account Number",
    "Debtor",
    "Debtor No",
    "Kunde",
    "Debiteur",
    "Code tiers",
    "Tiers",
    "Sold-to",
    "Sold to party",
    "Payer",
    "Bill-to",
    "customerID",
)
INVOICE_NUMBER_HEADERS = (
    "invoice_number",
    "N° facture",
    "Numéro de facture",
    "Numéro facture",
    "Facture",
    "Référence facture",
    "N° pièce",
    "Numéro de pièce",
    "Pièce",
    "Invoice No",
    "Invoice Number",
    "Invoice",
    "Invoice ID",
    "Invoice Ref",
    "Invoice Reference",
    "Document No",
    "Document Number",
    "Doc No",
    "Billing Document",
    "invoiceNumber",
    "Facture N°",
)

CUSTOMERS = Entity(
    name="customers",
    label="customer",
    required=("customer_id",),
    signature=(
        "name",
        "email",
        "siren",
        "vat_number",
        "address_line1",
        "postcode",
        "preferred_channel",
        "payment_terms_days",
    ),
    key=("customer_id",),
    fields=(
        Field("customer_id", TEXT, "The customer's account code in the ERP.", CUSTOMER_ID_HEADERS),
        Field(
            "name",
            TEXT,
            "Legal or trading name.",
            (
                "name",
                "Raison sociale",
                "Nom",
                "Nom client",
                "Nom du client",
                "Société",
                "Dénomination",
                "Customer Name",
                "Company",
                "Company Name",
                "Name",
                "Name 1",
                "Business Name",
                "Legal Name",
            ),
        ),
        Field(
            "email",
            TEXT,
            "Billing e-mail address.",
            (
                "email",
                "E-mail facturation",
                "E-mail",
                "Email",
                "Courriel",
                "Adresse e-mail",
                "Mail",
                "Billing Email",
                "Invoice Email",
                "Email Address",
                "E-mail address",
                "Contact email",
            ),
        ),
        Field(
            "phone",
            TEXT,
            "Telephone number.",
            ("phone", "Téléphone", "Tél", "Tel", "Telephone", "Phone Number", "Mobile"),
        ),
        Field(
            "siren",
            TEXT,
            "French company registration number (9 digits).",
            ("siren", "SIREN", "N° SIREN", "SIRET", "Company Registration Number", "Registration Number"),
        ),
        Field(
            "vat_number",
            TEXT,
            "Intra-community VAT number.",
            (
                "vat_number",
                "N° TVA intracommunautaire",
                "N° TVA",
                "TVA intracommunautaire",
                "Numéro de TVA",
                "VAT Number",
                "VAT No",
                "VAT ID",
                "Tax ID",
                "VAT Registration Number",
            ),
        ),
        Field(
            "country",
            TEXT,
            "Country (ISO code or name).",
            ("country", "Pays", "Code pays", "Country", "Country Code", "countryCode"),
        ),
        Field(
            "language",
            TEXT,
            "Language for documents and reminders (fr or en).",
            ("language", "Langue", "Language", "Lang"),
        ),
        Field(
            "timezone",
            TEXT,
            "IANA time zone, e.g. Europe/Paris.",
            ("timezone", "Fuseau horaire", "Time Zone", "Timezone", "TZ"),
        ),
        Field("segment", TEXT, "Customer segment.", ("segment", "Segment", "Catégorie", "Category", "Customer Group")),
        Field("tags", LIST, "Free tags, separated by | or ,.", ("tags", "Tags", "Étiquettes", "Labels")),
        Field(
            "preferred_channel",
            TEXT,
            "email, platform, edi, ap_portal or paper.",
            (
                "preferred_channel",
                "Canal préféré",
                "Canal",
                "Canal d'envoi",
                "Mode d'envoi",
                "Preferred Channel",
                "Delivery Channel",
                "Channel",
            ),
        ),
        Field(
            "fallback_channels",
            LIST,
            "Channels to try when the preferred one fails.",
            ("fallback_channels", "Canaux de secours", "Fallback Channels"),
        ),
        Field(
            "address_line1",
            TEXT,
            "Street address.",
            (
                "address_line1",
                "Adresse",
                "Adresse 1",
                "Adresse ligne 1",
                "Rue",
                "Address",
                "Address 1",
                "Address Line 1",
                "Street",
            ),
        ),
        Field(
            "address_line2",
            TEXT,
            "Address complement.",
            ("address_line2", "Complément d'adresse", "Adresse 2", "Adresse ligne 2", "Address 2", "Address Line 2"),
        ),
        Field(
            "postcode",
            TEXT,
            "Postal code.",
            ("postcode", "Code postal", "CP", "Postal Code", "Postcode", "ZIP", "Zip Code"),
        ),
        Field("city", TEXT, "City.", ("city", "Ville", "Commune", "City", "Town")),
        Field("edi_gln", TEXT, "GLN for EDI exchanges.", ("edi_gln", "GLN", "Code GLN", "EAN")),
        Field(
            "platform_id",
            TEXT,
            "Identifier on the e-invoicing platform.",
            ("platform_id", "ID plateforme", "Identifiant plateforme", "Platform ID"),
        ),
        Field(
            "ap_portal_id",
            TEXT,
            "Identifier on the customer's AP portal.",
            ("ap_portal_id", "ID portail AP", "AP Portal ID", "Supplier Portal ID"),
        ),
        Field(
            "payment_terms_days",
            INTEGER,
            "Payment terms in days.",
            (
                "payment_terms_days",
                "Délai de paiement (jours)",
                "Délai de paiement",
                "Conditions de paiement",
                "Payment Terms",
                "Payment Terms Days",
                "Terms",
                "Terms (days)",
            ),
        ),
        Field(
            "on_hold",
            BOOLEAN,
            "Reminders and sends suspended for this customer.",
            ("on_hold", "Bloqué", "Bloque", "En attente", "Blocked", "On Hold", "Hold"),
        ),
        Field(
            "customer_kind",
            TEXT,
            "B2B (a business, the default) or B2C (a private person): decides the invoice's processing frame.",
            (
                "customer_kind",
                "Type de client",
                "Client particulier",
                "Particulier",
                "Customer Type",
                "Customer Kind",
                "B2B/B2C",
            ),
        ),
        Field(
            "electronic_address",
            TEXT,
            "Where the customer receives e-invoices, as scheme:identifier (0225:SIREN in the French directory, "
            "0208:..., 9930:DE... on Peppol).",
            (
                "electronic_address",
                "Adresse électronique",
                "Adresse de facturation électronique",
                "Adresse électronique de facturation",
                "Peppol ID",
                "Peppol Participant ID",
                "Electronic Address",
                "Endpoint ID",
                "E-invoicing Address",
            ),
        ),
    ),
)

INVOICES = Entity(
    name="invoices",
    label="invoice",
    required=("invoice_number", "customer_id", "issue_date"),
    signature=("issue_date", "due_date", "amount_incl_tax", "amount_excl_tax"),
    key=("issuer_id", "invoice_number"),
    fields=(
        Field(
            "issuer_id",
            TEXT,
            "The issuing company (several legal entities in one export).",
            (
                "issuer_id",
                "Émetteur",
                "Société émettrice",
                "Code société",
                "Company Code",
                "Issuer",
                "Entity",
                "Legal Entity",
            ),
        ),
        Field("invoice_number", TEXT, "Invoice or credit-note number, unique per issuer.", INVOICE_NUMBER_HEADERS),
        Field(
            "document_type",
            TEXT,
            "invoice or credit_note (Facture/Avoir, Invoice/Credit note).",
            (
                "document_type",
                "Type",
                "Type de pièce",
                "Type de document",
                "Nature",
                "Document Type",
                "Doc Type",
                "Invoice Type",
            ),
        ),
        Field("customer_id", TEXT, "Customer account code.", CUSTOMER_ID_HEADERS),
        Field(
            "issue_date",
            DATE,
            "Date of issue.",
            (
                "issue_date",
                "Date facture",
                "Date de facture",
                "Date de facturation",
                "Date d'émission",
                "Date pièce",
                "Date",
                "Invoice Date",
                "Billing Date",
                "Document Date",
                "Issue Date",
                "Date Issued",
                "InvoiceDate",
            ),
        ),
        Field(
            "delivery_date",
            DATE,
            "Date of delivery or service.",
            (
                "delivery_date",
                "Date de livraison",
                "Date livraison",
                "Date de prestation",
                "Delivery Date",
                "Service Date",
                "Shipping Date",
                "Ship Date",
            ),
        ),
        Field(
            "due_date",
            DATE,
            "Payment due date.",
            (
                "due_date",
                "Date d'échéance",
                "Échéance",
                "Date échéance",
                "Date limite de paiement",
                "Due Date",
                "Due",
                "Net Due Date",
                "Payment Due Date",
                "DueDate",
            ),
        ),
        Field(
            "amount_excl_tax",
            MONEY,
            "Amount excluding tax.",
            (
                "amount_excl_tax",
                "Montant HT",
                "Total HT",
                "HT",
                "Base HT",
                "Net Amount",
                "Amount excl. tax",
                "Amount Excl Tax",
                "Amount excluding tax",
                "Subtotal",
                "Net",
            ),
        ),
        Field(
            "tax_amount",
            MONEY,
            "Tax (VAT) amount.",
            ("tax_amount", "Montant TVA", "TVA", "Total TVA", "Tax", "Tax Amount", "VAT", "VAT Amount"),
        ),
        Field(
            "amount_incl_tax",
            MONEY,
            "Amount including tax (what the customer owes).",
            (
                "amount_incl_tax",
                "Montant TTC",
                "Total TTC",
                "TTC",
                "Montant",
                "Montant facture",
                "Amount",
                "Invoice Amount",
                "Total",
                "Total Amount",
                "Gross Amount",
                "Amount incl. tax",
                "Amount Incl Tax",
                "Amount including tax",
                "Amount Due",
                "InvoiceAmount",
                "Amount in doc. curr.",
                "Amount in local currency",
            ),
        ),
        Field(
            "currency",
            TEXT,
            "ISO 4217 currency code.",
            (
                "currency",
                "Devise",
                "Monnaie",
                "Currency",
                "Currency Code",
                "Curr",
                "Document currency",
                "Local Currency",
            ),
        ),
        Field(
            "purchase_order",
            TEXT,
            "The customer's purchase-order reference.",
            (
                "purchase_order",
                "N° commande",
                "Numéro de commande",
                "Commande",
                "Bon de commande",
                "N° bon de commande",
                "Référence commande",
                "PO",
                "PO Number",
                "Purchase Order",
                "Purchase Order Number",
                "Order No",
                "Order Number",
                "Customer PO",
                "Customer Reference",
            ),
        ),
        Field(
            "original_invoice_number",
            TEXT,
            "For a credit note, the invoice it credits.",
            (
                "original_invoice_number",
                "Facture d'origine",
                "Facture origine",
                "Facture liée",
                "Facture avoirée",
                "Original Invoice",
                "Original Invoice No",
                "Related Invoice",
                "Credited Invoice",
            ),
        ),
        Field(
            "description",
            TEXT,
            "Free text.",
            ("description", "Libellé", "Désignation", "Objet", "Description", "Text", "Memo", "Comment"),
        ),
        Field(
            "attachments",
            LIST,
            "Attached files (paths relative to the export folder, | separated).",
            ("attachments", "Pièces jointes", "Pièce jointe", "Annexes", "Attachments", "Attachment"),
        ),
        Field(
            "billing_channel",
            TEXT,
            "How this invoice was sent: email, platform, edi, ap_portal or paper (empty when the export does not say).",
            (
                "billing_channel",
                "Canal de facturation",
                "Mode de facturation",
                "Mode d'envoi facture",
                "Canal d'envoi facture",
                "Billing Channel",
                "Billing Method",
                "Invoice Channel",
                "Invoice Delivery Method",
                "Paperless Bill",
                "PaperlessBill",
            ),
        ),
        Field(
            "discount_amount",
            MONEY,
            "Footer discount excl. tax, already deducted from amount_excl_tax (a document allowance).",
            (
                "discount_amount",
                "Remise",
                "Remise globale",
                "Remise pied de facture",
                "Montant remise",
                "Discount",
                "Discount Amount",
                "Invoice Discount",
            ),
        ),
        Field(
            "shipping_amount",
            MONEY,
            "Shipping charge excl. tax, already included in amount_excl_tax (a document charge).",
            (
                "shipping_amount",
                "Frais de port",
                "Port",
                "Frais d'expédition",
                "Shipping",
                "Shipping Amount",
                "Freight",
                "Delivery Charge",
            ),
        ),
        Field(
            "tax_amount_eur",
            MONEY,
            "VAT amount in euros, for an invoice in another currency (BT-111).",
            (
                "tax_amount_eur",
                "Montant TVA en EUR",
                "TVA en EUR",
                "TVA EUR",
                "Tax Amount EUR",
                "VAT in EUR",
                "VAT Amount EUR",
            ),
        ),
        Field(
            "exchange_rate",
            DECIMAL,
            "Euros for one unit of the invoice currency (used when tax_amount_eur is not exported).",
            ("exchange_rate", "Taux de change", "Cours de change", "Exchange Rate", "FX Rate", "Currency Rate"),
            scale=6,
        ),
        Field(
            "delivery_name",
            TEXT,
            "Who the goods were delivered to, when not the customer's billing address.",
            (
                "delivery_name",
                "Nom livraison",
                "Livré à",
                "Destinataire livraison",
                "Ship-to Name",
                "Deliver To",
                "Delivery Name",
            ),
        ),
        Field(
            "delivery_address_line1",
            TEXT,
            "Delivery street address (BT-75).",
            (
                "delivery_address_line1",
                "Adresse de livraison",
                "Adresse livraison",
                "Delivery Address",
                "Ship-to Address",
                "Shipping Address",
                "SAAddressLine1",
            ),
        ),
        Field(
            "delivery_address_line2",
            TEXT,
            "Delivery address complement (BT-76).",
            (
                "delivery_address_line2",
                "Complément adresse de livraison",
                "Adresse de livraison 2",
                "Delivery Address 2",
                "Ship-to Address 2",
                "SAAddressLine2",
            ),
        ),
        Field(
            "delivery_postcode",
            TEXT,
            "Delivery postal code (BT-78).",
            (
                "delivery_postcode",
                "Code postal livraison",
                "CP livraison",
                "Delivery Postcode",
                "Ship-to Postal Code",
                "SAPostalCode",
            ),
        ),
        Field(
            "delivery_city",
            TEXT,
            "Delivery city (BT-77).",
            ("delivery_city", "Ville de livraison", "Ville livraison", "Delivery City", "Ship-to City", "SACity"),
        ),
        Field(
            "delivery_country",
            TEXT,
            "Delivery country, ISO code (BT-80).",
            (
                "delivery_country",
                "Pays de livraison",
                "Pays livraison",
                "Delivery Country",
                "Ship-to Country",
                "SACountry",
            ),
        ),
    ),
)

INVOICE_LINES = Entity(
    name="invoice_lines",
    label="invoice line",
    required=("invoice_number", "line_number"),
    signature=("line_number", "quantity", "unit_price"),
    key=("invoice_number", "line_number"),
    fields=(
        Field("invoice_number", TEXT, "Invoice the line belongs to.", INVOICE_NUMBER_HEADERS),
        Field(
            "line_number",
            INTEGER,
            "Position of the line on the invoice.",
            (
                "line_number",
                "Ligne",
                "N° ligne",
                "Numéro de ligne",
                "Line",
                "Line No",
                "Line Number",
                "Item",
                "Position",
                "Pos",
            ),
        ),
        Field(
            "description",
            TEXT,
            "What was sold.",
            (
                "description",
                "Désignation",
                "Libellé",
                "Article",
                "Produit",
                "Description",
                "Item Description",
                "Product",
            ),
        ),
        Field("quantity", DECIMAL, "Quantity.", ("quantity", "Quantité", "Qté", "Qte", "Quantity", "Qty"), scale=4),
        Field(
            "unit_price",
            DECIMAL,
            "Unit price excluding tax.",
            ("unit_price", "Prix unitaire HT", "Prix unitaire", "PU HT", "PU", "Unit Price", "Price"),
            scale=4,
        ),
        Field(
            "vat_rate",
            DECIMAL,
            "VAT rate in percent (20 for 20 %).",
            ("vat_rate", "Taux TVA", "Taux de TVA", "TVA %", "VAT Rate", "Tax Rate", "VAT %"),
            scale=2,
        ),
        Field(
            "line_amount_excl_tax",
            MONEY,
            "Line amount excluding tax.",
            (
                "line_amount_excl_tax",
                "Montant HT",
                "Total HT",
                "Montant ligne HT",
                "Line Amount",
                "Amount",
                "Net Amount",
                "Line Total",
            ),
        ),
        Field(
            "supply_type",
            TEXT,
            "goods or services (Bien, Marchandise / Service, Prestation): decides BT-23 and a 0 % line's exemption.",
            (
                "supply_type",
                "Type de ligne",
                "Nature de ligne",
                "Bien ou service",
                "Type article",
                "Supply Type",
                "Line Type",
                "Item Type",
                "Goods or Services",
            ),
        ),
        Field(
            "discount_percent",
            DECIMAL,
            "Line discount in percent of quantity x unit price (10 for 10 %).",
            (
                "discount_percent",
                "Remise %",
                "Taux de remise",
                "Pourcentage de remise",
                "Discount %",
                "Discount Percent",
                "Discount Rate",
            ),
            scale=2,
        ),
        Field(
            "discount_amount",
            MONEY,
            "Line discount amount excl. tax, already deducted from line_amount_excl_tax.",
            (
                "discount_amount",
                "Montant remise",
                "Montant de la remise",
                "Remise montant",
                "Line Discount",
                "Discount Amount",
            ),
        ),
    ),
)

PAYMENTS = Entity(
    name="payments",
    label="payment",
    required=("payment_date", "amount"),
    signature=("payment_date", "method"),
    key=("payment_id",),
    fields=(
        Field(
            "payment_id",
            TEXT,
            "Payment identifier in the ERP or bank.",
            (
                "payment_id",
                "N° paiement",
                "N° règlement",
                "Référence règlement",
                "Payment ID",
                "Payment No",
                "Payment Number",
                "Receipt No",
                "Transaction ID",
            ),
        ),
        Field("customer_id", TEXT, "Paying customer.", CUSTOMER_ID_HEADERS),
        Field(
            "invoice_number",
            TEXT,
            "Invoice the payment is allocated to (empty when unallocated).",
            INVOICE_NUMBER_HEADERS,
        ),
        Field(
            "payment_date",
            DATE,
            "Date the money was received.",
            (
                "payment_date",
                "Date de paiement",
                "Date paiement",
                "Date de règlement",
                "Date règlement",
                "Date d'encaissement",
                "Date valeur",
                "Payment Date",
                "Paid Date",
                "Date Paid",
                "Receipt Date",
                "Value Date",
                "Settled Date",
                "Settlement Date",
                "Clearing Date",
                "Check Date",
            ),
        ),
        Field(
            "amount",
            MONEY,
            "Amount received (allocated to the invoice when one is given).",
            (
                "amount",
                "Montant",
                "Montant réglé",
                "Montant payé",
                "Montant encaissé",
                "Amount",
                "Amount Paid",
                "Paid Amount",
                "Payment Amount",
                "Receipt Amount",
            ),
        ),
        Field("currency", TEXT, "ISO 4217 currency code.", ("currency", "Devise", "Monnaie", "Currency", "Curr")),
        Field(
            "method",
            TEXT,
            "Payment method (transfer, card, cheque...).",
            (
                "method",
                "Mode de paiement",
                "Mode de règlement",
                "Moyen de paiement",
                "Method",
                "Payment Method",
                "Payment Type",
            ),
        ),
        Field(
            "reference",
            TEXT,
            "Bank or remittance reference.",
            (
                "reference",
                "Référence",
                "Référence bancaire",
                "Reference",
                "Bank Reference",
                "Remittance",
                "Check",
                "Cheque",
            ),
        ),
    ),
)

DISPUTES = Entity(
    name="disputes",
    label="dispute",
    required=("invoice_number",),
    signature=("opened_on", "disputed_amount", "resolved_on"),
    key=("invoice_number", "opened_on"),
    fields=(
        Field("invoice_number", TEXT, "Disputed invoice.", INVOICE_NUMBER_HEADERS),
        Field("customer_id", TEXT, "Customer raising the dispute.", CUSTOMER_ID_HEADERS),
        Field(
            "opened_on",
            DATE,
            "Date the dispute was opened.",
            (
                "opened_on",
                "Date d'ouverture",
                "Date litige",
                "Ouvert le",
                "Opened On",
                "Opened",
                "Dispute Date",
                "Date Opened",
            ),
        ),
        Field(
            "reason",
            TEXT,
            "Reason given.",
            ("reason", "Motif", "Raison", "Motif du litige", "Reason", "Dispute Reason", "Cause"),
        ),
        Field(
            "disputed_amount",
            MONEY,
            "Amount in dispute.",
            (
                "disputed_amount",
                "Montant contesté",
                "Montant en litige",
                "Montant litige",
                "Disputed Amount",
                "Amount Disputed",
                "Amount",
            ),
        ),
        Field(
            "resolved_on",
            DATE,
            "Date the dispute was closed (empty while open).",
            (
                "resolved_on",
                "Date de résolution",
                "Résolu le",
                "Clos le",
                "Resolved On",
                "Resolved",
                "Closed On",
                "Date Resolved",
            ),
        ),
    ),
)

ENTITIES: dict[str, Entity] = {e.name: e for e in (CUSTOMERS, INVOICES, INVOICE_LINES, PAYMENTS, DISPUTES)}

DOCUMENT_TYPES = {
    "invoice": "invoice",
    "facture": "invoice",
    "f": "invoice",
    "fa": "invoice",
    "inv": "invoice",
    "dr": "invoice",
    "rv": "invoice",
    "debit": "invoice",
    "debit note": "invoice",
    "credit note": "credit_note",
    "credit_note": "credit_note",
    "credit": "credit_note",
    "avoir": "credit_note",
    "a": "credit_note",
    "av": "credit_note",
    "cn": "credit_note",
    "credit memo": "credit_note",
    "dg": "credit_note",
}
# Written channel names -> the channel vocabulary (preferred_channel's). An export saying only
# "electronic" is taken as e-mail, the electronic channel an ERP most often means; a profile's value map
# can say otherwise.
BILLING_CHANNELS = {
    "email": "email",
    "e-mail": "email",
    "courriel": "email",
    "electronic": "email",
    "electronique": "email",
    "électronique": "email",
    "dematerialise": "email",
    "dématérialisé": "email",
    "dematerialisee": "email",
    "dématérialisée": "email",
    "paperless": "email",
    "platform": "platform",
    "plateforme": "platform",
    "pdp": "platform",
    "pa": "platform",
    "ppf": "platform",
    "chorus": "platform",
    "chorus pro": "platform",
    "peppol": "platform",
    "edi": "edi",
    "ap_portal": "ap_portal",
    "ap portal": "ap_portal",
    "portal": "ap_portal",
    "portail": "ap_portal",
    "supplier portal": "ap_portal",
    "portail fournisseur": "ap_portal",
    "paper": "paper",
    "papier": "paper",
    "courrier": "paper",
    "post": "paper",
    "postal": "paper",
    "letter": "paper",
    "lettre": "paper",
    "print": "paper",
}
TRUE_WORDS = ("1", "true", "yes", "y", "oui", "o", "vrai", "x")
FALSE_WORDS = ("0", "false", "no", "n", "non", "faux", "")


def header_index(entity: Entity) -> dict[str, str]:
    """normalised header -> field name for one entity (first field claiming a header wins)."""
    index: dict[str, str] = {}
    for f in entity.fields:
        for h in (f.name, *f.headers):
            index.setdefault(header_key(h), f.name)
    return index
