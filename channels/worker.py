"""Drain the outbox without Dagster: `python -m channels.worker` (also `relance dispatch --direct`).

The Dagster dispatch job is the normal way; this loop is what the crash tests SIGKILL, and what an
operator can run on a host with no Dagster daemon.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from channels.recipients import RecipientDirectory, load_from_duckdb
from stores.home import Home, relance_home


def load_directory(home: Home, recipients_file: Path | None = None) -> RecipientDirectory:
    """Customers from a JSON file, else the warehouse (read-only), else the serving snapshot."""
    if recipients_file is not None:
        return RecipientDirectory.from_rows(json.loads(Path(recipients_file).read_text(encoding="utf-8")))
    import duckdb

    for path in (home.warehouse, home.snapshot):
        if not path.exists():
            continue
        try:
            con = duckdb.connect(str(path), read_only=True)
        except duckdb.Error:
            continue  # a Dagster run holds the warehouse: the snapshot has the same customers
        try:
            directory = load_from_duckdb(con)
        finally:
            con.close()
        if len(directory):
            return directory
    return RecipientDirectory()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m channels.worker", description=__doc__)
    add_drain_options(parser)
    return parser


def add_drain_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--batch", type=int, default=None, help="rows claimed at a time (RELANCE_DISPATCH_BATCH, 50)")
    parser.add_argument(
        "--lease",
        type=float,
        default=None,
        help="seconds after which another worker may recover a claim (RELANCE_OUTBOX_LEASE_SECONDS, 300)",
    )
    parser.add_argument(
        "--wait-for-leases",
        action="store_true",
        help="also wait for other workers' claims to end or expire, then settle them",
    )
    parser.add_argument(
        "--recipients",
        type=Path,
        default=None,
        help="JSON list of customers (customer_id, name, email, ...) instead of the warehouse",
    )


def run_drain(args: argparse.Namespace, chunk_index: int = 0, chunk_count: int = 1):
    from dataclasses import replace

    from channels.dispatch import Dispatcher, DispatchSettings
    from stores.operational import open_store

    home = relance_home().ensure()
    settings = DispatchSettings.from_env()
    if args.batch:
        settings = replace(settings, batch_size=args.batch)
    if args.lease:
        settings = replace(settings, lease_seconds=args.lease)
    engine = open_store(home.operational_url)
    dispatcher = Dispatcher(engine, home, load_directory(home, args.recipients), settings=settings)
    return dispatcher.drain(chunk_index=chunk_index, chunk_count=chunk_count, wait_for_leases=args.wait_for_leases)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    stats = run_drain(args)
    print(json.dumps(stats.as_dict()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
