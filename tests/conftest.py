"""Shared fixtures: a throwaway PostgreSQL server, operational stores on SQLite and PostgreSQL, a data home,
and the path of ../shared (the official samples and public data, never copied into the project)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import servers
from tests.servers import PG_BIN, create_postgres_database, free_port  # noqa: F401 - re-exported for tests

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED = REPO_ROOT.parent / "shared"


def shared_path(*parts: str) -> Path:
    """A path under ../shared, skipping the test (saying why) where that folder is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent: the shared reference data sits beside the repository in ../shared")
    return path


@pytest.fixture
def shared():
    return shared_path


@pytest.fixture(scope="session")
def postgres_server():
    """Start a real PostgreSQL 15 on a free loopback port for the session; yields a base URL."""
    if not (PG_BIN / "initdb").exists():
        pytest.skip(f"PostgreSQL binaries not found in {PG_BIN}")
    with servers.postgres_server() as server:
        yield server


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
