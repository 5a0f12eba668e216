"""Load benchmark of the customer portal's invoice list on loopback, while events are being ingested.

It builds a throwaway RELANCE_HOME (a serving snapshot with CUSTOMERS x INVOICES invoices, a fresh
operational store, signed links), starts `relance portal` (uvicorn + httptools, N workers) and an
ingest loop copying operational events into a DuckDB warehouse every INGEST_INTERVAL seconds, then sends
GET /p/<token> requests at a fixed rate (open loop: latency is measured from the moment a request was
due, so a slow server cannot hide queueing) over keep-alive connections with a small asyncio HTTP/1.1
client. Bounded by --duration and --max-requests; every process it starts is stopped at the end.

It reports throughput, latency percentiles, errors and whether the operational store holds exactly one
access event per successful response.

    .venv/bin/python benchmarks/portal_load.py --rate 350 --duration 30
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

INGEST_LOOP = r"""
import sys, time
from assets.events.copy import copy_events
from stores import operational as ops, warehouse
url, path, interval, deadline = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
engine = ops.open_store(url)
runs = copied = 0
worst = 0.0
while time.time() < deadline:
    started = time.perf_counter()
    con = warehouse.connect(path)
    result = copy_events(engine, con)
    warehouse.build_model(con, "staging", "events")
    con.close()
    took = time.perf_counter() - started
    runs, copied, worst = runs + 1, copied + result.copied, max(worst, took)
    time.sleep(max(0.0, interval - took))
print(f"{runs} {copied} {worst:.3f}", flush=True)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_home(home: Path, customers: int, invoices_per_customer: int) -> None:
    """A serving snapshot with the contract's columns, filled by DuckDB (fast for large sizes)."""
    import duckdb

    from stores.snapshot import publish

    home.mkdir(parents=True, exist_ok=True)
    work = home / "bench-warehouse.duckdb"
    con = duckdb.connect(str(work))
    con.execute("create schema staging; create schema marts")
    con.execute(
        """
        create table staging.customers as
        select printf('C%05d', i) as customer_id, printf('Client %d SAS', i) as name,
               printf('compta%d@client.example', i) as email, null::varchar as phone, null::varchar as siren,
               null::varchar as vat_number, 'FR' as country, case when i % 3 = 0 then 'en' else 'fr' end as language,
               'Europe/Paris' as timezone, 'smb' as segment, []::varchar[] as tags, 'email' as preferred_channel,
               []::varchar[] as fallback_channels, printf('%d rue des Lilas', i) as address_line1,
               null::varchar as address_line2, '69001' as postcode, 'Lyon' as city, null::varchar as edi_gln,
               null::varchar as platform_id, null::varchar as ap_portal_id, 30 as payment_terms_days,
               false as on_hold, 'customers.csv' as source_file, now() as extracted_at
        from range(1, $n + 1) t(i)""",
        {"n": customers},
    )
    con.execute(
        """
        create table marts.invoices as
        with base as (
            select c.i, k, printf('F-%05d-%03d', c.i, k) as invoice_number, printf('C%05d', c.i) as customer_id,
                   current_date - (k * 9)::integer as issue_date,
                   ((c.i * 37 + k * 11) % 900 + 100)::decimal(18,2) as ht
            from range(1, $n + 1) c(i), range(1, $m + 1) s(k)
        )
        select 'BENCH' as issuer_id, invoice_number, 'invoice' as document_type, customer_id, issue_date,
               issue_date as delivery_date, issue_date + 30 as due_date, ht as amount_excl_tax,
               (ht * 0.2)::decimal(18,2) as tax_amount, (ht * 1.2)::decimal(18,2) as amount_incl_tax,
               'EUR' as currency, printf('PO-%d', k) as purchase_order, null::varchar as original_invoice_number,
               'Prestations' as description, []::varchar[] as attachments, 'invoices.csv' as source_file,
               k as source_line, now() as extracted_at,
               case when k > 4 then (ht * 1.2)::decimal(18,2) else 0 end::decimal(18,2) as paid_amount,
               0::decimal(18,2) as credited_amount,
               case when k > 4 then 0 else (ht * 1.2)::decimal(18,2) end::decimal(18,2) as open_amount,
               case when k > 4 then issue_date + 25 end as settled_date,
               case when k > 4 then 'paid' else 'open' end as status,
               greatest(0, current_date - (issue_date + 30)) as days_late,
               current_date > issue_date + 30 and k <= 4 as is_late
        from base""",
        {"n": customers, "m": invoices_per_customer},
    )
    con.execute("""
        create table staging.payments as
        select printf('P-%s', invoice_number) as payment_id, customer_id, invoice_number,
               settled_date as payment_date, paid_amount as amount, 'EUR' as currency, 'transfer' as method,
               printf('VIR-%s', invoice_number) as reference, 'payments.csv' as source_file, now() as extracted_at
        from marts.invoices where status = 'paid'""")
    publish(con, ["staging.customers", "marts.invoices", "staging.payments"], home / "serving" / "snapshot.duckdb")
    con.close()
    work.unlink()


