"""`relance demo`: generate a demo company, load it into the warehouse, start every server, stop on Ctrl-C.

Steps: write the demo ERP exports into RELANCE_HOME/inbox (ground truth and FEC beside it, in
RELANCE_HOME/demo-company, so they are not ingested twice), materialize every asset in this process (the
code behind `relance materialize`, runs recorded in the Dagster instance of RELANCE_HOME/dagster), then start
the local SMTP server, the AP-portal stand-in, the customer portal, the Dagster UI and the Streamlit
dashboard as supervised child processes, print their addresses and wait for Ctrl-C.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
from pathlib import Path

from demo.commands.generate import add_generator_options

DEFAULT_PORTS = {  # name: (default port, environment variable overriding it)
    "mail": (8025, "RELANCE_SMTP_PORT"),
    "apportal": (8090, "RELANCE_APPORTAL_PORT"),
    "portal": (8070, "RELANCE_PORTAL_PORT"),
    "dagster": (3000, "RELANCE_DAGSTER_PORT"),
    "dashboard": (8501, "RELANCE_DASHBOARD_PORT"),
}
DEMO_FOLDER = "demo-company"


def _port_default(name: str) -> int:
    default, variable = DEFAULT_PORTS[name]
    value = os.environ.get(variable)
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise SystemExit(f"relance demo: {variable}={value!r} is not a port number") from None


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="generate a demo company, materialize everything, start the UIs and servers",
        description="Generate a demo company's ERP exports into RELANCE_HOME/inbox, materialize every asset, "
        "then run the local SMTP server, the AP-portal stand-in, the customer portal, the Dagster UI "
        "and the Streamlit dashboard until Ctrl-C.",
    )
    add_generator_options(parser, customers=200, invoices=5000)
    parser.add_argument(
        "--host",
        default=os.environ.get("RELANCE_DEMO_HOST", "127.0.0.1"),
        help="address every server listens on (default RELANCE_DEMO_HOST or 127.0.0.1)",
    )
    for name, (default, variable) in DEFAULT_PORTS.items():
        parser.add_argument(
            f"--{name}-port",
            type=int,
            default=None,
            metavar="PORT",
            help=f"port of the {name} server (default {variable} or {default})",
        )
    parser.add_argument(
        "--skip-generate",
        action="store_true",
        help="keep the inbox as it is (no new demo exports), e.g. to demo your own files",
    )
    parser.add_argument(
        "--documents-days",
        type=int,
        default=30,
        metavar="DAYS",
        help="render and queue documents only for invoices issued in the last DAYS days before the "
        "as-of date, as when a company starts using Relance (default 30; 0: all invoices)",
    )
    parser.add_argument(
        "--skip-materialize",
        action="store_true",
        help="start the servers on the warehouse as it is, without a materialization",
    )
    parser.add_argument(
        "--no-browser-tools",
        action="store_true",
        help="do not open the dashboard in a local web browser (headless machines, CI)",
    )
    parser.set_defaults(handler=handle)


def demo_children(home, ports: dict[str, int], host: str, available: set[str]):
    """The supervised servers, in start order, with the environment that wires them to each other.

    `available` holds the `relance` sub-commands of this checkout; a server whose command is missing is
    left out (and reported by the caller) rather than failing the whole demo."""
    from demo.processes import ChildSpec
    from stores.home import PROJECT_ROOT

    python = sys.executable
    relance = [python, "-m", "pipelines.cli"]
    env = demo_environment(home, ports, host)
    wanted = [
        (
            "mail",
            "mail",
            ChildSpec(
                "mail",
                [*relance, "mail", "serve", "--host", host, "--port", str(ports["mail"])],
                ports["mail"],
                host=host,
                ready_path=None,
                scheme="smtp",
                url_path="",
                env=env,
                cwd=PROJECT_ROOT,
            ),
        ),
        (
            "apportal",
            "apportal",
            ChildSpec(
                "apportal",
                [*relance, "apportal", "serve", "--host", host, "--port", str(ports["apportal"])],
                ports["apportal"],
                host=host,
                env=env,
                cwd=PROJECT_ROOT,
            ),
        ),
        (
            "portal",
            "portal",
            ChildSpec(
                "portal",
                [*relance, "portal", "--host", host, "--port", str(ports["portal"])],
                ports["portal"],
                host=host,
                env=env,
                cwd=PROJECT_ROOT,
            ),
        ),
        (
            "dagster",
            None,
            ChildSpec(
                "dagster",
                [
                    python,
                    "-m",
                    "dagster",
                    "dev",
                    "-w",
                    str(PROJECT_ROOT / "workspace.yaml"),
                    "-h",
                    host,
                    "-p",
                    str(ports["dagster"]),
                ],
                ports["dagster"],
                host=host,
                ready_path="/server_info",
                ready_timeout=180,
                env=env,
                cwd=PROJECT_ROOT,
            ),
        ),
        (
            "dashboard",
            None,
            ChildSpec(
                "dashboard",
                [
                    python,
                    "-m",
                    "streamlit",
                    "run",
                    str(PROJECT_ROOT / "dashboard" / "app.py"),
                    "--server.headless",
                    "true",
                    "--server.address",
                    host,
                    "--server.port",
                    str(ports["dashboard"]),
                    "--browser.gatherUsageStats",
                    "false",
                ],
                ports["dashboard"],
                host=host,
                ready_path="/_stcore/health",
                ready_timeout=120,
                env=env,
                cwd=PROJECT_ROOT,
            ),
        ),
    ]
    specs, missing = [], []
    for name, command, spec in wanted:
        if command is None or command in available:
            specs.append(spec)
        else:
            missing.append(name)
    return specs, missing


def demo_environment(home, ports: dict[str, int], host: str) -> dict[str, str]:
    """What every child and the in-process materialization share: the data home, the Dagster instance, and
    where the channels find the local SMTP server, the AP-portal stand-in and the portal's public address."""
    client_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    return {
        "RELANCE_HOME": str(home.root),
        "DAGSTER_HOME": str(home.dagster_home),
        "RELANCE_SMTP_HOST": client_host,
        "RELANCE_SMTP_PORT": str(ports["mail"]),
        # the demo mail server keeps every message here: dispatch settles sends a crash interrupted with it
        "RELANCE_SMTP_ARCHIVE": str(home.mail),
        "RELANCE_APPORTAL_URL": f"http://{client_host}:{ports['apportal']}",
        "RELANCE_PORTAL_BASE_URL": f"http://{client_host}:{ports['portal']}",
        "PYTHONUNBUFFERED": "1",
    }


