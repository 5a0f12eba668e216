"""Simulate the receivables ledger of the demo company: invoices and their lines, disputes, credit notes,
payments — and the truth behind them (defects on the issuer's side, true payment dates).

Everything is vectorised with numpy over all invoices at once (a million invoices take seconds). Dates are
integer day numbers (days since 1970-01-01) until the frames are built; money is integer cents, so
excl. tax + tax = incl. tax holds exactly and converts to Decimal without rounding.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl
import pyarrow as pa

from demo.generator import reference as ref
from demo.generator.customers import CustomerBase

VAT_RATES_BP = np.array([0, 550, 1000, 2000])  # basis points; index is the "rate code"
EPOCH = date(1970, 1, 1)
CENTS = pl.Decimal(18, 2)


def day_number(d: date) -> int:
    return (d - EPOCH).days


def weekday(days: np.ndarray) -> np.ndarray:
    return (days + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0


def next_business_day(days: np.ndarray) -> np.ndarray:
    wd = weekday(days)
    return days + np.where(wd == 5, 2, np.where(wd == 6, 1, 0))


def half_up_tax(base_cents: np.ndarray, rate_bp: np.ndarray) -> np.ndarray:
    """VAT in cents, rounded half away from zero (the French rounding of invoice totals)."""
    sign = np.sign(base_cents)
    return sign * ((np.abs(base_cents) * rate_bp + 5000) // 10000)


@dataclass
class Ledger:
    documents: pl.DataFrame  # invoices and credit notes, with truth columns
    lines: pl.DataFrame
    payments: pl.DataFrame  # every payment the customers make, also after the as-of date
    disputes: pl.DataFrame  # every dispute, also those opened after the as-of date
    as_of: date


def _date_series(name: str, days: np.ndarray, valid: np.ndarray | None = None) -> pl.Series:
    s = pl.Series(name, days.astype(np.int32)).cast(pl.Date)
    if valid is not None:
        s = pl.select(pl.when(pl.Series(valid)).then(s).otherwise(None).alias(name)).to_series()
    return s


def _cents(name: str, cents: np.ndarray) -> pl.Series:
    """Integer cents as Decimal(18,2) without arithmetic: a decimal128 is its unscaled integer, so the
    cents become the value's 128-bit words (low word, then the sign extension) as Arrow lays them out."""
    cents = np.ascontiguousarray(cents, dtype=np.int64)
    words = np.empty((len(cents), 2), dtype=np.int64)
    words[:, 0] = cents
    words[:, 1] = cents >> 63
    array = pa.Array.from_buffers(pa.decimal128(18, 2), len(cents), [None, pa.py_buffer(words)])
    return pl.Series(name, array).cast(CENTS)


