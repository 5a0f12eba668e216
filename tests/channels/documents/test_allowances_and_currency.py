"""Discounts as EN 16931 allowances (never negative prices), and the VAT total in euros from a stated source."""

from __future__ import annotations

from decimal import Decimal

import pytest

from channels.documents.allowances import AllowanceCharge, line_discount, split_over_vat_groups, total
from channels.documents.currency import CurrencyError, ExchangeRates, accounting_currency


def test_a_line_discount_keeps_the_price_and_allows_the_difference():
    allowance = line_discount(Decimal("10"), Decimal("50.00"), Decimal("450.00"), percent=Decimal("10"))
    assert (allowance.amount, allowance.base_amount, allowance.percent) == (
        Decimal("50.00"),
        Decimal("500.00"),
        Decimal("10"),
    )
    assert allowance.reason_code == "95" and not allowance.charge
    assert line_discount(Decimal("3"), Decimal("19.99"), Decimal("59.97")) is None  # no discount
    assert line_discount(Decimal("3"), Decimal("20"), Decimal("55.00"), amount=Decimal("5.00")).amount == Decimal(
        "5.00"
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(quantity=Decimal("1"), unit_price=Decimal("10"), net_amount=Decimal("12")), "not a discount"),
        (
            dict(quantity=Decimal("10"), unit_price=Decimal("50"), net_amount=Decimal("450"), percent=Decimal("5")),
            "not 50.00",
        ),
        (
            dict(quantity=Decimal("10"), unit_price=Decimal("50"), net_amount=Decimal("450"), amount=Decimal("40")),
            "does not take",
        ),
    ],
)
def test_discount_columns_must_agree_with_the_exported_net(kwargs, message):
    with pytest.raises(ValueError, match=message):
        line_discount(**kwargs)


def test_a_footer_discount_is_split_over_vat_groups_to_the_cent():
    groups = {
        ("S", Decimal("20.00")): Decimal("100.00"),
        ("S", Decimal("5.50")): Decimal("50.00"),
        ("E", Decimal("0.00")): Decimal("50.00"),
    }
    parts = split_over_vat_groups(Decimal("10.01"), groups, charge=False, reason="Remise", reason_code="95")
    assert sum(p.amount for p in parts) == Decimal("10.01")
    by_group = {(p.vat_category, p.vat_rate): p.amount for p in parts}
    assert by_group[("S", Decimal("20.00"))] in (Decimal("5.00"), Decimal("5.01"))
    assert by_group[("E", Decimal("0.00"))] in (Decimal("2.50"), Decimal("2.51"))
    assert total(parts, charge=False) == Decimal("10.01") and total(parts, charge=True) == Decimal("0")


def test_allowances_are_positive_and_explained():
    with pytest.raises(ValueError, match="positive"):
        AllowanceCharge(charge=False, amount=Decimal("-1"), reason="x")
    with pytest.raises(ValueError, match="reason"):
        AllowanceCharge(charge=True, amount=Decimal("1"))
    assert AllowanceCharge(charge=True, amount=Decimal("7.5"), reason_code="FC").signed == Decimal("7.50")


def test_euro_invoices_need_no_accounting_currency():
    assert accounting_currency("EUR", Decimal("20.00")) is None


def test_vat_in_euros_from_the_export_first_then_its_rate_then_the_configured_table():
    rates = ExchangeRates.from_config({"source": "ECB reference rate of 2026-11-30", "USD": "0.9234"})
    booked = accounting_currency(
        "USD", Decimal("200.00"), tax_amount_eur=Decimal("184.11"), exchange_rate=Decimal("0.9"), configured=rates
    )
    assert (booked.code, booked.tax_total, booked.source) == ("EUR", Decimal("184.11"), "export: VAT amount in EUR")
    from_rate = accounting_currency("USD", Decimal("200.00"), exchange_rate=Decimal("0.9"), configured=rates)
    assert from_rate.tax_total == Decimal("180.00") and "0.9 EUR per USD" in from_rate.source
    configured = accounting_currency("usd", Decimal("200.00"), configured=rates)
    assert configured.tax_total == Decimal("184.68")
    assert configured.source == "ECB reference rate of 2026-11-30: 0.9234 EUR per USD"


def test_no_rate_no_invoice():
    with pytest.raises(CurrencyError, match="BR-FR-CO-12"):
        accounting_currency("GBP", Decimal("20.00"), configured=ExchangeRates.from_config({"source": "x", "USD": "1"}))


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"USD": "0.92"}, "needs a source"),
        ({"source": "x", "usd": "0.92"}, "three capital letters"),
        ({"source": "x", "USD": "-1"}, "positive"),
        ({"source": "x", "USD": "abc"}, "not a number"),
    ],
)
def test_rate_table_errors_name_the_field(section, message):
    with pytest.raises(CurrencyError, match=message):
        ExchangeRates.from_config(section)
