"""The IBM Watson accounts-receivable sample through the analytics marts: the late-rate figures the issue
quotes (43.2% paper vs 27.5% electronic, 68.3% disputed vs 25.9% undisputed, 877 late of 2,466)."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from assets.analytics import backtest
from assets.analytics.ibm_sample import load_ibm_sample
from pipelines import analytics
from stores import warehouse
from tests.analytics.conftest import materialize_analytics
from tests.conftest import shared_path

IBM_CSV = ("data", "external", "ibm_accounts_receivable", "WA_Fn-UseC_-Accounts-Receivable.csv")
AS_OF = date(2014, 1, 31)  # after the last settlement: every outcome is known


def _late_rates(con) -> dict[tuple[str, str], tuple[int, int, float]]:
    result = con.execute("select dimension, value, invoices, late_invoices, late_rate from marts.late_rates")
    return {(d, v): (n, late, rate) for d, v, n, late, rate in result.fetchall()}


@pytest.fixture(scope="module")
def ibm_marts(tmp_path_factory):
    home = tmp_path_factory.mktemp("ibm-marts")
    con = warehouse.connect(home / "warehouse.duckdb")
    load_ibm_sample(con, shared_path(*IBM_CSV))
    con.close()
    wanted = {"analytics_invoice_events", "analytics_invoices", "late_rates", "late_cause_candidates",
              "late_invoice_causes", "late_origin_summary"}
    materialize_analytics(home, AS_OF, [a for a in analytics.ASSETS if {k.path[-1] for k in a.keys} & wanted])
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    yield con
    con.close()


def test_late_rate_paper_against_electronic_billing(ibm_marts):
    rates = _late_rates(ibm_marts)
    assert round(100 * rates[("channel_class", "paper")][2], 1) == 43.2
    assert round(100 * rates[("channel_class", "electronic")][2], 1) == 27.5
    assert rates[("channel_class", "paper")][:2] == (1263, 546)


def test_late_rate_disputed_against_undisputed(ibm_marts):
    rates = _late_rates(ibm_marts)
    assert round(100 * rates[("dispute", "disputed")][2], 1) == 68.3
    assert round(100 * rates[("dispute", "undisputed")][2], 1) == 25.9


def test_877_late_of_2466(ibm_marts):
    invoices, late = ibm_marts.execute(
        "select count(*), count(*) filter (where is_late) from intermediate.analytics_invoices").fetchall()[0]
    assert (invoices, late) == (2466, 877)
    assert ibm_marts.execute("select late_invoices from marts.late_origin_summary").fetchall()[0][0] == 877


def test_the_ingest_path_gives_the_same_lateness_and_dispute_figures():
    # through `relance ingest`'s profile, PaperlessBill becomes the customer's preferred channel (one per
    # customer), so only the per-invoice figures that do not depend on it are compared here
    con = backtest.from_export(shared_path(*IBM_CSV), "ibm_accounts_receivable")
    for layer, name in (("intermediate", "analytics_invoice_events"), ("intermediate", "analytics_invoices"),
                        ("marts", "late_rates")):
        warehouse.build_model(con, layer, name, {"as_of": AS_OF})
    rates = _late_rates(con)
    assert sum(rates[("dispute", v)][1] for v in ("disputed", "undisputed")) == 877
    assert round(100 * rates[("dispute", "disputed")][2], 1) == 68.3
    assert round(100 * rates[("dispute", "undisputed")][2], 1) == 25.9
