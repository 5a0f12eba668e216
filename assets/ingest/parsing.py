"""Vectorised value parsing: raw strings -> typed polars columns plus a readable reason when a value is bad.

Every parser returns two expressions: the typed value and an error message (null when the value is fine
or absent). Nothing here loops over rows in Python: a million-row column is parsed by polars in one pass.
Column-level decisions (decimal comma or point, day-first or month-first dates) are taken once per column
from the values themselves, unless a profile fixes them.
"""

from __future__ import annotations

import polars as pl

from assets.ingest.schema import BOOLEAN, DATE, DECIMAL, FALSE_WORDS, INTEGER, LIST, MONEY, TEXT, TRUE_WORDS, Field

# Characters ERPs and spreadsheets put between thousands: spaces, no-break spaces (U+00A0, U+202F), quotes.
_GROUPING = r"[\s\u00a0\u202f\u2009'’]"
_CURRENCY_MARKS = r"(?i)(€|\$|£|¥|\bEUR\b|\bUSD\b|\bGBP\b|\bCHF\b|\bJPY\b|\bCAD\b|EUR|USD|GBP|CHF)"
_NUMBER = r"^-?\d+(\.\d+)?$"
MISSING_DATE_WORDS = ["na", "n/a", "null", "none", "-", "00/00/0000", "0000-00-00", "00000000", "nat"]

_SAMPLE = 100_000
_DMY_SHAPE = r"^\d{1,2}[/.\-]\d{1,2}[/.\-](\d{4}|\d{2})$"
_ISO_SHAPE = r"^\d{4}-\d{1,2}-\d{1,2}$"
_COMPACT_SHAPE = r"^\d{8}$"


def polars_type(field: Field) -> pl.DataType:
    """The column type a canonical field has once parsed."""
    return {
        MONEY: pl.Decimal(18, field.scale),
        DECIMAL: pl.Decimal(18, field.scale),
        DATE: pl.Date,
        INTEGER: pl.Int64,
        BOOLEAN: pl.Boolean,
        LIST: pl.List(pl.String),
    }.get(field.kind, pl.String)


def cleaned(expr: pl.Expr) -> pl.Expr:
    """Trimmed text with empty strings as null."""
    text = expr.cast(pl.String).str.strip_chars()
    return pl.when(text.str.len_chars() > 0).then(text)


def detect_decimal(values: pl.Series, default: str = ".") -> str:
    """Decide whether a money column writes decimals with a comma or a point, from its values."""
    # a large sample decides as well as the whole column, for a fraction of the cost
    text = values.cast(pl.String).drop_nulls().head(_SAMPLE).str.replace_all(_GROUPING, "")
    if text.len() == 0:
        return default
    both = text.filter(text.str.contains(r"\d[.,]\d.*[.,]\d") | (text.str.contains(",") & text.str.contains(r"\.")))
    comma_last = both.str.contains(r",\d+\D*$").sum()
    point_last = both.str.contains(r"\.\d+\D*$").sum()
    comma_decimals = text.str.contains(r",(\d{1,2}|\d{4,})\D*$").sum() + comma_last
    point_decimals = text.str.contains(r"\.(\d{1,2}|\d{4,})\D*$").sum() + point_last
    if comma_decimals > point_decimals:
        return ","
    if point_decimals > comma_decimals:
        return "."
    return default


def detect_date_order(values: pl.Series, default: str = "dmy") -> str:
    """Day-first or month-first for d/m/y-shaped dates: a first part above 12 settles it, else the default."""
    text = values.cast(pl.String).drop_nulls().head(_SAMPLE).str.strip_chars()
    shaped = text.filter(text.str.contains(_DMY_SHAPE))
    if shaped.len() == 0:
        return default
    parts = shaped.str.extract_groups(r"^(\d{1,2})[/.\-](\d{1,2})")
    first = parts.struct.field("1").cast(pl.Int32)
    second = parts.struct.field("2").cast(pl.Int32)
    day_first = int((first > 12).sum())
    month_first = int((second > 12).sum())
    if day_first > month_first:
        return "dmy"
    if month_first > day_first:
        return "mdy"
    return default


def _label(field: Field) -> str:
    return (
        field.name.replace("_", " ")
        .replace("amount incl tax", "amount incl. tax")
        .replace("amount excl tax", "amount excl. tax")
    )


