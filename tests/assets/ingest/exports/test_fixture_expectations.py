"""The ERP-export fixtures and their expectations agree with themselves.

Each `<fixture>.expected.json` states what a person reading the fixture sees (the format is described in
README.md of this folder). These tests never call Relance: they check that every expectation parses, names a
file that exists, accounts for every row of that file exactly once (a record or a row set aside with a
reason), and that its amounts, dates and states are internally consistent. The tests that run the fixtures
through the ingest belong to the ingest's own test package.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

HERE = Path(__file__).resolve().parent
EXPECTATIONS = sorted(HERE.rglob("*.expected.json"))
FIXTURE_SUFFIXES = {".csv", ".txt", ".tsv", ".xlsx"}

KINDS = {"invoices", "invoice_lines", "customers", "payments", "disputes", "ledger", "aging"}
VERIFIED = {"full", "partial", "unverified"}
DOCUMENT_TYPES = {"invoice", "credit_note"}
PAID_STATES = {"paid", "partially_paid", "unpaid", None}
REASONS = {
    "title",
    "blank",
    "repeated_header",
    "section_header",
    "subtotal",
    "total",
    "footer",
    "payment",
    "overpayment",
    "journal_entry",
    "opening_balance",
    "failed_payment",
    "draft",
    "cancelled",
    "void",
    "pro_forma",
    "prospect",
    "supplier",
    "status_history",
    "tax_breakdown",
    "totals_breakdown",
}
INVOICE_FIELDS = [
    "invoice_number",
    "customer_id",
    "customer_name",
    "document_type",
    "issue_date",
    "due_date",
    "currency",
    "amount_excl_tax",
    "tax_amount",
    "amount_incl_tax",
    "open_amount",
    "paid_state",
    "lines",
]
MONEY = re.compile(r"^\d+\.\d{2}$")
QUANTITY = re.compile(r"^-?\d+\.\d{4}$")
RATE = re.compile(r"^\d+\.\d{2}$")
CURRENCY = re.compile(r"^[A-Z]{3}$")


def _ids(paths):
    return [str(p.relative_to(HERE)) for p in paths]


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def money(value) -> Decimal:
    assert isinstance(value, str) and MONEY.match(value), (
        f"amount {value!r} is not a non-negative string with two decimals"
    )
    return Decimal(value)


def iso_date(value) -> None:
    if value is not None:
        dt.date.fromisoformat(value)


def physical_lines(path: Path, read: dict) -> int:
    data = path.read_bytes()
    encoding = read["encoding"]
    if data.startswith(b"\xef\xbb\xbf"):
        assert encoding in ("utf-8-sig", "utf-8"), "the file has a UTF-8 byte order mark"
        data = data[3:]
    text = data.decode("utf-8" if encoding == "utf-8-sig" else encoding)
    ending = read["line_ending"]
    assert text.endswith(ending), f"the file does not end with {ending!r}"
    assert "\r" not in text.replace("\r\n", "") or ending == "\r", "mixed line endings"
    return len(text.split(ending)) - 1


def test_every_fixture_has_an_expectation():
    fixtures = {p for p in HERE.rglob("*") if p.suffix in FIXTURE_SUFFIXES and not p.name.startswith(".")}
    described = {p.with_name(load(p)["file"]) for p in EXPECTATIONS}
    assert fixtures, "no fixture found"
    assert fixtures == described, f"without expectation: {sorted(map(str, fixtures - described))}"


@pytest.mark.parametrize("path", EXPECTATIONS, ids=_ids(EXPECTATIONS))
def test_expectation_describes_its_file(path: Path):
    doc = load(path)
    assert doc["format_version"] == 1
    assert path.name == doc["file"] + ".expected.json"
    fixture = path.with_name(doc["file"])
    assert fixture.is_file(), f"{fixture} is missing"
    for key in ("tool", "layout", "notes"):
        assert isinstance(doc[key], str) and doc[key].strip(), f"{key} is empty"
    assert doc["sources"] and all(isinstance(s, str) and s for s in doc["sources"])
    assert doc["verified"] in VERIFIED
    assert doc["kind"] in KINDS
    assert set(doc.get("also_feeds", [])) <= KINDS
    assert doc["sheets"], "no sheet described"
    names = [s["name"] for s in doc["sheets"]]
    assert len(set(names)) == len(names)
    assert doc.get("sheet") in names, "the sheet holding the records is not among the sheets"
    if fixture.suffix == ".xlsx":
        book = openpyxl.load_workbook(fixture, read_only=True)
        assert set(book.sheetnames) == set(names), "every sheet of the workbook is described"
        for sheet in doc["sheets"]:
            assert book[sheet["name"]].max_row == sheet["last_line"], f"sheet {sheet['name']} row count"
    else:
        assert names == [None], "a text file has one unnamed sheet"
        assert physical_lines(fixture, doc["read"]) == doc["sheets"][0]["last_line"]


def locations(doc: dict) -> tuple[dict, dict]:
    """Per sheet: the lines claimed by records, and the lines set aside."""
    main = doc.get("sheet")
    claimed: dict = {s["name"]: set() for s in doc["sheets"]}
    aside: dict = {s["name"]: [] for s in doc["sheets"]}
    for invoice in doc["invoices"]:
        claimed[invoice.get("sheet", main)].update(invoice["lines"])
    for entity in ("invoice_lines", "customers", "payments", "disputes"):
        for record in doc[entity]:
            claimed[record.get("sheet", main)].add(record["line"])
    for row in doc["set_aside"]:
        aside[row.get("sheet", main)].append(row["line"])
    return claimed, aside


@pytest.mark.parametrize("path", EXPECTATIONS, ids=_ids(EXPECTATIONS))
def test_every_row_is_a_record_or_set_aside_with_a_reason(path: Path):
    doc = load(path)
    claimed, aside = locations(doc)
    for row in doc["set_aside"]:
        assert row["reason"] in REASONS, f"unknown reason {row['reason']!r}"
    for sheet in doc["sheets"]:
        name, header, last = sheet["name"], sheet["header_line"], sheet["last_line"]
        assert sheet["kind"] in KINDS
        rows = set(range(1, last + 1)) - {header}
        set_aside = aside[name]
        assert len(set_aside) == len(set(set_aside)), f"sheet {name}: a row is set aside twice"
        assert not claimed[name] & set(set_aside), (
            f"sheet {name}: rows both accepted and set aside: {sorted(claimed[name] & set(set_aside))}"
        )
        assert header not in claimed[name] | set(set_aside), f"sheet {name}: the header is not a data row"
        accounted = claimed[name] | set(set_aside)
        assert accounted == rows, (
            f"sheet {name}: unaccounted rows {sorted(rows - accounted)}, "
            f"rows outside the sheet {sorted(accounted - rows)}"
        )
        before_header = {n for n in set_aside if n < header}
        assert not claimed[name] & set(range(1, header)), f"sheet {name}: a record above the header"
        for row in doc["set_aside"]:
            if row.get("sheet", doc.get("sheet")) == name and row["line"] in before_header:
                assert row["reason"] in {"title", "blank"}, f"sheet {name} line {row['line']}: above the header"


@pytest.mark.parametrize("path", EXPECTATIONS, ids=_ids(EXPECTATIONS))
def test_invoice_amounts_dates_and_states_add_up(path: Path):
    doc = load(path)
    numbers = [i["invoice_number"] for i in doc["invoices"]]
    assert len(numbers) == len(set(numbers)), "an invoice number appears twice"
    allocated: dict[str, Decimal] = {}
    for payment in doc["payments"]:
        if payment["invoice_number"] in numbers:
            allocated[payment["invoice_number"]] = allocated.get(payment["invoice_number"], Decimal(0)) + money(
                payment["amount"]
            )
    for invoice in doc["invoices"]:
        assert set(INVOICE_FIELDS) <= set(invoice), f"missing fields {set(INVOICE_FIELDS) - set(invoice)}"
        label = invoice["invoice_number"]
        assert label, "invoice number missing"
        assert invoice["customer_id"] or invoice["customer_name"], f"{label}: no customer"
        assert invoice["document_type"] in DOCUMENT_TYPES
        assert invoice["paid_state"] in PAID_STATES
        assert invoice["currency"] is None or CURRENCY.match(invoice["currency"])
        iso_date(invoice["issue_date"])
        iso_date(invoice["due_date"])
        assert invoice["issue_date"], f"{label}: an issued document has an issue date"
        if invoice["due_date"]:
            assert invoice["due_date"] >= invoice["issue_date"], f"{label}: due before issued"
        excl, tax, incl, open_ = (
            invoice[k] for k in ("amount_excl_tax", "tax_amount", "amount_incl_tax", "open_amount")
        )
        assert incl is not None, f"{label}: no amount incl. tax"
        incl = money(incl)
        if excl is not None and tax is not None:
            assert money(excl) + money(tax) == incl, f"{label}: excl. tax + tax != incl. tax"
        if open_ is None:
            assert invoice["paid_state"] is None, f"{label}: a paid state without an open amount"
            continue
        open_ = money(open_)
        assert open_ <= incl, f"{label}: open amount above the invoice"
        expected_state = "paid" if open_ == 0 else "unpaid" if open_ == incl else "partially_paid"
        assert invoice["paid_state"] == expected_state, f"{label}: paid state {invoice['paid_state']} for open {open_}"
        if label in allocated:
            assert incl - allocated[label] == open_, f"{label}: the payments in the file do not leave the open amount"
        assert invoice["lines"] and all(isinstance(n, int) and n > 0 for n in invoice["lines"])


@pytest.mark.parametrize("path", EXPECTATIONS, ids=_ids(EXPECTATIONS))
def test_lines_payments_customers_and_disputes_are_well_formed(path: Path):
    doc = load(path)
    invoices = {i["invoice_number"]: i for i in doc["invoices"]}
    by_invoice: dict[str, list] = {}
    for line in doc["invoice_lines"]:
        assert line["invoice_number"] in invoices, f"line of an unknown invoice {line['invoice_number']}"
        assert isinstance(line["line_number"], int) and line["line_number"] > 0
        assert QUANTITY.match(line["quantity"]) and QUANTITY.match(line["unit_price"])
        assert line["vat_rate"] is None or RATE.match(line["vat_rate"])
        by_invoice.setdefault(line["invoice_number"], []).append(line)
    for number, lines in by_invoice.items():
        assert sorted(row["line_number"] for row in lines) == list(range(1, len(lines) + 1)), f"{number}: line numbers"
        invoice = invoices[number]
        if invoice.get("sheet") is None and all(row.get("sheet") is None for row in lines):
            assert {row["line"] for row in lines} <= set(invoice["lines"]), f"{number}: its lines are its rows"
        if invoice["amount_excl_tax"] is not None:
            total = sum(money(row["line_amount_excl_tax"]) for row in lines)
            assert total == money(invoice["amount_excl_tax"]), f"{number}: lines do not add up to the invoice"
    for payment in doc["payments"]:
        money(payment["amount"])
        iso_date(payment["payment_date"])
        assert payment["payment_date"]
        assert payment["currency"] is None or CURRENCY.match(payment["currency"])
        if doc["kind"] in {"invoices", "invoice_lines", "aging", "ledger"} and payment["invoice_number"]:
            assert payment["invoice_number"] in invoices, (
                f"payment for an invoice not in the file: {payment['invoice_number']}"
            )
    keys = [(p["payment_id"], p["invoice_number"]) for p in doc["payments"]]
    assert len(keys) == len(set(keys)), "a payment allocation appears twice"
    ids = [c["customer_id"] for c in doc["customers"] if c["customer_id"]]
    assert len(ids) == len(set(ids)), "a customer code appears twice"
    for customer in doc["customers"]:
        assert customer["customer_id"] or customer["name"]
        if customer.get("payment_terms_days") is not None:
            assert isinstance(customer["payment_terms_days"], int) and customer["payment_terms_days"] >= 0
    for dispute in doc["disputes"]:
        assert dispute["invoice_number"]
        iso_date(dispute["opened_on"])
        iso_date(dispute["resolved_on"])
        if dispute["disputed_amount"] is not None:
            money(dispute["disputed_amount"])
