"""`relance mail`: the local SMTP server of the demo and its mailbox (serve, list, show)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "mail",
        help="local SMTP server keeping every message (demo): serve, list, show",
        description="A real SMTP server (aiosmtpd) that keeps each message it receives "
        "under RELANCE_HOME/mail, and commands to browse them.",
    )
    actions = parser.add_subparsers(dest="mail_action", metavar="ACTION", required=True)

    serve = actions.add_parser("serve", help="run the SMTP server until interrupted")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8025, help="port to listen on (default 8025)")
    serve.add_argument("--folder", type=Path, default=None, help="where to keep messages (default RELANCE_HOME/mail)")
    serve.add_argument("--tls-cert", type=Path, default=None, help="certificate (PEM) to offer STARTTLS")
    serve.add_argument("--tls-key", type=Path, default=None, help="private key (PEM) of --tls-cert")
    serve.add_argument(
        "--implicit-tls", action="store_true", help="TLS from the first byte (SMTPS) instead of STARTTLS"
    )
    serve.add_argument(
        "--user",
        action="append",
        default=[],
        metavar="USER:PASSWORD",
        help="accept AUTH PLAIN/LOGIN for this user (repeatable)",
    )
    serve.add_argument("--require-auth", action="store_true", help="refuse mail from clients that did not log in")
    serve.add_argument(
        "--bounce-folder",
        type=Path,
        default=None,
        help="Maildir where bounce reports for recipients in a .invalid domain are written "
        "(default RELANCE_DSN_MAILDIR, else RELANCE_HOME/bounces)",
    )
    serve.add_argument("--no-bounces", action="store_true", help="never write bounce reports")
    serve.add_argument(
        "--fsync",
        action="store_true",
        help="flush every message to disk before answering 250 (survives power loss; slower)",
    )
    serve.set_defaults(handler=_serve)

    listing = actions.add_parser("list", help="list received messages, oldest first")
    listing.add_argument("--json", action="store_true", help="one JSON document instead of a table")
    listing.add_argument("--folder", type=Path, default=None, help="mail folder (default RELANCE_HOME/mail)")
    listing.set_defaults(handler=_list)

    show = actions.add_parser("show", help="print one message (headers, text body, attachment list)")
    show.add_argument("mail_id", metavar="ID", help="the id shown by `relance mail list`")
    show.add_argument("--raw", action="store_true", help="print the whole message source")
    show.add_argument("--folder", type=Path, default=None, help="mail folder (default RELANCE_HOME/mail)")
    show.set_defaults(handler=_show)


def _folder(args) -> Path:
    from stores.home import relance_home

    return args.folder or relance_home().mail


def _bounce_folder(args) -> Path:
    import os

    from stores.home import relance_home

    return args.bounce_folder or Path(os.environ.get("RELANCE_DSN_MAILDIR") or relance_home().root / "bounces")


def _serve(args: argparse.Namespace) -> int:
    import threading

    from demo.mailserver import start_mail_server

    users = {}
    for entry in args.user:
        if ":" not in entry:
            print(f"relance mail serve: --user expects USER:PASSWORD, got {entry!r}", file=sys.stderr)
            return 2
        name, password = entry.split(":", 1)
        users[name] = password
    try:
        controller = start_mail_server(
            _folder(args),
            host=args.host,
            port=args.port,
            tls_cert=args.tls_cert,
            tls_key=args.tls_key,
            implicit_tls=args.implicit_tls,
            users=users or None,
            require_auth=args.require_auth,
            fsync=args.fsync,
            bounce_folder=None if args.no_bounces else _bounce_folder(args),
        )
    except (ValueError, OSError) as exc:
        print(f"relance mail serve: {exc}", file=sys.stderr)
        return 2
    mode = "implicit TLS" if args.implicit_tls else ("STARTTLS" if args.tls_cert else "plain")
    print(
        f"SMTP server on {args.host}:{args.port} ({mode}{', AUTH' if users else ''}), "
        f"keeping messages in {_folder(args)}",
        flush=True,
    )
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()
    return 0


def _list(args: argparse.Namespace) -> int:
    from channels.mailstore import MailStore

    records = MailStore(_folder(args)).list()
    if args.json:
        print(json.dumps([r.to_dict() for r in records], indent=2, ensure_ascii=False))
        return 0
    if not records:
        print(f"no messages in {_folder(args)}")
        return 0
    print(f"{'ID':<32} {'RECEIVED (UTC)':<20} {'TO':<32} {'SIZE':>8}  SUBJECT")
    for r in records:
        print(f"{r.id:<32} {r.received_at[:19]:<20} {', '.join(r.rcpt_tos)[:32]:<32} {r.size:>8}  {r.subject or ''}")
    return 0


def _show(args: argparse.Namespace) -> int:
    from channels.mailstore import MailStore, parse_headers

    try:
        record, data = MailStore(_folder(args)).get(args.mail_id)
    except KeyError as exc:
        print(f"relance mail show: {exc.args[0]}", file=sys.stderr)
        return 1
    if args.raw:
        sys.stdout.write(data.decode("utf-8", "replace"))
        return 0
    message = parse_headers(data)
    for name in ("Message-ID", "Date", "From", "To", "Subject"):
        print(f"{name}: {str(message.get(name, '')).strip()}")
    print(f"Envelope: {record.mail_from} -> {', '.join(record.rcpt_tos)}")
    body = message.get_body(("plain",))
    print()
    print(body.get_content() if body is not None else "(no text body)")
    for part in message.iter_attachments():
        print(
            f"[attachment] {part.get_filename()} ({part.get_content_type()}, "
            f"{len(part.get_payload(decode=True) or b'')} bytes)"
        )
    return 0
