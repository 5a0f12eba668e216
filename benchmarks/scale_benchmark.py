"""Render + validate + send N invoices with 1, 2 and 4 Celery workers, side by side.

    .venv/bin/python benchmarks/scale_benchmark.py [--invoices 20000] [--workers 1 2 4] [--workdir DIR]

What runs is what production runs with RELANCE_EXECUTOR=celery: the demo generator writes a company's
exports (generated once, not timed), `relance ingest` loads them, then for each worker count, from the same
warehouse and a fresh operational store on PostgreSQL:
  1. `render_job` (chunks = 2 x workers Celery tasks): Factur-X CII written, XSD + EN 16931 + BR-FR rules
     run with saxonche, PDF/A-3b laid out by WeasyPrint, stored, indexed, queued in the outbox;
  2. `dispatch_job` (chunks = 2 x workers): every queued invoice sent by e-mail (PDF attached) to a local
     aiosmtpd server, each claim with FOR UPDATE SKIP LOCKED.
Servers (PostgreSQL, Redis, SMTP, the workers) are started here and stopped at the end. Every customer is
switched to e-mail so all three stages run for every invoice. Prints invoices/s per stage and overall,
and a projection for N hosts.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.servers import create_postgres_database, free_port, postgres_server, redis_server  # noqa: E402

RUNNER = """
import json, sys, time
import dagster as dg
from pipelines import delivery, documents
kind, chunks = sys.argv[1], int(sys.argv[2])
instance = dg.DagsterInstance.get()
if kind == "render":
    job, config = dg.reconstructable(documents.resolved_render_job), documents.render_run_config(chunks)
else:
    job = dg.reconstructable(delivery.resolved_dispatch_job)
    config = delivery.dispatch_run_config(chunks, batch_size=50)
started = time.perf_counter()
with dg.execute_job(job, instance=instance, run_config=config, raise_on_error=False) as result:
    print(json.dumps({"success": result.success, "seconds": time.perf_counter() - started}), flush=True)
