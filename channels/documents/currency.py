"""Invoices in another currency than the euro: the VAT accounting currency (BT-6) and the VAT total in euros
(BT-111), which the French rules demand (BR-FR-CO-12) and EN 16931 ties together (BR-53).

The euro amount is never guessed. It comes, in this order, from:
1. the export's own VAT amount in euros (`tax_amount_eur`), as the ERP booked it;
2. the export's exchange rate (`exchange_rate`: euros for one unit of the invoice currency);
3. the company file's rate table (`[exchange_rates]`, with the `source` it names, e.g. "ECB reference rate of
   2026-11-30"), for the invoice's currency;
and an invoice in a foreign currency with none of these is refused, saying which to provide.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

EUR = "EUR"


class CurrencyError(ValueError):
    pass


@dataclass(frozen=True)
class ExchangeRates:
    """The company file's table: euros for one unit of each currency, and where the rates come from."""

    source: str = ""
    eur_per_unit: dict[str, Decimal] = field(default_factory=dict)

    @classmethod
    def from_config(cls, section: dict | None, where: str = "[exchange_rates]") -> ExchangeRates:
        if not section:
            return cls()
        source = str(section.get("source") or "").strip()
        rates: dict[str, Decimal] = {}
        for code, value in section.items():
            if code == "source":
                continue
            if len(code) != 3 or not code.isalpha() or code.upper() != code:
                raise CurrencyError(f"{where}.{code}: currency codes are three capital letters (ISO 4217)")
            try:
                rate = Decimal(str(value))
            except InvalidOperation:
                raise CurrencyError(f"{where}.{code} = {value!r} is not a number") from None
            if rate <= 0:
                raise CurrencyError(f"{where}.{code} must be positive (euros for one {code})")
            rates[code] = rate
        if rates and not source:
            raise CurrencyError(f"{where} needs a source (where the rates come from, and their date)")
        return cls(source, rates)


@dataclass(frozen=True)
class AccountingCurrency:  # BT-6 with BT-111
    tax_total: Decimal  # BT-111, in euros
    source: str  # where the euro amount comes from, as recorded
    rate: Decimal | None = None  # euros for one unit of the invoice currency, when a rate gave the amount
    code: str = EUR  # BT-6
    origin: str = "export"  # export (the ERP's amount or rate) | configured (the company file's table)
    rate_source: str = ""  # the configured table's source (e.g. "ECB reference rate of 2026-11-30")


def accounting_currency(
    invoice_currency: str,
    tax_total: Decimal,
    *,
    tax_amount_eur: Decimal | None = None,
    exchange_rate: Decimal | None = None,
    configured: ExchangeRates | None = None,
) -> AccountingCurrency | None:
    """BT-6 / BT-111 for an invoice in `invoice_currency` whose VAT total is `tax_total`; None for euros."""
    currency = (invoice_currency or EUR).upper()
    if currency == EUR:
        return None
    if tax_amount_eur is not None:
        if (Decimal(tax_amount_eur) < 0) != (Decimal(tax_total) < 0) and Decimal(tax_total) != 0:
            raise CurrencyError(f"VAT in euros {tax_amount_eur} and in {currency} {tax_total} have opposite signs")
        return AccountingCurrency(_cents(tax_amount_eur), "export: VAT amount in EUR")
    if exchange_rate is not None:
        if Decimal(exchange_rate) <= 0:
            raise CurrencyError(f"exchange rate {exchange_rate} must be positive (euros for one {currency})")
        return AccountingCurrency(
            _cents(Decimal(tax_total) * Decimal(exchange_rate)),
            f"export: exchange rate {Decimal(exchange_rate).normalize()} EUR per {currency}",
            Decimal(exchange_rate),
        )
    if configured is not None and currency in configured.eur_per_unit:
        rate = configured.eur_per_unit[currency]
        return AccountingCurrency(
            _cents(Decimal(tax_total) * rate),
            f"{configured.source}: {rate.normalize()} EUR per {currency}",
            rate,
            origin="configured",
            rate_source=configured.source,
        )
    raise CurrencyError(
        f"an invoice in {currency} must state its VAT in euros (BT-111, BR-FR-CO-12): export tax_amount_eur or "
        f"exchange_rate, or give [exchange_rates] {currency} with its source in the company file"
    )


def _cents(value: Decimal) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
