"""`relance platform simulate`: play the e-invoice platform's side in the demo (answer submissions with
lifecycle status files), so `relance feedback` has statuses to read."""

from __future__ import annotations

import argparse
import json
import sys


def register(subparsers) -> None:
    parser = subparsers.add_parser("platform", help="e-invoice platform stand-in: answer submitted invoices")
    actions = parser.add_subparsers(dest="platform_action", metavar="ACTION", required=True)
    simulate = actions.add_parser(
        "simulate",
        help="write lifecycle status files for every submission not answered yet",
        description="For each manifest in the platform outbox folder that has no answer yet, write a status "
        "file in the platform status folder with the given lifecycle codes (200 Déposée ... 213 "
        "Rejetée).",
    )
    simulate.add_argument(
        "--codes",
        default="200,201,202,203",
        help="comma-separated lifecycle codes for each submission (default 200,201,202,203)",
    )
    simulate.add_argument(
        "--reject-every",
        type=int,
        default=0,
        metavar="N",
        help="answer every N-th submission with 213 Rejetée instead (default: never)",
    )
    simulate.set_defaults(handler=_simulate)


def _simulate(args: argparse.Namespace) -> int:
    from channels.adapters.platform import platform_dirs
    from demo.folder_platform import PlatformSimulator
    from stores.home import relance_home
    from stores.operational import LIFECYCLE_STATUSES

    codes = [c.strip() for c in args.codes.split(",") if c.strip()]
    unknown = [c for c in codes if c not in LIFECYCLE_STATUSES]
    if unknown or not codes:
        print(
            f"relance platform simulate: unknown lifecycle codes {unknown or args.codes!r}; "
            f"known: {', '.join(LIFECYCLE_STATUSES)}",
            file=sys.stderr,
        )
        return 2
    simulator = PlatformSimulator(*platform_dirs(relance_home()))
    answered = simulator.answered()
    written = 0
    for position, manifest in enumerate(simulator.pending_manifests(), start=1):
        if manifest["submission"] in answered:
            continue
        if args.reject_every and position % args.reject_every == 0:
            simulator.report(manifest, ["213"], reason="BR-FR: rejected by the platform stand-in")
        else:
            simulator.report(manifest, codes)
        written += 1
    print(json.dumps({"status_files_written": written, "already_answered": len(answered)}))
    return 0
