"""Every page rendered by Streamlit's AppTest, signed in through the login form with the role that uses it."""

import duckdb
import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from dashboard import auth, ui
from stores import operational as ops
from tests.dashboard.conftest import APP, sign_in
from tests.dashboard.helpers import DOWNLOAD_IP, EVIDENCE_INVOICE, record_evidence_events

pytestmark = pytest.mark.slow


def _scalar(path, sql):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchone()[0]
    finally:
        con.close()


def _audit(engine, action):
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(ops.audit_log).where(ops.audit_log.c.action == action)).mappings()]


def _table(at, *columns):
    """The table on the page that has these columns (AppTest does not expose a dataframe's key)."""
    for frame in at.dataframe:
        if set(columns) <= set(frame.value.columns):
            return frame.value
    raise AssertionError(f"no table with columns {columns}: {[list(f.value.columns) for f in at.dataframe]}")


def _no_failures(at):
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def test_login_refuses_a_wrong_password_and_audits_both_outcomes(dashboard_home, opstore):
    at = sign_in("carl", password="wrong")
    assert [e.value for e in at.error] == ["Unknown user name or wrong password."]
    assert [t.value for t in at.title] == ["Relance — sign in"]
    at = sign_in("carl")
    assert [t.value for t in at.title] == ["Overview"]
    assert [r["actor"] for r in _audit(opstore, "login_failed")] == ["carl"]
    assert [r["actor"] for r in _audit(opstore, "login")] == ["carl"]


def test_overview_shows_receivables_aging_and_alerts(dashboard_home):
    at = sign_in("vera")
    _no_failures(at)
    metrics = {m.label: m.value for m in at.metric}
    overdue = _scalar(
        dashboard_home.snapshot,
        "select sum(open_amount) from marts.invoices where open_amount > 0 and due_date < date '2026-06-30'",
    )
    assert metrics["Overdue"] == ui.money_short(overdue)
    overdue_metric = next(m for m in at.metric if m.label == "Overdue")
    assert overdue_metric.proto.help.startswith(ui.money(overdue))
    assert metrics["Postage saved"] == ui.money("554.20")
    assert metrics["DSO countback"] == "58.2" and metrics["Collection effectiveness"] == "71.3 %"
    assert len(at.get("plotly_chart")) == 2
    alerts = _table(at, "invoice_number", "alerts")
    for label, flag in (("Not retrieved", "not_retrieved"), ("Bounced", "bounced"), ("Disputed", "disputed")):
        assert int(metrics[label]) == sum(alerts["alerts"].str.contains(flag.replace("_", " ")))
    assert len(alerts) > 0
    assert set(alerts.columns) >= {"invoice_number", "customer_name", "due_date", "alerts"}


def test_a_sidebar_filter_narrows_the_overview(dashboard_home):
    at = sign_in("vera")
    before = {m.label: m.value for m in at.metric}["Open receivables"]
    at.sidebar.multiselect(key="filter_segments").select("public").run()
    _no_failures(at)
    public = _scalar(
        dashboard_home.snapshot,
        "select sum(i.open_amount) from marts.invoices i join "
        "marts.customers c using (customer_id) where c.segment = 'public'",
    )
    after = {m.label: m.value for m in at.metric}["Open receivables"]
    assert after == ui.money_short(public) != before


def test_retrieval_lists_customers_and_lets_credit_managers_export(dashboard_home):
    at = sign_in("carl", "app_pages/retrieval.py")
    _no_failures(at)
    table = _table(at, "customer_id", "retrieval_rate")
    expected = _scalar(
        dashboard_home.snapshot,
        "select count(distinct customer_id) from marts.access_invoice_retrieval where sent_at is not null",
    )
    assert len(table) == expected
    assert list(table["retrieval_rate"]) == sorted(table["retrieval_rate"])
    assert {b.label for b in at.get("download_button")} == {"Download CSV", "Download XLSX"}
    at.checkbox(key="only_never_retrieved").check().run()
    assert (_table(at, "customer_id", "retrieval_rate")["never_retrieved"] > 0).all()
    at.radio(key="funnel_split").set_value("channel").run()
    _no_failures(at)


def test_viewers_get_no_export(dashboard_home):
    at = sign_in("vera", "app_pages/retrieval.py")
    _no_failures(at)
    assert not at.get("download_button")


def test_late_payment_origins_drill_down_shows_evidence(dashboard_home):
    at = sign_in("carl", "app_pages/late_origins.py")
    _no_failures(at)
    assert at.selectbox(key="drill_cause").options[0] == "chronic_late_payer"
    at.selectbox(key="drill_cause").select("missing_purchase_order").run()
    late = _table(at, "invoice_number", "evidence", "all_causes")
    expected = _scalar(
        dashboard_home.snapshot,
        "select count(*) from marts.late_invoice_causes where primary_cause = 'missing_purchase_order'",
    )
    assert len(late) == expected and late["evidence"].str.contains("purchase_order").all()
    assert "Issuer side" in [m.label for m in at.metric]


