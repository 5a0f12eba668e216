"""Shared fixtures: a throwaway PostgreSQL server, operational stores on SQLite and PostgreSQL, a data home,
and the path of ../shared (the official samples and public data, never copied into the project)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED = REPO_ROOT.parent / "shared"
PG_BIN = Path(os.environ.get("RELANCE_PG_BIN", "/usr/lib/postgresql/15/bin"))


def shared_path(*parts: str) -> Path:
    """A path under ../shared, skipping the test (saying why) where that folder is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent: the shared reference data sits beside the repository in ../shared")
    return path


@pytest.fixture
def shared():
    return shared_path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(cmd: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root: run its tools as the postgres user.
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory):
    """Start a real PostgreSQL 15 on a free loopback port for the session; yields a base URL."""
    if not (PG_BIN / "initdb").exists():
        pytest.skip(f"PostgreSQL binaries not found in {PG_BIN}")
    base = Path("/tmp") / f"relance-pg-{uuid.uuid4().hex[:8]}"
    base.mkdir(mode=0o700)
    data = base / "data"
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
    port = free_port()
    subprocess.run(_as_postgres([str(PG_BIN / "initdb"), "-D", str(data), "-U", "relance", "--auth=trust",
                                 "-E", "UTF8", "--locale=C"]), check=True, capture_output=True)
    log = base / "server.log"
    subprocess.run(_as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-o",
                                 f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c max_connections=200 "
                                 "-c fsync=off", "start"]), check=True, capture_output=True)
    try:
        deadline = time.time() + 30
        while time.time() < deadline:
            r = subprocess.run(_as_postgres([str(PG_BIN / "pg_isready"), "-h", "127.0.0.1", "-p", str(port)]),
                               capture_output=True)
            if r.returncode == 0:
                break
            time.sleep(0.2)
        yield {"host": "127.0.0.1", "port": port, "user": "relance"}
    finally:
        subprocess.run(_as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
                       capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


def create_postgres_database(server: dict) -> str:
    """A fresh database on the throwaway server; returns its SQLAlchemy URL."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(host=server["host"], port=server["port"], user=server["user"], dbname="postgres",
                         autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    return f"postgresql+psycopg://{server['user']}@{server['host']}:{server['port']}/{name}"


@pytest.fixture
def postgres_url(postgres_server):
    return create_postgres_database(postgres_server)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def opstore_url(request, tmp_path):
    """The operational store URL, once on SQLite and once on the throwaway PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'operational.sqlite'}"
    return create_postgres_database(request.getfixturevalue("postgres_server"))


@pytest.fixture
def relance_home(tmp_path, monkeypatch):
    """An empty RELANCE_HOME in a temp folder, with the operational store on SQLite inside it."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("RELANCE_HOME", str(home))
    monkeypatch.delenv("RELANCE_OPERATIONAL_URL", raising=False)
    from stores.home import relance_home as current

    return current().ensure()
