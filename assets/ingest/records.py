"""From a table of raw strings to canonical records and a quarantine, accounting for every row.

    rows_read = accepted + quarantined + duplicates

A row is *accepted* when every record it feeds is valid; *quarantined* (kept with its line, raw values and
the reasons) when one is not; a footer or total line is quarantined with the reason "footer/total line";
a row identical in every column to an earlier row of the same file is an exact *duplicate*. Blank lines
are not rows. All the work is polars expressions over whole columns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

import polars as pl

from assets.ingest import parsing
from assets.ingest.parsing import cleaned
from assets.ingest.profiles import EntitySpec, Profile
from assets.ingest.reader import LINE, RawTable
from assets.ingest.schema import BILLING_CHANNELS, DATE, DOCUMENT_TYPES

FOOTER_REASON = "footer/total line"
_TEMPLATE_FIELD = re.compile(r"\{([^{}]+)\}")
_FOOTER_WORDS = ["total", "totaux", "somme", "sum", "nombre", "count", "fin", "end"]
_FOOTER = r"(?i)^\s*(grand\s+total|total|totaux|sous[- ]?total|sub[- ]?total|somme|sum|nombre|count|fin|end)\b"

# How a credit manager names a missing required value.
MISSING = {
    "invoice_number": "invoice number missing",
    "customer_id": "customer code missing",
    "issue_date": "invoice date missing",
    "payment_date": "payment date missing",
    "amount": "amount missing",
    "line_number": "line number missing",
    "opened_on": "dispute opening date missing",
}

QUARANTINE_SCHEMA = {"source_line": pl.Int64, "entity": pl.String, "raw_values": pl.String, "reason": pl.String}


@dataclass
class FileResult:
    path: Path
    sha256: str
    profile: str
    format: str
    encoding: str | None
    delimiter: str | None
    extracted_at: datetime
    rows_read: int
    accepted: int
    quarantined: int
    duplicates: int
    footer_lines: int
    records: dict[str, pl.DataFrame] = field(default_factory=dict)
    quarantine: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=QUARANTINE_SCHEMA))
    already_ingested: bool = False

    def summary(self) -> dict:
        return {
            "file": str(self.path),
            "sha256": self.sha256,
            "profile": self.profile,
            "format": self.format,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "rows_read": self.rows_read,
            "accepted": self.accepted,
            "quarantined": self.quarantined,
            "duplicates": self.duplicates,
            "footer_lines": self.footer_lines,
            "already_ingested": self.already_ingested,
            "records": {name: frame.height for name, frame in self.records.items()},
            "quarantine": [
                {"line": r["source_line"], "reason": r["reason"]} for r in self.quarantine.iter_rows(named=True)
            ],
        }


def _source_expr(source: str, headers: set[str]) -> pl.Expr:
    """A header name, or a template such as "{invoiceNumber}-settled" built from several headers."""
    if source in headers:
        return pl.col(source)
    names = parsing_template_fields(source)
    if not names:
        raise KeyError(source)
    pattern = source
    for name in names:
        pattern = pattern.replace("{" + name + "}", "{}")
    return pl.format(pattern, *[cleaned(pl.col(n)) for n in names])


def parsing_template_fields(source: str) -> list[str]:
    return _TEMPLATE_FIELD.findall(source)


def _blank(expr: pl.Expr) -> pl.Expr:
    return cleaned(expr).is_null()


def build_records(
    spec: EntitySpec, frame: pl.DataFrame, profile: Profile, *, default_decimal: str, default_currency: str
) -> tuple[pl.DataFrame, list[tuple[pl.Expr, pl.Expr]]]:
    """Typed columns for one entity (named `<entity>.<field>`) and its (condition, reason) checks."""
    entity = spec.entity
    headers = set(frame.columns)
    hints_decimal = profile.decimal
    typed: list[pl.Series | pl.Expr] = []
    # (condition, message): conditions are cheap and run on every row, messages only on quarantined rows
    errors: list[tuple[pl.Expr, pl.Expr]] = []
    prefix = f"{entity.name}."
    marks: pl.Expr | None = None
    for f in entity.fields:
        source = spec.columns.get(f.name)
        if source is None:
            constant = spec.constants.get(f.name)
            typed.append(pl.lit(constant).cast(parsing.polars_type(f)).alias(prefix + f.name))
            continue
        raw = _source_expr(source, headers)
        if f.name in spec.values:
            raw = cleaned(raw).replace(spec.values[f.name])
        values = (
            frame.select(raw.alias("raw")).to_series()
            if source not in headers or f.name in spec.values
            else frame.get_column(source)
        )
        decimal = hints_decimal
        order = profile.date_order
        if f.kind in ("money", "decimal") and decimal is None:
            decimal = parsing.detect_decimal(values, default_decimal)
        if f.kind == DATE and order is None:
            order = parsing.detect_date_order(values)
        value, error = parsing.parse_column(values, f, decimal=decimal or default_decimal, date_order=order or "dmy")
        typed.append(value.alias(prefix + f.name))
        if error is not None:
            typed.append(error.alias(f"{prefix}__error_{f.name}"))
            errors.append((pl.col(f"{prefix}__error_{f.name}").is_not_null(), pl.col(f"{prefix}__error_{f.name}")))
        if f.kind == "money" and marks is None and source in headers and parsing.has_currency_marks(values):
            marks = parsing.currency_mark(pl.col(source))
    frame = frame.with_columns(typed)

    col = lambda name: pl.col(prefix + name)  # noqa: E731 - short alias keeps the rules below legible

    def given(name: str) -> pl.Expr:
        """The file had a value for the field (parsed, or present but unreadable), without re-reading it."""
        if name not in spec.columns:
            return pl.lit(name in spec.constants)
        error_column = f"{prefix}__error_{name}"
        readable = col(name).is_not_null()
        return readable | pl.col(error_column).is_not_null() if error_column in frame.columns else readable

    fixes: list[pl.Expr | pl.Series] = []
    if entity.name == "invoices":
        doc = col("document_type").str.to_lowercase()
        mapped = doc.replace_strict(DOCUMENT_TYPES, default=None, return_dtype=pl.String)
        incl = pl.coalesce(col("amount_incl_tax"), col("amount_excl_tax") + col("tax_amount"))
        has_incl, has_excl, has_tax = given("amount_incl_tax"), given("amount_excl_tax"), given("tax_amount")
        state = frame.select(
            (doc.is_not_null() & mapped.is_null()).alias(prefix + "__bad_document_type"),
            (~has_incl & ~has_excl & ~has_tax).alias(prefix + "__no_amount"),
            (~has_incl & (has_excl | has_tax) & ~(has_excl & has_tax)).alias(prefix + "__incomplete_amount"),
            mapped.alias("mapped"),
            incl.alias("incl"),
        )
        doc_source = spec.columns.get("document_type")
        doc_raw = cleaned(_source_expr(doc_source, headers)) if doc_source else col("document_type")
        errors.append(
            (
                pl.col(prefix + "__bad_document_type"),
                pl.format("document type '{}' is neither an invoice nor a credit note", doc_raw),
            )
        )
        errors.append((pl.col(prefix + "__no_amount"), pl.lit("amount missing")))
        errors.append(
            (
                pl.col(prefix + "__incomplete_amount"),
                pl.lit("amount incl. tax missing and not computable from excl. tax and tax"),
            )
        )
        fixes += [
            state[prefix + "__bad_document_type"],
            state[prefix + "__no_amount"],
            state[prefix + "__incomplete_amount"],
        ]
        negative = (state["incl"] < 0).fill_null(False)
        # a credit note written as a negative invoice is still a credit note; staging keeps amounts positive
        inferred = (
            pl.repeat("invoice", frame.height, eager=True)
            if not negative.any()
            else negative.replace_strict({True: "credit_note", False: "invoice"}, return_dtype=pl.String)
        )
        fixes.append(state["mapped"].fill_null(inferred).alias(prefix + "document_type"))
        total = state["incl"].cast(pl.Decimal(18, 2))
        if negative.any():
            flip = lambda e: pl.when(pl.lit(negative)).then(-e).otherwise(e)  # noqa: E731
            fixes += [
                flip(pl.lit(total)).cast(pl.Decimal(18, 2)).alias(prefix + "amount_incl_tax"),
                flip(col("amount_excl_tax")).cast(pl.Decimal(18, 2)).alias(prefix + "amount_excl_tax"),
                flip(col("tax_amount")).cast(pl.Decimal(18, 2)).alias(prefix + "tax_amount"),
            ]
        else:
            fixes.append(total.alias(prefix + "amount_incl_tax"))
        if profile.default_terms_days is not None:
            fixes.append(
                pl.coalesce(col("due_date"), col("issue_date") + pl.duration(days=profile.default_terms_days)).alias(
                    prefix + "due_date"
                )
            )
        if profile.issuer_id:
            fixes.append(pl.coalesce(col("issuer_id"), pl.lit(profile.issuer_id)).alias(prefix + "issuer_id"))
        if "billing_channel" in spec.columns or "billing_channel" in spec.constants:
            written = col("billing_channel").str.strip_chars().str.to_lowercase()
            channel = written.replace_strict(BILLING_CHANNELS, default=None, return_dtype=pl.String)
            unknown = frame.select(
                (written.is_not_null() & channel.is_null()).alias(prefix + "__bad_billing_channel"),
                channel.alias(prefix + "billing_channel"),
            )
            fixes += [unknown[prefix + "__bad_billing_channel"], unknown[prefix + "billing_channel"]]
            channel_source = spec.columns.get("billing_channel")
            as_written = (
                cleaned(_source_expr(channel_source, headers))
                if channel_source
                else pl.lit(str(spec.constants["billing_channel"]))
            )
            errors.append(
                (
                    pl.col(prefix + "__bad_billing_channel"),
                    pl.format("billing channel '{}' is none of email, platform, edi, ap_portal, paper", as_written),
                )
            )
    if spec.absolute_amounts:
        fixes += [col(f.name).abs().alias(prefix + f.name) for f in entity.fields if f.kind == "money"]
    if fixes:
        frame = frame.with_columns(fixes)
    if "currency" in entity.field_names:
        currency = col("currency").str.to_uppercase().replace({"€": "EUR", "$": "USD", "£": "GBP"})
        currency = pl.coalesce(
            currency, marks if marks is not None else pl.lit(None, pl.String), pl.lit(default_currency)
        )
        frame = frame.with_columns(currency.alias(prefix + "currency"))
        errors.append(
            (
                ~col("currency").str.contains(r"^[A-Z]{3}$"),
                pl.format("currency '{}' is not a 3-letter code", col("currency")),
            )
        )
    for name in entity.required:
        message = MISSING.get(name, f"{name.replace('_', ' ')} missing")
        # a value present but unparseable already has its own reason
        errors.append((col(name).is_null() & ~given(name), pl.lit(message)))
    return frame, errors


def _applies(spec: EntitySpec, headers: set[str]) -> pl.Expr:
    condition = pl.lit(True)
    for header, values in spec.where.items():
        condition = condition & cleaned(pl.col(header)).is_in(values).fill_null(False)
    if spec.only_when:
        source = spec.columns[spec.only_when]
        condition = condition & ~_blank(_source_expr(source, headers))
    return condition


def _without_absent_optional(spec: EntitySpec, headers: set[str]) -> EntitySpec:
    """Profiles name every column a layout may have; an export leaving out an optional one still reads."""

    def present(source: str) -> bool:
        return all(h in headers for h in (parsing_template_fields(source) or [source]))

    kept = {
        f: src for f, src in spec.columns.items() if present(src) or f in spec.entity.required or f == spec.only_when
    }
    return replace(spec, columns=kept)


def _footer_flags(
    frame: pl.DataFrame, primary: list[EntitySpec], data_columns: list[str], headers: set[str]
) -> pl.Series:
    """Footer and total lines. A total line says so in its first columns and has no record key of its own
    ("Total" in the key column counts as none): a customer called "Total Energies" with an invoice number is
    not a footer. A line with amounts but neither key nor date is an unlabelled total (SAP, spreadsheets).
    Only rows with a blank or wordy key are examined closely."""
    key_sources = [
        _source_expr(s.columns[k], headers) for s in primary for k in s.entity.required[:1] if k in s.columns
    ]
    if not key_sources:
        return pl.repeat(False, frame.height, eager=True).alias("__footer")
    key_blank = pl.all_horizontal([_blank(k) for k in key_sources])
    key_wordy = pl.any_horizontal(
        [k.str.contains_any(_FOOTER_WORDS, ascii_case_insensitive=True).fill_null(False) for k in key_sources]
    )
    suspects = frame.select(key_blank | key_wordy).to_series()
    flags = pl.repeat(False, frame.height, eager=True).alias("__footer")
    if not suspects.any():
        return flags
    subset = frame.filter(suspects)
    is_footer = pl.any_horizontal([cleaned(pl.col(c)).str.contains(_FOOTER).fill_null(False) for c in data_columns[:4]])
    key_is_label = pl.any_horizontal([cleaned(k).str.contains(_FOOTER).fill_null(False) for k in key_sources])
    kinds: dict[str, list[pl.Expr]] = {"date": [], "money": []}
    for s in primary:
        for f in s.entity.fields:
            if f.kind in kinds and f.name in s.columns:
                kinds[f.kind].append(_source_expr(s.columns[f.name], headers))
    unlabelled_total = pl.lit(False)
    if kinds["money"]:
        unlabelled_total = (
            key_blank
            & pl.all_horizontal([_blank(e) for e in kinds["date"]] or [pl.lit(True)])
            & pl.any_horizontal([~_blank(e) for e in kinds["money"]])
        )
    found = subset.select((is_footer & (key_blank | key_is_label) | unlabelled_total).alias("f")).to_series()
    return flags.scatter(suspects.arg_true(), found)


def _repeated_rows(frame: pl.DataFrame, data_columns: list[str]) -> pl.Series:
    """Rows identical in every column to an earlier row. A 64-bit row hash finds the candidates; the exact
    comparison runs only on rows whose hash repeats, so a hash collision can never drop a row."""
    hashed = frame.select(pl.struct(data_columns).hash().alias("h")).to_series()
    candidates = hashed.is_duplicated()
    flags = pl.repeat(False, frame.height, eager=True).alias("__duplicate")
    if not candidates.any():
        return flags
    subset = frame.filter(candidates).select(data_columns)
    exact = subset.select(~pl.struct(data_columns).is_first_distinct()).to_series()
    return flags.scatter(candidates.arg_true(), exact)


def process(
    table: RawTable, profile: Profile, specs: list[EntitySpec], extracted_at: datetime, default_currency: str = "EUR"
) -> FileResult:
    frame = table.frame
    data_columns = [c for c in frame.columns if c != LINE]
    headers = set(data_columns)
    specs = [_without_absent_optional(s, headers) for s in specs]
    missing = sorted({h for s in specs for h in s.source_headers()} - headers)
    if missing:
        from assets.ingest.reader import UnreadableFile

        raise UnreadableFile(f"{table.path.name}: columns {missing} named by profile {profile.name!r} are absent")
    if profile.null_values:
        frame = frame.with_columns(
            [
                pl.when(pl.col(c).str.strip_chars().is_in(profile.null_values)).then(None).otherwise(pl.col(c)).alias(c)
                for c in data_columns
            ]
        )
    # blank lines are not rows; cheap length test first, exact test on the few short rows
    short = frame.select(
        pl.all_horizontal([pl.col(c).is_null() | (pl.col(c).str.len_bytes() <= 8) for c in data_columns])
    ).to_series()
    if short.any():
        blank = (
            frame.filter(short)
            .select(LINE, pl.all_horizontal([_blank(pl.col(c)) for c in data_columns]).alias("blank"))
            .filter("blank")
        )
        if blank.height:
            frame = frame.filter(~pl.col(LINE).is_in(blank[LINE].implode()))
    default_decimal = profile.decimal or ("," if table.delimiter in (";", "\t") else ".")
    currency = profile.currency or default_currency

    primary = [s for s in specs if not s.derived]
    frame = frame.with_columns(_footer_flags(frame, primary, data_columns, headers))
    frame = frame.with_columns((_repeated_rows(frame, data_columns) & ~pl.col("__footer")).alias("__duplicate"))

    checks: list[tuple[pl.Expr, pl.Expr]] = []  # (row is bad, reason), gated by where the entity applies
    for spec in specs:
        applies = _applies(spec, headers)
        frame, entity_checks = build_records(
            spec, frame, profile, default_decimal=default_decimal, default_currency=currency
        )
        name = spec.entity.name
        frame = frame.with_columns(applies.alias(f"{name}.__applies"))
        if not spec.derived:
            gate = pl.col(f"{name}.__applies")
            checks += [(gate & condition.fill_null(False), message) for condition, message in entity_checks]
    any_applies = (
        pl.any_horizontal([pl.col(f"{s.entity.name}.__applies") for s in primary]) if primary else pl.lit(True)
    )
    frame = frame.with_columns(
        (
            ~pl.col("__duplicate")
            & ~pl.col("__footer")
            & any_applies
            & ~pl.any_horizontal([c for c, _ in checks] or [pl.lit(False)])
        ).alias("__ok")
    )

    # two different rows claiming the same key: keep the first, quarantine the others with a pointer to it
    conflict_reasons: list[pl.DataFrame] = []
    for spec in primary:
        key = [k for k in spec.entity.key if k in spec.columns or k in spec.constants]
        if not key:
            continue
        key_cols = [f"{spec.entity.name}.{k}" for k in key]
        scope = (
            pl.col("__ok")
            & pl.col(f"{spec.entity.name}.__applies")
            & pl.all_horizontal([pl.col(c).is_not_null() for c in key_cols])
        )
        keyed = frame.select(pl.col(LINE), *key_cols, scope.alias("__scope")).filter(pl.col("__scope"))
        repeated = keyed.filter(~pl.struct(key_cols).is_first_distinct())
        if repeated.height == 0:
            continue
        firsts = keyed.filter(pl.struct(key_cols).is_first_distinct()).select(
            *key_cols, pl.col(LINE).alias("__first_line")
        )
        shown = " ".join(["{}"] * len(key_cols))
        conflicts = repeated.join(firsts, on=key_cols, how="left", nulls_equal=True).select(
            pl.col(LINE),
            pl.format(
                f"{spec.entity.label} {shown} already on line {{}} of this file with other values",
                *[pl.col(c).cast(pl.String) for c in key_cols],
                pl.col("__first_line"),
            ).alias("__conflict"),
        )
        conflict_reasons.append(conflicts)
        frame = frame.with_columns((pl.col("__ok") & ~pl.col(LINE).is_in(conflicts[LINE].implode())).alias("__ok"))

    quarantined_rows = frame.filter(~pl.col("__ok") & ~pl.col("__duplicate"))
    # reasons are worded only for the quarantined rows
    reasons = [pl.when(condition).then(message.cast(pl.String)) for condition, message in checks]
    quarantined_rows = quarantined_rows.with_columns(
        pl.when(pl.col("__footer"))
        .then(pl.lit([FOOTER_REASON]))
        .when(~any_applies)
        .then(pl.lit(["row is none of the record types the profile reads"]))
        .otherwise(pl.concat_list(reasons).list.drop_nulls() if reasons else pl.lit([], pl.List(pl.String)))
        .alias("__reasons")
    )
    if conflict_reasons:
        quarantined_rows = quarantined_rows.join(
            pl.concat(conflict_reasons).group_by(LINE).agg(pl.col("__conflict")),
            on=LINE,
            how="left",
            maintain_order="left",
        ).with_columns(pl.concat_list(pl.col("__reasons"), pl.col("__conflict").fill_null([])).alias("__reasons"))
    accepted_rows = frame.filter(pl.col("__ok"))
    records: dict[str, pl.DataFrame] = {}
    for spec in specs:
        name = spec.entity.name
        rows = accepted_rows.filter(pl.col(f"{name}.__applies"))
        out = rows.select(
            [pl.col(f"{name}.{f}").alias(f) for f in spec.entity.field_names] + [pl.col(LINE).alias("source_line")]
        )
        if spec.derived:
            key = list(spec.entity.key)
            out = out.filter(pl.all_horizontal([pl.col(k).is_not_null() for k in key])).unique(
                subset=key, keep="last", maintain_order=True
            )
        records[name] = out if name not in records else pl.concat([records[name], out])
    quarantine = quarantined_rows.select(
        pl.col(LINE).alias("source_line"),
        pl.lit(primary[0].entity.name if primary else specs[0].entity.name).alias("entity"),
        pl.struct(data_columns).struct.json_encode().alias("raw_values"),
        pl.col("__reasons").list.unique(maintain_order=True).list.join("; ").alias("reason"),
    )
    footer_lines = int(quarantined_rows.get_column("__footer").sum())
    duplicates = int(frame.get_column("__duplicate").sum())
    return FileResult(
        path=table.path,
        sha256=table.sha256,
        profile=profile.name,
        format=table.format,
        encoding=table.encoding,
        delimiter=table.delimiter,
        extracted_at=extracted_at,
        rows_read=frame.height,
        accepted=accepted_rows.height,
        quarantined=quarantined_rows.height,
        duplicates=duplicates,
        footer_lines=footer_lines,
        records=records,
        quarantine=quarantine,
    )