def prepare_dagster_home(home) -> Path:
    """DAGSTER_HOME under RELANCE_HOME with the single-machine instance config (deploy/dagster.local.yaml):
    runs queued, warehouse writers serialised (pool limit 1)."""
    from stores.home import PROJECT_ROOT

    home.dagster_home.mkdir(parents=True, exist_ok=True)
    target = home.dagster_home / "dagster.yaml"
    shutil.copyfile(PROJECT_ROOT / "deploy" / "dagster.local.yaml", target)
    return target


def write_demo_inbox(config, home) -> dict:
    """Generate into RELANCE_HOME/demo-company and copy the ERP exports (and their attachments) to the inbox."""
    from demo.generator import EXPORT_FILES, generate
    from demo.generator.generator import ATTACHMENTS

    result = generate(config, home.root / DEMO_FOLDER)
    home.inbox.mkdir(parents=True, exist_ok=True)
    if (result.out / ATTACHMENTS).exists():
        # 'Pièces jointes' paths are relative to the export folder (docs/contracts.md): the inbox
        shutil.copytree(result.out / ATTACHMENTS, home.inbox / ATTACHMENTS, dirs_exist_ok=True)
    for name in EXPORT_FILES:
        # copy to a hidden name then rename: the inbox sensor never sees half a file
        partial = home.inbox / f".{name}.part"
        shutil.copyfile(result.out / name, partial)
        os.replace(partial, home.inbox / name)
    return result.counts


def materialize_all(run_date, *, documents_since=None) -> int:
    """Every asset once, in this process (what `relance materialize` runs), with a progress bar. For the
    demo, documents are built only for recent invoices: history was sent by the ERP before Relance."""
    from tqdm import tqdm

    from pipelines.definitions import defs
    from pipelines.runs import run_job, step_count

    job = defs.resolve_implicit_global_asset_job_def()
    run_config = {}
    if documents_since is not None and "documents__invoice_documents" in job.graph.node_names():
        run_config = {
            "ops": {"documents__invoice_documents": {"config": {"issued_since": documents_since.isoformat()}}}
        }
    tags = {}
    partitions = job.partitions_def
    if partitions is not None and partitions.has_partition_key(run_date.isoformat()):
        # daily-partitioned assets (dunning batches) run for the business date; the others ignore it
        tags["dagster/partition"] = run_date.isoformat()
    with tqdm(total=step_count(job), unit="step", desc=f"materialize {run_date}", file=sys.stderr) as bar:

        def advance(step_key: str) -> None:
            bar.set_postfix_str(step_key[-40:])
            bar.update(1)

        result = run_job(job, run_config=run_config, run_date=run_date, tags=tags, on_step=advance)
    failed = [e for e in result.all_events if e.is_step_failure]
    for event in failed:
        message = event.event_specific_data.error.message.strip().splitlines()
        print(f"relance demo: step {event.step_key} failed: {message[-1] if message else ''}", file=sys.stderr)
    return 1 if failed else 0


