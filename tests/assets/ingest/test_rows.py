"""Every row is accounted for: accepted, quarantined with a reason a credit manager understands, or an
exact duplicate; values are parsed whatever the French or English convention."""

import json
from decimal import Decimal

import polars as pl
import pytest

from assets.ingest import parsing
from assets.ingest.files import ingest_file
from assets.ingest.schema import INVOICES, header_key
from tests.assets.ingest.helpers import invoice_csv, write

GOOD = "F-1;Facture;C1;15/01/2026;;14/02/2026;100,00;20,00;120,00;EUR;;;;"


def reasons_by_line(result) -> dict[int, str]:
    return dict(zip(result.quarantine["source_line"].to_list(), result.quarantine["reason"].to_list()))


def test_each_kind_of_bad_row_is_quarantined_with_its_reason(tmp_path):
    rows = [
        GOOD,  # line 2
        "F-2;Facture;C1;31/02/2026;;14/03/2026;100,00;20,00;120,00;EUR;;;;",  # 3: impossible date
        "F-3;Facture;C1;15/01/2026;;14/02/2026;;;N/A;EUR;;;;",  # 4: not a number
        ";Facture;C1;15/01/2026;;14/02/2026;100,00;20,00;120,00;EUR;;;;",  # 5: no number
        "F-5;Facture;;15/01/2026;;14/02/2026;100,00;20,00;120,00;EUR;;;;",  # 6: no customer
        "F-6;Facture;C1;;;14/02/2026;100,00;20,00;120,00;EUR;;;;",  # 7: no issue date
        "F-7;Facture;C1;15/01/2026;;14/02/2026;;;;EUR;;;;",  # 8: no amount
        "F-8;Facture;C1;hier;;14/02/2026;100,00;20,00;120,00;EUR;;;;",  # 9: not a date
        "F-9;Proforma;C1;15/01/2026;;14/02/2026;100,00;20,00;120,00;EUR;;;;",  # 10: unknown type
        GOOD,  # 11: exact duplicate
        "F-1;Facture;C1;15/01/2026;;14/02/2026;100,00;20,00;999,00;EUR;;;;",  # 12: same number, other values
        ";;;;;;;;12 345,67;;;;;",  # 13: total without label
        "Total;;;;;;;;12 345,67;;;;;",  # 14: footer
    ]
    result = ingest_file(write(tmp_path / "factures.csv", invoice_csv(rows), "cp1252"))
    reasons = reasons_by_line(result)
    assert reasons[3] == "issue date 31/02/2026 does not exist"
    assert reasons[4] == "amount incl. tax 'N/A' is not a number"
    assert reasons[5] == "invoice number missing"
    assert reasons[6] == "customer code missing"
    assert reasons[7] == "invoice date missing"
    assert reasons[8] == "amount missing"
    assert reasons[9].startswith("issue date 'hier' is not a date")
    assert reasons[10] == "document type 'Proforma' is neither an invoice nor a credit note"
    assert reasons[12] == "invoice F-1 already on line 2 of this file with other values"
    assert reasons[13] == "footer/total line"
    assert reasons[14] == "footer/total line"
    assert (result.rows_read, result.accepted, result.quarantined, result.duplicates) == (13, 1, 11, 1)
    assert result.rows_read == result.accepted + result.quarantined + result.duplicates
    assert result.footer_lines == 2
    raw = json.loads(result.quarantine.filter(pl.col("source_line") == 4)["raw_values"][0])
    assert raw["Montant TTC"] == "N/A" and raw["N° facture"] == "F-3"


def test_blank_lines_are_not_rows_but_line_numbers_still_match_the_file(tmp_path):
    result = ingest_file(write(tmp_path / "f.csv", invoice_csv([GOOD, "", "", GOOD.replace("F-1", "F-2")])))
    assert result.rows_read == 2
    assert result.records["invoices"]["source_line"].to_list() == [2, 5]


def test_a_customer_named_total_is_not_a_footer(tmp_path):
    text = "Code client;Raison sociale;E-mail facturation\nC1;Total Energies Marketing;ap@total.example\nTotal;;\n"
    result = ingest_file(write(tmp_path / "clients.csv", text))
    assert result.records["customers"]["name"].to_list() == ["Total Energies Marketing"]
    assert reasons_by_line(result) == {3: "footer/total line"}


def test_negative_invoice_without_type_is_a_credit_note_with_positive_amounts(tmp_path):
    text = "Invoice No,Customer,Invoice Date,Amount\nCN-1,C1,2026-02-01,-50.00\nIN-1,C1,2026-02-01,75.00\n"
    invoices = ingest_file(write(tmp_path / "a.csv", text)).records["invoices"]
    assert invoices["document_type"].to_list() == ["credit_note", "invoice"]
    assert invoices["amount_incl_tax"].to_list() == [Decimal("50.00"), Decimal("75.00")]


