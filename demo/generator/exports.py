"""Write the simulated ledger as the ERP exports of a French company, in the exact files, headers,
encodings and number/date formats fixed by docs/contracts.md ("ERP export headers the generator writes").

Frames are formatted to text columns with polars expressions, written by polars as UTF-8 and re-encoded
where the export is cp1252 — no per-row Python on the invoice-sized tables.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from demo.generator import reference as ref
from demo.generator.ledger import Ledger
from demo.generator.pdf import text_pdf

BOM = b"\xef\xbb\xbf"
MONTHS_FR = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)

CUSTOMER_HEADERS = {
    "customer_id": "Code client",
    "name": "Raison sociale",
    "siren": "SIREN",
    "vat_number": "N° TVA intracommunautaire",
    "email": "E-mail facturation",
    "phone": "Téléphone",
    "address_line1": "Adresse",
    "address_line2": "Complément d'adresse",
    "postcode": "Code postal",
    "city": "Ville",
    "country": "Pays",
    "language": "Langue",
    "preferred_channel": "Canal préféré",
    "fallback_channels": "Canaux de secours",
    "segment": "Segment",
    "tags": "Tags",
    "timezone": "Fuseau horaire",
    "edi_gln": "GLN",
    "platform_id": "ID plateforme",
    "ap_portal_id": "ID portail AP",
    "payment_terms_days": "Délai de paiement (jours)",
    "on_hold": "Bloqué",
    "electronic_address": "Adresse électronique",
}
FEC_HEADERS = (
    "JournalCode",
    "JournalLib",
    "EcritureNum",
    "EcritureDate",
    "CompteNum",
    "CompteLib",
    "CompAuxNum",
    "CompAuxLib",
    "PieceRef",
    "PieceDate",
    "EcritureLib",
    "Debit",
    "Credit",
    "EcritureLet",
    "DateLet",
    "ValidDate",
    "Montantdevise",
    "Idevise",
)


def money(column: str, decimal_separator: str = ",") -> pl.Expr:
    """Decimal(18,2) to text with exactly two decimals ("1234,50", "-12,00")."""
    text = pl.col(column).cast(pl.Decimal(18, 2)).cast(pl.String)
    return text.str.replace(".", decimal_separator, literal=True) if decimal_separator != "." else text


def _write(
    frame: pl.DataFrame, path: Path, *, encoding: str, separator: str, crlf: bool = False, bom: bool = False
) -> None:
    options = dict(separator=separator, line_terminator="\r\n" if crlf else "\n", quote_style="necessary")
    if encoding == "utf-8":
        # polars writes UTF-8 itself: stream to the file, no copy of hundreds of megabytes in memory
        with path.open("wb") as fh:
            if bom:
                fh.write(BOM)
            frame.write_csv(fh, **options)
        return
    path.write_bytes((BOM if bom else b"") + encode(frame.write_csv(**options), encoding))


C1_CONTROLS = bytes(range(0x80, 0xA0))


def encode(text: str, encoding: str) -> bytes:
    """Encode export text; cp1252 goes through the C fast path of latin-1 when that gives the same bytes.

    cp1252 and latin-1 agree everywhere except 0x80-0x9F (where cp1252 puts €, œ, ’...): when the text
    has no character there and none above U+00FF, the latin-1 bytes are the cp1252 bytes, several times
    faster than Python's charmap codec on hundreds of megabytes."""
    if encoding == "cp1252":
        try:
            raw = text.encode("latin-1")
        except UnicodeEncodeError:
            return text.encode("cp1252")
        if len(raw.translate(None, C1_CONTROLS)) == len(raw):
            return raw
        return text.encode("cp1252")
    return text.encode(encoding)


def _lookup(values: tuple[str, ...], column: str) -> pl.Expr:
    return pl.col(column).replace_strict(list(range(len(values))), list(values), return_dtype=pl.String)


def write_customers(customers: pl.DataFrame, out: Path) -> Path:
    frame = (
        customers.select(
            *[
                pl.col(c)
                for c in (
                    "customer_id",
                    "name",
                    "siren",
                    "vat_number",
                    "email",
                    "phone",
                    "address_line1",
                    "address_line2",
                    "postcode",
                    "city",
                    "country",
                    "language",
                    "preferred_channel",
                )
            ],
            pl.col("fallback_channels").list.join("|"),
            pl.col("segment"),
            pl.col("tags").list.join("|"),
            pl.col("timezone"),
            pl.col("edi_gln"),
            pl.col("platform_id"),
            pl.col("ap_portal_id"),
            pl.col("payment_terms_days"),
            pl.when(pl.col("on_hold")).then(pl.lit("Oui")).otherwise(pl.lit("Non")).alias("on_hold"),
            pl.col("electronic_address"),
        )
        .with_columns(
            # an absent value is an empty field, not a quoted empty string
            pl.col(pl.String).replace("", None),
        )
        .rename(CUSTOMER_HEADERS)
    )
    path = out / "customers.csv"
    _write(frame, path, encoding="utf-8", separator=";", bom=True)
    return path


