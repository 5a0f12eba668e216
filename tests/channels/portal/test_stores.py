"""The portal works the same on a PostgreSQL operational store as on SQLite: links, keys, disputes and
exactly one event per successful request."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from channels.portal.app import create_app
from channels.portal.config import PortalSettings
from tests.channels.portal.fixtures import build_world
from tests.channels.portal.helpers import api_key_for, csrf_of, events, invoice_oid, token_for


@pytest.mark.slow
def test_portal_flow_on_each_operational_store(relance_home, opstore_url, monkeypatch):
    monkeypatch.delenv("RELANCE_PORTAL_SECRET", raising=False)
    world = build_world(relance_home, opstore_url)
    settings = PortalSettings.from_env(relance_home, opstore_url)
    token = token_for(world, settings, "C001")
    key = api_key_for(world, "C002")
    oid = invoice_oid(settings, "C001", "F-2026-0001")
    with TestClient(create_app(settings)) as client:
        assert client.get(f"/p/{token}?via=email").status_code == 200
        csrf = csrf_of(client.get(f"/p/{token}/invoices/{oid}").text)
        answer = client.post(
            f"/p/{token}/invoices/{oid}/dispute",
            follow_redirects=False,
            data={"csrf_token": csrf, "reason": "duplicate", "comment": "déjà reçue"},
        )
        assert answer.status_code == 303
        assert "Contestée" in client.get(f"/p/{token}").text
        api = client.get("/api/v1/invoices", headers={"Authorization": f"Bearer {key}"})
        assert [i["invoice_number"] for i in api.json()["invoices"]] == ["F-2026-0003"]
        assert client.get(f"/p/{token}/invoices/{invoice_oid(settings, 'C002', 'F-2026-0003')}").status_code == 404
    recorded = [(e["event_type"], e["source"], e["customer_id"]) for e in events(world.engine)]
    assert recorded == [
        ("viewed", "email-link", "C001"),
        ("viewed", "portal", "C001"),
        ("disputed", "portal", "C001"),
        ("viewed", "portal", "C001"),
        ("fetched", "api", "C002"),
    ]
    assert events(world.engine, "disputed")[0]["evidence"]["comment"] == "déjà reçue"