def parse_money(raw: pl.Expr, field: Field, decimal: str) -> tuple[pl.Expr, pl.Expr]:
    text = cleaned(raw)
    negative = text.str.contains(r"^\(.*\)$") | text.str.contains(r"-\s*$") | text.str.contains(r"^-")
    digits = (
        text.str.replace_all(_CURRENCY_MARKS, "")
        .str.replace_all(_GROUPING, "")
        .str.replace_all(r"^[+\-(]+|[)\-]+$", "")
    )
    if decimal == ",":
        digits = digits.str.replace_all(".", "", literal=True).str.replace(",", ".", literal=True)
    else:
        digits = digits.str.replace_all(",", "", literal=True)
    # R and spreadsheets write round amounts in scientific notation ("1e+05"); expand to plain digits
    scientific = digits.str.contains(r"^\d+(\.\d+)?[eE][+\-]?\d{1,2}$")
    digits = (
        pl.when(scientific)
        .then(digits.cast(pl.Float64, strict=False).round(6).cast(pl.Decimal(38, 6)).cast(pl.String))
        .otherwise(digits)
    )
    valid = digits.str.contains(_NUMBER)
    signed = pl.when(negative).then(pl.lit("-") + digits).otherwise(digits)
    value = pl.when(valid).then(signed).str.to_decimal(scale=6).round(field.scale).cast(pl.Decimal(18, field.scale))
    error = pl.when(text.is_not_null() & ~valid).then(pl.format("{} '{}' is not a number", pl.lit(_label(field)), text))
    return value, error


def currency_mark(raw: pl.Expr) -> pl.Expr:
    """The currency a money string names itself ("$5,013.11", "1 234,56 €"), else null."""
    text = cleaned(raw)
    return (
        pl.when(text.str.contains("€|(?i)\\bEUR\\b"))
        .then(pl.lit("EUR"))
        .when(text.str.contains(r"\$|(?i)\bUSD\b"))
        .then(pl.lit("USD"))
        .when(text.str.contains("£|(?i)\\bGBP\\b"))
        .then(pl.lit("GBP"))
        .when(text.str.contains(r"(?i)\bCHF\b"))
        .then(pl.lit("CHF"))
    )


def parse_date(raw: pl.Expr, field: Field, order: str) -> tuple[pl.Expr, pl.Expr]:
    text = cleaned(raw)
    text = pl.when(text.str.to_lowercase().is_in(MISSING_DATE_WORDS)).then(None).otherwise(text)
    # spreadsheets and databases hand over datetimes: the date part is what counts
    day = text.str.replace(r"^(\d{4}-\d{1,2}-\d{1,2})[ T].*$", "${1}").str.replace(
        r"^(\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4})[ T].*$", "${1}"
    )
    slashed = day.str.replace_all(r"[.\-]", "/")
    dmy_fmt, dmy_short = ("%d/%m/%Y", "%d/%m/%y") if order == "dmy" else ("%m/%d/%Y", "%m/%d/%y")
    value = (
        pl.when(day.str.contains(_ISO_SHAPE))
        .then(day.str.strptime(pl.Date, "%Y-%m-%d", strict=False))
        .when(day.str.contains(_COMPACT_SHAPE))
        .then(day.str.strptime(pl.Date, "%Y%m%d", strict=False))
        .when(day.str.contains(r"^\d{1,2}[/.\-]\d{1,2}[/.\-]\d{4}$"))
        .then(slashed.str.strptime(pl.Date, dmy_fmt, strict=False))
        .when(day.str.contains(r"^\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2}$"))
        .then(slashed.str.strptime(pl.Date, dmy_short, strict=False))
    )
    shaped = day.str.contains(_ISO_SHAPE) | day.str.contains(_COMPACT_SHAPE) | day.str.contains(_DMY_SHAPE)
    expected = "dd/mm/yyyy" if order == "dmy" else "mm/dd/yyyy"
    error = (
        pl.when(text.is_not_null() & value.is_null() & shaped)
        .then(pl.format("{} {} does not exist", pl.lit(_label(field)), text))
        .when(text.is_not_null() & value.is_null())
        .then(
            pl.format(
                "{} '{}' is not a date (expected {}, yyyy-mm-dd or yyyymmdd)",
                pl.lit(_label(field)),
                text,
                pl.lit(expected),
            )
        )
    )
    return value, error


def parse_integer(raw: pl.Expr, field: Field) -> tuple[pl.Expr, pl.Expr]:
    text = cleaned(raw)
    digits = text.str.replace_all(_GROUPING, "").str.replace(r"[.,]0+$", "")
    valid = digits.str.contains(r"^-?\d{1,15}$")
    value = pl.when(valid).then(digits).cast(pl.Int64, strict=False)
    error = pl.when(text.is_not_null() & ~valid).then(
        pl.format("{} '{}' is not a whole number", pl.lit(_label(field)), text)
    )
    return value, error


def parse_boolean(raw: pl.Expr, field: Field) -> tuple[pl.Expr, pl.Expr]:
    text = cleaned(raw).str.to_lowercase()
    value = pl.when(text.is_in(list(TRUE_WORDS))).then(True).when(text.is_in(list(FALSE_WORDS))).then(False)
    error = pl.when(text.is_not_null() & value.is_null()).then(
        pl.format("{} '{}' is not yes or no", pl.lit(_label(field)), cleaned(raw))
    )
    return value.cast(pl.Boolean), error


def parse_list(raw: pl.Expr) -> pl.Expr:
    text = cleaned(raw)
    separated = pl.when(text.str.contains("|", literal=True)).then(text).otherwise(text.str.replace_all(",", "|"))
    items = (
        separated.str.split("|")
        .list.eval(pl.element().str.strip_chars())
        .list.eval(pl.element().filter(pl.element().str.len_chars() > 0))
    )
    return items