def exported_documents(ledger: Ledger) -> pl.DataFrame:
    return ledger.documents.filter(pl.col("issue_date") <= ledger.as_of)


def write_invoices(documents: pl.DataFrame, attachments: pl.DataFrame, out: Path) -> Path:
    path = out / "invoices.csv"
    _write(_invoice_frame(documents, attachments), path, encoding="cp1252", separator=";", crlf=True)
    return path


def _invoice_frame(documents: pl.DataFrame, attachments: pl.DataFrame) -> pl.DataFrame:
    fr_date = "%d/%m/%Y"
    docs = documents.join(attachments, on="invoice_number", how="left", maintain_order="left").with_columns(
        delivery_month=pl.col("delivery_date").dt.month().cast(pl.Int64) - 1
    )
    return docs.select(
        pl.col("invoice_number").alias("N° facture"),
        pl.when(pl.col("document_type") == "invoice").then(pl.lit("Facture")).otherwise(pl.lit("Avoir")).alias("Type"),
        pl.col("customer_id").alias("Code client"),
        pl.col("issue_date").dt.strftime(fr_date).alias("Date facture"),
        pl.col("delivery_date").dt.strftime(fr_date).alias("Date de livraison"),
        pl.col("due_date").dt.strftime(fr_date).alias("Date d'échéance"),
        money("amount_excl_tax").alias("Montant HT"),
        money("tax_amount").alias("Montant TVA"),
        money("amount_incl_tax").alias("Montant TTC"),
        pl.col("currency").alias("Devise"),
        pl.col("purchase_order").alias("N° commande"),
        pl.col("original_invoice_number").alias("Facture d'origine"),
        pl.when(pl.col("document_type") == "credit_note")
        .then(pl.concat_str(pl.lit("Avoir sur facture "), pl.col("original_invoice_number")))
        .when(pl.col("sells_services"))
        .then(
            pl.concat_str(
                _lookup(ref.SERVICES, "first_product"),
                pl.lit(" - "),
                _lookup(MONTHS_FR, "delivery_month"),
                pl.lit(" "),
                pl.col("delivery_date").dt.year().cast(pl.String),
            )
        )
        .otherwise(pl.concat_str(pl.lit("Livraison "), _lookup(ref.GOODS, "first_product").str.to_lowercase()))
        .alias("Libellé"),
        pl.col("attachments").alias("Pièces jointes"),
        pl.when(pl.col("exchange_rate_e4") > 0)
        .then((pl.col("exchange_rate_e4").cast(pl.Decimal(18, 4)) / 10_000).cast(pl.Decimal(18, 4)).cast(pl.String))
        .str.replace(".", ",", literal=True)
        .alias("Taux de change"),
        *_delivery_columns(),
    )


def _delivery_columns() -> list[pl.Expr]:
    """Livré à / Adresse / Code postal / Ville / Pays de livraison for invoices delivered to another site."""
    elsewhere = pl.col("delivery_site").fill_null(-1) >= 0
    city = _lookup(tuple(c for c, _ in ref.CITIES_FR), "delivery_site_city")
    postcode = _lookup(tuple(p for _, p in ref.CITIES_FR), "delivery_site_city")
    return [
        pl.when(elsewhere)
        .then(pl.concat_str(_lookup(ref.DELIVERY_SITES, "delivery_site"), pl.lit(" "), city))
        .alias("Livré à"),
        pl.when(elsewhere)
        .then(pl.concat_str(pl.col("delivery_site_street").cast(pl.String), pl.lit(" zone industrielle des Acacias")))
        .alias("Adresse de livraison"),
        pl.when(elsewhere).then(postcode).alias("Code postal livraison"),
        pl.when(elsewhere).then(city).alias("Ville de livraison"),
        pl.when(elsewhere).then(pl.lit("FR")).alias("Pays de livraison"),
    ]


