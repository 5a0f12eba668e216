"""`relance generate`: write a demo company's ERP exports plus the ground truth they were drawn from."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1 (got {value})")
    return value


def _share(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1 (got {value})")
    return value


def add_generator_options(parser: argparse.ArgumentParser, *, customers: int, invoices: int) -> None:
    """Options shared by `relance generate` and `relance demo`."""
    parser.add_argument(
        "--customers", type=_positive_int, default=customers, help=f"number of customers (default {customers})"
    )
    parser.add_argument(
        "--invoices",
        type=_positive_int,
        default=invoices,
        help=f"number of invoices, credit notes come on top (default {invoices})",
    )
    parser.add_argument(
        "--seed", type=int, default=42, help="random seed: same seed and dates, same bytes (default 42)"
    )
    parser.add_argument(
        "--as-of",
        type=date.fromisoformat,
        default=None,
        metavar="YYYY-MM-DD",
        help="the simulated today: last issue date, payments after it are not exported "
        "(default: --start plus --months when --start is given, else today)",
    )
    parser.add_argument(
        "--start",
        type=date.fromisoformat,
        default=None,
        metavar="YYYY-MM-DD",
        help="first issue date (default: --months before the as-of date)",
    )
    parser.add_argument("--months", type=_positive_int, default=18, help="invoicing period in months (default 18)")
    parser.add_argument(
        "--attachment-share",
        type=_share,
        default=None,
        metavar="SHARE",
        help="share of invoices with supporting PDFs (delivery note or timesheet, PO copy), "
        "0 to 1 (default 0.15, capped to 3,000 invoices)",
    )


def config_from(args: argparse.Namespace, *, write_fec: bool = True):
    from demo.generator import GeneratorConfig
    from demo.generator.generator import months_before

    if args.as_of is not None:
        as_of = args.as_of
    elif args.start is not None:
        # a start date alone fixes the whole period, so the output does not depend on today's date
        as_of = months_before(args.start, -args.months)
    else:
        from assets.business_date import business_date

        as_of = business_date()
    return GeneratorConfig(
        customers=args.customers,
        invoices=args.invoices,
        seed=args.seed,
        as_of=as_of,
        months=args.months,
        start=args.start,
        attachment_share=args.attachment_share,
        write_fec=write_fec,
    )


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "generate",
        help="write a demo company's ERP exports (CSV, PDFs, FEC) and their ground truth",
        description="Write realistic ERP exports of a French company (customers.csv, invoices.csv, "
        "invoice_lines.csv, payments.csv, disputes.csv, attachments/, FEC/) plus ground_truth/ "
        "(parquet) describing what really happened. Deterministic per seed and dates.",
    )
    add_generator_options(parser, customers=200, invoices=5000)
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="output folder (created if missing)")
    parser.add_argument("--no-fec", action="store_true", help="do not write the FEC accounting file")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    import time

    from demo.generator import generate

    started = time.perf_counter()
    try:
        config = config_from(args, write_fec=not args.no_fec)
        result = generate(config, args.out)
    except (ValueError, OSError) as exc:
        print(f"relance generate: {exc}", file=sys.stderr)
        return 2
    counts = result.counts
    print(
        f"generated in {time.perf_counter() - started:.1f} s into {result.out} "
        f"(issue dates {config.first_day} to {config.as_of}, seed {config.seed}):"
    )
    for name in (
        "customers",
        "invoices",
        "credit_notes",
        "invoice_lines",
        "payments",
        "disputes",
        "attachments",
        "open_invoices",
        "overdue_invoices",
    ):
        print(f"  {name.replace('_', ' '):<17}{counts[name]:>10,}")
    print(f"  ground truth in  {result.out / 'ground_truth'}")
    return 0
