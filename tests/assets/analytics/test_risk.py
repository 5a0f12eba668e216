"""The overdue-risk model: point-in-time features (no leakage), labels as known at a date, the scores the
asset publishes, and the backtest command on the IBM sample."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone

import duckdb
import numpy as np
import pytest

from assets.analytics import defs as analytics
from assets.analytics import risk
from pipelines import cli
from stores import warehouse
from tests.assets.analytics import fixture
from tests.assets.analytics.conftest import ingest_export, materialize_analytics, rows
from tests.conftest import shared_path

IBM_CSV = ("data", "external", "ibm_accounts_receivable", "WA_Fn-UseC_-Accounts-Receivable.csv")
CUTOFF = date(2026, 2, 15)


def _features(con, as_of: date) -> list[tuple]:
    warehouse.build_model(con, "intermediate", "analytics_invoice_events", {"as_of": as_of})
    warehouse.build_model(con, "intermediate", "risk_features", {"as_of": as_of})
    return con.execute("select * from intermediate.risk_features order by invoice_number, scoring").fetchall()


def _change_everything_after(con, cutoff: date) -> None:
    """Rewrite history after the cut-off: later settlements move, later invoices, payments, disputes and
    events appear or change. None of it was knowable on the cut-off date."""
    con.execute("update marts.invoices set settled_date = settled_date + 40 where settled_date >= ?", [cutoff])
    con.execute("update marts.invoices set amount_incl_tax = amount_incl_tax * 3 where issue_date > ?", [cutoff])
    con.execute("update staging.payments set payment_date = payment_date + 40 where payment_date >= ?", [cutoff])
    con.execute(
        "insert into marts.invoices (invoice_number, document_type, customer_id, issue_date, due_date, "
        "amount_incl_tax, purchase_order, settled_date) values ('LATE-1', 'invoice', 'C3', ?, ?, 99999, null, ?)",
        [date(2026, 2, 20), date(2026, 3, 1), date(2026, 3, 2)],
    )
    con.execute("insert into staging.disputes values ('I7', 'C3', ?, 'price', 10, null)", [date(2026, 2, 16)])
    con.execute(
        "insert into staging.events (id, event_id, event_type, occurred_at, recorded_at, invoice_number, "
        "customer_id, channel, source, evidence) values (999, 'late-event', 'sent', ?, ?, 'I3', 'C1', 'paper', "
        "'test', '{}')",
        [datetime(2026, 2, 16, tzinfo=timezone.utc), datetime(2026, 2, 16, tzinfo=timezone.utc)],
    )


def test_features_do_not_change_when_data_after_the_cutoff_changes(tmp_path):
    con = warehouse.connect(tmp_path / "warehouse.duckdb")
    fixture.load(con)
    before = _features(con, CUTOFF)
    assert any(row[2] == "open" for row in before)  # open invoices on the cut-off date are scored too
    _change_everything_after(con, CUTOFF)
    assert _features(con, CUTOFF) == before


def test_the_leakage_test_would_see_a_change_before_the_cutoff(tmp_path):
    # control: the same comparison does notice a change the model was allowed to know about
    con = warehouse.connect(tmp_path / "warehouse.duckdb")
    fixture.load(con)
    before = _features(con, CUTOFF)
    con.execute("update marts.invoices set settled_date = date '2026-01-25' where invoice_number = 'I8'")
    assert _features(con, CUTOFF) != before


def test_features_by_hand(tmp_path):
    con = warehouse.connect(tmp_path / "warehouse.duckdb")
    fixture.load(con)
    _features(con, fixture.AS_OF)
    found = {(r["invoice_number"], r["scoring"]): r for r in rows(con, "select * from intermediate.risk_features")}
    # I7 scored on 2026-03-31: Gamma had settled I8 (on time), I12 (10 days late), I13 (5 days late)
    i7 = found[("I7", "open")]
    assert (i7["prior_settled"], i7["prior_late_rate"], i7["prior_mean_days_late"]) == (3, pytest.approx(2 / 3), 5)
    assert i7["prior_mean_days_to_pay"] == pytest.approx((21 + 40 + 35) / 3)
    assert i7["days_since_last_settlement"] == 45  # I12 on 2026-02-14
    assert (i7["open_invoices"], i7["overdue_invoices"], i7["overdue_amount"]) == (1, 1, 3000.0)  # I6
    # I7 scored at issue (2026-02-01): nothing settled yet, four earlier invoices all open, I6 overdue
    at_issue = found[("I7", "at_issue")]
    assert at_issue["prior_settled"] == 0 and at_issue["prior_late_rate"] is None
    assert at_issue["prior_mean_days_late"] is None
    assert (at_issue["prior_invoices"], at_issue["open_invoices"], at_issue["overdue_invoices"]) == (4, 4, 1)
    assert at_issue["amount_vs_usual"] == pytest.approx(1500 / ((3000 + 700 + 1000 + 250) / 4))
    # I5 (Beta) at issue, 2026-03-01: I9's price dispute was opened on 2026-01-10, one of 2 earlier invoices
    assert found[("I5", "at_issue")]["prior_dispute_rate"] == pytest.approx(0.5)
    assert found[("I5", "at_issue")]["channel"] == "paper"


def test_labels_as_known_on_a_date():
    outcomes = {
        "paid-on-time": risk.Outcome(date(2026, 1, 31), date(2026, 1, 20)),
        "paid-late": risk.Outcome(date(2026, 1, 31), date(2026, 2, 10)),
        "unpaid-overdue": risk.Outcome(date(2026, 1, 31), None),
        "not-due": risk.Outcome(date(2026, 3, 31), None),
    }
    known, late, days = risk.known_labels(list(outcomes), outcomes, date(2026, 2, 5))
    # on 2026-02-05 "paid-late" is still unpaid but already past due: known late, 5 days so far
    assert known.tolist() == [True, True, True, False]
    assert late.tolist()[:3] == [0, 1, 1]
    assert days.tolist()[:3] == [0, 5, 5]


@pytest.fixture(scope="module")
def ibm_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("ibm-risk")
    # settled as of the sample's last settlement, like a user ingesting it then; the risk asset runs earlier
    ingest_export(home, shared_path(*IBM_CSV), "ibm_accounts_receivable", date(2014, 1, 31))
    return home


@pytest.mark.slow
def test_risk_asset_scores_every_open_invoice_with_calibrated_probabilities(ibm_home):
    as_of = date(2013, 9, 30)
    selection = [
        a
        for a in analytics.ASSETS
        if {k.path[-1] for k in a.keys} & {"analytics_invoice_events", "risk_features", "risk_scores"}
    ]
    result = materialize_analytics(ibm_home, as_of, selection)
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks.get("every_open_invoice_scored") is True
    con = duckdb.connect(str(ibm_home / "warehouse.duckdb"), read_only=True)
    (metrics,) = rows(con, "select * from marts.risk_model_metrics")
    open_count = con.execute(
        "select count(*) from marts.invoices where issue_date <= ? and (settled_date is null or settled_date > ?)",
        [as_of, as_of],
    ).fetchall()[0][0]
    assert metrics["status"] == "trained" and metrics["scored_invoices"] == open_count > 50
    assert metrics["calibration_method"] == "isotonic"
    assert 0 < metrics["model_brier"] < 0.25  # far better than a coin (0.25)
    scores = rows(con, "select * from marts.risk_scores")
    assert all(0 <= s["probability_late"] <= 1 and s["expected_days_late"] >= 0 for s in scores)
    factors = json.loads(scores[0]["top_factors"])
    assert 1 <= len(factors) <= 3 and {"feature", "contribution", "value"} <= set(factors[0])
    assert factors[0]["feature"] in risk.FEATURES + risk.DERIVED_FEATURES
    # riskier invoices are later, on average: the expected days late follow the probability
    probability = np.array([s["probability_late"] for s in scores])
    expected = np.array([s["expected_days_late"] for s in scores])
    assert np.corrcoef(probability, expected)[0, 1] > 0.5
    calibration = rows(con, "select * from marts.risk_calibration order by bin")
    assert sum(c["invoices"] for c in calibration) == metrics["holdout_invoices"]
    # calibrated: predicted and observed late rates differ by under 10 points on average over the holdout
    # (the later invoices of the sample are paid better than the earlier ones, so some drift remains)
    gap = sum(c["invoices"] * abs(c["mean_predicted"] - c["observed_late_rate"]) for c in calibration if c["invoices"])
    assert gap / metrics["holdout_invoices"] < 0.10
    assert metrics["model_brier"] < metrics["baseline_brier"]
    con.close()


@pytest.mark.slow
def test_backtest_command_beats_the_baseline_on_the_ibm_sample(capsys):
    csv = shared_path(*IBM_CSV)
    code = cli.main(
        [
            "risk",
            "backtest",
            "--cutoff",
            "2013-07-01",
            "--json",
            "--input",
            str(csv),
            "--profile",
            "ibm_accounts_receivable",
        ]
    )
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert result["train_invoices"] + result["test_invoices"] > 2300
    assert result["model"]["auc"] > result["baseline"]["auc"]
    assert result["model"]["accuracy"] > result["baseline"]["accuracy"]
    assert result["model"]["brier"] < result["baseline"]["brier"]
    assert result["model"]["accuracy"] > 0.77  # in the range Appel et al. report on other data


def test_backtest_command_explains_bad_input(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("RELANCE_HOME", str(tmp_path / "empty-home"))
    assert cli.main(["risk", "backtest", "--cutoff", "2013-07-01"]) == 1
    assert "no warehouse" in capsys.readouterr().err
    assert cli.main(["risk", "backtest", "--cutoff", "2013-07-01", "--profile", "ibm_accounts_receivable"]) == 2
    assert "--profile needs --input" in capsys.readouterr().err
    assert cli.main(["risk", "backtest", "--cutoff", "2013-07-01", "--input", str(tmp_path / "nope.csv")]) == 1
    assert "not found" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["risk", "backtest", "--cutoff", "July"])
    assert "not a date" in capsys.readouterr().err


def test_backtest_reads_a_copy_of_the_warehouse(tmp_path, monkeypatch, capsys, ibm_home):
    monkeypatch.setenv("RELANCE_HOME", str(ibm_home))
    assert cli.main(["risk", "backtest", "--cutoff", "2013-10-01"]) == 0
    out = capsys.readouterr().out
    assert "Cut-off 2013-10-01" in out and "baseline (own past late rate)" in out