def write_lines(lines: pl.DataFrame, out: Path) -> Path:
    frame = (
        lines.filter(pl.col("document_exported"))
        .with_columns(
            name=pl.when(pl.col("services"))
            .then(_lookup(ref.SERVICES, "product"))
            .otherwise(_lookup(ref.GOODS, "product")),
        )
        .select(
            pl.col("invoice_number").alias("N° facture"),
            pl.col("line_number").alias("Ligne"),
            pl.when(pl.col("rebate") & (pl.col("line_kind") == 3))
            .then(pl.lit("Avoir - Remise exceptionnelle"))
            .when(pl.col("rebate"))
            .then(pl.lit("Remise exceptionnelle"))
            .when(pl.col("line_kind") == 1)
            .then(pl.concat_str(pl.lit("Annulation ligne facturée en double - "), pl.col("name")))
            .when(pl.col("line_kind") == 2)
            .then(pl.lit("Geste commercial suite à réclamation"))
            .when(pl.col("line_kind") == 3)
            .then(pl.concat_str(pl.lit("Avoir - "), pl.col("name")))
            .when(pl.col("services"))
            .then(pl.concat_str(pl.col("name"), pl.lit(" (jours)")))
            .otherwise(pl.col("name"))
            .alias("Désignation"),
            (pl.col("quantity_hundredths").cast(pl.Decimal(18, 2)) / 100).cast(pl.Decimal(18, 2)).alias("quantity"),
            pl.col("unit_price"),
            (pl.col("vat_rate_bp").cast(pl.Decimal(18, 2)) / 100).cast(pl.Decimal(18, 2)).alias("rate"),
            pl.col("line_amount_excl_tax"),
            pl.when(pl.col("services")).then(pl.lit("Service")).otherwise(pl.lit("Bien")).alias("Type de ligne"),
            pl.col("discount_pct"),
        )
        .select(
            "N° facture",
            "Ligne",
            "Désignation",
            money("quantity").alias("Quantité"),
            money("unit_price").alias("Prix unitaire HT"),
            money("rate").alias("Taux TVA"),
            money("line_amount_excl_tax").alias("Montant HT"),
            "Type de ligne",
            pl.when(pl.col("discount_pct") > 0).then(pl.col("discount_pct").cast(pl.String)).alias("Remise %"),
        )
    )
    path = out / "invoice_lines.csv"
    _write(frame, path, encoding="cp1252", separator=";", crlf=True)
    return path


def exported_payments(ledger: Ledger) -> pl.DataFrame:
    """Payments received by the as-of date, numbered in the order the bank statement lists them."""
    received = ledger.payments.filter(pl.col("exported"))
    # a payment is in its invoice's currency
    currencies = ledger.documents.select("invoice_number", "currency")
    received = received.join(currencies, on="invoice_number", how="left", maintain_order="left")
    return (
        received.with_row_index("seq", offset=1)
        .with_columns(
            payment_id=pl.concat_str(pl.lit("PAY"), pl.col("seq").cast(pl.String).str.zfill(8)),
            exported_invoice=pl.when(pl.col("allocated")).then(pl.col("invoice_number")).otherwise(None),
        )
        .drop("seq")
    )


def write_payments(payments: pl.DataFrame, out: Path) -> Path:
    frame = payments.select(
        pl.col("payment_id").alias("Payment ID"),
        pl.col("customer_id").alias("Customer ID"),
        pl.col("exported_invoice").alias("Invoice No"),
        pl.col("payment_date").dt.strftime("%Y-%m-%d").alias("Payment Date"),
        money("amount", ".").alias("Amount"),
        pl.col("currency").fill_null("EUR").alias("Currency"),
        pl.col("method").alias("Method"),
        pl.concat_str(
            pl.col("method").replace_strict(
                {"transfer": "VIR SEPA", "direct_debit": "PRLV SEPA", "cheque": "CHQ", "lcr": "LCR"},
                return_dtype=pl.String,
            ),
            pl.lit(" "),
            pl.col("customer_id"),
            pl.lit(" "),
            pl.coalesce(pl.col("exported_invoice"), pl.lit("REGLEMENT")),
        ).alias("Reference"),
    )
    path = out / "payments.csv"
    _write(frame, path, encoding="utf-8", separator=",")
    return path


