"""Real public exports and each shipped profile: the IBM AR sample, the New Orleans invoice-to-check
files, FEC (both layouts, and lettering giving settlement dates), SAP FBL5N, a custom profile file."""

import datetime as dt
import json
from decimal import Decimal

import polars as pl
import pytest

from assets.ingest.files import ingest_file
from assets.ingest.profiles import available_profiles
from tests.assets.ingest.helpers import ingest_and_build, rows, write
from tests.conftest import shared_path


def test_every_shipped_profile_loads():
    names = set(available_profiles())
    assert {"generic_csv", "fec", "ibm_accounts_receivable", "sap_fbl5n"} <= names


def test_ibm_sample_all_settled_and_877_paid_late(tmp_path):
    path = shared_path("data", "external", "ibm_accounts_receivable", "WA_Fn-UseC_-Accounts-Receivable.csv")
    con, [report] = ingest_and_build(tmp_path / "w.duckdb", [path])
    assert report["profile"] == "ibm_accounts_receivable"
    assert (report["rows_read"], report["accepted"], report["quarantined"]) == (2466, 2466, 0)
    [(count, settled, late, customers)] = rows(
        con,
        """
        select count(*), count(*) filter (where status = 'paid' and open_amount = 0),
               count(*) filter (where is_late), count(distinct customer_id) from marts.invoices""",
    )
    assert (count, settled, late, customers) == (2466, 2466, 877, 100)
    # DaysLate in the file = max(0, SettledDate - DueDate): our days_late agrees on every row
    expected = pl.read_csv(path, infer_schema=False).select(
        pl.col("invoiceNumber"), pl.col("DaysLate").cast(pl.Int64), pl.col("InvoiceAmount")
    )
    ours = dict(rows(con, "select invoice_number, days_late from marts.invoices"))
    assert all(ours[n] == d for n, d in expected.select("invoiceNumber", "DaysLate").iter_rows())
    assert rows(con, "select sum(amount_incl_tax) from staging.invoices")[0][0] == Decimal("147703.18")
    assert rows(con, "select count(*) from staging.disputes")[0][0] == 561
    assert rows(con, "select count(*) from marts.customers where invoice_count > 0")[0][0] == 100


@pytest.mark.parametrize(
    "name, profile, rows_read, with_amount",
    [
        ("great_plains_general_fund_payments.csv", "new_orleans_great_plains", 18026, 15879),
        ("afin_capital_grant_payments.csv", "new_orleans_afin", 8429, 878),
    ],
)
def test_new_orleans_files_lose_nothing(tmp_path, name, profile, rows_read, with_amount):
    path = shared_path("data", "external", "new_orleans_ap_invoice_to_check", name)
    con, [report] = ingest_and_build(tmp_path / "w.duckdb", [path])
    assert report["profile"] == profile
    assert report["rows_read"] == rows_read
    assert report["rows_read"] == report["accepted"] + report["quarantined"] + report["duplicates"]
    assert report["accepted"] == with_amount  # rows without an amount cannot be collected: quarantined
    reasons = dict(rows(con, "select reason, count(*) from staging.quarantine group by reason"))
    assert reasons.get("amount missing", 0) >= rows_read - with_amount - 1
    # every payment found its invoice, including those paid before their invoice date
    [(paid, before)] = rows(
        con,
        """
        select count(*) filter (where status = 'paid'),
               count(*) filter (where settled_date < issue_date) from marts.invoices""",
    )
    assert paid == with_amount and before > 0


def test_new_orleans_latin1_vendor_and_dollar_amounts(tmp_path):
    gp = ingest_file(
        shared_path("data", "external", "new_orleans_ap_invoice_to_check", "great_plains_general_fund_payments.csv")
    )
    assert gp.encoding == "cp1252"
    assert any("Café Dauphine" in (v or "") for v in gp.records["invoices"]["issuer_id"].to_list())
    afin = ingest_file(
        shared_path("data", "external", "new_orleans_ap_invoice_to_check", "afin_capital_grant_payments.csv")
    )
    raw = pl.read_csv(afin.path, infer_schema=False)
    dollar_rows = raw.with_row_index("i", offset=2).filter(pl.col("Amount").str.contains(r"\$"))
    assert dollar_rows.height > 0
    amounts = dict(afin.records["invoices"].select("source_line", "amount_incl_tax").iter_rows())
    for line, text in dollar_rows.select("i", "Amount").iter_rows():
        expected = Decimal(text.replace("$", "").replace(",", "").strip())
        assert amounts[line] == expected


