"""The dashboard's marts, built by their Dagster assets on a warehouse holding the upstream tables."""

import dagster as dg
import duckdb

from assets.dashboard.defs import ASSETS, CHECKS
from pipelines.resources import RelanceResource
from stores import warehouse
from tests.dashboard.snapshot_fixture import fill_warehouse


def test_dashboard_marts_materialize_with_one_row_per_invoice(relance_home):
    con = warehouse.connect(relance_home.warehouse)
    try:
        fill_warehouse(con, invoices=300, customers=30)
        for layer, name in (("intermediate", "access_invoice_activity"), ("marts", "access_invoice_retrieval")):
            warehouse.build_model(con, layer, name)
    finally:
        con.close()
    result = dg.materialize([*ASSETS, *CHECKS], resources={"relance": RelanceResource(home=str(relance_home.root))})
    assert result.success
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    con = duckdb.connect(str(relance_home.warehouse), read_only=True)
    try:
        invoices, rows, rejected, disputed = con.execute("""
            select (select count(*) from marts.invoices where document_type = 'invoice'), count(*),
                   count(rejected_at), count(disputed_on) from marts.dashboard_invoices""").fetchone()
        expected_rejected = con.execute("""select count(distinct invoice_number) from staging.events
            where event_type = 'rejected' or (event_type = 'lifecycle' and status_code = '213')""").fetchone()[0]
        erp_disputed = {
            r[0]
            for r in con.execute("select invoice_number from staging.disputes where resolved_on is null").fetchall()
        }
        disputed_flags = dict(
            con.execute(
                "select invoice_number, disputed_on is not null from marts.dashboard_invoices "
                "where invoice_number in ('F0000037', 'F0000074')"
            ).fetchall()
        )
        daily_sent = con.execute(
            "select sum(events) from marts.dashboard_channel_daily where event_type = 'sent'"
        ).fetchone()[0]
        sent = con.execute("select count(*) from staging.events where event_type = 'sent'").fetchone()[0]
    finally:
        con.close()
    assert rows == invoices == 301  # 300 generated and the hand-written evidence invoice
    # F0000037 disputed on the portal, F0000074 disputed then resolved there (neither in the ERP's disputes)
    assert not {"F0000037", "F0000074"} & erp_disputed
    assert disputed_flags == {"F0000037": True, "F0000074": False}
    assert rejected == expected_rejected > 0 and disputed > len(erp_disputed) > 0
    assert daily_sent == sent
    assert checks == {"dashboard_invoices_complete": True}


def test_the_code_location_has_the_dashboard_marts_before_the_snapshot_and_a_refresh_job():
    from pipelines.definitions import defs

    graph = defs.resolve_asset_graph()
    snapshot_parents = graph.get(dg.AssetKey(["serving", "snapshot"])).parent_keys
    assert {
        dg.AssetKey(["marts", "dashboard_invoices"]),
        dg.AssetKey(["marts", "dashboard_channel_daily"]),
    } <= snapshot_parents
    job = defs.resolve_job_def("dashboard_refresh_job")
    assert {"marts__dashboard_invoices", "marts__dashboard_channel_daily", "serving__snapshot"} <= set(
        job.graph.node_names()
    )
