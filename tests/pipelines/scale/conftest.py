"""Servers for the multi-process tests: Redis (Celery broker) and a Dagster instance on PostgreSQL."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import servers
from tests.conftest import REPO_ROOT, create_postgres_database


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    try:
        with servers.redis_server(tmp_path_factory.mktemp("redis")) as url:
            yield url
    except FileNotFoundError as exc:
        pytest.skip(f"{exc}: ./relance test installs it")


def dagster_home_on_postgres(folder: Path, server: dict) -> dict[str, str]:
    """A DAGSTER_HOME using deploy/dagster.yaml (storage on PostgreSQL); returns the environment it needs."""
    url = create_postgres_database(server)
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO_ROOT / "deploy" / "dagster.yaml", folder / "dagster.yaml")
    return {
        "DAGSTER_HOME": str(folder),
        "RELANCE_DAGSTER_PG_URL": url.replace("postgresql+psycopg://", "postgresql+psycopg2://"),
    }


class CeleryWorkers:
    """Real `celery worker` processes for Relance's Celery app, one process group each."""

    def __init__(self, env: dict[str, str], log_folder: Path):
        self.env = env
        self.log_folder = log_folder
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, name: str) -> None:
        log = open(self.log_folder / f"{name}.log", "wb")  # noqa: SIM115 - the worker writes it until it stops
        self.procs[name] = subprocess.Popen(
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
                f"{name}@relance",
                "--without-gossip",
                "--without-mingle",
                "-l",
                "INFO",
            ],
            cwd=REPO_ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.time() + timeout
        pending = set(self.procs)
        while pending and time.time() < deadline:
            for name in list(pending):
                text = (self.log_folder / f"{name}.log").read_text(errors="replace")
                if "ready." in text:
                    pending.discard(name)
                elif self.procs[name].poll() is not None:
                    raise RuntimeError(f"celery worker {name} exited:\n{text[-3000:]}")
            time.sleep(0.3)
        if pending:
            raise RuntimeError(f"celery workers not ready: {sorted(pending)}")

    def kill(self, name: str) -> None:
        """SIGKILL the whole worker (main process and its pool child), as when a host dies."""
        os.killpg(self.procs[name].pid, signal.SIGKILL)
        self.procs[name].wait(10)

    def stop_all(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                    proc.wait(15)
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    os.killpg(proc.pid, signal.SIGKILL)
