"""Exports open in a spreadsheet as data, never as formulas (CWE-1236), and keep numbers as numbers."""

import csv
import io
from datetime import date
from decimal import Decimal

import openpyxl
import pandas as pd
import pytest

from dashboard import exports

HOSTILE = ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1:A2)", "\t=1", "\r=1"]


@pytest.mark.parametrize("text", HOSTILE)
def test_text_starting_a_formula_gets_a_leading_quote(text):
    assert exports.neutralise(text) == "'" + text


def test_harmless_text_and_numbers_are_unchanged():
    assert exports.neutralise("ACME = best") == "ACME = best"
    assert exports.neutralise(-12.5) == -12.5
    assert exports.neutralise(Decimal("-3.10")) == Decimal("-3.10")


def _frame():
    return pd.DataFrame(
        {
            "customer_name": HOSTILE + ["Dupont SA"],
            "open_amount": [Decimal("-12.50")] + [Decimal("100.00")] * 6,
            "due_date": [date(2026, 6, 1)] * 7,
        }
    )


def test_csv_export_neutralises_every_hostile_cell():
    text = exports.to_csv(_frame()).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["customer_name", "open_amount", "due_date"]
    names = [r[0] for r in rows[1:]]
    assert names[:6] == ["'" + h for h in HOSTILE]
    assert names[6] == "Dupont SA"
    assert rows[1][1] == "-12.50"  # a negative amount stays a number, not "'-12.50"
    assert rows[1][2] == "2026-06-01"


def test_xlsx_export_has_no_formula_and_typed_values(tmp_path):
    path = tmp_path / "export.xlsx"
    path.write_bytes(exports.to_xlsx(_frame(), sheet_name="retrieval"))
    sheet = openpyxl.load_workbook(path).active
    assert sheet.title == "retrieval"
    for row in sheet.iter_rows(min_row=2):
        assert row[0].data_type == "s", row[0].value  # a string cell, never "f" (formula)
    # XLSX stores a carriage return as the escape _x000D_, which openpyxl does not decode
    cells = [sheet.cell(r, 1).value.replace("_x000D_", "\r") for r in range(2, 8)]
    assert cells == ["'" + h for h in HOSTILE]
    assert sheet.cell(2, 2).value == -12.5 and sheet.cell(2, 2).data_type == "n"
    assert sheet.cell(2, 3).value.date() == date(2026, 6, 1)


def test_hostile_column_names_are_neutralised_too():
    text = exports.to_csv(pd.DataFrame({"=cmd": ["x"]})).decode("utf-8-sig")
    assert text.splitlines()[0] == "'=cmd"