def write_disputes(ledger: Ledger, out: Path) -> Path:
    as_of = ledger.as_of
    frame = ledger.disputes.filter(pl.col("opened_on") <= as_of).select(
        pl.col("invoice_number").alias("Invoice No"),
        pl.col("customer_id").alias("Customer ID"),
        pl.col("opened_on").dt.strftime("%Y-%m-%d").alias("Opened On"),
        pl.col("reason").alias("Reason"),
        money("disputed_amount", ".").alias("Disputed Amount"),
        pl.when(pl.col("resolved_on") <= as_of)
        .then(pl.col("resolved_on").dt.strftime("%Y-%m-%d"))
        .otherwise(None)
        .alias("Resolved On"),
    )
    path = out / "disputes.csv"
    _write(frame, path, encoding="utf-8", separator=",")
    return path


def plan_attachments(
    documents: pl.DataFrame, customers: pl.DataFrame, share: float, rng: np.random.Generator
) -> pl.DataFrame:
    """Which invoices carry supporting documents: a delivery note (goods) or a timesheet (services) for a
    share of invoices, plus a copy of the purchase order when the customer requires one."""
    invoices = documents.filter(pl.col("document_type") == "invoice")
    chosen = invoices.filter(pl.Series(rng.random(len(invoices)) < share)).join(
        customers.select("customer_id", "requires_po", "name"), on="customer_id", how="left", maintain_order="left"
    )
    folder = pl.concat_str(pl.lit("attachments/"), pl.col("invoice_number"), pl.lit("/"))
    main_doc = pl.concat_str(
        folder,
        pl.when(pl.col("sells_services")).then(pl.lit("Releve-temps-")).otherwise(pl.lit("BL-")),
        pl.col("invoice_number"),
        pl.lit(".pdf"),
    )
    po_doc = pl.when(pl.col("requires_po") & pl.col("purchase_order").is_not_null()).then(
        pl.concat_str(folder, pl.lit("BC-"), pl.col("purchase_order"), pl.lit(".pdf"))
    )
    return chosen.select(
        "invoice_number",
        "customer_id",
        "name",
        "issue_date",
        "delivery_date",
        "purchase_order",
        "sells_services",
        "first_product",
        "amount_excl_tax",
        main_doc.alias("main_document"),
        po_doc.alias("po_document"),
    ).with_columns(
        attachments=pl.concat_str(pl.col("main_document"), pl.col("po_document"), separator="|", ignore_nulls=True)
    )


def write_attachments(plan: pl.DataFrame, out: Path) -> int:
    written = 0
    for row in plan.iter_rows(named=True):
        folder = out / "attachments" / row["invoice_number"]
        folder.mkdir(parents=True, exist_ok=True)
        delivered = row["delivery_date"].strftime("%d/%m/%Y")
        if row["sells_services"]:
            title = "Relevé de temps"
            body = [
                f"Prestataire : {ref.ISSUER_NAME}",
                f"Client : {row['name']} ({row['customer_id']})",
                f"Prestation : {ref.SERVICES[row['first_product']]}",
                f"Période close le {delivered}",
                f"Facture associée : {row['invoice_number']}",
                "Visa du client : validé",
            ]
        else:
            title = "Bon de livraison"
            body = [
                f"Expéditeur : {ref.ISSUER_NAME}",
                f"Destinataire : {row['name']} ({row['customer_id']})",
                f"Articles : {ref.GOODS[row['first_product']]}",
                f"Livré le {delivered}",
                f"Facture associée : {row['invoice_number']}",
                "Marchandise reçue conforme, signature client",
            ]
        (out / row["main_document"]).write_bytes(text_pdf(title, body))
        written += 1
        if row["po_document"]:
            po_body = [
                f"Acheteur : {row['name']} ({row['customer_id']})",
                f"Fournisseur : {ref.ISSUER_NAME}",
                f"Commande n° {row['purchase_order']}",
                f"Montant HT engagé : {row['amount_excl_tax']} EUR",
                "Merci de rappeler ce numéro sur chaque facture.",
            ]
            (out / row["po_document"]).write_bytes(text_pdf("Bon de commande", po_body))
            written += 1
    return written


