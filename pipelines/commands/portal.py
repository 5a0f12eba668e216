"""`relance portal`: serve the customer portal, print signed links, revoke them, create API keys."""

from __future__ import annotations

import argparse
import sys


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "portal",
        help="customer portal: serve it, print or revoke signed links, create API keys",
        description="Without a sub-command, serve the customer portal (and its JSON API) with uvicorn.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8070, help="port to listen on (default 8070)")
    parser.add_argument(
        "--workers", type=int, default=1, help="uvicorn worker processes (default 1; rate limits are per process)"
    )
    parser.add_argument("--no-access-log", action="store_true", help="do not write the (redacted) access log")
    parser.add_argument(
        "--proxy-headers",
        action="store_true",
        help="trust X-Forwarded-For/Proto from --forwarded-allow-ips (behind a reverse proxy)",
    )
    parser.add_argument("--forwarded-allow-ips", default=None, help="proxy addresses to trust (default 127.0.0.1)")
    parser.set_defaults(handler=_serve)
    actions = parser.add_subparsers(dest="portal_action", metavar="ACTION")

    link = actions.add_parser("link", help="print a new signed portal link for a customer")
    link.add_argument("customer_id", metavar="CUSTOMER_ID")
    link.add_argument("--days", type=int, default=30, help="validity in days (1-366, default 30)")
    link.add_argument(
        "--base-url",
        default=None,
        help="public address of the portal (default RELANCE_PORTAL_BASE_URL or http://127.0.0.1:8070)",
    )
    link.set_defaults(handler=_link)

    revoke = actions.add_parser("revoke", help="revoke a customer's links, one link by its token id, or an API key")
    target = revoke.add_mutually_exclusive_group(required=True)
    target.add_argument("customer_id", metavar="CUSTOMER_ID", nargs="?", help="revoke every live link of this customer")
    target.add_argument("--token", metavar="ID", help="revoke one link: its token id (the part before the dot)")
    target.add_argument("--apikey", metavar="KEY_ID", help="revoke one API key by its key id (rlk_<KEY_ID>_...)")
    revoke.set_defaults(handler=_revoke)

    apikey = actions.add_parser("apikey", help="create an API key for a customer (printed once)")
    apikey.add_argument("customer_id", metavar="CUSTOMER_ID")
    apikey.add_argument("--label", default=None, help="what the key is for (e.g. the customer's extranet)")
    apikey.set_defaults(handler=_apikey)


def _settings():
    from channels.portal.config import PortalSettings

    return PortalSettings.from_env()


def _serve(args: argparse.Namespace) -> int:
    from channels.portal.server import serve

    if args.workers < 1:
        print("relance portal: --workers must be at least 1", file=sys.stderr)
        return 2
    serve(
        host=args.host,
        port=args.port,
        workers=args.workers,
        access_log=not args.no_access_log,
        proxy_headers=args.proxy_headers,
        forwarded_allow_ips=args.forwarded_allow_ips,
    )
    return 0


def _link(args: argparse.Namespace) -> int:
    from channels.portal import links
    from stores import operational as ops

    settings = _settings()
    try:
        token, grant = links.issue_token(
            ops.open_store(settings.operational_url), settings.secret, args.customer_id, args.days
        )
    except ValueError as exc:
        print(f"relance portal link: {exc}", file=sys.stderr)
        return 2
    print(links.link_for_token(args.base_url or settings.base_url, token, via_email=False))
    print(f"token id {grant.token_id}, valid until {grant.expires_at.isoformat()}", file=sys.stderr)
    _warn_if_unknown(settings, args.customer_id)
    return 0


def _warn_if_unknown(settings, customer_id: str) -> None:
    """A mistyped customer id still gets a link (the customer may arrive with the next export), but say so."""
    from channels.portal.data import SnapshotReader, SnapshotUnavailable

    reader = SnapshotReader(settings.home.snapshot, settings.secret)
    try:
        view = reader.customer(customer_id)
    except SnapshotUnavailable:
        return
    finally:
        reader.close()
    if view.customer is None and not view.invoices:
        print(
            f"warning: customer {customer_id} is not in the serving snapshot (no customer row, no invoice)",
            file=sys.stderr,
        )


def _revoke(args: argparse.Namespace) -> int:
    from channels.portal import links
    from stores import operational as ops

    engine = ops.open_store(_settings().operational_url)
    if args.apikey:
        from channels.portal import apikeys

        if not apikeys.revoke_api_key(engine, args.apikey):
            print(f"relance portal revoke: no live API key with id {args.apikey}", file=sys.stderr)
            return 1
        print(f"revoked API key {args.apikey}")
        return 0
    if args.token:
        if not links.revoke_token(engine, args.token):
            print(f"relance portal revoke: no live link with token id {args.token}", file=sys.stderr)
            return 1
        print(f"revoked link {args.token}")
        return 0
    count = links.revoke_customer(engine, args.customer_id)
    print(f"revoked {count} link(s) of customer {args.customer_id}")
    return 0


def _apikey(args: argparse.Namespace) -> int:
    from channels.portal import apikeys
    from stores import operational as ops

    engine = ops.open_store(_settings().operational_url)
    try:
        key_id, key = apikeys.create_api_key(engine, args.customer_id, args.label)
    except ValueError as exc:
        print(f"relance portal apikey: {exc}", file=sys.stderr)
        return 2
    print(key)
    print(
        f"key id {key_id} for customer {args.customer_id}: shown once, store it now "
        "(send it as `Authorization: Bearer <key>`)",
        file=sys.stderr,
    )
    return 0