"""


def prepare(workdir: Path, invoices: int) -> Path:
    """Exports generated and ingested once; returns the warehouse every worker count starts from."""
    base = workdir / "base"
    warehouse = base / "home" / "warehouse.duckdb"
    marker = base / "invoices.txt"
    if warehouse.exists() and marker.exists() and marker.read_text() == str(invoices):
        return warehouse
    shutil.rmtree(base, ignore_errors=True)
    exports = base / "exports"
    env = {**os.environ, "RELANCE_HOME": str(base / "home")}
    run(
        [
            sys.executable,
            "-m",
            "pipelines.cli",
            "generate",
            "--invoices",
            str(invoices),
            "--customers",
            str(max(50, invoices // 40)),
            "--seed",
            "7",
            "--as-of",
            "2026-11-27",
            "--attachment-share",
            "0",
            "--no-fec",
            "--out",
            str(exports),
        ],
        env,
    )
    run([sys.executable, "-m", "pipelines.cli", "ingest", str(exports)], env)
    import duckdb

    for database in (warehouse, base / "home" / "serving" / "snapshot.duckdb"):
        if database.exists():
            con = duckdb.connect(str(database))
            con.execute("update staging.customers set preferred_channel = 'email', fallback_channels = []::varchar[]")
            con.close()
    marker.write_text(str(invoices))
    return warehouse


def run(cmd: list[str], env: dict) -> None:
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{' '.join(cmd[:4])} failed:\n{done.stderr[-3000:]}")


def timed_job(kind: str, chunks: int, env: dict) -> float:
    done = subprocess.run(
        [sys.executable, "-c", RUNNER, kind, str(chunks)], cwd=ROOT, env=env, capture_output=True, text=True
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines or not json.loads(lines[-1])["success"]:
        raise SystemExit(f"{kind} run failed:\n{done.stderr[-4000:]}")
    return json.loads(lines[-1])["seconds"]


def measure(workers: int, warehouse: Path, workdir: Path, pg: dict, broker: str) -> dict:
    from channels.mailstore import MailStore
    from demo.mailserver import start_mail_server

    folder = workdir / f"workers-{workers}"
    shutil.rmtree(folder, ignore_errors=True)
    home = folder / "home"
    home.mkdir(parents=True)
    shutil.copy(warehouse, home / "warehouse.duckdb")
    if (warehouse.parent / "serving").exists():
        shutil.copytree(warehouse.parent / "serving", home / "serving")
    received = folder / "smtp"
    smtp_port = free_port()
    controller = start_mail_server(received, port=smtp_port)
    dagster_home = folder / "dagster"
    dagster_home.mkdir()
    shutil.copy(ROOT / "deploy" / "dagster.yaml", dagster_home / "dagster.yaml")
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "RELANCE_HOME": str(home),
        "RELANCE_OPERATIONAL_URL": create_postgres_database(pg),
        "DAGSTER_HOME": str(dagster_home),
        "RELANCE_DAGSTER_PG_URL": create_postgres_database(pg).replace("+psycopg:", "+psycopg2:"),
        "RELANCE_EXECUTOR": "celery",
        "RELANCE_CELERY_BROKER": broker,
        "RELANCE_SMTP_HOST": "127.0.0.1",
        "RELANCE_SMTP_PORT": str(smtp_port),
        "RELANCE_SMTP_SECURITY": "none",
        "RELANCE_SMTP_FROM": "Factures ACME <factures@acme.example>",
        "RELANCE_SMTP_ARCHIVE": str(received),
    }
    procs = []
    try:
        for n in range(workers):
            log = open(folder / f"worker-{n}.log", "wb")  # noqa: SIM115 - the worker writes it until it stops
            procs.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "celery",
                        "-A",
                        "pipelines.celery_app",
                        "worker",
                        "-Q",
                        "dagster",
                        "-c",
                        "1",
                        "-n",
                        f"bench{n}@relance",
                        "--without-gossip",
                        "--without-mingle",
                        "-l",
                        "WARNING",
                    ],
                    cwd=ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        time.sleep(8)  # workers connect to the broker
        chunks = 2 * workers
        render_seconds = timed_job("render", chunks, env)
        send_seconds = timed_job("dispatch", chunks, env)
        sent = len(set(MailStore(received).message_ids()))
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(30)
        controller.stop()
    return {"workers": workers, "render_seconds": render_seconds, "send_seconds": send_seconds, "sent": sent}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--invoices", type=int, default=20_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/relance-scale-bench"))
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    print(f"machine: {platform.node()} {os.cpu_count()} cores, Python {platform.python_version()}")
    warehouse = prepare(args.workdir, args.invoices)
    results = []
    with postgres_server() as pg, redis_server(args.workdir) as broker:
        for workers in args.workers:
            result = measure(workers, warehouse, args.workdir, pg, broker)
            results.append(result)
            print(json.dumps(result), flush=True)
    print()
    print("| workers | invoices sent | render + validate | send | total | invoices/s overall | per worker |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        total = r["render_seconds"] + r["send_seconds"]
        rate = r["sent"] / total
        print(
            f"| {r['workers']} | {r['sent']} | {r['render_seconds']:.1f} s ({r['sent'] / r['render_seconds']:.1f}/s)"
            f" | {r['send_seconds']:.1f} s ({r['sent'] / r['send_seconds']:.1f}/s) | {total:.1f} s | {rate:.1f}"
            f" | {rate / r['workers']:.1f} |"
        )
    best = max(results, key=lambda r: r["sent"] / (r["render_seconds"] + r["send_seconds"]))
    host_rate = best["sent"] / (best["render_seconds"] + best["send_seconds"])
    print(
        f"\nprojection: one {os.cpu_count()}-core host sustains ~{host_rate:.0f} invoices/s "
        f"({host_rate * 3600:,.0f}/hour); N such hosts of workers ~N x that, until PostgreSQL claims or the "
        "SMTP relay saturate."
    )


if __name__ == "__main__":
    main()
