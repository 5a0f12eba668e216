"""Fixtures for the documents tests: the example company and ERP-shaped rows of a French B2B invoice."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from channels.documents.company import load_company


def customer_row(**overrides):
    row = {
        "customer_id": "C042",
        "name": "Client Exemple SARL",
        "email": "compta@client-exemple.example",
        "phone": "",
        "siren": "542107651",
        "vat_number": "FR13542107651",
        "country": "FR",
        "language": "fr",
        "address_line1": "10 quai Perrache",
        "address_line2": "Bâtiment B",
        "postcode": "69002",
        "city": "Lyon",
        "preferred_channel": "email",
        "payment_terms_days": 30,
    }
    row.update(overrides)
    return row


def invoice_row(**overrides):
    row = {
        "issuer_id": "main",
        "invoice_number": "FA-2026-0042",
        "document_type": "invoice",
        "customer_id": "C042",
        "issue_date": date(2026, 9, 15),
        "delivery_date": date(2026, 9, 14),
        "due_date": date(2026, 10, 15),
        "amount_excl_tax": Decimal("1050.00"),
        "tax_amount": Decimal("184.56"),
        "amount_incl_tax": Decimal("1234.56"),
        "currency": "EUR",
        "purchase_order": "PO-4521",
        "original_invoice_number": None,
        "description": "Prestations septembre",
        "attachments": [],
    }
    row.update(overrides)
    return row


def line_rows():
    # 20 % on 850.00 = 170.00 ; 5.5 % on 200.00 = 11.00 ... chosen so header totals hold:
    # 20 % on 872.80 = 174.56 ; 10 % on 100.00 = 10.00 ; 0 % (exempt) on 77.20 -> total 1050.00 / 184.56
    return [
        {
            "invoice_number": "FA-2026-0042",
            "line_number": 1,
            "description": "Maintenance mensuelle",
            "quantity": Decimal("3"),
            "unit_price": Decimal("150.00"),
            "vat_rate": Decimal("20.00"),
            "line_amount_excl_tax": Decimal("450.00"),
        },
        {
            "invoice_number": "FA-2026-0042",
            "line_number": 2,
            "description": "Intervention sur site",
            "quantity": Decimal("4.5"),
            "unit_price": Decimal("93.9555"),
            "vat_rate": Decimal("20.00"),
            "line_amount_excl_tax": Decimal("422.80"),
        },
        {
            "invoice_number": "FA-2026-0042",
            "line_number": 3,
            "description": "Transport",
            "quantity": Decimal("1"),
            "unit_price": Decimal("100.00"),
            "vat_rate": Decimal("10.00"),
            "line_amount_excl_tax": Decimal("100.00"),
        },
        {
            "invoice_number": "FA-2026-0042",
            "line_number": 4,
            "description": "Formation (exonérée)",
            "quantity": Decimal("2"),
            "unit_price": Decimal("38.60"),
            "vat_rate": Decimal("0.00"),
            "line_amount_excl_tax": Decimal("77.20"),
        },
    ]


@pytest.fixture
def company(tmp_path):
    return load_company(home_root=tmp_path)


@pytest.fixture
def french_invoice(company):
    from channels.documents.loading import build_invoice

    return build_invoice(company, invoice_row(), customer_row(), line_rows())
