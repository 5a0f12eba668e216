"""Small pieces with exact answers: statement balances, rate-limit refill, language negotiation, log redaction."""

from __future__ import annotations

import logging
from datetime import date
from decimal import Decimal

from channels.portal.data import CustomerView, Invoice, Payment
from channels.portal.i18n import negotiate, parse_accept_language
from channels.portal.security import RateLimiter, RedactingFilter


def invoice(number, currency, amount, issued, doc_type="invoice"):
    amount = Decimal(amount)
    return Invoice(
        oid=number,
        invoice_number=number,
        document_type=doc_type,
        issue_date=issued,
        due_date=None,
        amount_excl_tax=amount,
        tax_amount=Decimal("0"),
        amount_incl_tax=amount,
        currency=currency,
        purchase_order=None,
        original_invoice_number=None,
        description=None,
        paid_amount=Decimal("0"),
        credited_amount=Decimal("0"),
        open_amount=amount,
        settled_date=None,
        status="open",
        days_late=0,
        is_late=False,
    )


def test_statement_keeps_one_running_balance_per_currency():
    view = CustomerView(
        "C9",
        None,
        [
            invoice("F-1", "EUR", "100.00", date(2026, 1, 1)),
            invoice("F-2", "USD", "50.00", date(2026, 1, 2)),
            invoice("AV-1", "EUR", "-20.00", date(2026, 1, 3), "credit_note"),
        ],
        [Payment("P-1", "F-1", date(2026, 1, 4), Decimal("30.00"), "EUR", "transfer", "VIR")],
    )
    lines = view.statement()
    assert [(line.reference, line.currency, line.debit, line.credit, line.balance) for line in lines] == [
        ("F-1", "EUR", Decimal("100.00"), Decimal("0.00"), Decimal("100.00")),
        ("F-2", "USD", Decimal("50.00"), Decimal("0.00"), Decimal("50.00")),
        ("AV-1", "EUR", Decimal("0.00"), Decimal("20.00"), Decimal("80.00")),
        ("VIR", "EUR", Decimal("0.00"), Decimal("30.00"), Decimal("50.00")),
    ]
    assert view.closing_balances(lines) == {"EUR": Decimal("50.00"), "USD": Decimal("50.00")}


def test_rate_limiter_refills_at_the_configured_rate():
    now = [0.0]
    limiter = RateLimiter(per_minute=60, burst=2, clock=lambda: now[0])
    assert [limiter.allow("k")[0] for _ in range(3)] == [True, True, False]
    allowed, wait = limiter.allow("k")
    assert not allowed and 0.9 < wait <= 1.0
    now[0] = 1.0  # one second at 60/min gives one request back
    assert limiter.allow("k")[0] and not limiter.allow("k")[0]
    assert limiter.allow("other")[0]
    assert RateLimiter(per_minute=0, burst=1).allow("k") == (True, 0.0)


def test_language_negotiation_order():
    assert parse_accept_language("de-DE,de;q=0.9,en;q=0.8,fr;q=0.7") == "en"
    assert parse_accept_language("fr-CA, en;q=0.9") == "fr"
    assert parse_accept_language("es, *;q=0.1") is None
    assert negotiate("en", "fr", "fr", "fr") == "en"
    assert negotiate(None, "en", "fr", "fr") == "en"
    assert negotiate("xx", None, "de", "en") == "en"
    assert negotiate(None, None, None, None) == "fr"


def test_filter_redacts_free_text_records():
    record = logging.LogRecord(
        "relance.portal",
        logging.WARNING,
        __file__,
        1,
        "link %s for %s from %s failed",
        ("/p/abc.def/invoices/x?via=email", "a.b@c.example", "203.0.113.9"),
        None,
    )
    assert RedactingFilter().filter(record)
    assert record.getMessage() == "link /p/[token]/invoices/x?[query] for [email] from [ip] failed"
