"""Benchmark: build every analytics model (SQL KPIs, causes, reminder statistics, risk training and
scoring) on a synthetic book of receivables of a chosen size, and print the time of each step.

    .venv/bin/python benchmarks/analytics_kpis.py --invoices 100000 --customers 2000

The book is generated in DuckDB with a fixed seed: customers with their own payment habits, invoices over
two years, payments, a few disputes, and one `sent` event per invoice (plus bounces, retrievals and
reminders), written into the contract tables of a temporary warehouse file.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assets.analytics.contract import create_contract_tables
from assets.analytics.defs import SQL_MODELS
from assets.analytics.reminders import build_reminder_effectiveness
from assets.analytics.risk import train_and_score
from pipelines.resources import AnalyticsSettings
from stores import warehouse

AS_OF = date(2025, 12, 31)


def generate(con, invoices: int, customers: int) -> None:
    create_contract_tables(con)
    con.execute("select setseed(0.42)")
    con.execute(f"""
        insert into marts.customers (customer_id, name, segment, tags, preferred_channel, country)
        select 'C' || i, 'Customer ' || i, ['enterprise', 'sme', 'public'][1 + i % 3], [],
               ['email', 'paper', 'platform', 'edi'][1 + (i * 7) % 4], 'FR'
        from range({customers}) t(i)""")
    con.execute(f"""
        create temp table habits as
        select 'C' || i as customer_id, random() * 24 - 14 as mean_delay from range({customers}) t(i)""")
    con.execute(f"""
        insert into marts.invoices (invoice_number, document_type, customer_id, issue_date, delivery_date, due_date,
                                    amount_incl_tax, currency, purchase_order, settled_date)
        select 'F' || i, 'invoice', 'C' || (i % {customers}), issue, issue - 2, issue + 30,
               round(50 + random() * 5000, 2)::decimal(18, 2), 'EUR', case when random() < 0.9 then 'PO' || i end,
               case when random() < 0.97
                    then issue + 30 + greatest(-25, round(h.mean_delay + 15 * (random() - 0.5)))::int end
        from (select i, date '2024-01-01' + (random() * 720)::int as issue from range({invoices}) t(i)) inv
        join habits h on h.customer_id = 'C' || (inv.i % {customers})""")
    con.execute("""
        insert into staging.payments (payment_id, customer_id, invoice_number, payment_date, amount, currency)
        select 'P' || invoice_number, customer_id, invoice_number, settled_date, amount_incl_tax, 'EUR'
        from marts.invoices where settled_date is not null""")
    con.execute("""
        insert into staging.disputes
        select invoice_number, customer_id, issue_date + 10,
               ['price', 'quantity', 'quality'][(1 + hash(invoice_number) % 3)::bigint], amount_incl_tax / 10, null
        from marts.invoices where hash(invoice_number) % 40 = 0""")
    con.execute("""
        insert into staging.events (id, event_id, event_type, occurred_at, recorded_at, invoice_number, customer_id,
                                    channel, source, status_code, reminder_step, evidence)
        select row_number() over (), 'e' || row_number() over (), event_type, occurred, occurred, invoice_number,
               customer_id, channel, 'benchmark', null, step, evidence
        from (
            select 'sent' as event_type, i.issue_date::timestamptz + interval 9 hour as occurred, i.invoice_number,
                   i.customer_id, c.preferred_channel as channel, null as step,
                   case when c.preferred_channel = 'paper' then '{"postage": "1.16"}' else '{}' end::json as evidence
            from marts.invoices i join marts.customers c using (customer_id)
            union all
            select case when hash(i.invoice_number) % 30 = 0 then 'bounced' else 'delivered' end,
                   i.issue_date::timestamptz + interval 10 hour, i.invoice_number, i.customer_id, 'email', null,
                   '{}'::json
            from marts.invoices i join marts.customers c using (customer_id) where c.preferred_channel = 'email'
            union all
            select 'viewed', i.issue_date::timestamptz + interval 3 day, i.invoice_number, i.customer_id, 'email', null,
                   '{}'::json
            from marts.invoices i join marts.customers c using (customer_id)
            where c.preferred_channel = 'email' and hash(i.invoice_number) % 3 > 0
            union all
            select 'reminded', (i.due_date + 7)::timestamptz, i.invoice_number, i.customer_id, 'email', 'first',
                   json_object('variant', ['A', 'B'][(1 + hash(i.invoice_number) % 2)::bigint])
            from marts.invoices i where coalesce(i.settled_date, date '2099-01-01') > i.due_date + 7
        )""")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=2_000)
    args = parser.parse_args()
    settings = AnalyticsSettings().parameters(AS_OF)
    settings["postage_tariff"] = Decimal("1.16")
    with tempfile.TemporaryDirectory() as folder:
        con = warehouse.connect(Path(folder) / "warehouse.duckdb")
        started = time.perf_counter()
        generate(con, args.invoices, args.customers)
        events = con.execute("select count(*) from staging.events").fetchall()[0][0]
        print(
            f"generated {args.invoices} invoices, {args.customers} customers, {events} events "
            f"in {time.perf_counter() - started:.1f} s"
        )
        total = time.perf_counter()
        for layer, name, _ in SQL_MODELS:
            started = time.perf_counter()
            rows = warehouse.build_model(con, layer, name, settings)
            print(f"{layer}.{name:34} {rows:>9} rows {time.perf_counter() - started:7.2f} s")
        started = time.perf_counter()
        rows = build_reminder_effectiveness(con)
        print(f"marts.reminder_effectiveness{'':17} {rows:>9} rows {time.perf_counter() - started:7.2f} s")
        started = time.perf_counter()
        summary = train_and_score(con, AS_OF)
        print(
            f"risk model: trained on {summary['training_invoices']}, scored {summary['scored_invoices']} "
            f"(AUC {summary['model_auc']:.3f} vs baseline {summary['baseline_auc']:.3f}) "
            f"{time.perf_counter() - started:7.2f} s"
        )
        print(f"total analytics build: {time.perf_counter() - total:.1f} s")
        con.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
