"""`relance feedback`: read DSN bounce reports and platform lifecycle statuses into events now."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "feedback",
        help="read bounce reports (DSN) and e-invoice platform statuses into events",
        description="Read a Maildir or folder of .eml DSN reports into bounced/delivered events (matched by the "
        "original Message-ID; hard bounces fall back to the customer's next channel) and the "
        "platform's lifecycle status files into lifecycle events. Files are moved to processed/ "
        "or, with a reason, to rejected/.",
    )
    parser.add_argument(
        "--dsn",
        type=Path,
        default=None,
        help="DSN mailbox folder (default RELANCE_DSN_MAILDIR, else RELANCE_HOME/bounces)",
    )
    parser.add_argument(
        "--status",
        type=Path,
        default=None,
        help="platform status folder (default RELANCE_PLATFORM_STATUS_DIR, else RELANCE_HOME/status/platform)",
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from channels.adapters.platform import platform_dirs
    from channels.inbound import read_dsn_folder, read_platform_statuses
    from channels.worker import load_directory
    from pipelines.delivery import dsn_folder_for
    from stores.home import relance_home
    from stores.operational import open_store

    home = relance_home().ensure()
    engine = open_store(home.operational_url)
    dsn_folder = args.dsn or dsn_folder_for(home)
    dsn = read_dsn_folder(engine, dsn_folder, load_directory(home)).as_dict() if dsn_folder.exists() else None
    statuses = read_platform_statuses(engine, args.status or platform_dirs(home)[1]).as_dict()
    print(
        json.dumps({"dsn": dsn or {"files": 0, "note": f"{dsn_folder} does not exist"}, "platform": statuses}, indent=2)
    )
    return 0