def write_fec(
    ledger: Ledger, documents: pl.DataFrame, payments: pl.DataFrame, customers: pl.DataFrame, out: Path
) -> Path:
    """The Fichier des Écritures Comptables: sales journal (VTE) on customer accounts 411 with revenue and
    VAT, bank journal (BQ) for payments, and lettering (EcritureLet/DateLet) on settled invoices.

    Text (amounts, dates, labels, lettering) is formatted once per document or payment; the entry lines
    then fan out into one frame per line kind and are put in order by a single integer key."""
    ymd = "%Y%m%d"
    text = pl.String
    names = customers.select("customer_id", pl.col("name").alias("customer_name"))
    lettering = _lettering(documents, payments)
    zero = pl.lit("0,00")
    none = pl.lit(None, text)

    docs = (
        documents.select(
            "customer_id",
            "invoice_number",
            "document_type",
            "issue_date",
            "sells_services",
            "settlement_group",
            "amount_incl_tax",
            "amount_excl_tax",
            "tax_amount",
        )
        .join(names, on="customer_id", how="left", maintain_order="left")
        .join(lettering, left_on="settlement_group", right_on="group", how="left", maintain_order="left")
        .with_row_index("entry", 1)
        .select(
            pl.lit("VTE").alias("JournalCode"),
            pl.lit("Journal des ventes").alias("JournalLib"),
            (pl.col("entry").cast(pl.Int64) * 4).alias("key"),
            pl.concat_str(pl.lit("VTE"), pl.col("entry").cast(text).str.zfill(7)).alias("EcritureNum"),
            pl.col("issue_date").dt.strftime(ymd).alias("EcritureDate"),
            pl.col("invoice_number").alias("PieceRef"),
            pl.concat_str(
                pl.when(pl.col("document_type") == "invoice").then(pl.lit("Facture ")).otherwise(pl.lit("Avoir ")),
                pl.col("invoice_number"),
                pl.lit(" "),
                pl.col("customer_name"),
            ).alias("EcritureLib"),
            "customer_id",
            "customer_name",
            "EcritureLet",
            "DateLet",
            "sells_services",
            (pl.col("amount_incl_tax") > 0).alias("is_debit"),
            money("amount_incl_tax").str.strip_prefix("-").alias("incl"),
            money("amount_excl_tax").str.strip_prefix("-").alias("excl"),
            money("tax_amount").str.strip_prefix("-").alias("tax"),
            (pl.col("tax_amount") != 0).alias("has_tax"),
        )
    )
    shared = ["JournalCode", "JournalLib", "EcritureNum", "EcritureDate", "PieceRef", "EcritureLib"]

    def side(amount: str, debit: bool) -> list[pl.Expr]:
        # invoices debit the customer and credit revenue and VAT; credit notes the reverse
        on_debit = pl.col("is_debit") if debit else ~pl.col("is_debit")
        return [
            pl.when(on_debit).then(pl.col(amount)).otherwise(zero).alias("Debit"),
            pl.when(on_debit).then(zero).otherwise(pl.col(amount)).alias("Credit"),
        ]

    def sales_lines(chunk: pl.DataFrame) -> pl.DataFrame:
        receivable = chunk.select(
            pl.col("key"),
            *shared,
            pl.lit("411000").alias("CompteNum"),
            pl.col("customer_id").alias("CompAuxNum"),
            pl.col("customer_name").alias("CompAuxLib"),
            *side("incl", True),
            "EcritureLet",
            "DateLet",
        )
        revenue = chunk.select(
            (pl.col("key") + 1).alias("key"),
            *shared,
            pl.when(pl.col("sells_services")).then(pl.lit("706000")).otherwise(pl.lit("707000")).alias("CompteNum"),
            none.alias("CompAuxNum"),
            none.alias("CompAuxLib"),
            *side("excl", False),
            none.alias("EcritureLet"),
            none.alias("DateLet"),
        )
        vat = chunk.filter(pl.col("has_tax")).select(
            (pl.col("key") + 2).alias("key"),
            *shared,
            pl.lit("445710").alias("CompteNum"),
            none.alias("CompAuxNum"),
            none.alias("CompAuxLib"),
            *side("tax", False),
            none.alias("EcritureLet"),
            none.alias("DateLet"),
        )
        return pl.concat([receivable, revenue, vat])

    pays = (
        payments.select(
            "customer_id",
            "payment_id",
            "payment_date",
            "amount",
            "exported_invoice",
            pl.when(pl.col("allocated")).then(pl.col("settlement_group")).alias("group"),
        )
        .join(names, on="customer_id", how="left", maintain_order="left")
        .join(lettering, on="group", how="left", maintain_order="left")
        .with_row_index("entry", 1)
        .select(
            pl.lit("BQ").alias("JournalCode"),
            pl.lit("Banque").alias("JournalLib"),
            (pl.col("entry").cast(pl.Int64) * 4).alias("key"),
            pl.concat_str(pl.lit("BQ"), pl.col("entry").cast(text).str.zfill(8)).alias("EcritureNum"),
            pl.col("payment_date").dt.strftime(ymd).alias("EcritureDate"),
            pl.col("payment_id").alias("PieceRef"),
            pl.concat_str(
                pl.lit("Règlement "),
                pl.coalesce(pl.col("exported_invoice"), pl.lit("non affecté")),
                pl.lit(" "),
                pl.col("customer_name"),
            ).alias("EcritureLib"),
            "customer_id",
            "customer_name",
            "EcritureLet",
            "DateLet",
            money("amount").alias("amount"),
        )
    )

    def bank_lines(chunk: pl.DataFrame) -> pl.DataFrame:
        bank = chunk.select(
            pl.col("key"),
            *shared,
            pl.lit("512000").alias("CompteNum"),
            none.alias("CompAuxNum"),
            none.alias("CompAuxLib"),
            pl.col("amount").alias("Debit"),
            zero.alias("Credit"),
            none.alias("EcritureLet"),
            none.alias("DateLet"),
        )
        cleared = chunk.select(
            (pl.col("key") + 1).alias("key"),
            *shared,
            pl.lit("411000").alias("CompteNum"),
            pl.col("customer_id").alias("CompAuxNum"),
            pl.col("customer_name").alias("CompAuxLib"),
            zero.alias("Debit"),
            pl.col("amount").alias("Credit"),
            "EcritureLet",
            "DateLet",
        )
        return pl.concat([bank, cleared])

    path = out / f"{ref.ISSUER_SIREN}FEC{ledger.as_of:%Y%m%d}.txt"
    # written in slices of entries (sales journal, then the bank), each put in order by its integer key:
    # memory stays bounded and no sort ever spans the millions of lines of a large ledger
    with path.open("wb") as fh:
        first = True
        for source, fan_out in ((docs, sales_lines), (pays, bank_lines)):
            for chunk in source.iter_slices(FEC_SLICE):
                lines = (
                    fan_out(chunk)
                    .sort("key")
                    .select(
                        *FEC_HEADERS[:5],
                        pl.col("CompteNum").replace_strict(ACCOUNT_LABELS, return_dtype=text).alias("CompteLib"),
                        "CompAuxNum",
                        "CompAuxLib",
                        "PieceRef",
                        pl.col("EcritureDate").alias("PieceDate"),
                        "EcritureLib",
                        "Debit",
                        "Credit",
                        "EcritureLet",
                        "DateLet",
                        pl.col("EcritureDate").alias("ValidDate"),
                        none.alias("Montantdevise"),
                        none.alias("Idevise"),
                    )
                )
                lines.write_csv(
                    fh, separator="\t", line_terminator="\r\n", quote_style="necessary", include_header=first
                )
                first = False
    return path


