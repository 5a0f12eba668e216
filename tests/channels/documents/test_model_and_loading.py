"""VAT per category rounded half-up, totals checked against the export, company configuration checked."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from channels.documents.company import CompanyConfigError, load_company
from channels.documents.loading import InvoiceDataError, build_invoice
from channels.documents.model import Invoice, InvoiceLine, OperationCategory, money
from tests.channels.documents.conftest import customer_row, invoice_row, line_rows


def _invoice(company, lines):
    return Invoice(
        number="T-1",
        issue_date=date(2026, 1, 5),
        seller=company.seller,
        buyer=build_invoice(company, invoice_row(), customer_row(), line_rows()).buyer,
        lines=tuple(lines),
    )


def _line(n, amount, rate):
    return InvoiceLine(
        line_id=str(n), name=f"l{n}", quantity=Decimal(1), net_price=Decimal(amount), vat_rate=Decimal(rate)
    )


def test_vat_is_computed_per_category_total_not_summed_per_line(company):
    # Three lines of 10.01 at 20 %: per line 2.002 -> 2.00 each (6.00); on the total 30.03 -> 6.006 -> 6.01.
    invoice = _invoice(company, [_line(1, "10.01", "20"), _line(2, "10.01", "20"), _line(3, "10.01", "20")])
    [entry] = invoice.vat_breakdown
    assert entry.taxable_amount == Decimal("30.03")
    assert entry.tax_amount == Decimal("6.01")
    assert invoice.totals.grand_total == Decimal("36.04")


def test_vat_rounds_half_up_not_half_even(company):
    # 0.25 at 10 % = 0.025 -> 0.03 (banker's rounding would give 0.02); 10.10 at 5.5 % = 0.5555 -> 0.56;
    # 0.45 at 10 % = 0.045 -> 0.05 (half-even: 0.04).
    invoice = _invoice(company, [_line(1, "0.25", "10"), _line(2, "10.10", "5.5")])
    by_rate = {e.rate: e.tax_amount for e in invoice.vat_breakdown}
    assert by_rate == {Decimal("10.00"): Decimal("0.03"), Decimal("5.50"): Decimal("0.56")}
    assert _invoice(company, [_line(1, "0.45", "10")]).totals.tax_total == Decimal("0.05")
    assert invoice.totals.tax_total == Decimal("0.59")


def test_breakdown_of_the_fixture_invoice_by_hand(french_invoice):
    rows = [(e.category, e.rate, e.taxable_amount, e.tax_amount) for e in french_invoice.vat_breakdown]
    assert rows == [
        ("S", Decimal("20.00"), Decimal("872.80"), Decimal("174.56")),  # 450.00 + 422.80
        ("S", Decimal("10.00"), Decimal("100.00"), Decimal("10.00")),
        ("E", Decimal("0.00"), Decimal("77.20"), Decimal("0.00")),
    ]
    assert french_invoice.totals.grand_total == Decimal("1234.56")


def test_money_refuses_floats():
    with pytest.raises(TypeError):
        money(0.1)


def test_one_line_is_made_from_totals_when_no_lines_are_exported(company):
    invoice = build_invoice(
        company,
        invoice_row(
            amount_excl_tax=Decimal("1000.00"), tax_amount=Decimal("55.00"), amount_incl_tax=Decimal("1055.00")
        ),
        customer_row(),
        [],
    )
    [line] = invoice.lines
    assert line.name == "Prestations septembre"
    assert line.vat_rate == Decimal("5.5") and line.net_amount == Decimal("1000.00")
    assert invoice.totals.grand_total == Decimal("1055.00")


def test_totals_that_do_not_add_up_are_refused_with_a_reason(company):
    with pytest.raises(InvoiceDataError) as caught:
        build_invoice(company, invoice_row(amount_excl_tax=Decimal("1060.00")), customer_row(), line_rows())
    assert caught.value.rule_id == "RELANCE-TOTALS"
    assert "1050.00" in str(caught.value) and "1060.00" in str(caught.value)


def test_tax_matching_no_french_rate_is_refused(company):
    with pytest.raises(InvoiceDataError, match="matches no French VAT rate"):
        build_invoice(company, invoice_row(tax_amount=Decimal("123.45")), customer_row(), [])


def test_credit_note_without_original_invoice_is_refused(company):
    with pytest.raises(InvoiceDataError, match="does not name the invoice it credits"):
        build_invoice(company, invoice_row(document_type="credit_note"), customer_row(), line_rows())


def test_english_customer_gets_english_payment_terms(company):
    invoice = build_invoice(company, invoice_row(), customer_row(language="en"), line_rows())
    assert invoice.language == "en" and invoice.payment_terms == "Payment within 30 days"


def test_operation_category_accepts_words_and_codes():
    assert OperationCategory.parse("goods") is OperationCategory.GOODS
    assert OperationCategory.parse("m1") is OperationCategory.MIXED
    with pytest.raises(ValueError, match="goods, services, mixed"):
        OperationCategory.parse("rental")


@pytest.mark.parametrize(
    "find, replace_with, message",
    [
        ('siren = "732829320"', 'siren = "732829321"', "not a valid SIREN"),
        ('iban = "FR7630006000011234567890189"', 'iban = "FR7630006000011234567890188"', "not a valid IBAN"),
        ('bic = "AGRIFRPPXXX"', 'bic = "DEUTDEFFXXX"', "is for country DE"),
        ('vat_id = "FR44732829320"', 'vat_id = "FR45732829320"', "not a valid EU VAT number"),
        ('ubl_profile = "auto"', 'ubl_profile = "xrechnung"', "ubl_profile must be one of"),
        ('city = "Paris"', 'city = ""', "address.city is missing"),
    ],
)
def test_company_configuration_errors_name_the_field(tmp_path, find, replace_with, message):
    from channels.documents.company import DEFAULT_COMPANY_FILE

    text = DEFAULT_COMPANY_FILE.read_text(encoding="utf-8")
    assert find in text
    broken = tmp_path / "company.toml"
    broken.write_text(text.replace(find, replace_with), encoding="utf-8")
    with pytest.raises(CompanyConfigError, match=message):
        load_company(broken, home_root=tmp_path)


def test_relative_attachments_root_is_taken_from_the_data_home(tmp_path):
    company = load_company(home_root=tmp_path)
    assert company.documents.attachments_root == (tmp_path / "inbox").resolve()
    assert company.documents.invoice_folders == ("{number}", "attachments/{number}")
    assert replace(company, vat_on_debits=True).vat_on_debits
