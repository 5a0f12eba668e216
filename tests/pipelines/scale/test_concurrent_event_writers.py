"""The portal and three dispatch workers writing events into one PostgreSQL operational store at the same
time: no event is lost and none is duplicated — the count of events equals the count of actions."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import uvicorn
from sqlalchemy import func, select

from channels.mailstore import MailStore
from channels.portal.app import create_app
from channels.portal.config import PortalSettings
from demo.mailserver import start_mail_server
from stores import operational as ops
from tests.channels.helpers import pdf_bytes, queue_invoices
from tests.channels.portal.fixtures import build_world
from tests.channels.portal.helpers import api_key_for, token_for
from tests.conftest import REPO_ROOT, create_postgres_database, free_port

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

DOCUMENTS = 600
PAGE_VIEWS = 300
API_FETCHES = 300


def serve(app) -> tuple[uvicorn.Server, threading.Thread, str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not server.started:
        assert time.time() < deadline and thread.is_alive(), "portal did not start"
        time.sleep(0.05)
    return server, thread, f"http://127.0.0.1:{port}"


def count(engine, *types) -> int:
    with engine.connect() as conn:
        return conn.execute(
            select(func.count()).select_from(ops.events).where(ops.events.c.event_type.in_(types))
        ).scalar_one()


def test_portal_and_three_workers_lose_no_event(tmp_path, monkeypatch, postgres_server):
    url = create_postgres_database(postgres_server)
    home_root = tmp_path / "home"
    monkeypatch.setenv("RELANCE_HOME", str(home_root))
    monkeypatch.setenv("RELANCE_OPERATIONAL_URL", url)
    monkeypatch.delenv("RELANCE_PORTAL_SECRET", raising=False)
    from stores.home import relance_home

    world = build_world(relance_home().ensure(), url)
    settings = PortalSettings.from_env(world.home)
    settings.rate_per_credential = settings.rate_per_ip = 0
    pdf = pdf_bytes(pad_to=2_000)
    queue_invoices(world.engine, world.home, [f"W-{n:05d}" for n in range(DOCUMENTS)], customer_id="C001", pdf=pdf)

    received = tmp_path / "smtp"
    smtp_port = free_port()
    controller = start_mail_server(received, port=smtp_port)
    env = {
        **os.environ,
        "RELANCE_SMTP_HOST": "127.0.0.1",
        "RELANCE_SMTP_PORT": str(smtp_port),
        "RELANCE_SMTP_SECURITY": "none",
        "RELANCE_SMTP_FROM": "Factures <f@acme.example>",
        "RELANCE_SMTP_ARCHIVE": str(received),
        "PYTHONPATH": str(REPO_ROOT),
    }
    token = token_for(world, settings, "C001")
    key = api_key_for(world, "C002")
    server, thread, base = serve(create_app(settings))
    try:
        workers = [
            subprocess.Popen(
                [sys.executable, "-m", "channels.worker", "--batch", "10", "--wait-for-leases"],
                cwd=REPO_ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            for _ in range(3)
        ]

        def view(_):
            return httpx.get(f"{base}/p/{token}", timeout=30).status_code

        def fetch(_):
            return httpx.get(
                f"{base}/api/v1/invoices", headers={"Authorization": f"Bearer {key}"}, timeout=30
            ).status_code

        with ThreadPoolExecutor(max_workers=8) as pool:
            views = list(pool.map(view, range(PAGE_VIEWS)))
            fetches = list(pool.map(fetch, range(API_FETCHES)))
        for worker in workers:
            _, err = worker.communicate(timeout=300)
            assert worker.returncode == 0, err.decode()[-3000:]
    finally:
        server.should_exit = True
        thread.join(20)
        controller.stop()

    assert views.count(200) == PAGE_VIEWS and fetches.count(200) == API_FETCHES
    assert count(world.engine, "viewed") == PAGE_VIEWS
    assert count(world.engine, "fetched") == API_FETCHES
    assert count(world.engine, "sent") == DOCUMENTS
    assert len(set(MailStore(received).message_ids())) == DOCUMENTS
    with world.engine.connect() as conn:
        ids = conn.execute(select(ops.events.c.event_id)).scalars().all()
    assert len(ids) == len(set(ids))
