"""`relance dashboard`: serve the Streamlit dashboard and manage its local (demo) accounts."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "dashboard",
        help="credit managers' dashboard: serve it, manage its local users",
        description="Without a sub-command, serve the dashboard (`streamlit run dashboard/app.py`).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8501, help="port to listen on (default 8501)")
    parser.set_defaults(handler=_serve)
    actions = parser.add_subparsers(dest="dashboard_action", metavar="ACTION")

    user = actions.add_parser("user", help="local accounts of the users file (demo or small teams)")
    user_actions = user.add_subparsers(dest="user_action", metavar="ACTION", required=True)

    add = user_actions.add_parser("add", help="add a user or replace its password and role")
    add.add_argument("username", metavar="NAME")
    add.add_argument("--role", required=True, choices=("viewer", "credit_manager", "finance_lead"))
    add.add_argument("--name", default=None, help="name shown in the dashboard (default NAME)")
    add.add_argument("--email", default=None)
    add.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input instead of prompting (for scripts)",
    )
    add.add_argument(
        "--users-file", type=Path, default=None, help="default RELANCE_DASHBOARD_USERS or config/users.toml"
    )
    add.set_defaults(handler=_add_user)

    listing = user_actions.add_parser("list", help="list users and roles (never the hashes)")
    listing.add_argument("--users-file", type=Path, default=None)
    listing.set_defaults(handler=_list_users)

    remove = user_actions.add_parser("remove", help="remove a local user")
    remove.add_argument("username", metavar="NAME")
    remove.add_argument("--users-file", type=Path, default=None)
    remove.set_defaults(handler=_remove_user)


def _serve(args: argparse.Namespace) -> int:
    app = Path(__file__).resolve().parents[2] / "dashboard" / "app.py"
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app),
        "--server.address",
        args.host,
        "--server.port",
        str(args.port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]
    os.execv(sys.executable, command)
    return 0  # pragma: no cover - execv does not return


def _users_path(args) -> Path:
    from dashboard.auth import default_users_path

    return Path(args.users_file) if args.users_file else default_users_path()


def _add_user(args: argparse.Namespace) -> int:
    from dashboard.auth import UsersFileError, save_user

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass(f"Password for {args.username}: ")
        if getpass.getpass("Again: ") != password:
            print("relance dashboard user add: the passwords differ", file=sys.stderr)
            return 2
    if len(password) < 8:
        print("relance dashboard user add: use a password of at least 8 characters", file=sys.stderr)
        return 2
    path = _users_path(args)
    try:
        save_user(path, args.username, password, args.role, display_name=args.name, email=args.email)
    except UsersFileError as exc:
        print(f"relance dashboard user add: {exc}", file=sys.stderr)
        return 2
    print(f"{args.username} ({args.role}) saved in {path}")
    return 0


def _list_users(args: argparse.Namespace) -> int:
    from dashboard.auth import UsersFileError, load_users

    try:
        users = load_users(_users_path(args))
    except UsersFileError as exc:
        print(f"relance dashboard user list: {exc}", file=sys.stderr)
        return 2
    for name, entry in sorted(users.users.items()):
        print(f"{name}\t{entry['role']}\t{entry.get('name', name)}")
    for email, role in sorted(users.oidc_roles.items()):
        print(f"{email}\t{role}\t(OIDC)")
    return 0


def _remove_user(args: argparse.Namespace) -> int:
    import tomllib

    import tomli_w

    from dashboard.auth import _header

    path = _users_path(args)
    data = tomllib.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    if args.username not in data.get("users", {}):
        print(f"relance dashboard user remove: no user {args.username!r} in {path}", file=sys.stderr)
        return 2
    del data["users"][args.username]
    path.write_text(_header(path) + tomli_w.dumps(data), encoding="utf-8")
    print(f"{args.username} removed from {path}")
    return 0