def test_incl_tax_is_computed_when_only_excl_tax_and_tax_are_exported(tmp_path):
    text = "N° facture;Code client;Date facture;Montant HT;Montant TVA\nF1;C1;01/02/2026;1 000,00;200,00\n"
    invoices = ingest_file(write(tmp_path / "a.csv", text)).records["invoices"]
    assert invoices["amount_incl_tax"].to_list() == [Decimal("1200.00")]


def money(values, decimal=None):
    frame = pl.DataFrame({"v": values})
    decimal = decimal or parsing.detect_decimal(frame["v"])
    value, error = parsing.parse_money(pl.col("v"), INVOICES.field("amount_incl_tax"), decimal)
    return frame.select(value.alias("value"), error.alias("error"))


@pytest.mark.parametrize(
    "text, expected",
    [
        ("$5,013.11 ", "5013.11"),
        ("1 234,56 €", "1234.56"),
        ("1\u00a0234,56", "1234.56"),
        ("1\u202f234,56", "1234.56"),
        ("1.234,56", "1234.56"),
        ("1,234.56", "1234.56"),
        ("(12.50)", "-12.50"),
        ("1.234,56-", "-1234.56"),
        ("EUR 99,9", "99.90"),
        ("1e+05", "100000.00"),
        ("-7", "-7.00"),
        ("1'234.50", "1234.50"),
    ],
)
def test_amount_conventions(text, expected):
    result = money([text])
    assert result["value"][0] == Decimal(expected) and result["error"][0] is None


def test_decimal_convention_is_decided_per_column():
    assert parsing.detect_decimal(pl.Series(["1 234,56", "12,30", "7"])) == ","
    assert parsing.detect_decimal(pl.Series(["$5,013.11", "1,000.00"])) == "."
    assert parsing.detect_decimal(pl.Series(["1234"]), default=",") == ","


@pytest.mark.parametrize(
    "text, order, expected",
    [
        ("31/01/2026", "dmy", "2026-01-31"),
        ("2026-01-31", "dmy", "2026-01-31"),
        ("20260131", "dmy", "2026-01-31"),
        ("1/31/2026", "mdy", "2026-01-31"),
        ("31.01.2026", "dmy", "2026-01-31"),
        ("2026-01-31 00:00:00", "dmy", "2026-01-31"),
        ("31/01/26", "dmy", "2026-01-31"),
    ],
)
def test_date_conventions(text, order, expected):
    value, error = parsing.parse_date(pl.col("v"), INVOICES.field("due_date"), order)
    out = pl.DataFrame({"v": [text]}).select(value.cast(pl.String).alias("d"), error.alias("e"))
    assert out.row(0) == (expected, None)


def test_month_first_dates_are_recognised_from_the_values():
    assert parsing.detect_date_order(pl.Series(["1/2/2013", "12/31/2013"])) == "mdy"
    assert parsing.detect_date_order(pl.Series(["31/12/2013", "01/02/2013"])) == "dmy"


@pytest.mark.parametrize(
    "a, b",
    [
        ("N° facture", "Numéro de facture"),
        ("No. Facture", "num_facture"),
        ("Date d'échéance", "date_echeance"),
        ("Invoice No", "Invoice Number"),
        ("invoiceNumber", "Invoice #"),
        ("Montant TTC", "montant ttc"),
    ],
)
def test_header_spellings_fold_together(a, b):
    assert header_key(a) == header_key(b)


@pytest.mark.parametrize(
    "headers, entity",
    [
        (["N° facture", "Code client", "Date facture", "Date d'échéance", "Montant TTC"], "invoices"),
        (["Invoice No", "Customer ID", "Invoice Date", "Due Date", "Amount"], "invoices"),
        (["Code client", "Raison sociale", "E-mail facturation", "SIREN"], "customers"),
        (
            ["N° facture", "Ligne", "Désignation", "Quantité", "Prix unitaire HT", "Taux TVA", "Montant HT"],
            "invoice_lines",
        ),
        (
            ["Payment ID", "Customer ID", "Invoice No", "Payment Date", "Amount", "Currency", "Method", "Reference"],
            "payments",
        ),
        (["Invoice No", "Customer ID", "Opened On", "Reason", "Disputed Amount", "Resolved On"], "disputes"),
    ],
)
def test_entity_is_recognised_from_headers(headers, entity):
    from assets.ingest.profiles import recognise

    assert recognise(headers).entity.name == entity
