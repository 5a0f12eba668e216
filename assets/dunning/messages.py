"""What a reminder, a statement or a letter tells the customer beyond the invoices: who writes (the company of
config/company.toml, the same file invoices are made from: name, address, SIREN, VAT number, logo), how to
pay (IBAN, BIC, the reference to quote), where to see everything (a signed link to the customer portal), and
what was sent before, so that the wording fits: "despite our reminder of 16 October" only when there was one.

The templates read it as `company`, `payment`, `portal_link` and, per invoice, `reminders` / `last_reminded`
(plus `reminded_before` for the message). The same context renders the message that is sent and the sample
the dashboard's campaign preview shows.
"""

from __future__ import annotations

import base64
import mimetypes
import os
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

PREVIEW_LINK = "(lien personnel créé à l'envoi / personal link created when sent)"


def _file_version(path: Path) -> tuple[str, int]:
    try:
        return str(path), path.stat().st_mtime_ns
    except OSError:
        return str(path), 0


def company_file() -> Path:
    from channels.documents.company import DEFAULT_COMPANY_FILE

    return Path(os.environ.get("RELANCE_COMPANY_CONFIG") or DEFAULT_COMPANY_FILE)


def company_context() -> dict[str, Any]:
    """The sender's identity as templates use it (read, and checked, once per version of the company file)."""
    return dict(_company_context(*_file_version(company_file())))


@lru_cache(maxsize=4)
def _company_context(path: str, _version: int) -> dict[str, Any]:
    from channels.documents.company import load_company

    company = load_company(path)
    seller = company.seller
    logo = ""
    if company.logo is not None:
        mime = mimetypes.guess_type(company.logo.name)[0] or "image/png"
        logo = f"data:{mime};base64,{base64.b64encode(company.logo.read_bytes()).decode('ascii')}"
    return {
        "name": seller.name,
        "address_lines": seller.address.lines(),
        "country_code": seller.address.country_code,
        "siren": seller.siren,
        "siret": seller.siret,
        "vat_id": seller.vat_id,
        "legal_information": seller.legal_information,
        "email": seller.contact_email,
        "phone": seller.contact_phone,
        "iban": _grouped(company.payment.iban),
        "bic": company.payment.bic,
        "account_name": company.payment.account_name or seller.name,
        "logo": logo,
    }


def _grouped(iban: str) -> str:
    compact = "".join(str(iban).split())
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def portal_link(customer_id: str) -> str | None:
    """A fresh signed portal link for the customer (channels/portal/links.py), or None when the portal is
    not configured (a message then says nothing of it rather than show a broken link)."""
    try:
        from channels.portal.links import signed_link
    except ImportError:
        return None
    days = int(os.environ.get("RELANCE_PORTAL_LINK_DAYS") or 30)
    try:
        return signed_link(customer_id, days)
    except (RuntimeError, ValueError, OSError):
        return None


def payment_context(invoices: Iterable[Mapping[str, Any]], company: Mapping[str, Any]) -> dict[str, Any]:
    numbers = [str(i["invoice_number"]) for i in invoices if i.get("invoice_number")]
    return {
        "iban": company.get("iban", ""),
        "bic": company.get("bic", ""),
        "account_name": company.get("account_name", ""),
        # the reference to quote with the transfer: the invoice numbers it pays
        "reference": ", ".join(numbers[:6]) + (" …" if len(numbers) > 6 else ""),
    }


def invoice_context(invoice: Any, run_date: date, reminded: Iterable[tuple[date, str]] = ()) -> dict[str, Any]:
    """One invoice as templates see it, with the reminders it had before this run (`reminded`: the (day, step)
    pairs reminder_history keeps)."""
    earlier = sorted(d for d, _step in reminded if d <= run_date)
    return {
        "invoice_number": invoice.invoice_number,
        "issue_date": invoice.issue_date,
        "due_date": invoice.due_date,
        "amount": invoice.amount,
        "open_amount": invoice.open_amount,
        "paid_amount": invoice.paid_amount,
        "credited_amount": invoice.credited_amount,
        "currency": invoice.currency,
        "days_late": max(0, (run_date - invoice.due_date).days),
        "reminders": len(earlier),
        "last_reminded": earlier[-1] if earlier else None,
    }


def reminder_history(
    history: Any, invoices: Iterable[Any], after_due_steps: Mapping[str, Iterable[str]]
) -> dict[str, list[tuple[date, str]]]:
    """Earlier reminders of each invoice: (day, step) of the ledger's done steps that come after the due date
    (a pre-due "your invoice is available" notice is not a reminder)."""
    out: dict[str, list[tuple[date, str]]] = {}
    for invoice in invoices:
        number = invoice.invoice_number
        steps = frozenset(after_due_steps.get(number, ()))
        out[number] = [(d, s) for d, s in history.reminded.get(number, ()) if s.split("~")[0] in steps]
    return out


def customer_context(customer: Mapping[str, Any]) -> dict[str, Any]:
    keys = ("customer_id", "name", "address_line1", "address_line2", "postcode", "city", "country", "segment")
    return {k: customer.get(k) for k in keys}


def message_context(
    *,
    run_date: date,
    customer: Mapping[str, Any],
    invoices: list[Any],
    step: str,
    tone: str | None,
    reminded: Mapping[str, list[tuple[date, str]]],
    company: Mapping[str, Any],
    link: str | None,
) -> dict[str, Any]:
    """Everything a dunning template may use (docs/dunning.md lists it)."""
    currency = invoices[0].currency if invoices else "EUR"
    rows = [invoice_context(i, run_date, reminded.get(i.invoice_number, ())) for i in invoices]
    last = max((r["last_reminded"] for r in rows if r["last_reminded"]), default=None)
    return {
        "customer": customer_context(customer),
        "invoices": rows,
        "total_open": sum((i.open_amount for i in invoices), Decimal("0")),
        "currency": currency,
        "step": step,
        "tone": tone or "",
        "today": run_date,
        "company": dict(company),
        "sender": {"name": company.get("name", "")},
        "payment": payment_context(rows, company),
        "portal_link": link or "",
        "reminded_before": last is not None,
        "last_reminded": last,
    }
