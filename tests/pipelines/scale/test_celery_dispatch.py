"""Dispatch spread over three real Celery workers (Redis broker, Dagster storage on PostgreSQL, operational
store on PostgreSQL) to a real SMTP server: every document delivered exactly once, even when one worker is
killed mid-run and the job is retried."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter

import duckdb
import pytest
from sqlalchemy import func, select

from channels.mailstore import MailStore
from demo.mailserver import start_mail_server
from stores import operational as ops
from stores.home import Home
from tests.channels.helpers import pdf_bytes, queue_invoices
from tests.conftest import REPO_ROOT, create_postgres_database, free_port
from tests.pipelines.scale.conftest import CeleryWorkers, dagster_home_on_postgres

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

DOCUMENTS = 2000
CUSTOMERS = 40


def write_customers(home: Home) -> None:
    con = duckdb.connect(str(home.warehouse))
    con.execute("create schema if not exists staging")
    con.execute(
        """
        create table staging.customers as
        select 'C' || i as customer_id, 'Client ' || i as name, 'ap' || i || '@client.example' as email,
               'fr' as language, 'Europe/Paris' as timezone, 'email' as preferred_channel,
               []::varchar[] as fallback_channels
        from range(?) t(i)""",
        [CUSTOMERS],
    )
    con.close()


def run_dispatch(env: dict, chunks: int, retry_of: str | None = None, timeout: float = 420) -> dict:
    args = [sys.executable, "-m", "tests.pipelines.scale.run_dispatch", str(chunks)] + ([retry_of] if retry_of else [])
    return subprocess.Popen(args, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def outcome(proc: subprocess.Popen, timeout: float) -> dict:
    out, err = proc.communicate(timeout=timeout)
    lines = [line for line in out.decode().splitlines() if line.startswith("{")]
    assert lines, f"dispatch run printed no outcome:\n{err.decode()[-4000:]}"
    return json.loads(lines[-1])


def test_three_celery_workers_deliver_every_document_once_despite_a_killed_worker(tmp_path, postgres_server, redis_url):
    home = Home(tmp_path / "home").ensure()
    opstore_url = create_postgres_database(postgres_server)
    received = tmp_path / "smtp"
    smtp_port = free_port()
    controller = start_mail_server(received, port=smtp_port)
    mail = MailStore(received)

    env = {
        **os.environ,
        **dagster_home_on_postgres(tmp_path / "dagster", postgres_server),
        "RELANCE_HOME": str(home.root),
        "RELANCE_OPERATIONAL_URL": opstore_url,
        "RELANCE_EXECUTOR": "celery",
        "RELANCE_CELERY_BROKER": redis_url,
        "RELANCE_CELERY_VISIBILITY_TIMEOUT": "10",
        "RELANCE_SMTP_HOST": "127.0.0.1",
        "RELANCE_SMTP_PORT": str(smtp_port),
        "RELANCE_SMTP_SECURITY": "none",
        "RELANCE_SMTP_FROM": "Factures ACME <factures@acme.example>",
        "RELANCE_SMTP_ARCHIVE": str(received),
        "PYTHONPATH": str(REPO_ROOT),
    }
    write_customers(home)
    engine = ops.open_store(opstore_url)
    pdf = pdf_bytes(pad_to=30_000)
    per_customer = DOCUMENTS // CUSTOMERS
    for c in range(CUSTOMERS):
        numbers = [f"F{c:03d}-{n:04d}" for n in range(per_customer)]
        queue_invoices(engine, home, numbers, customer_id=f"C{c}", pdf=pdf)

    workers = CeleryWorkers(env, tmp_path)
    try:
        for name in ("w1", "w2", "w3"):
            workers.start(name)
        workers.wait_ready()

        first = run_dispatch(env, chunks=6)
        deadline = time.time() + 300
        while len(mail.message_ids()) < DOCUMENTS // 5 and time.time() < deadline and first.poll() is None:
            time.sleep(0.2)
        delivered_before_kill = len(mail.message_ids())
        run_still_going = first.poll() is None
        workers.kill("w1")  # mid-run: its step and its claimed rows must not be lost
        result = outcome(first, timeout=420)
        assert run_still_going and 0 < delivered_before_kill < DOCUMENTS, "the worker was not killed mid-run"

        attempts = [result]
        while not result["success"] and len(attempts) < 3:
            result = outcome(run_dispatch(env, chunks=6, retry_of=result["run_id"]), timeout=420)
            attempts.append(result)
        assert result["success"], f"dispatch did not succeed after retries: {attempts}"
    finally:
        workers.stop_all()
        controller.stop()

    message_ids = mail.message_ids()
    duplicates = {mid: n for mid, n in Counter(message_ids).items() if n > 1}
    assert not duplicates, f"messages delivered twice: {list(duplicates)[:5]}"
    assert len(message_ids) == DOCUMENTS
    with engine.connect() as conn:
        states = dict(conn.execute(select(ops.outbox.c.state, func.count()).group_by(ops.outbox.c.state)).all())
        sent_events = conn.execute(
            select(func.count()).select_from(ops.events).where(ops.events.c.event_type == "sent")
        ).scalar_one()
    assert states == {"sent": DOCUMENTS}
    assert sent_events == DOCUMENTS
