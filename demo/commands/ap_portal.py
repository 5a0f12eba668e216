"""`relance apportal serve`: the local customer AP-portal stand-in (generic REST + Chorus Pro-like)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers) -> None:
    parser = subparsers.add_parser("apportal", help="local customer AP portal (REST and Chorus Pro-like upload APIs)")
    actions = parser.add_subparsers(dest="ap_portal_action", metavar="ACTION", required=True)
    serve = actions.add_parser("serve", help="serve the portal with uvicorn until interrupted")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8090, help="port to listen on (default 8090)")
    serve.add_argument(
        "--token",
        action="append",
        default=None,
        metavar="TOKEN",
        help="bearer token accepted by the REST API (repeatable; default demo-token)",
    )
    serve.add_argument(
        "--chorus-client",
        action="append",
        default=None,
        metavar="ID:SECRET",
        help="OAuth client of the Chorus-like API (default demo-client:demo-secret)",
    )
    serve.add_argument(
        "--chorus-account",
        action="append",
        default=None,
        metavar="LOGIN:PASSWORD",
        help="technical account for the cpro-account header (default demo@relance.example:demo-password)",
    )
    serve.add_argument(
        "--processing-seconds",
        type=float,
        default=2.0,
        help="seconds before a deposit is accepted or rejected (default 2)",
    )
    serve.add_argument(
        "--storage", type=Path, default=None, help="keep deposited files here (default RELANCE_HOME/apportal)"
    )
    serve.set_defaults(handler=_serve)


def _pairs(values, option):
    out = {}
    for value in values or []:
        if ":" not in value:
            raise ValueError(f"{option} expects A:B, got {value!r}")
        key, secret = value.split(":", 1)
        out[key] = secret
    return out


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from demo.ap_portal import ApPortalSettings, create_app
    from stores.home import relance_home

    defaults = ApPortalSettings()
    try:
        settings = ApPortalSettings(
            tokens=tuple(args.token) if args.token else defaults.tokens,
            chorus_clients=_pairs(args.chorus_client, "--chorus-client") or defaults.chorus_clients,
            chorus_accounts=_pairs(args.chorus_account, "--chorus-account") or defaults.chorus_accounts,
            processing_seconds=args.processing_seconds,
            storage=args.storage or relance_home().root / "apportal",
        )
    except ValueError as exc:
        print(f"relance apportal serve: {exc}", file=sys.stderr)
        return 2
    print(
        f"AP portal on http://{args.host}:{args.port} (REST /api/v1, Chorus-like /cpro), "
        f"files kept in {settings.storage}",
        flush=True,
    )
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="warning")
    return 0
