"""Benchmark: ingest + staging of 1,000,000 invoices and their payments from CSV, next to DuckDB's own
read_csv of the same files.

    .venv/bin/python benchmarks/ingest_benchmark.py [--invoices 1000000] [--customers 20000] [--workdir DIR]

The exports come from the demo-data generator (`relance generate`: customers.csv, invoices.csv in cp1252
with decimal commas and dd/mm/yyyy dates, payments.csv in UTF-8), generated once per size into the work
folder and not timed. Each measured side runs in its own fresh process, so its peak memory (max RSS) is
its own:
  * relance: the ingest code the Dagster asset runs (encoding/delimiter detection, header recognition,
    vectorised parsing and validation, every row accounted for, polars -> DuckDB through Arrow into raw
    tables), then the staging SQL models (customers, invoices, invoice_history, payments, quarantine);
  * reference: DuckDB alone, `create table ... as select * from read_csv(...)` for the same three files.
Goals: relance <= 30 s wall, <= 3 GiB peak RSS, <= 10x the reference.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FILES = ("customers.csv", "invoices.csv", "payments.csv")
STAGING = ("customers", "invoices", "invoice_history", "payments", "quarantine")
GOAL_SECONDS, GOAL_GIB, GOAL_RATIO = 30.0, 3.0, 10.0


def generate(folder: Path, invoices: int, customers: int, seed: int) -> None:
    marker = folder / "ground_truth" / "manifest.json"
    if marker.exists():
        config = json.loads(marker.read_text())["config"]
        if (config["invoices"], config["customers"], config["seed"]) == (invoices, customers, seed):
            return
    from pipelines.cli import main

    if folder.exists():
        shutil.rmtree(folder)
    code = main(
        [
            "generate",
            "--invoices",
            str(invoices),
            "--customers",
            str(customers),
            "--seed",
            str(seed),
            "--as-of",
            "2026-11-27",
            "--attachment-share",
            "0",
            "--no-fec",
            "--out",
            str(folder),
        ]
    )
    if code:
        raise SystemExit(f"relance generate failed with exit code {code}")


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def _cpu_seconds() -> float:
    """CPU time of every thread of this process: unlike wall time, not inflated when the cores are shared."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_relance(folder: str, database: str, queue) -> None:
    from assets.ingest.load import ingest_into
    from stores import warehouse

    start, cpu_start = time.perf_counter(), _cpu_seconds()
    con = warehouse.connect(database)
    reports = ingest_into(con, [Path(folder) / name for name in FILES], detail=False)
    ingested = time.perf_counter()
    staged = {name: warehouse.build_model(con, "staging", name) for name in STAGING}
    con.close()
    end = time.perf_counter()
    queue.put(
        {
            "seconds": end - start,
            "cpu_seconds": _cpu_seconds() - cpu_start,
            "ingest_seconds": ingested - start,
            "staging_seconds": end - ingested,
            "peak_rss_mib": _peak_rss_mib(),
            "staging_rows": staged,
            "files": [
                {k: r.get(k) for k in ("file", "rows_read", "accepted", "quarantined", "duplicates", "error")}
                for r in reports
            ],
        }
    )


def run_duckdb(folder: str, database: str, queue) -> None:
    import duckdb

    start, cpu_start = time.perf_counter(), _cpu_seconds()
    con = duckdb.connect(database)
    counts = {}
    for name in FILES:
        path = str(Path(folder) / name)
        # invoices.csv is cp1252: DuckDB reads it as latin-1 (same letters for this data)
        options = ", encoding = 'latin-1'" if name == "invoices.csv" else ""
        table = name.removesuffix(".csv")
        con.execute(f"create table {table} as select * from read_csv(?{options})", [path])
        counts[table] = con.execute(f"select count(*) from {table}").fetchall()[0][0]
    con.close()
    queue.put(
        {
            "seconds": time.perf_counter() - start,
            "cpu_seconds": _cpu_seconds() - cpu_start,
            "peak_rss_mib": _peak_rss_mib(),
            "rows": counts,
        }
    )


def measure(target, folder: Path) -> dict:
    context = multiprocessing.get_context("spawn")  # a fresh interpreter: nothing inherited, honest RSS
    queue = context.Queue()
    with tempfile.TemporaryDirectory(prefix="relance-bench-") as tmp:
        process = context.Process(target=target, args=(str(folder), str(Path(tmp) / "w.duckdb"), queue))
        process.start()
        result = queue.get()
        process.join()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "relance-ingest-benchmark")
    args = parser.parse_args()

    folder = args.workdir / f"exports-{args.invoices}"
    t0 = time.perf_counter()
    generate(folder, args.invoices, args.customers, args.seed)
    print(
        f"exports ready in {folder} ({time.perf_counter() - t0:.1f} s, not timed): "
        + ", ".join(f"{n} {os.path.getsize(folder / n) / 2**20:.0f} MiB" for n in FILES)
    )

    reference = measure(run_duckdb, folder)
    relance = measure(run_relance, folder)
    ratio = relance["seconds"] / reference["seconds"]

    for f in relance["files"]:
        print(
            f"  {Path(f['file']).name:<14} rows_read={f['rows_read']:>9} accepted={f['accepted']:>9} "
            f"quarantined={f['quarantined']:>6} duplicates={f['duplicates']:>6}"
        )
    print(f"  staging rows: {relance['staging_rows']}")
    print(
        f"relance ingest + staging : {relance['seconds']:6.1f} s wall (ingest {relance['ingest_seconds']:.1f} s, "
        f"staging {relance['staging_seconds']:.1f} s), {relance['cpu_seconds']:.1f} s CPU, "
        f"peak RSS {relance['peak_rss_mib'] / 1024:.2f} GiB"
    )
    print(
        f"duckdb read_csv alone    : {reference['seconds']:6.1f} s wall, {reference['cpu_seconds']:.1f} s CPU, "
        f"peak RSS {reference['peak_rss_mib'] / 1024:.2f} GiB, rows {reference['rows']}"
    )
    print(f"ratio (wall)             : {ratio:6.1f}x   (CPU: {relance['cpu_seconds'] / reference['cpu_seconds']:.1f}x)")
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end of the run")
    ok = relance["seconds"] <= GOAL_SECONDS and relance["peak_rss_mib"] / 1024 <= GOAL_GIB and ratio <= GOAL_RATIO
    print(f"goals (<= {GOAL_SECONDS:.0f} s, <= {GOAL_GIB:.0f} GiB, <= {GOAL_RATIO:.0f}x): {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
