"""The IBM Watson accounts-receivable sample taken in the way a user takes it in (`relance ingest` with the
`ibm_accounts_receivable` profile), then the analytics marts: the late-rate figures the issue quotes
(43.2% paper vs 27.5% electronic billing, 68.3% disputed vs 25.9% undisputed, 877 late of 2,466)."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from assets.analytics import defs as analytics
from tests.assets.analytics.conftest import ingest_export, materialize_analytics
from tests.conftest import shared_path

IBM_CSV = ("data", "external", "ibm_accounts_receivable", "WA_Fn-UseC_-Accounts-Receivable.csv")
AS_OF = date(2014, 1, 31)  # after the last settlement: every outcome is known


def _late_rates(con) -> dict[tuple[str, str], tuple[int, int, float]]:
    result = con.execute("select dimension, value, invoices, late_invoices, late_rate from marts.late_rates")
    return {(d, v): (n, late, rate) for d, v, n, late, rate in result.fetchall()}


@pytest.fixture(scope="module")
def ibm_marts(tmp_path_factory):
    home = tmp_path_factory.mktemp("ibm-marts")
    ingest_export(home, shared_path(*IBM_CSV), "ibm_accounts_receivable", AS_OF)
    wanted = {
        "analytics_invoice_events",
        "analytics_invoices",
        "late_rates",
        "late_cause_candidates",
        "late_invoice_causes",
        "late_origin_summary",
    }
    materialize_analytics(home, AS_OF, [a for a in analytics.ASSETS if {k.path[-1] for k in a.keys} & wanted])
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    yield con
    con.close()


def test_late_rate_paper_against_electronic_billing(ibm_marts):
    rates = _late_rates(ibm_marts)
    assert round(100 * rates[("channel_class", "paper")][2], 1) == 43.2
    assert round(100 * rates[("channel_class", "electronic")][2], 1) == 27.5
    assert rates[("channel_class", "paper")][:2] == (1263, 546)
    assert rates[("channel_class", "electronic")][:2] == (1203, 331)
    # PaperlessBill says Electronic without naming the channel: the profile records it as e-mail
    assert rates[("channel", "email")][:2] == (1203, 331)


def test_the_channel_is_the_invoices_own_not_the_customers(ibm_marts):
    # most customers moved between paper and electronic billing: each invoice keeps the channel it had
    per_invoice, per_customer_preference = ibm_marts.execute("""
        select count(*) filter (where analytics.billing_channel = invoices.billing_channel),
               count(*) filter (where analytics.billing_channel = customers.preferred_channel)
        from intermediate.analytics_invoices as analytics
        join marts.invoices as invoices using (invoice_number)
        join marts.customers as customers on customers.customer_id = analytics.customer_id""").fetchall()[0]
    assert per_invoice == 2466
    assert per_customer_preference < 2466


def test_late_rate_disputed_against_undisputed(ibm_marts):
    rates = _late_rates(ibm_marts)
    assert round(100 * rates[("dispute", "disputed")][2], 1) == 68.3
    assert round(100 * rates[("dispute", "undisputed")][2], 1) == 25.9
    assert rates[("dispute", "disputed")][0] == 561


def test_877_late_of_2466(ibm_marts):
    invoices, late = ibm_marts.execute(
        "select count(*), count(*) filter (where is_late) from intermediate.analytics_invoices"
    ).fetchall()[0]
    assert (invoices, late) == (2466, 877)
    assert ibm_marts.execute("select late_invoices from marts.late_origin_summary").fetchall()[0][0] == 877