class Connection:
    def __init__(self, reader, writer):
        self.reader, self.writer = reader, writer


async def fetch(conn: Connection, request: bytes) -> tuple[int, int]:
    conn.writer.write(request)
    head = await conn.reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
            break
    body = await conn.reader.readexactly(length)
    return status, len(body)


async def run_load(
    port: int, paths: list[str], rate: float, duration: float, max_requests: int, connections: int
) -> dict:
    pool: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(connections):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        pool.put_nowait(Connection(reader, writer))
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors = 0
    tasks = []
    interval = 1.0 / rate
    start = time.perf_counter()

    async def one(due: float, path: str):
        nonlocal errors
        conn = await pool.get()
        request = (
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: relance-bench/1\r\n"
            f"Accept-Language: fr-FR,fr;q=0.9\r\n\r\n"
        ).encode()
        try:
            status, _size = await fetch(conn, request)
        except (OSError, asyncio.IncompleteReadError, ValueError):
            errors += 1
            conn.writer.close()
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            conn = Connection(reader, writer)
        else:
            statuses[status] = statuses.get(status, 0) + 1
            latencies.append(time.perf_counter() - due)
        pool.put_nowait(conn)

    sent = 0
    while sent < max_requests:
        due = start + sent * interval
        now = time.perf_counter()
        if due - start > duration:
            break
        if due > now:
            await asyncio.sleep(due - now)
        tasks.append(asyncio.create_task(one(due, paths[sent % len(paths)])))
        sent += 1
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - start
    while not pool.empty():
        pool.get_nowait().writer.close()
    latencies.sort()

    def pct(p):
        return round(latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000, 1) if latencies else None

    return {
        "sent": sent,
        "elapsed_s": round(elapsed, 2),
        "throughput_rps": round(sum(statuses.values()) / elapsed, 1),
        "ok": statuses.get(200, 0),
        "statuses": statuses,
        "errors": errors,
        "p50_ms": pct(50),
        "p95_ms": pct(95),
        "p99_ms": pct(99),
        "max_ms": round(latencies[-1] * 1000, 1) if latencies else None,
        "mean_ms": round(statistics.fmean(latencies) * 1000, 1) if latencies else None,
    }


