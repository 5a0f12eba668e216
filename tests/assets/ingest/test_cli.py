"""`relance ingest` and `relance materialize` as a user runs them: reports, JSON, exit codes."""

import json
import subprocess
import sys

import duckdb
import pytest

from pipelines.cli import main
from tests.assets.ingest.helpers import invoice_csv, write
from tests.conftest import REPO_ROOT as REPO


def test_ingest_reports_each_file_and_exits_zero_with_quarantined_rows(relance_home, tmp_path, capsys):
    path = write(
        tmp_path / "factures.csv",
        invoice_csv(
            [
                "F-1;Facture;C1;15/01/2026;;14/02/2026;100,00;20,00;120,00;EUR;;;;",
                "F-2;Facture;C1;31/02/2026;;14/02/2026;100,00;20,00;120,00;EUR;;;;",
                "Total;;;;;;;;240,00;;;;;",
            ]
        ),
        "cp1252",
    )
    assert main(["ingest", str(path), "--json"]) == 0
    [report] = json.loads(capsys.readouterr().out)["files"]
    assert (report["rows_read"], report["accepted"], report["quarantined"], report["duplicates"]) == (3, 1, 2, 0)
    assert report["quarantine"] == [
        {"line": 3, "reason": "issue date 31/02/2026 does not exist"},
        {"line": 4, "reason": "footer/total line"},
    ]
    with duckdb.connect(str(relance_home.warehouse), read_only=True) as con:
        assert con.execute("select invoice_number from marts.invoices").fetchall() == [("F-1",)]
    assert relance_home.snapshot.exists()

    assert main(["ingest", str(path)]) == 0
    table = capsys.readouterr().out
    assert "already ingested" in table and "factures.csv" in table


def test_readable_table_output_lists_quarantined_lines(relance_home, tmp_path, capsys):
    path = write(
        tmp_path / "p.csv",
        "Payment ID,Customer ID,Invoice No,Payment Date,Amount\nP1,C1,F1,2026-01-05,N/A\nP2,C1,F1,2026-01-06,10.00\n",
    )
    assert main(["ingest", str(path)]) == 0
    out = capsys.readouterr().out
    assert "rows_read" in out and "line 2: amount 'N/A' is not a number" in out


@pytest.mark.parametrize(
    "content, reason",
    [
        (None, "no such file"),
        (b"", "empty file"),
        (b"hello world\n", "not a table"),
        (b"city;temperature\nParis;12\n", "unknown layout"),
    ],
)
def test_unreadable_file_exits_non_zero_with_one_line(relance_home, tmp_path, capsys, content, reason):
    path = tmp_path / "input.csv"
    if content is not None:
        path.write_bytes(content)
    assert main(["ingest", str(path)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and reason in err[0]


def test_a_folder_stands_for_its_files(relance_home, tmp_path, capsys):
    folder = tmp_path / "export"
    (folder / "attachments").mkdir(parents=True)
    write(folder / "invoices.csv", invoice_csv(["F-1;Facture;C1;15/01/2026;;14/02/2026;;;120,00;EUR;;;;"]))
    write(folder / "payments.csv", "Payment ID,Customer ID,Invoice No,Payment Date,Amount\nP1,C1,F-1,2026-02-01,120\n")
    write(folder / ".lock", "")
    assert main(["ingest", str(folder), "--json"]) == 0
    files = json.loads(capsys.readouterr().out)["files"]
    assert sorted(f["file"].rsplit("/", 1)[-1] for f in files) == ["invoices.csv", "payments.csv"]
    with duckdb.connect(str(relance_home.warehouse), read_only=True) as con:
        assert con.execute("select status from marts.invoices").fetchall() == [("paid",)]


def test_unknown_profile_is_refused(relance_home, tmp_path, capsys):
    path = write(tmp_path / "f.csv", "a,b\n1,2\n")
    assert main(["ingest", str(path), "--profile", "no_such_profile"]) == 2
    assert "no profile named 'no_such_profile'" in capsys.readouterr().err


@pytest.mark.slow
def test_materialize_runs_every_asset_once_with_a_progress_bar(relance_home, tmp_path):
    write(relance_home.inbox / "f.csv", invoice_csv(["F-1;Facture;C1;01/03/2026;;31/03/2026;;;100,00;EUR;;;;"]))
    # a fresh payments export: dunning refuses to build batches on stale payment data
    write(
        relance_home.inbox / "payments.csv",
        "Payment ID,Customer ID,Invoice No,Payment Date,Amount\nP1,C1,F-1,2026-04-10,40.00\n",
    )
    done = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "materialize", "--date", "2026-04-30"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "materialize 2026-04-30" in done.stderr and "step" in done.stderr  # tqdm bar on stderr
    with duckdb.connect(str(relance_home.warehouse), read_only=True) as con:
        assert con.execute("select status, open_amount, days_late from marts.invoices").fetchall() == [
            ("partially_paid", __import__("decimal").Decimal("60.00"), 30)
        ]
    with duckdb.connect(str(relance_home.snapshot), read_only=True) as snap:
        assert snap.execute("select count(*) from marts.invoices").fetchall() == [(1,)]