def parse_field(raw: pl.Expr, field: Field, *, decimal: str, date_order: str) -> tuple[pl.Expr, pl.Expr | None]:
    """(value, error) expressions for one canonical field read from a raw string column."""
    if field.kind in (MONEY, DECIMAL):
        return parse_money(raw, field, decimal)
    if field.kind == DATE:
        return parse_date(raw, field, date_order)
    if field.kind == INTEGER:
        return parse_integer(raw, field)
    if field.kind == BOOLEAN:
        return parse_boolean(raw, field)
    if field.kind == LIST:
        return parse_list(raw), None
    if field.kind == TEXT:
        return cleaned(raw), None
    raise ValueError(f"unknown field kind {field.kind!r}")


# Two-pass parsing of whole columns. The first pass takes the format most values share, with one cheap
# polars kernel over the column; only the values it cannot read (usually none, a handful in a messy export)
# go through the general expressions above, which try every convention and word the error. A million-row
# column thus costs one strptime or one decimal conversion, not a dozen regexes.

_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%m/%d/%Y", "%Y%m%d", "%d.%m.%Y", "%d-%m-%Y", "%d/%m/%y", "%m/%d/%y")


def _clean_series(values: pl.Series) -> pl.Series:
    text = values.cast(pl.String).str.strip_chars()
    return text.set(text.str.len_chars() == 0, None) if text.null_count() < text.len() else text


def _slow_path(text: pl.Series, unread: pl.Series, expressions) -> tuple[pl.Series, pl.Series | None]:
    """Evaluate the general (value, error) expressions only on the rows the fast path could not read."""
    indices = unread.arg_true()
    subset = pl.DataFrame({"v": text.gather(indices)})
    value_expr, error_expr = expressions(pl.col("v"))
    columns = [value_expr.alias("value")] + ([error_expr.alias("error")] if error_expr is not None else [])
    return indices, subset.select(columns)


def parse_date_column(values: pl.Series, field: Field, order: str) -> tuple[pl.Series, pl.Series]:
    text = _clean_series(values)
    sample = text.drop_nulls().head(2000)
    candidates = [
        f
        for f in _DATE_FORMATS
        if not (order == "dmy" and f.startswith("%m")) and not (order == "mdy" and f.startswith("%d"))
    ]
    best = (
        max(candidates, key=lambda f: sample.str.to_date(f, strict=False).is_not_null().sum())
        if sample.len()
        else "%Y-%m-%d"
    )
    parsed = text.str.to_date(best, strict=False)
    errors = pl.repeat(None, text.len(), dtype=pl.String, eager=True).alias(field.name)
    unread = parsed.is_null() & text.is_not_null()
    if unread.any():
        indices, fixed = _slow_path(text, unread, lambda e: parse_date(e, field, order))
        parsed = parsed.scatter(indices, fixed["value"])
        errors = errors.scatter(indices, fixed["error"])
    return parsed, errors


def parse_money_column(values: pl.Series, field: Field, decimal: str) -> tuple[pl.Series, pl.Series]:
    text = _clean_series(values)
    # fast path: plain numbers; polars' decimal parser refuses anything else (spaces, symbols, "1.2.3")
    if decimal == ",":
        # a point in a decimal-comma column is a thousands separator: leave those to the general parser
        digits = text.set(text.str.contains(".", literal=True).fill_null(False), None).str.replace(
            ",", ".", literal=True
        )
    else:
        digits = text.set(text.str.contains(",", literal=True).fill_null(False), None)
    target = pl.Decimal(18, field.scale)
    parsed = digits.str.to_decimal(scale=6).round(field.scale).cast(target)
    errors = pl.repeat(None, text.len(), dtype=pl.String, eager=True).alias(field.name)
    unread = parsed.is_null() & text.is_not_null()
    if unread.any():
        indices, fixed = _slow_path(text, unread, lambda e: parse_money(e, field, decimal))
        parsed = parsed.scatter(indices, fixed["value"].cast(target))
        errors = errors.scatter(indices, fixed["error"])
    return parsed, errors


def has_currency_marks(values: pl.Series) -> bool:
    return bool(values.cast(pl.String).str.contains_any(["€", "$", "£", "EUR", "USD", "GBP", "CHF"]).any())


def parse_column(
    values: pl.Series, field: Field, *, decimal: str, date_order: str
) -> tuple[pl.Series, pl.Series | None]:
    """(values, errors) for one canonical field read from a column of raw strings."""
    if field.kind in (MONEY, DECIMAL):
        return parse_money_column(values, field, decimal)
    if field.kind == DATE:
        return parse_date_column(values, field, date_order)
    if field.kind == TEXT:
        return _clean_series(values), None
    frame = pl.DataFrame({"v": values.cast(pl.String)})
    value, error = parse_field(pl.col("v"), field, decimal=decimal, date_order=date_order)
    out = frame.select([value.alias("value")] + ([error.alias("error")] if error is not None else []))
    return out["value"], (out["error"] if error is not None else None)
