"""Each file format and encoding an ERP hands over is read, with its delimiter and line numbers right."""

import datetime as dt
from decimal import Decimal

import polars as pl
import pytest

from assets.ingest.files import ingest_file
from assets.ingest.reader import UnreadableFile, read_table
from tests.assets.ingest.helpers import invoice_csv, write

ROWS = [
    "F-001;Facture;C1;15/01/2026;14/01/2026;14/02/2026;1 000,00;200,00;1 200,00;EUR;PO-9;;Conseil;",
    "F-002;Avoir;C1;20/01/2026;;20/01/2026;100,00;20,00;120,00;EUR;;F-001;Geste commercial;",
]


@pytest.mark.parametrize("encoding", ["cp1252", "utf-8", "utf-8-sig", "latin-1"])
def test_semicolon_export_in_each_encoding_reads_the_french_headers(tmp_path, encoding):
    path = write(tmp_path / "factures.csv", invoice_csv(ROWS), encoding)
    result = ingest_file(path)
    assert result.encoding == encoding or (encoding == "latin-1" and result.encoding == "cp1252")
    assert (result.rows_read, result.accepted, result.quarantined) == (2, 2, 0)
    invoices = result.records["invoices"]
    assert invoices["invoice_number"].to_list() == ["F-001", "F-002"]
    assert invoices["document_type"].to_list() == ["invoice", "credit_note"]
    assert invoices["amount_incl_tax"].to_list() == [Decimal("1200.00"), Decimal("120.00")]
    assert invoices["original_invoice_number"].to_list() == [None, "F-001"]
    assert invoices["source_line"].to_list() == [2, 3]


@pytest.mark.parametrize("delimiter", [",", "\t", "|", ";"])
def test_delimiter_is_detected(tmp_path, delimiter):
    text = delimiter.join(["Invoice No", "Customer ID", "Invoice Date", "Due Date", "Amount", "Currency"]) + "\n"
    text += delimiter.join(["INV-1", "ACME", "2026-03-01", "2026-03-31", "1500.50", "USD"]) + "\n"
    text += delimiter.join(["INV-2", "ACME", "2026-03-02", "2026-04-01", "99.99", "USD"]) + "\n"
    result = ingest_file(write(tmp_path / "export.txt", text))
    assert result.delimiter == delimiter
    assert result.records["invoices"]["amount_incl_tax"].to_list() == [Decimal("1500.50"), Decimal("99.99")]
    assert result.records["invoices"]["currency"].to_list() == ["USD", "USD"]


def test_title_lines_above_the_header_are_skipped_and_line_numbers_stay_true(tmp_path):
    text = "Export des factures clients\nEdité le 27/11/2026\n\n" + invoice_csv(ROWS)
    result = ingest_file(write(tmp_path / "with_title.csv", text, "cp1252"))
    assert result.accepted == 2
    assert result.records["invoices"]["source_line"].to_list() == [5, 6]


def test_quoted_values_spanning_lines_keep_the_line_where_the_row_starts(tmp_path):
    text = (
        "Invoice No,Customer ID,Invoice Date,Amount,Description\n"
        'A1,C1,2026-01-05,10.00,"two\nlines"\n'
        "A2,C1,2026-01-06,not-a-number,one line\n"
    )
    result = ingest_file(write(tmp_path / "quoted.csv", text))
    assert result.records["invoices"]["source_line"].to_list() == [2]
    assert result.quarantine["source_line"].to_list() == [4]


def test_xlsx_export(tmp_path):
    frame = pl.DataFrame(
        {
            "N° facture": ["X-1", "X-2"],
            "Code client": ["C9", "C9"],
            "Date facture": [dt.date(2026, 2, 1), dt.date(2026, 2, 3)],
            "Date d'échéance": ["03/03/2026", "05/03/2026"],
            "Montant TTC": [1234.5, 10.0],
        }
    )
    path = tmp_path / "factures.xlsx"
    frame.write_excel(path)
    result = ingest_file(path)
    assert result.format == "xlsx"
    invoices = result.records["invoices"]
    assert invoices["issue_date"].cast(pl.String).to_list() == ["2026-02-01", "2026-02-03"]
    assert invoices["due_date"].cast(pl.String).to_list() == ["2026-03-03", "2026-03-05"]
    assert invoices["amount_incl_tax"].to_list() == [Decimal("1234.50"), Decimal("10.00")]
    assert invoices["source_line"].to_list() == [2, 3]


def test_parquet_export(tmp_path):
    path = tmp_path / "payments.parquet"
    pl.DataFrame(
        {
            "Payment ID": ["P1", "P2"],
            "Customer ID": ["C1", "C2"],
            "Invoice No": ["F-1", None],
            "Payment Date": [dt.date(2026, 1, 10), dt.date(2026, 1, 11)],
            "Amount": ["100.00", "25.50"],
        }
    ).write_parquet(path)
    result = ingest_file(path)
    assert result.format == "parquet"
    payments = result.records["payments"]
    assert payments["amount"].to_list() == [Decimal("100.00"), Decimal("25.50")]
    assert payments["invoice_number"].to_list() == ["F-1", None]


@pytest.mark.parametrize(
    "content, reason",
    [
        (b"", "empty file"),
        (b"   \n\n", "empty file"),
        (b"just one sentence of prose without any columns\n", "not a table"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a table"),
    ],
)
def test_unreadable_files_say_why_in_one_line(tmp_path, content, reason):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(UnreadableFile) as caught:
        read_table(path)
    assert reason in str(caught.value)
    assert "\n" not in str(caught.value)


def test_missing_file_and_unknown_layout(tmp_path):
    with pytest.raises(UnreadableFile, match="no such file"):
        ingest_file(tmp_path / "absent.csv")
    path = write(tmp_path / "weather.csv", "city;temperature;wind\nParis;12;3\n")
    with pytest.raises(UnreadableFile, match="unknown layout"):
        ingest_file(path)


def test_encoding_detection_prefers_cp1252_for_windows_bytes():
    from assets.ingest.reader import detect_encoding

    assert detect_encoding("Libellé;Montant € ".encode("cp1252")) == "cp1252"
    assert detect_encoding("Libellé".encode()) == "utf-8"
    assert detect_encoding(b"\xef\xbb\xbfCode client") == "utf-8-sig"
    assert detect_encoding(b"\x81\x8d") == "latin-1"  # bytes cp1252 leaves undefined
