"""An export with a header and no rows (a quiet month: no disputes, no payments) is read, reports zero rows
and does not stop the other files of the same ingest."""

import json

from pipelines.cli import main

HEADERS = {
    "customers.csv": ("utf-8-sig", "Code client;Raison sociale;E-mail facturation;Canal préféré"),
    "invoices.csv": (
        "cp1252",
        "N° facture;Type;Code client;Date facture;Date d'échéance;Montant HT;Montant TVA;Montant TTC;Devise",
    ),
    "invoice_lines.csv": ("cp1252", "N° facture;Ligne;Désignation;Quantité;Prix unitaire HT;Taux TVA;Montant HT"),
    "payments.csv": ("utf-8", "Payment ID,Customer ID,Invoice No,Payment Date,Amount,Currency,Method,Reference"),
    "disputes.csv": ("utf-8", "Invoice No,Customer ID,Opened On,Reason,Disputed Amount,Resolved On"),
}


def test_header_only_files_ingest_as_zero_rows(relance_home, tmp_path, capsys):
    folder = tmp_path / "exports"
    folder.mkdir()
    for name, (encoding, header) in HEADERS.items():
        (folder / name).write_bytes((header + "\r\n").encode(encoding))
    (folder / "more_invoices.csv").write_bytes(
        (HEADERS["invoices.csv"][1] + "\r\nF-9;Facture;C1;15/01/2026;14/02/2026;100,00;20,00;120,00;EUR\r\n").encode(
            "cp1252"
        )
    )

    assert main(["ingest", str(folder), "--json"]) == 0

    reports = {r["file"].rsplit("/", 1)[-1]: r for r in json.loads(capsys.readouterr().out)["files"]}
    for name in HEADERS:
        assert (reports[name]["rows_read"], reports[name]["accepted"]) == (0, 0), name
    assert reports["more_invoices.csv"]["accepted"] == 1