def handle(args: argparse.Namespace) -> int:
    from demo.commands.generate import config_from
    from demo.processes import ChildFailedError, PortBusyError, Supervisor, supervise
    from pipelines.cli import build_parser
    from stores.home import relance_home

    home = relance_home().ensure()
    ports = {name: getattr(args, f"{name}_port") or _port_default(name) for name in DEFAULT_PORTS}
    if len(set(ports.values())) != len(ports):
        print(f"relance demo: two servers cannot share a port: {ports}", file=sys.stderr)
        return 2
    available = set(_subcommands(build_parser()))
    specs, missing = demo_children(home, ports, args.host, available)
    supervisor = Supervisor(specs, log_dir=home.root / "logs" / "demo", on_ready=_announce)
    try:
        supervisor.check_ports()  # before minutes of generation and materialization, not after
    except PortBusyError as exc:
        print(f"relance demo: {exc}", file=sys.stderr)
        return 2

    # SIGTERM during generation or materialization: leave like on Ctrl-C, stopping the run's workers too
    signal.signal(signal.SIGTERM, _interrupt)
    os.environ.update(demo_environment(home, ports, args.host))
    prepare_dagster_home(home)
    config = config_from(args)
    if not args.skip_generate:
        try:
            counts = write_demo_inbox(config, home)
        except KeyboardInterrupt:
            print("relance demo: interrupted while generating the demo company", file=sys.stderr)
            return 130
        print(
            f"demo company written to {home.inbox}: {counts['customers']:,} customers, {counts['invoices']:,} "
            f"invoices, {counts['credit_notes']:,} credit notes, {counts['payments']:,} payments, "
            f"{counts['disputes']:,} disputes ({counts['open_invoices']:,} invoices open, "
            f"{counts['overdue_invoices']:,} overdue on {config.as_of}); ground truth in "
            f"{home.root / DEMO_FOLDER / 'ground_truth'}",
            flush=True,
        )
    if not args.skip_materialize:
        from datetime import timedelta

        since = config.as_of - timedelta(days=args.documents_days) if args.documents_days > 0 else None
        try:
            code = materialize_all(config.as_of, documents_since=since)
        except KeyboardInterrupt:
            # the run may have started rendering processes: stop them before leaving
            from demo.processes import terminate_descendants

            terminate_descendants(timeout=10)
            print("relance demo: interrupted during the materialization", file=sys.stderr)
            return 130
        except Exception as exc:  # noqa: BLE001 - e.g. definitions that do not load: the Dagster UI shows why
            print(
                f"relance demo: the materialization could not run: {type(exc).__name__}: {exc}",
                file=sys.stderr,
                flush=True,
            )
            code = 1
        if code != 0:
            print(
                "relance demo: the materialization reported failures (details above and in the Dagster UI); "
                "starting the servers anyway so you can inspect them",
                file=sys.stderr,
                flush=True,
            )
    for name in missing:
        print(
            f"relance demo: `relance {name}` is not available in this checkout, the {name} server is not started",
            file=sys.stderr,
        )

    def started(_supervisor) -> None:
        print(f"\nRelance demo is running (logs in {supervisor.log_dir}). Press Ctrl-C to stop.", flush=True)
        if not args.no_browser_tools:
            _open_browser(next((s.url for s in specs if s.name == "dashboard"), None))

    try:
        code = supervise(supervisor, on_started=started)
        print(
            "Relance demo stopped: every server is down."
            if code == 0
            else "Relance demo stopped because a server failed (see above).",
            flush=True,
        )
        return code
    except (PortBusyError, ChildFailedError) as exc:
        print(f"relance demo: {exc}", file=sys.stderr)
        return 1


def _interrupt(signum, _frame):
    raise KeyboardInterrupt(f"signal {signum}")


def _announce(spec) -> None:
    what = {
        "mail": "local SMTP server (messages kept under RELANCE_HOME/mail)",
        "apportal": "AP-portal stand-in",
        "portal": "customer portal",
        "dagster": "Dagster UI",
        "dashboard": "dashboard (demo accounts in config/users.toml)",
    }.get(spec.name, spec.name)
    print(f"  {what:<58} {spec.url}", flush=True)


def _subcommands(parser: argparse.ArgumentParser) -> list[str]:
    for action in parser._subparsers._group_actions:  # argparse keeps sub-parsers only here
        return list(action.choices)
    return []


def _open_browser(url: str | None) -> None:
    # only with a graphical session: on a server, webbrowser would start a text browser in this terminal
    if url and (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or sys.platform == "darwin"):
        import webbrowser

        webbrowser.open(url)
