"""The French Fichier des Écritures Comptables (FEC, article A47 A-1 LPF) as a receivables source.

Invoices and credit notes are the customer-account lines (411*) of the sales journals; their tax and
excl.-tax amounts come from the 4457* and 7* lines of the same entry. Settlements come from lettering: the
customer lines sharing a letter (EcritureLet) for one customer were matched by the accountant, and DateLet
says when. The money received in a lettered group is allocated to its invoices oldest first, after the
credit notes of the group; unlettered receipts stay unallocated payments.

Both layouts exist: Debit/Credit columns, or Montant plus Sens (D/C or +1/-1). Every FEC line is a row:
accepted when its date and amounts parse, quarantined otherwise.
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from assets.ingest import parsing
from assets.ingest.parsing import cleaned
from assets.ingest.profiles import Profile
from assets.ingest.reader import LINE, RawTable, UnreadableFile
from assets.ingest.records import QUARANTINE_SCHEMA, FileResult
from assets.ingest.schema import DATE, MONEY, Field

FEC_MARKERS = ("JournalCode", "EcritureNum", "CompteNum")
DEFAULT_SALES_JOURNALS = ["VT", "VTE", "VEN", "VE", "VENTE", "VENTES", "SA", "SAL"]


def looks_like_fec(headers: list[str]) -> bool:
    present = {h.strip().lower() for h in headers}
    return all(m.lower() in present for m in FEC_MARKERS)


def _col(frame: pl.DataFrame, name: str) -> pl.Expr:
    lookup = {c.lower(): c for c in frame.columns}
    return pl.col(lookup[name.lower()]) if name.lower() in lookup else pl.lit(None, pl.String)


def process_fec(table: RawTable, profile: Profile, extracted_at: datetime) -> FileResult:
    frame = table.frame
    data_columns = [c for c in frame.columns if c != LINE]
    lower = {c.lower() for c in data_columns}
    if not looks_like_fec(data_columns):
        raise UnreadableFile(f"{table.path.name}: not an FEC (needs JournalCode, EcritureNum, CompteNum columns)")
    if not ({"debit", "credit"} <= lower or {"montant", "sens"} <= lower):
        raise UnreadableFile(f"{table.path.name}: FEC without Debit/Credit nor Montant/Sens columns")
    frame = frame.filter(~pl.all_horizontal([cleaned(pl.col(c)).is_null() for c in data_columns]))
    options = profile.options
    sales_journals = [j.upper() for j in options.get("sales_journals", DEFAULT_SALES_JOURNALS)]
    customer_prefixes = options.get("customer_accounts", ["411"])
    currency_default = profile.currency or "EUR"

    amount_columns = ["debit", "credit"] if "debit" in lower else ["montant"]
    decimal = profile.decimal or parsing.detect_decimal(
        pl.concat([frame.get_column({c.lower(): c for c in data_columns}[a]) for a in amount_columns]), ","
    )
    money = lambda name: parsing.parse_money(_col(frame, name), Field(name.lower(), MONEY, ""), decimal)  # noqa: E731
    date = lambda name, label: parsing.parse_date(_col(frame, name), Field(label, DATE, ""), "dmy")  # noqa: E731

    errors: list[pl.Expr] = []
    entry_date, e1 = date("EcritureDate", "entry_date")
    piece_date, e2 = date("PieceDate", "document_date")
    letter_date, e3 = date("DateLet", "lettering_date")
    errors += [e1, e2, e3]
    if "debit" in lower:
        debit, e4 = money("Debit")
        credit, e5 = money("Credit")
        errors += [e4, e5]
        debit, credit = debit.fill_null(0), credit.fill_null(0)
    else:
        amount, e4 = money("Montant")
        sens = cleaned(_col(frame, "Sens")).str.to_uppercase()
        is_debit = sens.is_in(["D", "+1", "1", "DEBIT"])
        is_credit = sens.is_in(["C", "-1", "CREDIT"])
        errors += [
            e4,
            pl.when(~(is_debit | is_credit)).then(
                pl.format("direction (Sens) '{}' is neither D nor C", cleaned(_col(frame, "Sens")))
            ),
        ]
        zero = pl.lit(0).cast(pl.Decimal(18, 2))
        debit = pl.when(is_debit).then(amount).otherwise(zero)
        credit = pl.when(is_credit).then(amount).otherwise(zero)
    errors.append(
        pl.when(entry_date.is_null() & cleaned(_col(frame, "EcritureDate")).is_null()).then(
            pl.lit("entry date missing")
        )
    )
    account = cleaned(_col(frame, "CompteNum"))
    lines = frame.with_columns(
        cleaned(_col(frame, "JournalCode")).str.to_uppercase().alias("journal"),
        cleaned(_col(frame, "EcritureNum")).alias("entry"),
        entry_date.alias("entry_date"),
        pl.coalesce(piece_date, entry_date).alias("document_date"),
        letter_date.alias("lettering_date"),
        account.alias("account"),
        pl.coalesce(cleaned(_col(frame, "CompAuxNum")), account).alias("customer_id"),
        pl.coalesce(cleaned(_col(frame, "CompAuxLib")), cleaned(_col(frame, "CompteLib"))).alias("customer_name"),
        pl.coalesce(cleaned(_col(frame, "PieceRef")), cleaned(_col(frame, "EcritureNum"))).alias("piece"),
        cleaned(_col(frame, "EcritureLib")).alias("label"),
        cleaned(_col(frame, "EcritureLet")).alias("letter"),
        cleaned(_col(frame, "Idevise")).str.to_uppercase().alias("currency"),
        debit.cast(pl.Decimal(18, 2)).alias("debit"),
        credit.cast(pl.Decimal(18, 2)).alias("credit"),
        pl.concat_list([e.cast(pl.String) for e in errors if e is not None]).list.drop_nulls().alias("__reasons"),
    )
    lines = lines.with_columns(
        (~pl.struct(data_columns).is_first_distinct()).alias("__duplicate"),
        pl.any_horizontal([pl.col("account").str.starts_with(p) for p in customer_prefixes])
        .fill_null(False)
        .alias("is_customer"),
        pl.col("journal").is_in(sales_journals).fill_null(False).alias("is_sales"),
    )
    ok = lines.filter(~pl.col("__duplicate") & (pl.col("__reasons").list.len() == 0))
    bad = lines.filter(~pl.col("__duplicate") & (pl.col("__reasons").list.len() > 0))

    entry_key = ["journal", "entry"]
    entry_totals = ok.group_by(entry_key).agg(
        (pl.col("credit") - pl.col("debit")).filter(pl.col("account").str.starts_with("4457")).sum().alias("tax"),
        (pl.col("credit") - pl.col("debit")).filter(pl.col("account").str.starts_with("7")).sum().alias("net"),
    )
    documents = (
        ok.filter(pl.col("is_customer") & pl.col("is_sales"))
        .group_by([*entry_key, "piece", "customer_id"], maintain_order=True)
        .agg(
            pl.col("document_date").min(),
            pl.col(LINE).min().alias("source_line"),
            (pl.col("debit").sum() - pl.col("credit").sum()).alias("balance"),
            pl.col("customer_name").first(),
            pl.col("label").first(),
            pl.col("currency").first(),
            pl.col("letter").drop_nulls().first(),
            pl.col("lettering_date").max(),
        )
        .join(entry_totals, on=entry_key, how="left")
        .with_columns(
            pl.when(pl.col("balance") < 0)
            .then(pl.lit("credit_note"))
            .otherwise(pl.lit("invoice"))
            .alias("document_type")
        )
    )
    sign = pl.when(pl.col("balance") < 0).then(-1).otherwise(1)
    invoices = documents.select(
        pl.lit(profile.issuer_id).cast(pl.String).alias("issuer_id"),
        pl.col("piece").alias("invoice_number"),
        "document_type",
        "customer_id",
        pl.col("document_date").alias("issue_date"),
        pl.lit(None, pl.Date).alias("delivery_date"),
        (pl.col("document_date") + pl.duration(days=profile.default_terms_days)).alias("due_date")
        if profile.default_terms_days is not None
        else pl.lit(None, pl.Date).alias("due_date"),
        (pl.col("net") * sign).cast(pl.Decimal(18, 2)).alias("amount_excl_tax"),
        (pl.col("tax") * sign).cast(pl.Decimal(18, 2)).alias("tax_amount"),
        (pl.col("balance") * sign).cast(pl.Decimal(18, 2)).alias("amount_incl_tax"),
        pl.coalesce("currency", pl.lit(currency_default)).alias("currency"),
        pl.lit(None, pl.String).alias("purchase_order"),
        pl.lit(None, pl.String).alias("original_invoice_number"),
        pl.col("label").alias("description"),
        pl.lit(None, pl.List(pl.String)).alias("attachments"),
        "source_line",
    )

    # lettering: receipts (customer lines outside the sales journals) settle the group's invoices
    receipts = ok.filter(pl.col("is_customer") & ~pl.col("is_sales") & (pl.col("credit") > pl.col("debit")))
    group = ["customer_id", "letter_key"]
    lettered_docs = documents.filter(pl.col("letter").is_not_null()).with_columns(
        pl.col("letter").str.to_uppercase().alias("letter_key")
    )
    lettered_receipts = receipts.filter(pl.col("letter").is_not_null()).with_columns(
        pl.col("letter").str.to_uppercase().alias("letter_key")
    )
    group_receipts = lettered_receipts.group_by(group).agg(
        (pl.col("credit") - pl.col("debit")).sum().alias("received"),
        pl.col("entry_date").max().alias("last_receipt"),
        pl.col("lettering_date").max().alias("receipt_letdate"),
        pl.col("piece").first().alias("reference"),
    )
    credit_notes = lettered_docs.filter(pl.col("document_type") == "credit_note")
    group_credits = credit_notes.group_by(group).agg((-pl.col("balance")).sum().alias("credited"))
    first_invoice = (
        lettered_docs.filter(pl.col("document_type") == "invoice")
        .sort(["document_date", "piece"])
        .group_by(group, maintain_order=True)
        .agg(pl.col("piece").first().alias("first_invoice"))
    )
    allocations = (
        lettered_docs.filter(pl.col("document_type") == "invoice")
        .join(group_receipts, on=group, how="inner")
        .join(group_credits, on=group, how="left")
        .with_columns(pl.col("credited").fill_null(0))
        .sort([*group, "document_date", "piece"])
        .with_columns(
            (pl.col("balance").cum_sum().over(group) - pl.col("balance")).alias("before"),
        )
        # credit notes of the group are taken first, then receipts, invoice by invoice, oldest first
        .with_columns(
            pl.min_horizontal(
                pl.col("balance"),
                pl.max_horizontal(pl.lit(0), pl.col("received") + pl.col("credited") - pl.col("before")),
            ).alias("covered"),
            pl.min_horizontal(
                pl.col("balance"),
                pl.max_horizontal(pl.lit(0), pl.col("credited") - pl.col("before")),
            ).alias("by_credit"),
        )
        .with_columns((pl.col("covered") - pl.col("by_credit")).cast(pl.Decimal(18, 2)).alias("paid"))
        .filter(pl.col("paid") > 0)
    )
    allocated_payments = allocations.select(
        pl.format("FEC-{}-{}-{}", "customer_id", "letter_key", "piece").alias("payment_id"),
        "customer_id",
        pl.col("piece").alias("invoice_number"),
        pl.coalesce("lettering_date", "receipt_letdate", "last_receipt").alias("payment_date"),
        pl.col("paid").alias("amount"),
        pl.coalesce("currency", pl.lit(currency_default)).alias("currency"),
        pl.lit("lettering").alias("method"),
        pl.col("reference"),
        "source_line",
    )
    unallocated = receipts.filter(pl.col("letter").is_null()).select(
        pl.format("FEC-{}-{}", "journal", "entry").alias("payment_id"),
        "customer_id",
        pl.lit(None, pl.String).alias("invoice_number"),
        pl.col("entry_date").alias("payment_date"),
        (pl.col("credit") - pl.col("debit")).cast(pl.Decimal(18, 2)).alias("amount"),
        pl.coalesce("currency", pl.lit(currency_default)).alias("currency"),
        pl.lit(None, pl.String).alias("method"),
        pl.col("piece").alias("reference"),
        pl.col(LINE).alias("source_line"),
    )
    credit_links = credit_notes.join(first_invoice, on=group, how="inner").select(
        pl.col("piece"), pl.col("customer_id"), pl.col("first_invoice")
    )
    invoices = (
        invoices.join(
            credit_links, left_on=["invoice_number", "customer_id"], right_on=["piece", "customer_id"], how="left"
        )
        .with_columns(pl.coalesce("original_invoice_number", "first_invoice").alias("original_invoice_number"))
        .drop("first_invoice")
    )
    customers = (
        ok.filter(pl.col("is_customer"))
        .group_by("customer_id", maintain_order=True)
        .agg(pl.col("customer_name").drop_nulls().first().alias("name"), pl.col(LINE).min().alias("source_line"))
    )
    quarantine = bad.select(
        pl.col(LINE).alias("source_line"),
        pl.lit("fec_lines").alias("entity"),
        pl.struct(data_columns).struct.json_encode().alias("raw_values"),
        pl.col("__reasons").list.join("; ").alias("reason"),
    ).cast(QUARANTINE_SCHEMA)
    return FileResult(
        path=table.path,
        sha256=table.sha256,
        profile=profile.name,
        format="fec",
        encoding=table.encoding,
        delimiter=table.delimiter,
        extracted_at=extracted_at,
        rows_read=lines.height,
        accepted=ok.height,
        quarantined=bad.height,
        duplicates=int(lines.get_column("__duplicate").sum()),
        footer_lines=0,
        records={
            "invoices": invoices,
            "payments": pl.concat([allocated_payments, unallocated]),
            "customers": customers,
        },
        quarantine=quarantine,
    )