@pytest.mark.parametrize("name", ["lsn_sample_tab_debit_credit.txt", "lsn_sample_pipe_montant_sens.txt"])
def test_fec_fixtures_give_the_sales_invoice_on_411(name):
    result = ingest_file(shared_path("data", "external", "fec_format_fixtures", name))
    assert result.profile == "fec" and result.accepted == result.rows_read
    [invoice] = result.records["invoices"].to_dicts()
    if "tab" in name:
        assert (invoice["invoice_number"], invoice["customer_id"], invoice["amount_incl_tax"]) == (
            "FA00002",
            "C001",
            Decimal("1200.00"),
        )
        assert result.records["customers"]["name"].to_list() == ["Martin SAS"]
    else:
        assert (invoice["invoice_number"], invoice["customer_id"], invoice["amount_incl_tax"]) == (
            "FA00003",
            "C002",
            Decimal("2500.00"),
        )
        assert invoice["issue_date"] == dt.date(2024, 3, 10)
    assert result.records["payments"].height == 0  # no lettering in these fixtures


FEC_HEADER = (
    "JournalCode|JournalLib|EcritureNum|EcritureDate|CompteNum|CompteLib|CompAuxNum|CompAuxLib|PieceRef|"
    "PieceDate|EcritureLib|Debit|Credit|EcritureLet|DateLet|ValidDate|Montantdevise|Idevise"
)


def fec_line(journal, entry, date, account, aux, piece, debit, credit, letter="", date_let=""):
    return "|".join(
        [
            journal,
            journal,
            entry,
            date,
            account,
            "lib",
            aux,
            f"Client {aux}" if aux else "",
            piece,
            date,
            "ecriture",
            debit,
            credit,
            letter,
            date_let,
            date,
            "",
            "",
        ]
    )


def test_lettered_fec_gives_settlement_dates(tmp_path):
    lines = [
        # F1 1200 TTC (1000 + 200 VAT), paid in full by one transfer, lettered AA on 15/03
        fec_line("VE", "V1", "20260110", "411000", "C1", "F1", "1200,00", "0,00", "AA", "20260315"),
        fec_line("VE", "V1", "20260110", "706000", "", "F1", "0,00", "1000,00"),
        fec_line("VE", "V1", "20260110", "445710", "", "F1", "0,00", "200,00"),
        fec_line("BQ", "B1", "20260312", "411000", "C1", "VIR1", "0,00", "1200,00", "AA", "20260315"),
        # F2 600 and F3 300, one cheque of 900 lettered BB on 20/04: both settled that day
        fec_line("VE", "V2", "20260201", "411000", "C2", "F2", "600,00", "0,00", "BB", "20260420"),
        fec_line("VE", "V2", "20260201", "706000", "", "F2", "0,00", "600,00"),
        fec_line("VE", "V3", "20260205", "411000", "C2", "F3", "300,00", "0,00", "BB", "20260420"),
        fec_line("VE", "V3", "20260205", "706000", "", "F3", "0,00", "300,00"),
        fec_line("BQ", "B2", "20260418", "411000", "C2", "CHQ7", "0,00", "900,00", "BB", "20260420"),
        # F4 500 with a 100 credit note A1, the rest paid: lettered CC on 30/04
        fec_line("VE", "V4", "20260301", "411000", "C3", "F4", "500,00", "0,00", "CC", "20260430"),
        fec_line("VE", "V4", "20260301", "706000", "", "F4", "0,00", "500,00"),
        fec_line("VE", "V5", "20260310", "411000", "C3", "A1", "0,00", "100,00", "CC", "20260430"),
        fec_line("VE", "V5", "20260310", "706000", "", "A1", "100,00", "0,00"),
        fec_line("BQ", "B3", "20260428", "411000", "C3", "VIR2", "0,00", "400,00", "CC", "20260430"),
        # F5 still open, and a receipt nobody lettered yet
        fec_line("VE", "V6", "20260401", "411000", "C1", "F5", "250,00", "0,00"),
        fec_line("VE", "V6", "20260401", "706000", "", "F5", "0,00", "250,00"),
        fec_line("BQ", "B4", "20260410", "411000", "C1", "VIR3", "0,00", "80,00"),
        # a line whose date does not exist is quarantined, nothing else is lost
        fec_line("OD", "O1", "20260231", "471000", "", "X", "1,00", "0,00"),
    ]
    path = write(tmp_path / "123456789FEC20260430.txt", "\n".join([FEC_HEADER, *lines]) + "\n")
    con, [report] = ingest_and_build(tmp_path / "w.duckdb", [path], run_date=dt.date(2026, 5, 31))
    assert report["profile"] == "fec"
    assert (report["rows_read"], report["accepted"], report["quarantined"]) == (18, 17, 1)
    assert report["quarantine"][0]["reason"].startswith("entry date 20260231 does not exist")
    marts = {
        r[0]: r[1:]
        for r in rows(
            con,
            """
        select invoice_number, document_type, status, settled_date, paid_amount, credited_amount, open_amount,
               tax_amount, amount_excl_tax
        from marts.invoices""",
        )
    }
    assert marts["F1"][:3] == ("invoice", "paid", dt.date(2026, 3, 15))
    assert marts["F1"][6:] == (Decimal("200.00"), Decimal("1000.00"))
    assert marts["F2"][1:3] == ("paid", dt.date(2026, 4, 20))
    assert marts["F3"][1:3] == ("paid", dt.date(2026, 4, 20))
    assert marts["F4"][1:6] == ("paid", dt.date(2026, 4, 30), Decimal("400.00"), Decimal("100.00"), Decimal("0.00"))
    assert marts["A1"][0:2] == ("credit_note", "credited")
    assert marts["F5"][1:3] == ("open", None) and marts["F5"][5] == Decimal("250.00")
    unallocated = rows(con, "select amount from staging.payments where invoice_number is null")
    assert unallocated == [(Decimal("80.00"),)]


