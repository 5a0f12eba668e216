from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from channels.portal.app import create_app
from channels.portal.config import PortalSettings
from tests.portal.fixtures import build_world


@pytest.fixture
def world(relance_home, monkeypatch):
    monkeypatch.delenv("RELANCE_PORTAL_SECRET", raising=False)
    return build_world(relance_home, relance_home.operational_url)


@pytest.fixture
def settings(world):
    s = PortalSettings.from_env(world.home)
    # generous limits: the security tests that exercise limits build their own settings
    s.rate_per_credential = s.rate_per_ip = 0
    return s


@pytest.fixture
def client(settings):
    with TestClient(create_app(settings), base_url="http://portal.test") as c:
        yield c
