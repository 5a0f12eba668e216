"""Allowances and charges (EN 16931 BG-20 / BG-21 on the document, BG-27 / BG-28 on a line), and how ERP
exports express them.

Exports say "discount" three ways, each mapped without changing what the customer pays:
- a line discount column (percentage or amount) beside the gross unit price: the line keeps its price and
  gets a line allowance (BG-27) of the difference, so BT-131 = quantity x price - allowance (BR-27 forbids a
  negative price, which is what folding a discount into the price got wrong for discount lines);
- a negative line on an invoice ("Remise exceptionnelle", "Geste commercial"): a document-level allowance
  (BG-20) at that line's VAT category and rate, its description as the reason;
- a footer discount or a shipping charge on the invoice row: document-level allowances or charges, split
  over the invoice's VAT groups in proportion to their net amounts (an allowance has one VAT rate, BT-96).
Reason codes: UNCL 5189 for allowances (95 discount), UNCL 7161 for charges (FC freight).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
DISCOUNT = "95"  # UNCL 5189
FREIGHT = "FC"  # UNCL 7161


def _money(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class AllowanceCharge:
    """BG-20 / BG-21 (document level, with a VAT category and rate) or BG-27 / BG-28 (line level)."""

    charge: bool  # False: allowance (BT-92 / BT-136), True: charge (BT-99 / BT-141)
    amount: Decimal  # BT-92 / BT-99 / BT-136 / BT-141, positive
    reason: str = ""  # BT-97 / BT-104 / BT-139 / BT-144
    reason_code: str = ""  # BT-98 / BT-105 / BT-140 / BT-145
    base_amount: Decimal | None = None  # BT-93 / BT-100 / BT-137 / BT-142
    percent: Decimal | None = None  # BT-94 / BT-101 / BT-138 / BT-143
    vat_category: str = "S"  # BT-95 / BT-102 (document level)
    vat_rate: Decimal | None = None  # BT-96 / BT-103 (document level)

    def __post_init__(self):
        if Decimal(self.amount) < 0:
            raise ValueError(f"an allowance or charge amount is positive (got {self.amount})")
        if not self.reason and not self.reason_code:
            raise ValueError("an allowance or charge needs a reason or a reason code (BR-33 / BR-38)")

    @property
    def signed(self) -> Decimal:
        """What it adds to the net total: + for a charge, - for an allowance."""
        return _money(self.amount) if self.charge else -_money(self.amount)


def line_discount(
    quantity: Decimal,
    unit_price: Decimal,
    net_amount: Decimal,
    *,
    percent: Decimal | None = None,
    amount: Decimal | None = None,
    reason: str = "Remise",
) -> AllowanceCharge | None:
    """The line allowance (BG-27) that takes quantity x price down to the exported net amount.

    `percent` / `amount` are what the export's discount columns say; the allowance is always the exported
    difference (the ERP's own rounding is authoritative), and the columns must agree with it."""
    gross = _money(Decimal(quantity) * Decimal(unit_price))
    difference = gross - _money(net_amount)
    if difference == 0 and not percent and not amount:
        return None
    if difference < 0:
        raise ValueError(f"line net {net_amount} is above quantity x price {gross}: not a discount")
    if amount is not None and _money(amount) != difference:
        raise ValueError(f"discount amount {amount} does not take {gross} down to the line's net {net_amount}")
    if percent is not None and abs(_money(gross * Decimal(percent) / 100) - difference) > CENT:
        raise ValueError(f"a {percent} % discount on {gross} is not {difference} (the line's net is {net_amount})")
    return AllowanceCharge(
        charge=False,
        amount=difference,
        reason=reason,
        reason_code=DISCOUNT,
        base_amount=gross if percent is not None else None,
        percent=Decimal(percent).normalize() if percent is not None else None,
    )


def split_over_vat_groups(
    amount: Decimal, groups: dict[tuple[str, Decimal], Decimal], *, charge: bool, reason: str, reason_code: str
) -> list[AllowanceCharge]:
    """One document-level allowance or charge per VAT group (category, rate), in proportion to the groups'
    net amounts; the cents left by rounding go to the largest groups first, so the parts add up exactly."""
    total = _money(amount)
    if total == 0:
        return []
    positive = {key: net for key, net in groups.items() if net > 0}
    base = sum(positive.values(), Decimal("0"))
    if base <= 0:
        raise ValueError("a document allowance or charge needs lines to apply to")
    order = sorted(positive, key=lambda key: (-positive[key], key[0], key[1]))
    exact = {key: total * positive[key] / base for key in order}
    parts = {key: exact[key].quantize(CENT, rounding="ROUND_DOWN") for key in order}
    left = int((total - sum(parts.values())) / CENT)
    for key in sorted(order, key=lambda k: -(exact[k] - parts[k]))[:left]:
        parts[key] += CENT
    return [
        AllowanceCharge(
            charge=charge,
            amount=parts[key],
            reason=reason,
            reason_code=reason_code,
            vat_category=key[0],
            vat_rate=key[1],
        )
        for key in order
        if parts[key] > 0
    ]


def total(entries: Iterable[AllowanceCharge], *, charge: bool) -> Decimal:
    """BT-107 (charge=False) or BT-108 (charge=True)."""
    return _money(sum((_money(e.amount) for e in entries if e.charge is charge), Decimal("0")))
