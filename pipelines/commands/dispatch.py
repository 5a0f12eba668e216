"""`relance dispatch`: drain the outbox now (the Dagster dispatch job, or a plain loop with --direct)."""

from __future__ import annotations

import argparse
import json
import sys


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "dispatch",
        help="send every due outbox row through its channel",
        description="Run the dispatch job: chunks of the outbox drained in parallel processes (Dagster's "
        "multiprocess executor), every outcome recorded as events. Prints a JSON summary.",
    )
    parser.add_argument("--chunks", type=int, default=2, help="parallel chunks (processes), default 2")
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="run the job's chunks one after another in this process (no subprocesses)",
    )
    parser.add_argument(
        "--direct", action="store_true", help="skip Dagster: run the drain loop in this process (one chunk)"
    )
    from channels.worker import add_drain_options

    add_drain_options(parser)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    if args.chunks < 1:
        print("relance dispatch: --chunks must be at least 1", file=sys.stderr)
        return 2
    if args.direct:
        from channels.worker import run_drain

        print(json.dumps(run_drain(args).as_dict(), indent=2))
        return 0
    if args.recipients:
        print("relance dispatch: --recipients only applies with --direct", file=sys.stderr)
        return 2
    from pipelines.delivery import dispatch_run_config

    run_config = dispatch_run_config(
        args.chunks,
        batch_size=args.batch or 50,
        lease_seconds=args.lease or 300.0,
        wait_for_leases=args.wait_for_leases,
    )
    run_config["loggers"] = {"console": {"config": {"log_level": "ERROR"}}}
    if args.in_process:
        from pipelines.delivery import resolved_dispatch_job
        from pipelines.runs import dagster_instance

        with dagster_instance() as instance:
            result = resolved_dispatch_job().execute_in_process(
                run_config=run_config, instance=instance, raise_on_error=False
            )
        success, summary = result.success, (result.output_for_node("dispatch_summary") if result.success else None)
    else:
        success, summary = _multiprocess(run_config)
    if not success:
        print("relance dispatch: the dispatch run failed (see the Dagster run log)", file=sys.stderr)
        return 1
    print(json.dumps(summary, indent=2))
    return 0


def _multiprocess(run_config: dict):
    import os

    import dagster as dg

    from pipelines.delivery import resolved_dispatch_job
    from stores.home import relance_home

    # subprocess executors need a persistent instance: DAGSTER_HOME, else one kept in the data home
    if os.environ.get("DAGSTER_HOME"):
        instance_cm = dg.DagsterInstance.get()
    else:
        folder = relance_home().dagster_home
        folder.mkdir(parents=True, exist_ok=True)
        instance_cm = dg.DagsterInstance.local_temp(tempdir=str(folder))
    with (
        instance_cm as instance,
        dg.execute_job(dg.reconstructable(resolved_dispatch_job), instance=instance, run_config=run_config) as result,
    ):
        if not result.success:
            return False, None
        return True, result.output_for_node("dispatch_summary")