FEC_SLICE = 200_000


def _lettering(documents: pl.DataFrame, payments: pl.DataFrame) -> pl.DataFrame:
    """Lettering code and date per settlement group (an invoice, its credit note and its payments): set
    once the group's customer-account movements sum to zero and no payment of it is unapplied cash.
    Codes run AAA, AAB, ... per customer in settlement order."""
    movements = pl.concat(
        [
            documents.select(
                pl.col("settlement_group").alias("group"),
                pl.col("amount_incl_tax").alias("signed"),
                pl.col("issue_date").alias("date"),
                "customer_id",
            ),
            payments.filter(pl.col("allocated")).select(
                pl.col("settlement_group").alias("group"),
                (-pl.col("amount")).alias("signed"),
                pl.col("payment_date").alias("date"),
                "customer_id",
            ),
        ]
    )
    unapplied = payments.filter(~pl.col("allocated")).select(pl.col("settlement_group").alias("group"))
    letters = list("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    rank = pl.col("rank")
    return (
        movements.group_by("group")
        .agg(
            pl.col("signed").sum().alias("balance"),
            pl.col("date").max().alias("let_date"),
            pl.col("customer_id").first(),
        )
        .filter(pl.col("balance") == 0)
        .join(unapplied, on="group", how="anti")
        .sort("customer_id", "let_date", "group")
        .with_columns(rank=pl.int_range(pl.len()).over("customer_id"))
        .select(
            "group",
            pl.concat_str(
                [
                    (e % 26).replace_strict(list(range(26)), letters, return_dtype=pl.String)
                    for e in (rank // 676, rank // 26, rank)
                ]
            ).alias("EcritureLet"),
            pl.col("let_date").dt.strftime("%Y%m%d").alias("DateLet"),
        )
    )


ACCOUNT_LABELS = {
    "411000": "Clients",
    "706000": "Prestations de services",
    "707000": "Ventes de marchandises",
    "445710": "TVA collectée",
    "512000": "Banque",
}
