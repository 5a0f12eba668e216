"""The per-invoice billing channel: read from the export (by header or profile), folded to the channel
vocabulary, carried raw -> staging.invoices -> marts.invoices, null when the export does not say."""

import polars as pl

from assets.ingest.files import ingest_file
from assets.ingest.load import ingest_into
from stores import warehouse
from tests.assets.ingest.helpers import INVOICE_HEADER, build, ingest_and_build, invoice_csv, rows, write
from tests.conftest import shared_path

IBM_CSV = ("data", "external", "ibm_accounts_receivable", "WA_Fn-UseC_-Accounts-Receivable.csv")


def _with_channel(lines: list[str]) -> str:
    return "\r\n".join([INVOICE_HEADER + ";Canal de facturation", *lines]) + "\r\n"


def test_ibm_paperless_bill_is_each_invoices_own_channel(tmp_path):
    path = shared_path(*IBM_CSV)
    con, [report] = ingest_and_build(tmp_path / "w.duckdb", [path], "ibm_accounts_receivable")
    assert (report["accepted"], report["quarantined"]) == (2466, 0)
    expected = {
        number: {"Paper": "paper", "Electronic": "email"}[bill]
        for number, bill in pl.read_csv(path, infer_schema=False).select("invoiceNumber", "PaperlessBill").iter_rows()
    }
    assert dict(rows(con, "select invoice_number, billing_channel from marts.invoices")) == expected
    assert dict(rows(con, "select billing_channel, count(*) from staging.invoices group by all")) == {
        "paper": 1263,
        "email": 1203,
    }
    # the file's channel changes over time for 91 of the 100 customers: one channel per customer would lose it
    assert (
        rows(
            con,
            """select count(*) from (select customer_id from marts.invoices group by customer_id
                        having count(distinct billing_channel) > 1)""",
        )[0][0]
        == 91
    )


def test_written_channel_names_fold_to_the_vocabulary_and_unknown_ones_are_quarantined(tmp_path):
    base = "Facture;C1;15/01/2026;;14/02/2026;100,00;20,00;120,00;EUR;;;;"
    lines = [
        f"F-1;{base};Courrier",
        f"F-2;{base};E-mail",
        f"F-3;{base}; Chorus Pro ",
        f"F-4;{base};EDI",
        f"F-5;{base};Portail fournisseur",
        f"F-6;{base};",
        f"F-7;{base};Fax",
    ]
    result = ingest_file(write(tmp_path / "factures.csv", _with_channel(lines), "cp1252"))
    channels = dict(result.records["invoices"].select("invoice_number", "billing_channel").iter_rows())
    assert channels == {
        "F-1": "paper",
        "F-2": "email",
        "F-3": "platform",
        "F-4": "edi",
        "F-5": "ap_portal",
        "F-6": None,
    }
    assert result.quarantine.select("source_line", "reason").rows() == [
        (8, "billing channel 'Fax' is none of email, platform, edi, ap_portal, paper")
    ]


def test_an_export_without_the_column_leaves_it_null_and_last(tmp_path):
    line = "F-1;Facture;C1;15/01/2026;;14/02/2026;100,00;20,00;120,00;EUR;;;;"
    con, _ = ingest_and_build(tmp_path / "w.duckdb", [write(tmp_path / "f.csv", invoice_csv([line]))])
    for table in ("staging.invoices", "marts.invoices"):
        assert rows(con, f"select billing_channel from {table}") == [(None,)]
    assert [c[0] for c in con.execute("describe marts.invoices").fetchall()][-1] == "billing_channel"
    # staging appends the documents' columns (discounts, euros, delivery) after it
    staging = [c[0] for c in con.execute("describe staging.invoices").fetchall()]
    assert staging[staging.index("extracted_at") + 1] == "billing_channel"
    assert staging[-1] == "delivery_country"
    # every column a positional reader knew keeps its place; the new one comes after them
    assert [c[0] for c in con.execute("describe marts.invoices").fetchall()] == [
        "issuer_id",
        "invoice_number",
        "document_type",
        "customer_id",
        "issue_date",
        "delivery_date",
        "due_date",
        "amount_excl_tax",
        "tax_amount",
        "amount_incl_tax",
        "currency",
        "purchase_order",
        "original_invoice_number",
        "description",
        "attachments",
        "source_file",
        "source_line",
        "extracted_at",
        "paid_amount",
        "credited_amount",
        "settled_date",
        "open_amount",
        "status",
        "days_late",
        "is_late",
        "billing_channel",
    ]


def test_a_warehouse_from_before_the_field_takes_new_exports(tmp_path):
    base = "Facture;C1;15/01/2026;;14/02/2026;100,00;20,00;120,00;EUR;;;;"
    con = warehouse.connect(tmp_path / "w.duckdb")
    ingest_into(con, [write(tmp_path / "old.csv", invoice_csv([f"F-1;{base}"]))])
    con.execute("alter table raw.invoices drop column billing_channel")  # the table as it was created then
    [report] = ingest_into(con, [write(tmp_path / "new.csv", _with_channel([f"F-2;{base};Papier"]))])
    assert report["accepted"] == 1
    build(con)
    assert rows(con, "select invoice_number, billing_channel from marts.invoices order by 1") == [
        ("F-1", None),
        ("F-2", "paper"),
    ]


def test_settlement_reads_a_staging_table_written_without_the_column(tmp_path):
    # other parts (dunning's simulator, fixtures) write staging.invoices with the columns they know
    base = "Facture;C1;15/01/2026;;14/02/2026;100,00;20,00;120,00;EUR;;;;"
    con, _ = ingest_and_build(tmp_path / "w.duckdb", [write(tmp_path / "f.csv", _with_channel([f"F-1;{base};Papier"]))])
    con.execute("alter table staging.invoices drop column billing_channel")
    warehouse.build_model(con, "marts", "invoices", {"as_of": "2026-03-01"})
    assert rows(con, "select invoice_number, is_late, billing_channel from marts.invoices") == [("F-1", True, None)]