def test_at_risk_ranks_by_exposure_and_only_finance_leads_can_remind(dashboard_home):
    at = sign_in("carl", "app_pages/at_risk.py")
    _no_failures(at)
    ranked = _table(at, "invoice_number", "exposure")
    assert list(ranked["exposure"]) == sorted(ranked["exposure"], reverse=True)
    assert not [b for b in at.button if b.key == "remind_selected"]
    at = sign_in("fiona", "app_pages/at_risk.py")
    assert next(b for b in at.button if b.key == "remind_selected").disabled  # nothing selected yet
    at.slider(key="min_probability").set_value(90).run()
    assert (_table(at, "invoice_number", "exposure")["probability_late"] >= 0.9).all()


def test_customer_360_timeline_and_evidence_pack(dashboard_home, opstore):
    record_evidence_events(opstore)
    at = sign_in("carl", "app_pages/customer_360.py")
    at.text_input(key="customer_search").input("Evidence").run()
    _no_failures(at)
    assert at.selectbox(key="customer_choice").value == "Evidence & Co (C-EVIDENCE)"
    assert at.selectbox(key="timeline_invoice").value == EVIDENCE_INVOICE
    timeline = _table(at, "when (customer time)")
    assert "2026-05-04 09:00:00 EDT" in set(timeline["when (customer time)"])
    assert any(DOWNLOAD_IP in str(e) for e in timeline["evidence"])
    at.button(key="build_evidence").click().run()
    _no_failures(at)
    assert [b.label for b in at.get("download_button")] == ["Download evidence pack"]
    built = _audit(opstore, "evidence_pack.built")
    assert built[0]["actor"] == "carl" and built[0]["target"] == {"invoice_number": EVIDENCE_INVOICE}
    assert built[0]["item_count"] == 3


def test_viewers_cannot_build_an_evidence_pack(dashboard_home):
    at = sign_in("vera", "app_pages/customer_360.py")
    _no_failures(at)
    assert not [b for b in at.button if b.key == "build_evidence"]


def test_channels_page_plots_activity_and_performance(dashboard_home):
    at = sign_in("vera", "app_pages/channels.py")
    _no_failures(at)
    assert len(at.get("plotly_chart")) == 2
    totals = _table(at, "channel", "sent").set_index("channel")
    assert set(totals.index) == {"email", "platform", "edi", "paper"}
    at.radio(key="channel_grain").set_value("week").run()
    _no_failures(at)
    performance = _table(at, "channel", "delivery_rate")
    assert set(performance.columns) >= {"channel", "delivery_rate", "bounce_rate"}


def test_campaigns_is_for_finance_leads_only(dashboard_home):
    for name in ("vera", "carl"):
        at = sign_in(name)
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page("app_pages/campaigns.py")
    # Opening the page file directly (a stale link) is refused by the page itself.
    page = AppTest.from_file(
        str(dashboard_home.root.parent) and APP.replace("app.py", "app_pages/campaigns.py"), default_timeout=30
    )
    page.session_state[ui.USER_KEY] = auth.User("vera", "Vera", "viewer")
    page.run()
    assert [e.value for e in page.error] == ["Campaigns is for the finance lead role; you are signed in as viewer."]
    at = sign_in("fiona", "app_pages/campaigns.py")
    _no_failures(at)
    assert [t.value for t in at.title] == ["Campaigns"]


def test_with_oidc_configured_the_sign_in_page_offers_the_identity_provider(dashboard_home):
    at = AppTest.from_file(APP, default_timeout=30)
    at.secrets["auth"] = {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "x" * 32,
        "client_id": "relance-dashboard",
        "client_secret": "secret",
        "server_metadata_url": "https://login.example.com/.well-known/openid-configuration",
    }
    at.run()
    _no_failures(at)
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.text_input  # no local password form when the company's identity provider is configured


def test_without_any_account_the_sign_in_page_says_how_to_create_one(dashboard_home, tmp_path, monkeypatch):
    monkeypatch.setenv("RELANCE_DASHBOARD_USERS", str(tmp_path / "absent.toml"))
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    assert "relance dashboard user add NAME --role finance_lead" in at.error[0].value


def test_remind_selected_at_risk_invoices_opens_campaigns_with_them(dashboard_home):
    at = sign_in("fiona", "app_pages/at_risk.py")
    ranked = _table(at, "invoice_number", "exposure")
    at.session_state["risk_table"] = {"selection": {"rows": [0, 2], "columns": [], "cells": []}}
    at.run()
    assert "2 selected." in [c.value for c in at.caption]
    at.button(key="remind_selected").click().run()
    _no_failures(at)
    assert [t.value for t in at.title] == ["Campaigns"]
    assert at.radio(key="target_mode").value == "selection in a table"
    assert "2 invoices selected (open invoices of the sidebar filters, latest due first)." in [
        c.value for c in at.caption
    ]
    expected = set(ranked["invoice_number"].iloc[[0, 2]])
    table = _table(at, "invoice_number", "retrieved")
    assert set(table["invoice_number"].head(2)) == expected
    metrics = {m.label: m.value for m in at.metric}
    outcomes = ("Sent now", "Scheduled", "Handed over", "Skipped")
    assert sum(int(metrics[label]) for label in outcomes) == 2  # each chosen invoice has one outcome


def test_before_any_publication_the_app_says_what_to_run(dashboard_home):
    dashboard_home.snapshot.unlink()
    at = sign_in("vera")
    assert not at.exception
    assert "run `relance materialize`" in at.error[0].value
