"""Every KPI on the fixture book (tests/assets/analytics/fixture.py) against figures computed by hand.

As of 2026-03-31, open invoices: I3 300 (500 less a 200 part payment, 14 days overdue), I5 800 (due that
day: current), I6 3000 (120 days), I7 1500 (28 days; its payment on 2026-04-05 is after the as-of date),
I9 600 (76 days), I10 400 (35 days). Receivables 6600, current 800, overdue 5800.
The period is the 90 days 2026-01-01..2026-03-31: invoices issued 9750, credit note CN1 100, net sales 9650.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.assets.analytics.conftest import rows


def test_aging_buckets(book):
    aging = rows(book, "select bucket, invoice_count, open_amount from marts.kpi_aging order by bucket_order")
    assert aging == [
        {"bucket": "current", "invoice_count": 1, "open_amount": Decimal("800.00")},
        {"bucket": "1-30", "invoice_count": 2, "open_amount": Decimal("1800.00")},
        {"bucket": "31-60", "invoice_count": 1, "open_amount": Decimal("400.00")},
        {"bucket": "61-90", "invoice_count": 1, "open_amount": Decimal("600.00")},
        {"bucket": "90+", "invoice_count": 1, "open_amount": Decimal("3000.00")},
    ]


def test_receivables_and_dso(book):
    (kpi,) = rows(book, "select * from marts.kpi_summary")
    assert kpi["receivable_amount"] == Decimal("6600.00")
    assert kpi["current_amount"] == Decimal("800.00")
    assert kpi["overdue_amount"] == Decimal("5800.00")
    assert kpi["overdue_invoices"] == 5
    assert kpi["net_credit_sales"] == Decimal("9650.00")
    # standard DSO: 6600 / 9650 x 90
    assert kpi["dso_standard"] == pytest.approx(6600 / 9650 * 90)
    # best possible DSO: current receivables only, 800 / 9650 x 90
    assert kpi["best_possible_dso"] == pytest.approx(800 / 9650 * 90)
    # average days delinquent = DSO - best possible DSO
    assert kpi["average_days_delinquent"] == pytest.approx(5800 / 9650 * 90)


def test_countback_dso(book):
    # March sales 800 (31 days) and February 2400 (2500 less the credit note; 28 days) are consumed whole;
    # the 3400 left takes 3400/6450 of January's 31 days
    (kpi,) = rows(book, "select dso_countback from marts.kpi_summary")
    assert kpi["dso_countback"] == pytest.approx(31 + 28 + 3400 / 6450 * 31)


def test_collection_effectiveness_index(book):
    # receivables on 2025-12-31: I6 3000 + I9 600; CEI = (3600 + 9650 - 6600) / (3600 + 9650 - 800)
    (kpi,) = rows(book, "select opening_receivable_amount, collection_effectiveness_index from marts.kpi_summary")
    assert kpi["opening_receivable_amount"] == Decimal("3600.00")
    assert kpi["collection_effectiveness_index"] == pytest.approx(100 * 6650 / 12450)


def test_on_time_rate_and_days_to_pay(book):
    # settled in the period: I2 40 days, I4 64, I8 21 (the only one on time), I11 49, I12 40, I13 35, I17 40
    (kpi,) = rows(book, "select * from marts.kpi_summary")
    assert (kpi["settled_invoices"], kpi["settled_on_time"]) == (7, 1)
    assert kpi["on_time_rate"] == pytest.approx(1 / 7)
    assert kpi["average_days_to_pay"] == pytest.approx(289 / 7)
    assert kpi["median_days_to_pay"] == 40
    # days late 10, 34, 0, 19, 10, 5, 10
    assert kpi["average_days_late"] == pytest.approx(88 / 7)


def test_days_to_pay_distribution(book):
    found = rows(
        book, "select measure, band, invoice_count, amount from marts.kpi_days_to_pay order by measure, band_order"
    )
    assert [(r["measure"], r["band"], r["invoice_count"]) for r in found] == [
        ("days_late", "on time", 1),
        ("days_late", "1-15", 4),
        ("days_late", "16-30", 1),
        ("days_late", "31-60", 1),
        ("days_late", "60+", 0),
        ("days_to_pay", "0-30", 1),
        ("days_to_pay", "31-45", 4),
        ("days_to_pay", "46-60", 1),
        ("days_to_pay", "61-90", 1),
        ("days_to_pay", "90+", 0),
    ]
    # 31-45 days: I2 2000 + I12 1000 + I13 250 + I17 500
    assert found[6]["amount"] == Decimal("3750.00")


def test_overdue_by_customer(book):
    found = {r["customer_id"]: r for r in rows(book, "select * from marts.kpi_overdue_by_customer")}
    assert {c: (r["open_amount"], r["overdue_amount"], r["overdue_invoices"]) for c, r in found.items()} == {
        "C1": (Decimal("700.00"), Decimal("700.00"), 2),
        "C2": (Decimal("1400.00"), Decimal("600.00"), 1),
        "C3": (Decimal("4500.00"), Decimal("4500.00"), 2),
        "C4": (Decimal("0.00"), Decimal("0.00"), 0),
    }
    assert found["C3"]["oldest_days_overdue"] == 120
    # C3 settled I8 on time, I12 10 days and I13 5 days late
    assert found["C3"]["average_days_late_settled"] == pytest.approx(5)
    assert found["C3"]["late_share_settled"] == pytest.approx(2 / 3)


def test_overdue_by_segment(book):
    found = {r["segment"]: r for r in rows(book, "select * from marts.kpi_overdue_by_segment")}
    assert (found["sme"]["open_amount"], found["sme"]["overdue_amount"]) == (Decimal("5900.00"), Decimal("5100.00"))
    assert (found["enterprise"]["open_amount"], found["enterprise"]["overdue_amount"]) == (
        Decimal("700.00"),
        Decimal("700.00"),
    )
    assert found["sme"]["customers"] == 2


def test_monthly_trends(book):
    months = {r["month"].isoformat(): r for r in rows(book, "select * from marts.kpi_monthly_trends")}
    assert next(iter(months)) == "2025-06-01" and list(months)[-1] == "2026-03-01" and len(months) == 10
    february = months["2026-02-01"]
    assert february["invoiced_amount"] == Decimal("2500.00")  # I3, I7, I17
    assert february["credited_amount"] == Decimal("100.00")  # CN1
    assert february["collected_amount"] == Decimal("4750.00")  # P2, P5, P6, P7, P8
    assert february["invoices_settled"] == 5 and february["on_time_rate"] == pytest.approx(0.2)
    assert february["average_days_to_pay"] == pytest.approx(37)
    assert february["receivable_at_month_end"] == Decimal("7700.00")
    assert february["overdue_at_month_end"] == Decimal("5200.00")  # I4, I6, I9, I10
    march = months["2026-03-01"]
    assert march["collected_amount"] == Decimal("1900.00")  # the payment of 2026-04-05 is not in March
    assert (march["receivable_at_month_end"], march["overdue_at_month_end"]) == (Decimal("6600.00"), Decimal("5800.00"))


def test_postage_spend_and_savings(book):
    (postage,) = rows(book, "select * from marts.kpi_postage")
    # paper in the period: I4's invoice and two reminders, I5's invoice (I9 went out in December)
    assert postage["paper_letters"] == 4
    assert postage["postage_spend"] == Decimal("4.77")  # 1.16 x 3 + 1.29
    # electronic documents never posted: 8 invoices (I2, I3, I7, I8, I10, I11, I12, I13) + 4 reminders
    assert (postage["letters_avoided"], postage["invoice_letters_avoided"], postage["reminder_letters_avoided"]) == (
        12,
        8,
        4,
    )
    assert postage["postage_savings"] == Decimal("13.92")  # 12 x 1.16


def test_late_rates_by_channel_retrieval_and_dispute(book):
    found = {(r["dimension"], r["value"]): r for r in rows(book, "select * from marts.late_rates")}
    # known outcomes: 16 invoices (I5 is not yet due); only I1 and I8 were paid on time
    assert (found[("channel_class", "paper")]["invoices"], found[("channel_class", "paper")]["late_invoices"]) == (2, 2)
    assert (
        found[("channel_class", "electronic")]["invoices"],
        found[("channel_class", "electronic")]["late_invoices"],
    ) == (14, 12)
    assert (found[("channel", "email")]["invoices"], found[("channel", "email")]["late_invoices"]) == (9, 8)
    # retrieval is measured where delivery is tracked: I1, I8, I10, I11 retrieved (I10, I11 late), I3 not
    assert (found[("retrieval", "retrieved")]["invoices"], found[("retrieval", "retrieved")]["late_invoices"]) == (4, 2)
    assert (
        found[("retrieval", "never retrieved")]["invoices"],
        found[("retrieval", "never retrieved")]["late_invoices"],
    ) == (1, 1)
    assert {v: (r["invoices"], r["late_invoices"]) for (d, v), r in found.items() if d == "time_to_retrieval"} == {
        "1-2 days": (2, 0),
        "3-7 days": (1, 1),
        "8-14 days": (1, 1),
        "never": (1, 1),
    }
    assert (found[("dispute", "disputed")]["late_invoices"], found[("dispute", "undisputed")]["late_invoices"]) == (
        1,
        13,
    )
    # Wilson 95% interval of 2 late out of 4: 0.5 -/+ 0.349967
    assert found[("retrieval", "retrieved")]["late_rate_low"] == pytest.approx(0.150033, abs=1e-5)
    assert found[("retrieval", "retrieved")]["late_rate_high"] == pytest.approx(0.849967, abs=1e-5)


EXPECTED_CAUSES = {
    "I2": ("delivery_failed", "issuer"),  # bounced, never delivered
    "I3": ("never_retrieved", "issuer"),  # delivered by e-mail, never opened
    "I4": ("missing_po", "issuer"),  # no PO for a customer tagged po_required
    "I6": ("refused", "customer"),  # 210 with nothing wrong on our side
    "I7": ("rejected_or_invalid", "issuer"),  # 213 from the platform (outranks chronic lateness)
    "I9": ("disputed_amount", "issuer"),  # price dispute
    "I10": ("promise_broken", "customer"),  # promised 2026-03-05, still unpaid
    "I11": ("credit_note_pending", "issuer"),  # credit note issued 9 days after the due date
    "I12": ("issued_late", "issuer"),  # issued 35 days after delivery
    "I13": ("sent_late", "issuer"),  # sent 12 days after issue
    "I14": ("unexplained", "undetermined"),
    "I15": ("unexplained", "undetermined"),  # one late invoice before: not yet chronic
    "I16": ("unexplained", "undetermined"),
    "I17": ("chronic_late_payer", "customer"),  # its 3 earlier invoices were all late
}


def test_one_primary_cause_per_late_invoice(book):
    found = {
        r["invoice_number"]: (r["primary_cause"], r["side"])
        for r in rows(book, "select * from marts.late_invoice_causes")
    }
    assert found == EXPECTED_CAUSES


def test_cause_evidence_and_secondary_causes(book):
    found = {
        r["invoice_number"]: r
        for r in rows(
            book, "select invoice_number, evidence::varchar as evidence, all_causes from marts.late_invoice_causes"
        )
    }
    assert '"status_code":"550"' in found["I2"]["evidence"] and "user unknown" in found["I2"]["evidence"]
    assert '"status_code":"213"' in found["I7"]["evidence"]
    assert found["I7"]["all_causes"] == ["rejected_or_invalid", "chronic_late_payer"]
    assert '"days_after_delivery":35' in found["I12"]["evidence"]
    assert '"prior_settled":3,"prior_late":3' in found["I17"]["evidence"]


def test_share_of_lateness_from_issuer_side(book):
    (summary,) = rows(book, "select * from marts.late_origin_summary")
    # overdue now: I3 300 (issuer), I6 3000 (customer), I7 1500 (issuer), I9 600 (issuer), I10 400 (customer)
    assert summary["overdue_amount"] == Decimal("5800.00")
    assert summary["issuer_side_overdue_amount"] == Decimal("2400.00")
    assert summary["issuer_share_of_overdue_amount"] == pytest.approx(2400 / 5800)
    # days late of the 14 late invoices: 415 in all, 196 from issuer-side causes
    assert (summary["days_late"], summary["issuer_side_days_late"]) == (415, 196)
    assert summary["issuer_share_of_days_late"] == pytest.approx(196 / 415)
    assert (summary["issuer_side_invoices"], summary["customer_side_invoices"], summary["undetermined_invoices"]) == (
        8,
        3,
        3,
    )


def test_share_of_lateness_from_issuer_side_per_customer(book):
    found = {r["customer_id"]: r for r in rows(book, "select * from marts.late_origin_by_customer")}
    assert found["C1"]["issuer_share_of_overdue_amount"] == pytest.approx(300 / 700)
    assert found["C1"]["issuer_share_of_days_late"] == pytest.approx(43 / 78)
    assert found["C2"]["issuer_share_of_overdue_amount"] == pytest.approx(1.0)
    assert found["C3"]["issuer_share_of_overdue_amount"] == pytest.approx(1500 / 4500)
    assert found["C3"]["issuer_share_of_days_late"] == pytest.approx(43 / 163)
    assert found["C4"]["issuer_share_of_overdue_amount"] is None  # nothing overdue
    assert found["C4"]["issuer_share_of_days_late"] == 0


def test_lateness_by_cause(book):
    found = {r["cause"]: r for r in rows(book, "select * from marts.late_origin_by_cause")}
    assert found["refused"]["days_late"] == 120 and found["refused"]["overdue_amount"] == Decimal("3000.00")
    assert found["unexplained"]["late_invoices"] == 3 and found["unexplained"]["days_late"] == 54
    assert sum(r["late_invoices"] for r in found.values()) == 14


def test_reminder_effectiveness(book):
    found = {
        (r["grouping"], r["reminder_step"], r["channel"], r["variant"]): r
        for r in rows(book, "select * from marts.reminder_effectiveness")
    }
    first = found[("step", "first", "all", "all")]
    # first reminders: I4 (paid 28 days later), I2 (7 days), I10 and I7 (unpaid after 14 days);
    # I3's was sent 2026-03-25, its 14 days are not over: not observable yet
    assert (first["reminders"], first["observable_reminders"], first["paid_within_window"]) == (5, 4, 1)
    assert first["payment_rate"] == pytest.approx(0.25)
    assert first["payment_rate_low"] == pytest.approx(0.04558, abs=1e-4)
    assert first["payment_rate_high"] == pytest.approx(0.69936, abs=1e-4)
    assert first["mean_days_to_pay"] == pytest.approx(17.5)
    # t interval on (28, 7): 17.5 +/- 12.7062 x 10.5, bounded below by 0
    assert first["mean_days_to_pay_low"] == 0
    assert first["mean_days_to_pay_high"] == pytest.approx(17.5 + 12.7062047 * 10.5, abs=1e-3)
    second = found[("step", "second", "all", "all")]
    assert (second["observable_reminders"], second["paid_within_window"], second["mean_days_to_pay"]) == (1, 1, 9)
    assert found[("step_channel", "first", "email", "all")]["paid_within_window"] == 1
    assert found[("step_channel", "first", "email", "all")]["observable_reminders"] == 3
    assert found[("step_variant", "first", "all", "A")]["payment_rate"] == pytest.approx(0.5)
    assert found[("step_variant", "first", "all", "B")]["payment_rate"] == 0


def test_events_and_payments_after_the_as_of_date_are_ignored(book):
    (i7,) = rows(
        book, "select open_amount_as_of, settled_on from intermediate.analytics_invoices where invoice_number = 'I7'"
    )
    assert i7 == {"open_amount_as_of": Decimal("1500.00"), "settled_on": None}
    (i5,) = rows(book, "select is_retrieved from intermediate.analytics_invoices where invoice_number = 'I5'")
    assert i5["is_retrieved"] is False


def test_asset_checks_pass_and_risk_waits_for_history(book_home, book):
    assert (book_home / "checks.txt").read_text().split("\n") == [
        "aging_adds_up True",
        "every_open_invoice_scored True",
        "one_cause_per_late_invoice True",
    ]
    (metrics,) = rows(book, "select status, scored_invoices from marts.risk_model_metrics")
    assert metrics["status"].startswith("not enough history") and metrics["scored_invoices"] == 0


def test_figures_do_not_depend_on_the_session_time_zone(tmp_path):
    # business dates are UTC days: a session in Kiritimati (UTC+14) must see the same book
    from assets.analytics.defs import SQL_MODELS
    from pipelines.resources import AnalyticsSettings
    from stores import warehouse
    from tests.assets.analytics import fixture

    con = warehouse.connect(tmp_path / "warehouse.duckdb")
    fixture.load(con)

    def build(zone: str) -> list:
        con.execute(f"set TimeZone = '{zone}'")
        for layer, name, _ in SQL_MODELS:
            warehouse.build_model(con, layer, name, AnalyticsSettings().parameters(fixture.AS_OF))
        return [
            con.execute(f"select * exclude ({skip}) from {table} order by all").fetchall()
            for table, skip in (
                ("marts.kpi_postage", "as_of"),
                ("marts.late_rates", "as_of"),
                ("marts.late_invoice_causes", "evidence"),
                ("intermediate.reminder_outcomes", "reminded_at"),
            )
        ]

    assert build("UTC") == build("Pacific/Kiritimati")