def simulate(rng: np.random.Generator, customers: CustomerBase, invoice_count: int, start: date, as_of: date) -> Ledger:
    if invoice_count < 1:
        raise ValueError("at least one invoice is needed")
    if (as_of - start).days < 28:
        raise ValueError(f"the invoicing period {start}..{as_of} is shorter than four weeks")
    m = invoice_count
    n = len(customers.frame)
    start_d, as_of_d = day_number(start), day_number(as_of)
    channel = customers.frame["preferred_channel"].to_numpy()

    # --- who is invoiced, when -------------------------------------------------------------------------
    first = rng.permutation(n)[: min(n, m)]  # everyone gets at least one invoice when possible
    rest = rng.choice(n, m - len(first), p=customers.volume_weight / customers.volume_weight.sum())
    cust = rng.permutation(np.concatenate([first, rest]))
    issue = start_d + rng.integers(0, as_of_d - start_d + 1, m)
    wd = weekday(issue)
    issue = np.where(wd >= 5, issue - (wd - 4), issue)  # invoices go out on business days
    issue = np.where(issue < start_d, issue + 3, issue)

    issued_late = rng.random(m) < 0.05
    delivery = np.where(issued_late, issue - rng.integers(35, 96, m), issue - rng.integers(0, 7, m))
    due = issue + customers.terms_days[cust]

    # --- lines -----------------------------------------------------------------------------------------
    n_lines = 1 + np.minimum(rng.poisson(1.3, m), 7)
    wrong_amount = rng.random(m) < 0.03  # a line billed twice, corrected later by a credit note
    line_inv = np.repeat(np.arange(m), n_lines)
    offsets = np.concatenate([[0], np.cumsum(n_lines)[:-1]])
    line_no = np.arange(len(line_inv)) - offsets[line_inv] + 1
    services = customers.sells_services[cust][line_inv]
    # mixed invoices: a later line of a goods customer may be a service (installation, transport, training)
    services = services | ((line_no > 1) & (rng.random(len(line_inv)) < 0.12))
    value_eur = customers.ticket_eur[cust][line_inv] * rng.lognormal(0.0, 0.5, len(line_inv))
    units = rng.integers(1, 61, len(line_inv))
    half_days = rng.integers(1, 41, len(line_inv))
    qty_hundredths = np.where(services, half_days * 50, units * 100)
    unit_price = np.where(
        services,
        np.maximum(np.rint(value_eur / (half_days / 2)), 1) * 100,  # day rates in whole euros
        np.maximum(np.rint(value_eur * 100 / units), 50),
    ).astype(np.int64)
    main_code = np.searchsorted(VAT_RATES_BP, customers.main_vat_bp[cust])
    rate_code = main_code[line_inv].copy()
    mixed = (rng.random(len(line_inv)) < 0.06) & (rate_code > 0)
    rate_code[mixed] = rng.integers(1, 4, mixed.sum())
    product = np.where(
        services, rng.integers(0, len(ref.SERVICES), len(line_inv)), rng.integers(0, len(ref.GOODS), len(line_inv))
    )
    # line discounts ("Remise %") on goods lines of ten units or more
    discount_pct = np.where(
        ~services & (units >= 10) & (rng.random(len(line_inv)) < 0.08), rng.choice([5, 10, 15], len(line_inv)), 0
    )
    rebate = np.zeros(len(line_inv), dtype=bool)

    # the wrong-amount defect: line 1 appears a second time at the end of the invoice
    dup_src = offsets[wrong_amount]
    line_inv = np.concatenate([line_inv, line_inv[dup_src]])
    line_no = np.concatenate([line_no, n_lines[wrong_amount] + 1])
    qty_hundredths = np.concatenate([qty_hundredths, qty_hundredths[dup_src]])
    unit_price = np.concatenate([unit_price, unit_price[dup_src]])
    rate_code = np.concatenate([rate_code, rate_code[dup_src]])
    product = np.concatenate([product, product[dup_src]])
    services = np.concatenate([services, services[dup_src]])
    discount_pct = np.concatenate([discount_pct, discount_pct[dup_src]])
    rebate = np.concatenate([rebate, rebate[dup_src]])
    order = np.argsort(line_inv * 16 + line_no, kind="stable")
    line_inv, line_no, qty_hundredths, unit_price, rate_code, product, services, discount_pct, rebate = (
        a[order]
        for a in (line_inv, line_no, qty_hundredths, unit_price, rate_code, product, services, discount_pct, rebate)
    )
    line_amount = (qty_hundredths * unit_price + 50) // 100
    line_amount = line_amount - (line_amount * discount_pct + 50) // 100

    # exceptional discounts: a negative "Remise exceptionnelle" line (5 % of the first line) closes some invoices
    first_of = np.searchsorted(line_inv, np.arange(m))
    rebate_inv = np.flatnonzero((n_lines >= 2) & (rng.random(m) < 0.04))
    rebate_amount = -np.maximum((line_amount[first_of[rebate_inv]] * 5 + 50) // 100, 100)
    source = first_of[rebate_inv]
    line_inv = np.concatenate([line_inv, rebate_inv])
    line_no = np.concatenate([line_no, n_lines[rebate_inv] + 1 + wrong_amount[rebate_inv]])  # after the duplicate
    qty_hundredths = np.concatenate([qty_hundredths, np.full(len(rebate_inv), 100)])
    unit_price = np.concatenate([unit_price, rebate_amount])
    rate_code = np.concatenate([rate_code, rate_code[source]])
    product = np.concatenate([product, product[source]])
    services = np.concatenate([services, services[source]])
    discount_pct = np.concatenate([discount_pct, np.zeros(len(rebate_inv), dtype=discount_pct.dtype)])
    rebate = np.concatenate([rebate, np.ones(len(rebate_inv), dtype=bool)])
    line_amount = np.concatenate([line_amount, rebate_amount])
    order = np.argsort(line_inv * 16 + line_no, kind="stable")
    line_inv, line_no, qty_hundredths, unit_price, rate_code, product, services, discount_pct, rebate, line_amount = (
        a[order]
        for a in (
            line_inv,
            line_no,
            qty_hundredths,
            unit_price,
            rate_code,
            product,
            services,
            discount_pct,
            rebate,
            line_amount,
        )
    )

    def totals(doc_index: np.ndarray, amount: np.ndarray, codes: np.ndarray, size: int):
        base = np.rint(np.bincount(doc_index * 4 + codes, weights=amount, minlength=size * 4)).astype(np.int64)
        base = base.reshape(size, 4)
        excl = base.sum(axis=1)
        tax = half_up_tax(base, VAT_RATES_BP[None, :]).sum(axis=1)
        return excl, tax

    excl, tax = totals(line_inv, line_amount, rate_code, m)
    incl = excl + tax
    dup_line_amount = np.zeros(m, dtype=np.int64)
    dup_rate = np.zeros(m, dtype=np.int64)
    last_of_wrong = line_no == (n_lines[line_inv] + 1)
    dup_line_amount[line_inv[last_of_wrong]] = line_amount[last_of_wrong]
    dup_rate[line_inv[last_of_wrong]] = rate_code[last_of_wrong]
    first_line = np.searchsorted(line_inv, np.arange(m))
    first_product = product[first_line]

    # --- purchase orders ---------------------------------------------------------------------------------
    requires_po = customers.requires_po[cust]
    missing_po = requires_po & (rng.random(m) < 0.10)
    has_po = (requires_po & ~missing_po) | (~requires_po & (rng.random(m) < 0.25))
    po_serial = rng.integers(100_000, 1_000_000, m)

    # --- how late each customer pays (days after the due date) ------------------------------------------
    b = customers.behaviour[cust]
    code = {name: i for i, name in enumerate(ref.BEHAVIOURS)}
    normal = rng.normal(-3.0, 4.0, m)
    delay = np.clip(normal, -20, 5)
    occasional = (b == code["occasionally_late"]) & (rng.random(m) < 0.3)
    delay = np.where(occasional, 3 + rng.exponential(18.0, m), delay)
    delay = np.where(b == code["chronic_late"], 12 + rng.exponential(30.0, m), delay)
    delay = np.where(b == code["partial_payer"], rng.normal(2.0, 6.0, m), delay)
    delay = np.where(b == code["disputer"], rng.normal(5.0, 10.0, m), delay)
    delay = np.where(b == -1, 8 + rng.exponential(15.0, m), delay)
    # issuer-side defects slow payment down: the invoice never reached the right inbox, the AP team holds
    # invoices without a PO, an invoice issued weeks after delivery lands in a closed period
    wrong_email = customers.wrong_email[cust] & (channel[cust] == "email")
    delay = delay + np.where(wrong_email, rng.integers(15, 41, m), 0)
    delay = delay + np.where(missing_po, rng.integers(15, 46, m), 0)
    delay = delay + np.where(issued_late, rng.integers(0, 21, m), 0)
    pay = np.maximum(due + np.rint(delay).astype(np.int64), issue + 1)

    # --- disputes ----------------------------------------------------------------------------------------
    p_dispute = np.where(b == code["disputer"], 0.22, np.where(b == -1, 0.03, 0.02))
    general_dispute = rng.random(m) < p_dispute
    po_dispute = missing_po & (rng.random(m) < 0.45)
    disputed = general_dispute | po_dispute | wrong_amount
    reason_code = np.where(
        wrong_amount, -2, np.where(po_dispute, -1, rng.integers(0, len(ref.DISPUTE_REASONS_GENERAL), m))
    )
    opened = issue + rng.integers(3, 26, m)
    resolved = opened + 5 + np.rint(rng.exponential(25.0, m)).astype(np.int64)
    # outcome of a general dispute: a credit note (partial, or the whole invoice) or rejected
    credit_general = general_dispute & ~wrong_amount & ~po_dispute & (rng.random(m) < 0.45)
    full_credit = credit_general & (rng.random(m) < 0.15)
    partial_credit = credit_general & ~full_credit
    share = rng.choice([0.05, 0.10, 0.20, 0.30, 0.50], m)
    partial_excl = np.clip(np.rint(excl * share), 1, np.maximum(excl, 1)).astype(np.int64)
    credited = wrong_amount | credit_general
    outcome_code = np.where(
        ~disputed, -1, np.where(wrong_amount | partial_credit, 0, np.where(full_credit, 1, np.where(po_dispute, 2, 3)))
    )
    pay = np.where(disputed, np.maximum(pay, resolved + rng.integers(2, 16, m)), pay)

    # --- credit notes -----------------------------------------------------------------------------------
    cn_of = np.flatnonzero(credited)  # invoice index of each credit note
    c = len(cn_of)
    cn_issue = next_business_day(resolved[cn_of])
    # lines: a copy of the duplicated line, a commercial gesture at the main rate, or every line (full)
    full_line_mask = full_credit[line_inv]
    cn_pos = np.full(m, -1)
    cn_pos[cn_of] = np.arange(c)
    single = ~full_credit[cn_of]
    single_inv = cn_of[single]
    single_amount = np.where(wrong_amount[single_inv], dup_line_amount[single_inv], partial_excl[single_inv])
    single_rate = np.where(wrong_amount[single_inv], dup_rate[single_inv], rate_code[first_line[single_inv]])
    cn_line_doc = np.concatenate([cn_pos[single_inv], cn_pos[line_inv[full_line_mask]]])
    cn_line_no = np.concatenate([np.ones(len(single_inv), dtype=np.int64), line_no[full_line_mask]])
    cn_line_qty = np.concatenate(
        [
            np.where(
                wrong_amount[single_inv],
                qty_hundredths[np.clip(first_line[single_inv] + n_lines[single_inv], 0, len(line_inv) - 1)],
                100,
            ),
            qty_hundredths[full_line_mask],
        ]
    )
    cn_line_price = np.concatenate(
        [
            np.where(
                wrong_amount[single_inv],
                unit_price[np.clip(first_line[single_inv] + n_lines[single_inv], 0, len(line_inv) - 1)],
                single_amount,
            ),
            unit_price[full_line_mask],
        ]
    )
    cn_line_amount = -np.concatenate([single_amount, line_amount[full_line_mask]])
    cn_line_rate = np.concatenate([single_rate, rate_code[full_line_mask]])
    cn_line_kind = np.concatenate([np.where(wrong_amount[single_inv], 1, 2), np.full(full_line_mask.sum(), 3)])
    cn_line_product = np.concatenate([product[first_line[single_inv]], product[full_line_mask]])
    cn_line_services = np.concatenate([services[first_line[single_inv]], services[full_line_mask]])
    dup_position = np.clip(first_line[single_inv] + n_lines[single_inv], 0, len(line_inv) - 1)
    cn_line_discount = np.concatenate(
        [np.where(wrong_amount[single_inv], discount_pct[dup_position], 0), discount_pct[full_line_mask]]
    )
    cn_line_rebate = np.concatenate([np.zeros(len(single_inv), dtype=bool), rebate[full_line_mask]])
    order = np.lexsort((cn_line_no, cn_line_doc))
    (
        cn_line_doc,
        cn_line_no,
        cn_line_qty,
        cn_line_price,
        cn_line_amount,
        cn_line_rate,
        cn_line_kind,
        cn_line_product,
        cn_line_services,
        cn_line_discount,
        cn_line_rebate,
    ) = (
        a[order]
        for a in (
            cn_line_doc,
            cn_line_no,
            cn_line_qty,
            cn_line_price,
            cn_line_amount,
            cn_line_rate,
            cn_line_kind,
            cn_line_product,
            cn_line_services,
            cn_line_discount,
            cn_line_rebate,
        )
    )
    cn_excl, cn_tax = totals(cn_line_doc, cn_line_amount, cn_line_rate, c)
    cn_incl = cn_excl + cn_tax
    credit_incl = np.zeros(m, dtype=np.int64)
    credit_incl[cn_of] = -cn_incl
    credit_date = np.full(m, -1)
    credit_date[cn_of] = cn_issue

    # --- payments -----------------------------------------------------------------------------------------
    owed = incl - credit_incl
    never_pays = (b == code["chronic_late"]) & (rng.random(m) < 0.04)
    payer = (owed > 0) & ~never_pays
    pay = np.where(credited, np.maximum(pay, _credit_date_or_never(credit_date) + rng.integers(1, 10, m)), pay)
    pay = next_business_day(pay)
    partial_payers = (b == code["partial_payer"]) & (rng.random(m) < 0.7)
    partial = payer & (owed >= 20_000) & (partial_payers | (rng.random(m) < 0.03))
    instalments = np.where(partial, rng.integers(2, 4, m), 1)
    instalments = np.where(payer, instalments, 0)
    last_missing = partial & (rng.random(m) < 0.10)  # the balance of a partial payment that never comes
    pay_inv = np.repeat(np.arange(m), instalments)
    pay_seq = np.arange(len(pay_inv)) - np.repeat(np.cumsum(instalments) - instalments, instalments)
    k = instalments[pay_inv]
    f1 = rng.uniform(0.3, 0.7, m)
    f2 = rng.uniform(0.3, 0.6, m)
    first_amt = np.where(instalments > 1, (np.rint(owed * f1 / 100) * 100).astype(np.int64), owed)
    second_amt = np.where(
        instalments == 3, (np.rint((owed - first_amt) * f2 / 100) * 100).astype(np.int64), owed - first_amt
    )
    third_amt = owed - first_amt - second_amt
    amount = np.select([pay_seq == 0, pay_seq == 1], [first_amt[pay_inv], second_amt[pay_inv]], third_amt[pay_inv])
    gaps = rng.integers(10, 46, (m, 2))
    pay_date = pay[pay_inv] + np.where(pay_seq >= 1, gaps[pay_inv, 0], 0) + np.where(pay_seq >= 2, gaps[pay_inv, 1], 0)
    pay_date = next_business_day(pay_date)
    drop = last_missing[pay_inv] & (pay_seq == k - 1)
    pay_inv, pay_seq, amount, pay_date = pay_inv[~drop], pay_seq[~drop], amount[~drop], pay_date[~drop]
    pay_order = np.lexsort((pay_seq, pay_inv, pay_date))
    pay_inv, pay_seq, amount, pay_date = pay_inv[pay_order], pay_seq[pay_order], amount[pay_order], pay_date[pay_order]
    unallocated = rng.random(len(pay_inv)) < 0.015  # remittance advice lost: cash not applied to an invoice
    last_payment = np.full(m, -1)
    np.maximum.at(last_payment, pay_inv, pay_date)
    # settled when the last instalment lands, or by the credit note when nothing is left to pay; -1: never
    settled_true = np.where(payer & ~last_missing, last_payment, -1)
    settled_true = np.where(owed <= 0, credit_date, settled_true)
    exported_pay = pay_date <= as_of_d
    paid_as_of = np.rint(np.bincount(pay_inv[exported_pay], weights=amount[exported_pay], minlength=m)).astype(np.int64)
    credited_as_of = np.where((credit_date >= 0) & (credit_date <= as_of_d), credit_incl, 0)
    open_as_of = incl - paid_as_of - credited_as_of

    # --- numbering: chronological per document type and year (French numbering rule) ----------------------
    doc_issue = np.concatenate([issue, cn_issue])
    doc_type = np.concatenate([np.zeros(m, dtype=np.int64), np.ones(c, dtype=np.int64)])
    doc_order = np.lexsort((np.arange(m + c), doc_type, doc_issue))
    year = _years(doc_issue)
    seq = np.empty(m + c, dtype=np.int64)
    key = year[doc_order] * 2 + doc_type[doc_order]
    sorted_key_order = np.argsort(key, kind="stable")
    ks = key[sorted_key_order]
    starts = np.concatenate([[0], np.flatnonzero(np.diff(ks)) + 1])
    run_start = np.repeat(starts, np.diff(np.concatenate([starts, [len(ks)]])))
    seq_sorted = np.arange(len(ks)) - run_start + 1
    seq[doc_order[sorted_key_order]] = seq_sorted
    chrono_rank = np.empty(m + c, dtype=np.int64)  # position of each document in the chronological listing
    chrono_rank[doc_order] = np.arange(m + c)
    numbers = _numbers(year, seq, doc_type)
    inv_number, cn_number = numbers.slice(0, m), numbers.slice(m, c)
    cust_ids = customers.frame["customer_id"]
    # the invoice currency is the customer's; the ERP books a foreign invoice at its month's rate (euros for
    # one unit, 4 decimals), exported beside it
    currency = customers.frame["currency"].to_numpy()[cust]
    base_rate = np.zeros(m)
    for code, rate in ref.FOREIGN_CURRENCY.values():
        base_rate[currency == code] = rate
    months = ((issue - start_d) // 30).astype(np.float64)
    rate_e4 = np.where(currency != "EUR", np.rint(base_rate * 10_000 * (1 + 0.025 * np.sin(months))), 0)
    rate_e4 = rate_e4.astype(np.int64)
    # big accounts buying goods have some invoices delivered to another of their sites
    big_goods = (~customers.sells_services) & customers.frame["size"].is_in(["ETI", "GE"]).to_numpy()
    big_goods &= customers.frame["country"].to_numpy() == "FR"
    delivered_elsewhere = big_goods[cust] & (rng.random(m) < 0.35)
    site_kind = np.where(delivered_elsewhere, rng.integers(0, len(ref.DELIVERY_SITES), m), -1)
    site_city = rng.integers(0, len(ref.CITIES_FR), m)
    site_street = rng.integers(1, 200, m)
    outcomes = pl.Series(outcome_code).replace_strict(
        [-1, 0, 1, 2, 3],
        [None, "partial_credit_note", "full_credit_note", "po_supplied", "rejected"],
        return_dtype=pl.String,
    )
    invoices = pl.DataFrame(
        [
            inv_number.alias("invoice_number"),
            pl.Series("doc_order", chrono_rank[:m]),
            pl.Series("settlement_group", np.arange(m)),
            pl.repeat("invoice", m, eager=True).alias("document_type"),
            cust_ids.gather(cust).alias("customer_id"),
            _date_series("issue_date", issue),
            _date_series("delivery_date", delivery),
            _date_series("due_date", due),
            _cents("amount_excl_tax", excl),
            _cents("tax_amount", tax),
            _cents("amount_incl_tax", incl),
            pl.Series("has_po", has_po),
            pl.Series("po_serial", po_serial),
            pl.Series("original_invoice_number", [None] * m, dtype=pl.String),
            pl.Series("first_product", first_product),
            pl.Series("sells_services", customers.sells_services[cust]),
            pl.Series("currency", currency, dtype=pl.String),
            pl.Series("exchange_rate_e4", rate_e4),
            pl.Series("delivery_site", site_kind),
            pl.Series("delivery_site_city", site_city),
            pl.Series("delivery_site_street", site_street),
            pl.Series("defect_issued_late", issued_late),
            pl.Series("defect_missing_po", missing_po),
            pl.Series("defect_wrong_email", wrong_email),
            pl.Series("defect_wrong_amount", wrong_amount),
            pl.Series("requires_po", requires_po),
            pl.Series("disputed", disputed),
            outcomes.alias("dispute_outcome"),
            pl.Series("credited", credited),
            cn_number.gather(np.maximum(cn_pos, 0)).alias("credit_note_number")
            if c
            else pl.Series("credit_note_number", [None] * m, dtype=pl.String),
            pl.Series("never_paid", never_pays | last_missing),
            pl.Series("instalments", instalments),
            _date_series("true_settled_date", settled_true, settled_true >= 0),
            _cents("paid_amount_as_of", paid_as_of),
            _cents("credited_amount_as_of", credited_as_of),
            _cents("open_amount_as_of", open_as_of),
        ]
    )
    invoices = (
        invoices.with_columns(
            purchase_order=pl.when(pl.col("has_po")).then(
                # purchase orders numbered the SAP way (45xxxxxxxx), as large buyers' ERPs issue them
                pl.concat_str(pl.lit("4500"), pl.col("po_serial").cast(pl.String))
            ),
            credit_note_number=pl.when(pl.col("credited")).then(pl.col("credit_note_number")),
        )
        .drop("has_po", "po_serial", "credited")
        .with_columns(
            true_days_late=(pl.col("true_settled_date") - pl.col("due_date")).dt.total_days(),
            status_as_of=pl.when(pl.col("credited_amount_as_of") == pl.col("amount_incl_tax"))
            .then(pl.lit("credited"))
            .when(pl.col("open_amount_as_of") == 0)
            .then(pl.lit("paid"))
            .when(pl.col("paid_amount_as_of") > 0)
            .then(pl.lit("partially_paid"))
            .otherwise(pl.lit("open")),
        )
    )
    credit_notes = pl.DataFrame(
        [
            cn_number.alias("invoice_number"),
            pl.Series("doc_order", chrono_rank[m:]),
            pl.Series("settlement_group", cn_of),
            pl.repeat("credit_note", c, eager=True, dtype=pl.String).alias("document_type"),
            cust_ids.gather(cust[cn_of]).alias("customer_id"),
            _date_series("issue_date", cn_issue),
            _date_series("delivery_date", delivery[cn_of]),
            _date_series("due_date", cn_issue),
            _cents("amount_excl_tax", cn_excl),
            _cents("tax_amount", cn_tax),
            _cents("amount_incl_tax", cn_incl),
            invoices["purchase_order"].gather(cn_of),
            inv_number.gather(cn_of).alias("original_invoice_number"),
            pl.Series("first_product", first_product[cn_of]),
            pl.Series("sells_services", customers.sells_services[cust[cn_of]]),
            pl.Series("currency", currency[cn_of], dtype=pl.String),
            pl.Series("exchange_rate_e4", rate_e4[cn_of]),
        ]
    )
    documents = pl.concat([invoices, credit_notes], how="diagonal").sort("doc_order")

    # lines in document order: permute the numpy columns once (cheaper than sorting the built frame)
    line_order_key = np.concatenate([chrono_rank[line_inv], chrono_rank[m + cn_line_doc]])
    line_number_all = np.concatenate([line_no, cn_line_no])
    order = np.lexsort((line_number_all, line_order_key))
    number_source = np.concatenate([line_inv, m + cn_line_doc])[order]  # index into `numbers`

    def ordered(parts: list[np.ndarray]) -> np.ndarray:
        return np.concatenate(parts)[order]

    lines = pl.DataFrame(
        [
            numbers.gather(number_source).alias("invoice_number"),
            pl.Series("line_number", line_number_all[order].astype(np.int32)),
            pl.Series("doc_order", line_order_key[order]),
            pl.Series("document_exported", ordered([issue[line_inv], cn_issue[cn_line_doc]]) <= as_of_d),
            pl.Series("product", ordered([product, cn_line_product])),
            pl.Series("services", ordered([services, cn_line_services])),
            pl.Series("discount_pct", ordered([discount_pct, cn_line_discount])),
            pl.Series("rebate", ordered([rebate, cn_line_rebate])),
            pl.Series("line_kind", ordered([np.zeros(len(line_inv), dtype=np.int64), cn_line_kind])),
            pl.Series("quantity_hundredths", ordered([qty_hundredths, cn_line_qty])),
            _cents("unit_price", ordered([unit_price, cn_line_price])),
            pl.Series("vat_rate_bp", VAT_RATES_BP[ordered([rate_code, cn_line_rate])]),
            _cents("line_amount_excl_tax", ordered([line_amount, cn_line_amount])),
        ]
    )

    payments = pl.DataFrame(
        [
            cust_ids.gather(cust[pay_inv]).alias("customer_id"),
            inv_number.gather(pay_inv).alias("invoice_number"),
            pl.Series("settlement_group", pay_inv),
            pl.Series("instalment", (pay_seq + 1).astype(np.int32)),
            _date_series("payment_date", pay_date),
            _cents("amount", amount),
            pl.Series("method", np.array(ref.PAYMENT_METHODS)[customers.method[cust[pay_inv]]]),
            pl.Series("allocated", ~unallocated),
            pl.Series("exported", exported_pay),
        ]
    )
    disputes = pl.DataFrame(
        [
            inv_number.gather(np.flatnonzero(disputed)).alias("invoice_number"),
            cust_ids.gather(cust[disputed]).alias("customer_id"),
            _date_series("opened_on", opened[disputed]),
            pl.Series("reason", _reasons(reason_code[disputed])),
            _cents(
                "disputed_amount",
                np.where(
                    wrong_amount,
                    half_up_tax(dup_line_amount, VAT_RATES_BP[dup_rate]) + dup_line_amount,
                    np.where(po_dispute, incl, np.where(full_credit, incl, np.rint(incl * share).astype(np.int64))),
                )[disputed],
            ),
            _date_series("resolved_on", resolved[disputed]),
            outcomes.filter(pl.Series(disputed)).alias("outcome"),
        ]
    ).sort("opened_on", "invoice_number")
    return Ledger(documents=documents, lines=lines, payments=payments, disputes=disputes, as_of=as_of)


def _credit_date_or_never(credit_date: np.ndarray) -> np.ndarray:
    """The credit note date for credited invoices (others: far in the past, so it never delays payment)."""
    return np.where(credit_date >= 0, credit_date, -(10**6))


def _years(days: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970


def _numbers(year: np.ndarray, seq: np.ndarray, doc_type: np.ndarray) -> pl.Series:
    frame = pl.DataFrame({"year": year, "seq": seq, "type": doc_type})
    return frame.select(
        pl.when(pl.col("type") == 0)
        .then(
            pl.concat_str(
                pl.lit("F"), pl.col("year").cast(pl.String), pl.lit("-"), pl.col("seq").cast(pl.String).str.zfill(6)
            )
        )
        .otherwise(
            pl.concat_str(
                pl.lit("AV"), pl.col("year").cast(pl.String), pl.lit("-"), pl.col("seq").cast(pl.String).str.zfill(5)
            )
        )
    ).to_series()


def _reasons(codes: np.ndarray) -> np.ndarray:
    table = np.array([ref.DISPUTE_REASON_WRONG_AMOUNT, ref.DISPUTE_REASON_MISSING_PO, *ref.DISPUTE_REASONS_GENERAL])
    return table[codes + 2]
