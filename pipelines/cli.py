"""`relance` command line. Each module in pipelines/commands registers one sub-command through
`register(subparsers)`, and so does every `relance.commands` entry point of the installed distributions
(the demo's commands, declared in pyproject.toml): the CLI names no module outside pipelines. Heavy imports
happen inside the handlers so `relance --help` stays fast."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Callable
from importlib.metadata import entry_points

import pipelines.commands as commands_package

COMMAND_ENTRY_POINTS = "relance.commands"


def command_registrations() -> dict[str, Callable]:
    """Sub-command name -> its `register(subparsers)`: the modules of pipelines/commands, then the entry points."""
    found: dict[str, Callable] = {}
    for info in pkgutil.iter_modules(commands_package.__path__):
        found[info.name] = importlib.import_module(f"pipelines.commands.{info.name}").register
    for entry in entry_points(group=COMMAND_ENTRY_POINTS):
        if entry.name in found:
            raise RuntimeError(f"two `relance {entry.name}` commands: pipelines/commands and {entry.value}")
        found[entry.name] = entry.load()
    return found


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="relance",
        description="Deliver, track, remind and explain B2B customer invoices from ERP exports.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for _name, register in sorted(command_registrations().items()):
        register(sub)
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
