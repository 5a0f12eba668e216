"""The data layer against a published snapshot: figures recomputed independently in Python from the rows,
filters, the cache following the snapshot file, and a clear notice for tables not published yet."""

import os
import shutil
from datetime import timedelta
from decimal import Decimal

import duckdb
import pytest

from dashboard import data
from dashboard.data import InvoiceFilters
from tests.dashboard.snapshot_fixture import AS_OF, build_snapshot


@pytest.fixture
def snap(published_snapshot, tmp_path):
    path = tmp_path / "serving" / "snapshot.duckdb"
    path.parent.mkdir()
    shutil.copy(published_snapshot, path)
    return data.Snapshot(path)


def _rows(path, sql):
    con = duckdb.connect(str(path), read_only=True)
    try:
        cur = con.execute(sql)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r)) for r in cur.fetchall()]
    finally:
        con.close()


def test_as_of_is_the_publication_date(snap):
    assert data.as_of(snap) == AS_OF


def test_overview_figures_match_the_invoices(snap):
    invoices = _rows(snap.path, "select * from marts.invoices where document_type = 'invoice'")
    kpis = data.overview_kpis(snap)
    open_rows = [i for i in invoices if i["open_amount"] > 0]
    assert kpis["open_amount"] == sum(i["open_amount"] for i in open_rows)
    assert kpis["open_count"] == len(open_rows)
    assert kpis["overdue_amount"] == sum(i["open_amount"] for i in open_rows if i["due_date"] < AS_OF)
    sales = sum(i["amount_incl_tax"] for i in invoices if AS_OF - timedelta(days=90) < i["issue_date"] <= AS_OF)
    assert kpis["dso"] == (kpis["open_amount"] / sales * 90).quantize(Decimal("0.1"))
    retrieval = _rows(snap.path, "select * from marts.access_invoice_retrieval where sent_at is not null")
    assert kpis["retrieval_rate"] == Decimal(sum(r["is_retrieved"] for r in retrieval)) / len(retrieval)


def test_aging_buckets_sum_to_open_receivables(snap):
    aging = data.aging(snap)
    assert aging["bucket"].tolist() == list(data.AGING_BUCKETS)
    assert sum(aging["open_amount"]) == data.overview_kpis(snap)["open_amount"]
    invoices = _rows(snap.path, "select * from marts.invoices where open_amount > 0")
    over_90 = [i for i in invoices if (AS_OF - i["due_date"]).days > 90]
    assert aging.set_index("bucket").loc["91+", "invoice_count"] == len(over_90)


def test_segment_filter_narrows_every_figure(snap):
    everything = data.overview_kpis(snap)
    sme = data.overview_kpis(snap, InvoiceFilters(segments=("sme",)))
    expected = _rows(
        snap.path,
        """select sum(i.open_amount) as s from marts.invoices i
                                  join marts.customers c using (customer_id) where c.segment = 'sme'""",
    )[0]["s"]
    assert sme["open_amount"] == expected < everything["open_amount"]
    funnel = data.funnel(snap, InvoiceFilters(segments=("sme",)), by="segment")
    assert set(funnel["group"]) == {"sme"}


def test_funnel_never_grows_from_issue_to_retrieval(snap):
    funnel = data.funnel(snap).set_index("stage")["invoices"]
    assert funnel["issued"] >= funnel["sent"] >= funnel["delivered"] >= funnel["retrieved"]
    issued = _rows(snap.path, "select count(*) as n from marts.invoices")[0]["n"]
    assert funnel["issued"] == issued


def test_pre_due_alerts_name_every_threat(snap):
    alerts = data.pre_due_alerts(snap, horizon_days=30)
    assert len(alerts) > 0
    assert (alerts["due_date"] >= AS_OF).all() and (alerts["due_date"] <= AS_OF + timedelta(days=30)).all()
    for row in alerts.to_dict("records"):
        named = set(row["alerts"].split(", "))
        assert named == {
            n
            for n, flag in [
                ("not retrieved", row["not_retrieved"]),
                ("bounced", row["bounced"]),
                ("rejected", row["rejected"]),
                ("disputed", row["disputed"]),
            ]
            if flag
        }
    bounced = _rows(
        snap.path,
        """select r.invoice_number from marts.access_invoice_retrieval r
        join marts.invoices i using (invoice_number) where r.bounced_at is not null and i.open_amount > 0
        and i.due_date between date '2026-06-30' and date '2026-07-30'""",
    )
    assert set(alerts.loc[alerts["bounced"], "invoice_number"]) == {r["invoice_number"] for r in bounced}


