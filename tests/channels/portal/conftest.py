from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from channels.portal.app import create_app
from channels.portal.config import PortalSettings
from tests.channels.portal.fixtures import build_world


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


@pytest.fixture
def live_portal(settings):
    """The portal served by a real uvicorn (httptools) on a free loopback port, in a thread."""
    import threading
    import time

    import uvicorn

    from tests.conftest import free_port

    port = free_port()
    app = create_app(settings)
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, http="httptools", loop="asyncio", access_log=True, log_level="info"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not server.started:
        if time.time() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(20)
