"""Figures are pure functions of their DataFrames: the values, order and colours a user reads."""

from datetime import date
from decimal import Decimal

import pandas as pd

from dashboard import figures


def test_aging_bars_keep_bucket_order_and_amounts_even_when_input_is_shuffled():
    aging = pd.DataFrame(
        {
            "bucket": ["91+", "not due", "31-60", "1-30", "61-90"],
            "open_amount": [Decimal("5.00"), Decimal("1.00"), Decimal("3.00"), Decimal("2.00"), Decimal("4.00")],
            "invoice_count": [50, 10, 30, 20, 40],
        }
    )
    fig = figures.aging_bars(aging)
    bar = fig.data[0]
    assert list(bar.x) == ["not due", "1-30", "31-60", "61-90", "91+"]
    assert list(bar.y) == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert list(bar.customdata) == [10, 20, 30, 40, 50]
    assert figures.aging_bars(aging).to_json() == fig.to_json()  # same frame, same figure


def test_funnel_has_one_trace_per_group_with_stages_in_order():
    long = pd.DataFrame(
        {
            "group": ["email"] * 5 + ["paper"] * 5,
            "stage": ["paid", "issued", "sent", "delivered", "retrieved"] * 2,
            "invoices": [10, 100, 90, 80, 40, 5, 50, 50, 45, 0],
        }
    )
    fig = figures.funnel(long)
    assert [t.name for t in fig.data] == ["email", "paper"]
    assert list(fig.data[0].y) == ["issued", "sent", "delivered", "retrieved", "paid"]
    assert list(fig.data[0].x) == [100, 90, 80, 40, 10]
    assert list(fig.data[1].x) == [50, 50, 45, 0, 5]


def test_pareto_colours_issuer_causes_red_and_plots_cumulative_share():
    causes = pd.DataFrame(
        {
            "cause": ["never_retrieved", "chronic_late_payer", "unknown"],
            "side": ["issuer", "customer", "undetermined"],
            "invoices": [3, 1, 1],
            "late_amount": [Decimal("300.00"), Decimal("100.00"), Decimal("100.00")],
            "cumulative_share": [0.6, 0.8, 1.0],
        }
    )
    fig = figures.pareto(causes)
    bars, line = fig.data
    assert list(bars.marker.color) == [figures.ISSUER_COLOUR, figures.CUSTOMER_COLOUR, figures.OTHER_COLOUR]
    assert list(bars.y) == [300.0, 100.0, 100.0]
    assert list(line.y) == [60.0, 80.0, 100.0]
    assert line.yaxis == "y2"


def test_channel_activity_draws_a_line_per_channel_and_event_type():
    activity = pd.DataFrame(
        {
            "period": [date(2026, 6, 1)] * 3 + [date(2026, 6, 2)],
            "channel": ["email", "email", "paper", "email"],
            "event_type": ["sent", "bounced", "sent", "sent"],
            "events": [10, 1, 4, 12],
        }
    )
    fig = figures.channel_activity(activity)
    names = [t.name for t in fig.data]
    assert names == ["email · sent", "email · bounced", "paper · sent"]
    assert list(fig.data[0].y) == [10, 12]
    assert fig.data[1].line.color == figures.EVENT_COLOURS["bounced"]
    totals = figures.channel_totals(activity)
    sent = next(t for t in totals.data if t.name == "sent")
    assert dict(zip(sent.x, sent.y)) == {"email": 22, "paper": 4}


def test_risk_exposure_bubbles_grow_with_exposure():
    rows = pd.DataFrame(
        {
            "invoice_number": ["A", "B"],
            "open_amount": [Decimal("1000"), Decimal("100")],
            "probability_late": [0.5, 0.9],
            "exposure": [Decimal("500"), Decimal("90")],
        }
    )
    marker = figures.risk_exposure(rows).data[0].marker
    assert marker.size[0] > marker.size[1]


def test_side_split_and_retrieval_rates():
    split = pd.DataFrame({"side": ["customer", "issuer"], "late_amount": [Decimal("60"), Decimal("40")]})
    pie = figures.side_split(split).data[0]
    assert list(pie.values) == [60.0, 40.0]
    customers = pd.DataFrame(
        {
            "customer_name": ["X", "Y"],
            "retrieval_rate": [Decimal("0.25"), Decimal("0.5")],
            "invoices_sent": [4, 2],
            "never_retrieved": [3, 1],
        }
    )
    bar = figures.retrieval_rates(customers).data[0]
    assert list(bar.x) == [25.0, 50.0] and list(bar.y) == ["X", "Y"]
