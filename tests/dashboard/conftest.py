"""Fixtures for the dashboard: a published snapshot, an operational store and a demo users file in a
temporary RELANCE_HOME, and a helper that signs in through the real login form of the app."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from dashboard import auth
from stores import operational as ops
from tests.dashboard.snapshot_fixture import build_snapshot

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")
PASSWORD = "correct horse battery staple"
USERS = {"vera": "viewer", "carl": "credit_manager", "fiona": "finance_lead"}


@pytest.fixture(autouse=True)
def _keep_the_real_main_module():
    """AppTest runs dashboard/app.py as `__main__` and leaves it in sys.modules; a later test starting
    spawn workers would then re-run the app in every child. Put the test runner's main module back."""
    main = sys.modules.get("__main__")
    yield
    if main is not None:
        sys.modules["__main__"] = main


@pytest.fixture(scope="session")
def published_snapshot(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("snapshot")
    return build_snapshot(folder / "snapshot.duckdb")


@pytest.fixture(scope="session")
def users_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("users") / "users.toml"
    for name, role in USERS.items():
        auth.save_user(path, name, PASSWORD, role, display_name=name.capitalize())
    return path


@pytest.fixture
def dashboard_home(relance_home, published_snapshot, users_file, monkeypatch):
    """RELANCE_HOME with the published fixture snapshot, an empty operational store and the users file."""
    shutil.copy(published_snapshot, relance_home.snapshot)
    monkeypatch.setenv("RELANCE_DASHBOARD_USERS", str(users_file))
    ops.open_store(relance_home.operational_url).dispose()
    return relance_home


@pytest.fixture
def opstore(dashboard_home):
    engine = ops.open_store(dashboard_home.operational_url)
    yield engine
    engine.dispose()


def sign_in(username: str, page: str | None = None, password: str = PASSWORD):
    """An AppTest of the whole app signed in through its login form, optionally switched to a page."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.text_input(key="login_username").input(username)
    at.text_input(key="login_password").input(password)
    at.button[0].click()
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    return at
