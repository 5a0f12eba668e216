"""CSV and XLSX exports that a spreadsheet cannot turn into formulas. Plain Python: no Streamlit.

A cell whose text starts with = + - @ (or a tab or carriage return, which some spreadsheets strip before
reading the rest) is executed as a formula when the file is opened: an invoice reference or a customer name
like `=HYPERLINK(...)` from an ERP export would run on the credit manager's machine (CWE-1236). Such text
gets a leading single quote, as OWASP recommends. Numbers, dates and Decimal amounts stay typed values, so
a negative amount is still a number and not the text "'-12.50".
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pandas as pd

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def neutralise(value: Any) -> Any:
    """The cell value to write: text that would start a formula is prefixed with a quote."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def _cell(value: Any) -> Any:
    if value is None or (isinstance(value, float) and value != value):
        return None
    if value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, (bool, int, float, Decimal, date, datetime)):
        return value
    if isinstance(value, (list, tuple, dict)):
        value = str(value)
    return neutralise(str(value))


def _rows(df: pd.DataFrame):
    for record in df.itertuples(index=False, name=None):
        yield [_cell(v) for v in record]


def to_csv(df: pd.DataFrame) -> bytes:
    """UTF-8 CSV with a BOM (so Excel opens accents right), comma-separated, every text cell neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(str(c)) for c in df.columns])
    for row in _rows(df):
        writer.writerow(["" if v is None else (v.isoformat() if isinstance(v, (date, datetime)) else v) for v in row])
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(df: pd.DataFrame, sheet_name: str = "export") -> bytes:
    """An XLSX workbook with one sheet; text is always written as a string, never parsed as a formula."""
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        buffer,
        {
            "in_memory": True,
            "remove_timezone": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    sheet = workbook.add_worksheet(sheet_name[:31])
    bold = workbook.add_format({"bold": True})
    money = workbook.add_format({"num_format": "#,##0.00"})
    day = workbook.add_format({"num_format": "yyyy-mm-dd"})
    moment = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    for col, name in enumerate(df.columns):
        sheet.write_string(0, col, neutralise(str(name)), bold)
    for r, row in enumerate(_rows(df), start=1):
        for col, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, bool):
                sheet.write_boolean(r, col, value)
            elif isinstance(value, Decimal):
                # Excel stores doubles only; the cell shows the exact two-decimal amount.
                sheet.write_number(r, col, float(value), money)
            elif isinstance(value, (int, float)):
                sheet.write_number(r, col, value)
            elif isinstance(value, datetime):
                sheet.write_datetime(r, col, value, moment)
            elif isinstance(value, date):
                # xlsxwriter takes a naive datetime for a date cell: a date has no time zone
                sheet.write_datetime(r, col, datetime(value.year, value.month, value.day), day)  # noqa: DTZ001
            else:
                sheet.write_string(r, col, value)
    workbook.close()
    return buffer.getvalue()
