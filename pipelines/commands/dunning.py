"""`relance dunning validate | simulate | request`: check policy files, replay a policy over history
(sending nothing), and queue an on-demand reminder or resend request."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _filter(text: str) -> tuple[str, object]:
    key, sep, value = text.partition("=")
    if not sep or not key or not value:
        raise argparse.ArgumentTypeError(f"a filter is KEY=VALUE (e.g. segments=sme,group), got {text!r}")
    if key in ("customers", "segments", "tags", "channels"):
        return key, [v.strip() for v in value.split(",") if v.strip()]
    if key == "min_days_late":
        try:
            return key, int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"min_days_late needs a whole number, got {value!r}") from None
    return key, value


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "dunning", help="dunning policies: validate, simulate, on-demand requests", description=__doc__
    )
    sub = parser.add_subparsers(dest="dunning_command", required=True, metavar="ACTION")

    validate = sub.add_parser("validate", help="check policy files (a file or a folder of *.toml)")
    validate.add_argument("paths", nargs="*", type=Path, help="policy files or folders (default config/policies)")
    validate.add_argument(
        "--templates", type=Path, default=None, help="template folder (default config/templates/dunning)"
    )
    validate.set_defaults(handler=_validate)

    simulate = sub.add_parser(
        "simulate", help="replay a policy over history and print what would have been sent each day; sends nothing"
    )
    simulate.add_argument(
        "--policy", required=True, help="a policy name from the policy folder, or the path of a policy file"
    )
    simulate.add_argument("--from", dest="start", required=True, type=_date, help="first day (YYYY-MM-DD)")
    simulate.add_argument("--to", dest="end", required=True, type=_date, help="last day (YYYY-MM-DD)")
    simulate.add_argument(
        "--policies", type=Path, default=None, help="policy folder (default config/policies or RELANCE_POLICIES)"
    )
    simulate.add_argument("--json", action="store_true", help="print JSON (one object per day) instead of a table")
    simulate.add_argument(
        "--cold-start",
        action="store_true",
        help="start from nothing sent (default: steps dated before --from count as done, as if "
        "the policy had been in force)",
    )
    simulate.set_defaults(handler=_simulate)

    request = sub.add_parser("request", help="queue an on-demand reminder or resend; the Dagster sensor runs it")
    target = request.add_mutually_exclusive_group(required=True)
    target.add_argument("--invoices", nargs="+", metavar="NUMBER", help="invoice numbers to target")
    target.add_argument(
        "--filter",
        dest="filters",
        nargs="+",
        type=_filter,
        metavar="KEY=VALUE",
        help="target filter: customers=, segments=, tags=, channels= (comma lists), "
        "min_days_late=N, min_open_amount=AMOUNT",
    )
    request.add_argument(
        "--kind",
        choices=("reminder", "resend"),
        default="reminder",
        help="reminder (default) or resend of the invoice on the next channel",
    )
    request.add_argument("--step", help="policy step to send now (e.g. d10); never repeats a step already sent")
    request.add_argument("--template", help="template to send instead of the step's own")
    request.add_argument("--by", dest="requested_by", required=True, help="who asks (kept in the audit log)")
    request.add_argument("--reason", required=True, help="why (kept on the request and in the audit log)")
    request.set_defaults(handler=_request)


def _policy_folder(args) -> Path:
    import os

    from assets.dunning.policy import POLICY_DIR

    return Path(args.policies or os.environ.get("RELANCE_POLICIES") or POLICY_DIR)


def _validate(args) -> int:
    from assets.dunning.policy import POLICY_DIR, TEMPLATE_DIR, PolicyError, load_policies, policy_files

    failed = False
    for target in args.paths or [POLICY_DIR]:
        try:
            policies = load_policies(target, args.templates or TEMPLATE_DIR)
        except PolicyError as exc:
            failed = True
            for problem in str(exc).splitlines():
                print(problem, file=sys.stderr)
            continue
        for policy in policies:
            steps = ", ".join(
                f"{s.name} D{s.offset:+d} {s.channel}" + (f" ({len(s.variants)} variants)" if s.variants else "")
                for s in policy.steps
            )
            print(f"ok  {policy.path}: {policy.name} (priority {policy.priority}): {steps}")
        if not policy_files(target):
            failed = True
    return 1 if failed else 0


def _simulate(args) -> int:
    import duckdb

    from assets.dunning.policy import PolicyError, load_policies, load_policy
    from assets.dunning.simulate import format_table, simulate
    from stores import operational
    from stores.home import relance_home

    try:
        if Path(args.policy).suffix == ".toml" or Path(args.policy).exists():
            policy = load_policy(args.policy)
            policies, only = [policy], policy.name
        else:
            policies = load_policies(_policy_folder(args))
            names = [p.name for p in policies]
            if args.policy not in names:
                print(f"no policy named {args.policy!r}; policies: {', '.join(names)}", file=sys.stderr)
                return 2
            only = args.policy
    except PolicyError as exc:
        print(exc, file=sys.stderr)
        return 1
    home = relance_home()
    if not home.warehouse.exists():
        print(f"no warehouse at {home.warehouse}: ingest ERP exports first (relance ingest ...)", file=sys.stderr)
        return 2
    try:
        con = duckdb.connect(str(home.warehouse), read_only=True)
    except duckdb.Error as exc:
        print(f"cannot open the warehouse read-only (a Dagster run may be writing it): {exc}", file=sys.stderr)
        return 2
    engine = operational.open_store(home.operational_url)
    try:
        days = simulate(con, engine, policies, args.start, args.end, only_policy=only, warm_start=not args.cold_start)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    finally:
        con.close()
    if args.json:
        print(
            json.dumps(
                {
                    "policy": only,
                    "from": args.start.isoformat(),
                    "to": args.end.isoformat(),
                    "days": [d.as_dict() for d in days],
                },
                indent=2,
                ensure_ascii=False,
            )
        )
    else:
        print(f"policy {only}: {args.start} to {args.end} (simulation, nothing sent)")
        print(format_table(days))
    return 0


def _request(args) -> int:
    from assets.dunning.requests import RequestError, create_request
    from stores import operational
    from stores.home import relance_home

    engine = operational.open_store(relance_home().operational_url)
    filters = dict(args.filters) if args.filters else None
    try:
        request_id = create_request(
            engine,
            kind=args.kind,
            requested_by=args.requested_by,
            reason=args.reason,
            invoices=args.invoices,
            filters=filters,
            step=args.step,
            template=args.template,
        )
    except RequestError as exc:
        print(f"request refused: {exc}", file=sys.stderr)
        return 2
    print(request_id)
    print(
        f"queued {args.kind} request {request_id}; the dunning_request_sensor turns it into a run "
        "(counts are written back on the request)",
        file=sys.stderr,
    )
    return 0