def process_tree_cpu_seconds(root_pid: int) -> float:
    """User + system CPU seconds of a process and its children (Linux /proc): the server's cost per request
    stays measurable even when other work shares the cores."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(entry.name), int(fields[1])
        if pid == root_pid or ppid == root_pid:
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"portal exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("portal did not start in time")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=350, help="requests per second to send (default 350)")
    parser.add_argument("--duration", type=float, default=20, help="seconds of load, at most 120 (default 20)")
    parser.add_argument("--max-requests", type=int, default=30_000, help="stop after this many (default 30000)")
    parser.add_argument("--connections", type=int, default=32, help="keep-alive connections (default 32)")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="uvicorn worker processes (default 1: the best setup on SQLite, see docs)",
    )
    parser.add_argument("--customers", type=int, default=2000, help="customers in the snapshot (default 2000)")
    parser.add_argument("--invoices", type=int, default=12, help="invoices per customer (default 12)")
    parser.add_argument("--links", type=int, default=300, help="distinct customers' links requested (default 300)")
    parser.add_argument(
        "--ingest-interval",
        type=float,
        default=1.0,
        help="seconds between event copies into DuckDB; 0 disables the ingest (default 1)",
    )
    parser.add_argument("--operational-url", default=None, help="operational store (default: fresh SQLite)")
    parser.add_argument("--access-log", action="store_true", help="keep uvicorn's (redacted) access log on")
    parser.add_argument("--json", action="store_true", help="print the result as JSON only")
    args = parser.parse_args(argv)
    if not 0 < args.duration <= 120 or args.rate <= 0 or args.max_requests < 1:
        parser.error("--duration must be in (0, 120], --rate > 0, --max-requests >= 1")

    from sqlalchemy import func, select

    from channels.portal import links
    from channels.portal.config import PortalSettings
    from stores import operational as ops
    from stores.home import Home

    with tempfile.TemporaryDirectory(prefix="relance-portal-bench-") as tmp:
        home = Home(Path(tmp) / "home")
        build_home(home.root, args.customers, args.invoices)
        url = args.operational_url or f"sqlite:///{home.root / 'operational.sqlite'}"
        env = dict(
            os.environ,
            RELANCE_HOME=str(home.root),
            RELANCE_OPERATIONAL_URL=url,
            # one loopback address sends everything: lift the per-address limit, keep per-link limits
            RELANCE_PORTAL_RATE_PER_IP="0",
            RELANCE_PORTAL_LOG_LEVEL="warning",
        )
        env.pop("RELANCE_PORTAL_SECRET", None)
        os.environ.update({k: env[k] for k in ("RELANCE_HOME", "RELANCE_OPERATIONAL_URL")})
        settings = PortalSettings.from_env(home, url)
        engine = ops.open_store(url)
        tokens = [
            links.issue_token(engine, settings.secret, f"C{i:05d}", 30)[0]
            for i in range(1, min(args.links, args.customers) + 1)
        ]
        paths = [f"/p/{t}" for t in tokens]

        port = free_port()
        command = [sys.executable, "-m", "pipelines.cli", "portal", "--port", str(port), "--workers", str(args.workers)]
        if not args.access_log:
            command.append("--no-access-log")
        log_file = open(Path(tmp) / "portal.log", "w")  # noqa: SIM115 - the server writes it until it stops
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT)
        ingest = None
        try:
            wait_for_port(port, server)
            # warm-up outside the measurement: first hit per customer reads the snapshot
            warm = asyncio.run(
                run_load(
                    port,
                    paths,
                    rate=400,
                    duration=len(paths) / 400,
                    max_requests=len(paths),
                    connections=min(args.connections, 16),
                )
            )
            if args.ingest_interval > 0:
                ingest = subprocess.Popen(
                    [
                        sys.executable,
                        "-c",
                        INGEST_LOOP,
                        url,
                        str(Path(tmp) / "warehouse.duckdb"),
                        str(args.ingest_interval),
                        str(time.time() + args.duration + 1),
                    ],
                    cwd=ROOT,
                    env=dict(env, PYTHONPATH=str(ROOT)),
                    stdout=subprocess.PIPE,
                    text=True,
                )
            cpu_before = process_tree_cpu_seconds(server.pid)
            client_before = time.process_time()
            result = asyncio.run(run_load(port, paths, args.rate, args.duration, args.max_requests, args.connections))
            cpu_used = process_tree_cpu_seconds(server.pid) - cpu_before
            result["client_cpu_ms_per_request"] = round(
                (time.process_time() - client_before) * 1000 / max(1, result["sent"]), 2
            )
            result["server_cpu_ms_per_request"] = round(cpu_used * 1000 / max(1, result["ok"]), 2)
            result["load_average_after"] = os.getloadavg()[0]
        finally:
            stop(server)
            ingest_report = None
            if ingest is not None:
                try:
                    out, _ = ingest.communicate(timeout=60)
                    runs, copied, worst = out.split()
                    ingest_report = {"runs": int(runs), "events_copied": int(copied), "slowest_copy_s": float(worst)}
                except (subprocess.TimeoutExpired, ValueError):
                    ingest.kill()
                    ingest.wait()
            log_file.close()
        with engine.connect() as conn:
            recorded = conn.execute(
                select(func.count()).select_from(ops.events).where(ops.events.c.event_type == "viewed")
            ).scalar_one()
        successes = warm["ok"] + result["ok"]
        summary = {
            "machine": f"{os.cpu_count()} cores, {platform.system()} {platform.release()}",
            "python": platform.python_version(),
            "workers": args.workers,
            "rate_target": args.rate,
            "connections": args.connections,
            "customers": args.customers,
            "invoices_per_customer": args.invoices,
            "links": len(paths),
            "operational_store": url.split(":", 1)[0],
            "load": result,
            "ingest": ingest_report,
            "events": {
                "successful_responses": successes,
                "viewed_events": recorded,
                "exactly_one_per_response": recorded == successes,
            },
        }
        if args.json:
            print(json.dumps(summary))
        else:
            print(json.dumps(summary, indent=2))
        goal = result["throughput_rps"] >= 300 and (result["p95_ms"] or 1e9) < 100
        return 0 if recorded == successes and result["errors"] == 0 and goal else 1


if __name__ == "__main__":
    sys.exit(main())
