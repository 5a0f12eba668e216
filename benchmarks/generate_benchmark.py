"""Benchmark of `relance generate`: a million invoices (the input of the ingest benchmark).

Prints the wall time and peak memory of the generator, and side by side, in the same run, a reference:
DuckDB writing the same number of invoice, line and payment rows as CSV from random numbers (no realism,
no ledger) — the cost of the raw CSV writing the generator cannot avoid.

    .venv/bin/python benchmarks/generate_benchmark.py [--invoices 1000000] [--customers 20000] [--fec]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from demo.generator import GeneratorConfig, generate


def reference_csv_writing(folder: Path, invoices: int, lines: int, payments: int) -> float:
    import duckdb

    con = duckdb.connect()
    started = time.perf_counter()
    con.execute(f"""copy (select 'F' || lpad(i::varchar, 9, '0') as number, 'C' || (i % 20000) as customer,
                  date '2025-05-27' + (i % 540)::int as issued, round(random() * 10000, 2) as excl,
                  round(random() * 2000, 2) as tax, round(random() * 12000, 2) as incl
                  from range({invoices}) t(i)) to '{folder / "invoices.csv"}' (header, delimiter ';')""")
    con.execute(f"""copy (select 'F' || lpad((i // 3)::varchar, 9, '0') as number, i % 3 + 1 as line,
                  'Article ' || (i % 50) as label, round(random() * 40, 2) as quantity,
                  round(random() * 400, 2) as price, 20.0 as rate, round(random() * 10000, 2) as amount
                  from range({lines}) t(i)) to '{folder / "invoice_lines.csv"}' (header, delimiter ';')""")
    con.execute(f"""copy (select 'PAY' || i as id, 'C' || (i % 20000) as customer, 'F' || lpad(i::varchar, 9, '0'),
                  date '2025-06-27' + (i % 520)::int as paid, round(random() * 12000, 2) as amount
                  from range({payments}) t(i)) to '{folder / "payments.csv"}' (header)""")
    return time.perf_counter() - started


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--fec", action="store_true", help="also write the FEC file (about 5 rows per invoice)")
    parser.add_argument("--attachment-share", type=float, default=0.0)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="relance-generate-bench-"))
    try:
        config = GeneratorConfig(
            customers=args.customers,
            invoices=args.invoices,
            seed=1,
            as_of=date(2026, 11, 27),
            attachment_share=args.attachment_share,
            write_fec=args.fec,
        )
        started, cpu_started = time.perf_counter(), _cpu_seconds()
        result = generate(config, work / "company")
        generator_seconds = time.perf_counter() - started
        generator_cpu = _cpu_seconds() - cpu_started
        peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        sizes = {p.name: p.stat().st_size for p in (work / "company").rglob("*") if p.is_file()}
        reference_folder = work / "reference"
        reference_folder.mkdir()
        reference_seconds = reference_csv_writing(
            reference_folder, result.counts["invoices"], result.counts["invoice_lines"], result.counts["payments"]
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(
        f"relance generate: {args.invoices:,} invoices, {args.customers:,} customers, "
        f"FEC {'on' if args.fec else 'off'}, "
        f"attachments {args.attachment_share:.0%}"
    )
    for name, count in result.counts.items():
        print(f"  {name:<18}{count:>12,}")
    print(f"  written           {sum(sizes.values()) / 2**20:>10,.0f} MiB in {len(sizes):,} files")
    print(
        f"generator wall time      {generator_seconds:8.1f} s   CPU {generator_cpu:6.1f} s   "
        f"peak RSS {peak_mib:,.0f} MiB"
    )
    print(f"machine load average at the end: {os.getloadavg()[0]:.1f} (the machine has {os.cpu_count()} cores)")
    print(f"reference (DuckDB COPY of random rows, same row counts) {reference_seconds:8.1f} s")
    print(f"ratio generator / reference {generator_seconds / reference_seconds:6.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