SAP = (
    "Customer Line Item Display\n"
    "\n"
    "Company Code\tAccount\tDocument Number\tDocument Type\tDocument Date\tNet due date\tAmount in doc. curr.\t"
    "Document currency\tReference\tText\n"
    "FR01\t100042\t1800000101\tDR\t03.11.2026\t03.12.2026\t1.234,56\tEUR\tPO-77\tMaintenance\n"
    "FR01\t100042\t1700000007\tDG\t10.11.2026\t10.11.2026\t234,56-\tEUR\t\tCredit memo\n"
    "FR01\t100042\t1400000055\tDZ\t12.11.2026\t12.11.2026\t500,00-\tEUR\tVIR\tIncoming payment\n"
    "FR01\t100042\t1800000102\tZZ\t12.11.2026\t12.11.2026\t1,00\tEUR\t\tUnknown type\n"
    "\t\t\t\t\t\t1.000,00\tEUR\t\t\n"
)


def test_sap_fbl5n_open_items(tmp_path):
    result = ingest_file(write(tmp_path / "fbl5n.txt", SAP))
    assert result.profile == "sap_fbl5n"
    invoices = {r["invoice_number"]: r for r in result.records["invoices"].to_dicts()}
    assert invoices["1800000101"]["amount_incl_tax"] == Decimal("1234.56")
    assert invoices["1800000101"]["due_date"] == dt.date(2026, 12, 3)
    assert invoices["1800000101"]["issuer_id"] == "FR01"
    assert invoices["1700000007"]["document_type"] == "credit_note"
    assert invoices["1700000007"]["amount_incl_tax"] == Decimal("234.56")
    [payment] = result.records["payments"].to_dicts()
    assert (payment["payment_id"], payment["amount"]) == ("1400000055", Decimal("500.00"))
    reasons = dict(zip(result.quarantine["source_line"], result.quarantine["reason"]))
    assert reasons == {7: "row is none of the record types the profile reads", 8: "footer/total line"}
    assert result.rows_read == result.accepted + result.quarantined + result.duplicates == 5


def test_generic_csv_profile_named_explicitly(tmp_path):
    path = write(
        tmp_path / "x.csv", "Invoice No,Customer ID,Invoice Date,Due Date,Amount\nI1,C1,2026-01-01,2026-01-31,10.00\n"
    )
    assert ingest_file(path, "generic_csv").records["invoices"].height == 1


def test_a_profile_file_maps_any_layout(tmp_path):
    profile = write(
        tmp_path / "legacy.toml",
        """
name = "legacy_erp"
[values]
decimal = ","
date_order = "dmy"
currency = "CHF"
[entities.invoices.columns]
invoice_number = "DOCNO"
customer_id = "KUNNR"
issue_date = "BLDAT"
due_date = "FAEDT"
amount_incl_tax = "WRBTR"
""",
    )
    path = write(tmp_path / "legacy.csv", "DOCNO;KUNNR;BLDAT;FAEDT;WRBTR\n9001;K1;05.01.2026;04.02.2026;1'500,00\n")
    [invoice] = ingest_file(path, str(profile)).records["invoices"].to_dicts()
    assert (invoice["invoice_number"], invoice["amount_incl_tax"], invoice["currency"]) == (
        "9001",
        Decimal("1500.00"),
        "CHF",
    )
    assert json.dumps(str(invoice["due_date"])) == '"2026-02-04"'
