"""`relance ingest PATH... [--profile NAME] [--json]`: take ERP export files into the warehouse now.

The files go through the same Dagster job as the inbox sensor (run in this process): raw, staging, marts
and the serving snapshot. Per file it prints rows read, accepted, quarantined and duplicates, and each
quarantined row's line number and reason. Exit status 0 when every file could be read (even with
quarantined rows), 1 when one could not, 2 on a bad profile name.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "ingest",
        help="ingest ERP export files (CSV, TSV, XLSX, Parquet, FEC) into the warehouse",
        description="Ingest ERP export files into RELANCE_HOME's warehouse and report every row.",
    )
    parser.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="export files to ingest; a folder stands for the files directly inside it",
    )
    parser.add_argument(
        "--profile", metavar="NAME", help="mapping profile from config/profiles (or a .toml path); default: recognised"
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(handler=handle)


def _quarantine_details(reports: list[dict]) -> None:
    from stores import warehouse
    from stores.home import relance_home

    path = relance_home().warehouse
    wanted = [r for r in reports if r.get("quarantined") and not r.get("error")]
    if not wanted or not path.exists():
        return
    con = warehouse.connect(path, read_only=True)
    try:
        for report in wanted:
            rows = con.execute(
                "select source_line, reason from raw.quarantine where file_sha256 = ? order by source_line",
                [report["sha256"]],
            ).fetchall()
            report["quarantine"] = [{"line": line, "reason": reason} for line, reason in rows]
    finally:
        con.close()


def run_ingest(paths: list[str], profile: str | None) -> list[dict]:
    """Ingest through the Dagster job in-process; one report per file, in the order given."""
    import dagster as dg

    from pipelines.definitions import defs
    from pipelines.ingest import INGEST_JOB
    from pipelines.runs import run_job

    job = defs.resolve_job_def(INGEST_JOB)
    config = {"paths": paths, **({"profile": profile} if profile else {})}
    result = run_job(job, run_config={"ops": {"raw_ingest": {"config": config}}})
    files: list[dict] | None = None
    for materialization in result.asset_materializations_for_node("raw_ingest"):
        if materialization.asset_key == dg.AssetKey(["raw", "ingest_files"]):
            files = materialization.metadata["files"].value
    if files is not None:
        files = [{k: v for k, v in report.items() if not (k == "error" and v is None)} for report in files]
    if files is None:
        failure = next((e for e in result.all_events if e.is_step_failure), None)
        reason = failure.event_specific_data.error.message.strip().splitlines()[-1] if failure else "run failed"
        raise RuntimeError(reason)
    if not result.success:
        failed = [e.step_key for e in result.all_events if e.is_step_failure]
        for report in files:
            report["warning"] = f"ingested, but later steps failed: {', '.join(failed)}"
    _quarantine_details(files)
    return files


def _table(reports: list[dict]) -> str:
    lines = []
    header = f"{'file':<40} {'profile':<26} {'rows_read':>10} {'accepted':>10} {'quarantined':>11} {'duplicates':>10}"
    lines.append(header)
    lines.append("-" * len(header))
    for r in reports:
        name = Path(r["file"]).name
        if r.get("error"):
            lines.append(f"{name:<40} cannot be read: {r['error']}")
            continue
        lines.append(
            f"{name:<40} {r['profile'] or '':<26} {r['rows_read']:>10} {r['accepted']:>10} "
            f"{r['quarantined']:>11} {r['duplicates']:>10}"
        )
        if r.get("already_ingested"):
            lines.append("    already ingested (same bytes): nothing changed")
        if r.get("footer_lines"):
            lines.append(f"    {r['footer_lines']} footer/total line(s) among the quarantined rows")
        for q in r.get("quarantine") or []:
            lines.append(f"    line {q['line']}: {q['reason']}")
        if r.get("warning"):
            lines.append(f"    warning: {r['warning']}")
    return "\n".join(lines)


def _expand(paths: list[Path]) -> list[str]:
    """Folders stand for the files directly inside them (not sub-folders: attachments, ground truth)."""
    files: list[str] = []
    for path in paths:
        if path.is_dir():
            files += [
                str(p)
                for p in sorted(path.iterdir())
                if p.is_file() and not p.name.startswith((".", "~")) and not p.name.endswith((".part", ".tmp"))
            ]
        else:
            files.append(str(path))
    return files


def handle(args) -> int:
    from assets.ingest.profiles import ProfileError, find_profile

    if args.profile:
        try:
            find_profile(args.profile)
        except ProfileError as exc:
            print(f"relance ingest: {exc}", file=sys.stderr)
            return 2
    paths = _expand([Path(p).expanduser().resolve() for p in args.paths])
    if not paths:
        print("relance ingest: no file to ingest in " + ", ".join(args.paths), file=sys.stderr)
        return 1
    try:
        reports = run_ingest(paths, args.profile)
    except RuntimeError as exc:
        print(f"relance ingest: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps({"files": reports}, indent=2, default=str))
    else:
        print(_table(reports))
    unreadable = [r for r in reports if r.get("error")]
    for report in unreadable:
        print(f"relance ingest: {report['error']}", file=sys.stderr)
    return 1 if unreadable else 0
