"""Dunning at scale: plan one day's batch, enqueue it, and replay 30 days with the simulator.

    .venv/bin/python benchmarks/dunning_batch.py --customers 20000 --invoices 100000

Builds a synthetic warehouse (the contract's staging tables) in a temp folder with due dates spread over
90 days around the run date and a third of the invoices paid, then times each phase. Nothing is sent: the
outbox is filled but not drained (draining is the channels' benchmark).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.assets.dunning.world import World  # the same DDL as the tests: the contract's tables


def build(world: World, customers: int, invoices: int, run_date: date) -> None:
    con = world.con
    con.execute(
        """
        insert into staging.customers (customer_id, name, email, country, language, timezone, segment, tags,
            preferred_channel, fallback_channels, payment_terms_days, on_hold, extracted_at)
        select 'C' || i, 'Client ' || i, 'c' || i || '@example.com', 'FR', case when i % 5 = 0 then 'en' else 'fr' end,
               'Europe/Paris', case when i % 10 = 0 then 'group' else 'sme' end, [], 'email', ['paper'], 30,
               i % 97 = 0, now()
        from range(?) t(i)""",
        [customers],
    )
    con.execute(
        """
        insert into staging.invoices (issuer_id, invoice_number, document_type, customer_id, issue_date, due_date,
            amount_excl_tax, tax_amount, amount_incl_tax, currency, extracted_at)
        select 'ISSUER', 'F' || i, 'invoice', 'C' || (i % ?), ?::date - (i % 90)::int + 15,
               ?::date - (i % 90)::int + 45, 100 + i % 900, 20, 120 + i % 900, 'EUR', now()
        from range(?) t(i)""",
        [customers, run_date, run_date, invoices],
    )
    con.execute(
        """
        insert into staging.payments
        select 'P' || i, 'C' || (i % ?), 'F' || i, ?::date - (i % 90)::int + 40, 120 + i % 900, 'EUR', 'transfer',
               'P' || i, 'payments.csv', now()
        from range(?) t(i) where i % 3 = 0""",
        [customers, run_date, invoices],
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=30, help="days replayed by the simulator")
    parser.add_argument(
        "--only",
        choices=("standard", "group"),
        default=None,
        help="keep one test policy: standard (no PDF) or group (consolidated, statement PDFs)",
    )
    args = parser.parse_args()
    run_date = date(2026, 10, 15)  # a Thursday
    now = datetime(2026, 10, 15, 8, tzinfo=timezone.utc)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["RELANCE_HOME"] = tmp
        from assets.dunning.batch import REMINDER_KINDS, build_reminder_batch, enqueue_batch
        from assets.dunning.data import load_day_facts
        from assets.dunning.policy import load_policies
        from assets.dunning.simulate import simulate
        from stores import operational as ops
        from stores.home import relance_home

        home = relance_home().ensure()
        world = World(home.warehouse)
        t0 = time.perf_counter()
        build(world, args.customers, args.invoices, run_date)
        t_build = time.perf_counter() - t0
        engine = ops.open_store(home.operational_url)
        policies = load_policies(Path(__file__).resolve().parent.parent / "tests" / "dunning" / "policies")
        if args.only:
            policies = [p for p in policies if p.name == args.only]

        t0 = time.perf_counter()
        summary = build_reminder_batch(world.con, engine, policies, run_date, now)
        t_plan = time.perf_counter() - t0
        t0 = time.perf_counter()
        facts = load_day_facts(world.con, engine, run_date, now)
        result = enqueue_batch(engine, home, policies, facts, kinds=REMINDER_KINDS)
        t_queue = time.perf_counter() - t0
        t0 = time.perf_counter()
        days = simulate(
            world.con, None, policies, run_date, run_date + timedelta(days=args.days - 1), only_policy=policies[-1].name
        )
        t_sim = time.perf_counter() - t0
        world.close()
    print(
        f"warehouse: {args.customers} customers, {args.invoices} invoices ({t_build:.1f} s to build), "
        f"policies: {', '.join(p.name for p in policies)}"
    )
    print(f"plan one day:   {t_plan:6.1f} s  drafts={summary.drafts} ignored={sum(summary.ignored.values())}")
    print(f"render+enqueue: {t_queue:6.1f} s  {result['counts']}")
    print(f"simulate {args.days} d: {t_sim:6.1f} s  messages={sum(d.messages for d in days)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
