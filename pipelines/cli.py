"""`relance` command line. Each module in pipelines/commands registers one sub-command through
`register(subparsers)`; heavy imports happen inside the handlers so `relance --help` stays fast."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

import pipelines.commands as commands_package


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="relance",
        description="Deliver, track, remind and explain B2B customer invoices from ERP exports.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(commands_package.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"pipelines.commands.{info.name}")
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
