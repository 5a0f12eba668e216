"""The ingest assets materialized by Dagster against a real DuckDB file, their checks, the inbox sensor,
and the serving snapshot published after them."""

import datetime as dt
import shutil

import dagster as dg
import duckdb
import pytest

from assets.business_date import RUN_DATE_TAG
from pipelines import ingest, serving
from pipelines.resources import RelanceResource
from tests.assets.ingest.helpers import invoice_csv, write
from tests.conftest import shared_path


def local_defs(home) -> dg.Definitions:
    """The ingest and serving domains wired as pipelines/definitions.py wires them, on a home in tmp_path."""
    return dg.Definitions.merge(
        ingest.defs,
        serving.build_defs(serving.marts_keys(ingest.defs)),
        dg.Definitions(resources={"relance": RelanceResource(home=str(home))}),
    )


def run_ingest_job(home, run_config=None, run_date="2026-11-27") -> dg.ExecuteInProcessResult:
    job = local_defs(home).resolve_job_def(ingest.INGEST_JOB)
    return job.execute_in_process(
        run_config=run_config,
        tags={RUN_DATE_TAG: run_date},
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )


def check_results(result) -> dict[str, dg.AssetCheckEvaluation]:
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def test_inbox_files_flow_to_marts_and_the_serving_snapshot(tmp_path):
    home = tmp_path / "home"
    (home / "inbox").mkdir(parents=True)
    ibm = shared_path("data", "external", "ibm_accounts_receivable", "WA_Fn-UseC_-Accounts-Receivable.csv")
    shutil.copy(ibm, home / "inbox" / ibm.name)
    write(
        home / "inbox" / "factures.csv",
        invoice_csv(
            [
                "F-1;Facture;C1;15/01/2026;;14/02/2026;100,00;20,00;120,00;EUR;;;;",
                "F-2;Facture;C1;15/01/2026;;14/02/2026;100,00;20,00;150,00;EUR;;;;",  # totals do not add up
                "F-3;Facture;C1;30/02/2026;;14/02/2026;100,00;20,00;120,00;EUR;;;;",  # quarantined
            ]
        ),
        "cp1252",
    )
    result = run_ingest_job(home)
    assert result.success
    materialized = {
        e.materialization.asset_key.to_user_string(): e.materialization.metadata
        for e in result.get_asset_materialization_events()
    }
    assert {"raw/invoices", "staging/invoices", "marts/invoices", "marts/customers", "serving/snapshot"} <= set(
        materialized
    )
    assert materialized["raw/ingest_files"]["rows_read"].value == 2466 + 3
    assert materialized["raw/ingest_files"]["quarantined"].value == 1
    checks = check_results(result)
    assert checks["counts_reconcile"].passed
    assert checks["invoice_numbers_unique_per_issuer"].passed
    assert not checks["totals_add_up"].passed
    assert checks["totals_add_up"].metadata["mismatched"].value == 1
    assert checks["totals_add_up"].severity == dg.AssetCheckSeverity.WARN
    assert checks["dates_plausible"].passed

    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        assert (
            con.execute("select count(*) from marts.invoices where is_late and currency = 'USD'").fetchall()[0][0]
            == 877
        )
        assert con.execute("select count(*) from raw.ingest_files").fetchall()[0][0] == 2
    with duckdb.connect(str(home / "serving" / "snapshot.duckdb"), read_only=True) as snap:
        tables = {
            f"{s}.{t}"
            for s, t in snap.execute("select table_schema, table_name from information_schema.tables").fetchall()
        }
        assert {"staging.invoices", "staging.quarantine", "marts.invoices", "marts.customers"} <= tables
        assert snap.execute("select count(*) from staging.quarantine").fetchall()[0][0] == 1

    # a second run with nothing new in the inbox changes nothing
    again = run_ingest_job(home)
    assert again.success
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from raw.invoices").fetchall()[0][0] == 2466 + 2


def test_run_date_tag_decides_what_is_open(tmp_path):
    home = tmp_path / "home"
    (home / "inbox").mkdir(parents=True)
    write(home / "inbox" / "f.csv", invoice_csv(["F-1;Facture;C1;01/03/2026;;31/03/2026;;;100,00;EUR;;;;"]))
    assert run_ingest_job(home, run_date="2026-04-10").success
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("select days_late from marts.invoices").fetchall() == [(10,)]


def test_sensor_requests_one_run_per_new_file(tmp_path):
    home = tmp_path / "home"
    (home / "inbox").mkdir(parents=True)
    first = write(home / "inbox" / "a.csv", "Invoice No,Customer,Invoice Date,Amount\nI1,C1,2026-01-01,5.00\n")
    write(home / "inbox" / ".hidden.csv", "x")
    write(home / "inbox" / "b.csv.part", "still copying")
    resources = {"relance": RelanceResource(home=str(home))}

    context = dg.build_sensor_context(resources=resources)
    requests = list(ingest.inbox_sensor(context))
    assert len(requests) == 1
    [request] = requests
    assert request.run_key == __import__("hashlib").sha256(first.read_bytes()).hexdigest()
    assert request.run_config["ops"]["raw_ingest"]["config"]["paths"] == [str(first)]

    # next tick with the cursor: nothing new, nothing requested
    cursor = context.cursor
    context = dg.build_sensor_context(resources=resources, cursor=cursor)
    assert list(ingest.inbox_sensor(context)) == []

    # a new file, and a changed file (new bytes), each get their run
    second = write(home / "inbox" / "c.csv", "Invoice No,Customer,Invoice Date,Amount\nI2,C1,2026-01-02,6.00\n")
    write(
        first,
        "Invoice No,Customer,Invoice Date,Amount\nI1,C1,2026-01-01,7.00\n",
        mtime=dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc),
    )
    context = dg.build_sensor_context(resources=resources, cursor=cursor)
    keys = {r.run_config["ops"]["raw_ingest"]["config"]["paths"][0] for r in ingest.inbox_sensor(context)}
    assert keys == {str(first), str(second)}

    # the run the sensor asks for ingests exactly that file
    result = run_ingest_job(home, run_config=request.run_config)
    assert result.success


@pytest.mark.slow
def test_full_code_location_loads_with_the_snapshot_after_every_marts_asset():
    from pipelines.definitions import defs

    keys = defs.resolve_all_asset_keys()
    marts = {k for k in keys if k.path[0] == "marts"}
    assert {dg.AssetKey(["marts", "invoices"]), dg.AssetKey(["marts", "customers"])} <= marts
    snapshot_deps = defs.resolve_assets_def(["serving", "snapshot"]).dependency_keys
    assert marts <= snapshot_deps
    assert defs.resolve_sensor_def("inbox_sensor") is not None
    assert defs.resolve_job_def("ingest_job") is not None