def test_late_causes_pareto_is_sorted_and_cumulative(snap):
    pareto = data.late_cause_pareto(snap)
    amounts = list(pareto["late_amount"])
    assert amounts == sorted(amounts, reverse=True)
    assert pareto["cumulative_share"].iloc[-1] == pytest.approx(1.0)
    split = data.late_side_split(pareto).set_index("side")
    assert split["amount_share"].sum() == pytest.approx(1.0)
    issuer = _rows(snap.path, "select sum(amount) as a from marts.late_invoice_causes where side = 'issuer'")[0]["a"]
    assert split.loc["issuer", "late_amount"] == issuer
    sme = data.late_cause_pareto(snap, InvoiceFilters(segments=("sme",)))
    assert (
        sme["invoices"].sum()
        == _rows(snap.path, "select count(*) as n from marts.late_invoice_causes where segment = 'sme'")[0]["n"]
        < pareto["invoices"].sum()
    )
    drill = data.late_invoices_for_cause(snap, "missing_purchase_order")
    assert len(drill) == pareto.set_index("cause").loc["missing_purchase_order", "invoices"]
    assert drill["evidence"].str.contains('"purchase_order":null').all()


def test_at_risk_is_ranked_by_probability_times_open_amount(snap):
    ranked = data.at_risk(snap, limit=50)
    exposures = list(ranked["exposure"])
    assert exposures == sorted(exposures, reverse=True)
    first = ranked.iloc[0]
    assert first["exposure"] == (Decimal(str(first["probability_late"])) * first["open_amount"]).quantize(
        Decimal("0.01")
    )


def test_channel_activity_counts_match_the_portal_channel_metrics(snap):
    activity = data.channel_activity(snap, days=1000)
    performance = {r["channel"]: r for r in _rows(snap.path, "select * from marts.delivery_channel_performance")}
    for event_type in ("sent", "delivered", "bounced", "rejected"):
        per_channel = activity[activity["event_type"] == event_type].groupby("channel")["events"].sum()
        for channel, row in performance.items():
            assert per_channel.get(channel, 0) == row[event_type], (channel, event_type)
    only_email = data.channel_activity(snap, days=1000, channels=["email"], grain="month")
    assert set(only_email["channel"]) == {"email"}
    assert only_email["events"].sum() == sum(
        performance["email"][t] for t in ("sent", "delivered", "bounced", "rejected")
    )
    assert all(p.day == 1 for p in only_email["period"])


def test_money_comes_back_as_decimal_and_dates_as_dates(snap):
    table = data.invoices_table(snap, limit=5)
    assert isinstance(table["open_amount"].iloc[0], Decimal)
    assert type(table["due_date"].iloc[0]).__name__ == "date"


def test_a_new_snapshot_replaces_cached_results(snap, tmp_path):
    before = data.overview_kpis(snap)["open_count"]
    build_snapshot(tmp_path / "next" / "snapshot.duckdb", invoices=40, customers=5)
    os.replace(tmp_path / "next" / "snapshot.duckdb", snap.path)  # what stores.snapshot.publish does
    after = data.overview_kpis(snap)["open_count"]
    assert after != before
    assert after == _rows(snap.path, "select count(*) as n from marts.invoices where open_amount > 0")[0]["n"]


def test_a_missing_table_says_which_and_what_to_run(tmp_path):
    path = tmp_path / "snapshot.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create schema marts; create table marts.customers (customer_id varchar, segment varchar)")
    con.close()
    with pytest.raises(data.MissingTable, match=r"marts\.dashboard_invoices is not in the serving snapshot yet"):
        data.overview_kpis(data.Snapshot(path))
    with pytest.raises(FileNotFoundError, match="relance materialize"):
        data.as_of(data.Snapshot(tmp_path / "absent.duckdb"))


def test_filter_descriptions_name_only_what_was_chosen():
    filters = InvoiceFilters(
        segments=("sme",), channels=("paper",), min_days_overdue=10, min_open_amount=Decimal("250.00"), only_open=True
    )
    assert filters.describe() == {
        "segments": ["sme"],
        "channels": ["paper"],
        "min_days_overdue": 10,
        "min_open_amount": "250.00",
        "only_open": True,
    }
    assert data.NO_FILTERS.describe() == {}
