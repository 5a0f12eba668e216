"""Which channel an invoice counts under in the late rates: its own billing channel from the export, else
the channel of its first sending, else the customer's preferred channel, else unknown (docs/analytics.md)."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from assets.analytics.contract import create_contract_tables
from stores import warehouse

AS_OF = date(2026, 3, 31)

# invoice, customer, billing channel in the export, channel of its first `sent` event, paid on (due 02-14)
INVOICES = [
    ("P1", "PAPER-FAN", "paper", "email", date(2026, 3, 1)),  # the export's word beats the sending
    ("P2", "PAPER-FAN", None, "platform", date(2026, 2, 10)),  # the sending beats the preference
    ("P3", "PAPER-FAN", None, None, date(2026, 2, 20)),  # only the preference is known
    ("P4", "NO-PREFERENCE", None, None, date(2026, 2, 1)),  # nothing is known
    ("P5", "NO-PREFERENCE", "edi", None, None),  # unpaid past due: late
]


@pytest.fixture
def con(tmp_path):
    con = warehouse.connect(tmp_path / "warehouse.duckdb")
    create_contract_tables(con)
    con.execute(
        "insert into marts.customers (customer_id, preferred_channel) values "
        "('PAPER-FAN', 'paper'), ('NO-PREFERENCE', null)"
    )
    for position, (number, customer, billed, sent, paid) in enumerate(INVOICES, start=1):
        con.execute(
            "insert into marts.invoices (invoice_number, document_type, customer_id, issue_date, due_date, "
            "amount_incl_tax, currency, settled_date, billing_channel) "
            "values (?, 'invoice', ?, '2026-01-15', '2026-02-14', 100, 'EUR', ?, ?)",
            [number, customer, paid, billed],
        )
        if paid:
            con.execute(
                "insert into staging.payments (payment_id, customer_id, invoice_number, payment_date, "
                "amount, currency) values (?, ?, ?, ?, 100, 'EUR')",
                [f"PAY-{number}", customer, number, paid],
            )
        if sent:
            at = datetime(2026, 1, 15, 9, tzinfo=timezone.utc)
            con.execute(
                "insert into staging.events (id, event_id, event_type, occurred_at, recorded_at, "
                "invoice_number, customer_id, channel, source, evidence) "
                "values (?, ?, 'sent', ?, ?, ?, ?, ?, 'test', '{}')",
                [position, f"sent-{number}", at, at, number, customer, sent],
            )
    for layer, name in (
        ("intermediate", "analytics_invoice_events"),
        ("intermediate", "analytics_invoices"),
        ("marts", "late_rates"),
    ):
        warehouse.build_model(con, layer, name, {"as_of": AS_OF})
    yield con
    con.close()


def test_each_invoice_counts_under_the_first_channel_known(con):
    counted = dict(
        con.execute(
            "select invoice_number, billing_channel || '/' || channel_class from intermediate.analytics_invoices"
        ).fetchall()
    )
    assert counted == {
        "P1": "paper/paper",
        "P2": "platform/electronic",
        "P3": "paper/paper",
        "P4": "unknown/unknown",
        "P5": "edi/electronic",
    }


def test_late_rates_by_channel_class_follow_it(con):
    rates = {
        value: (invoices, late)
        for value, invoices, late in con.execute(
            "select value, invoices, late_invoices from marts.late_rates where dimension = 'channel_class'"
        ).fetchall()
    }
    # paper: P1 paid late (its e-mail sending does not make it electronic), P3 late; electronic: P2 on
    # time, P5 unpaid past due; unknown: P4 on time
    assert rates == {"paper": (2, 2), "electronic": (2, 1), "unknown": (1, 0)}
