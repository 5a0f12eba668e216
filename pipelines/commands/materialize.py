"""`relance materialize [--date D]`: run every asset of the code location once, in this process, with a
progress bar and no UI (what a cron job or a quick check calls)."""

from __future__ import annotations

import sys
from datetime import date


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "materialize",
        help="run every asset once, in-process, with a progress bar",
        description="Materialize every asset of the Relance code location once, without the Dagster UI.",
    )
    parser.add_argument(
        "--date",
        type=date.fromisoformat,
        default=None,
        metavar="YYYY-MM-DD",
        help="business date of the run (open items, lateness, reminders); default: today in the company's time "
        "zone (RELANCE_TIMEZONE, Europe/Paris)",
    )
    parser.set_defaults(handler=handle)


def handle(args) -> int:
    from tqdm import tqdm

    from assets.business_date import business_date
    from pipelines.definitions import defs
    from pipelines.runs import run_job, step_count

    job = defs.resolve_implicit_global_asset_job_def()
    run_date = args.date or business_date()
    with tqdm(total=step_count(job), unit="step", desc=f"materialize {run_date}", file=sys.stderr) as bar:

        def advance(step_key: str) -> None:
            bar.set_postfix_str(step_key[-40:])
            bar.update(1)

        result = run_job(job, run_date=run_date, on_step=advance)
    failed = [e for e in result.all_events if e.is_step_failure]
    for event in failed:
        message = event.event_specific_data.error.message.strip().splitlines()
        print(f"relance materialize: step {event.step_key} failed: {message[-1] if message else ''}", file=sys.stderr)
    if failed:
        return 1
    print(f"materialized {step_count(job)} steps for {run_date} (run {result.run_id})")
    return 0
