"""Signed links as the channels engineer gets them, the secret's storage, and the `relance portal` commands."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest
from starlette.testclient import TestClient

from channels.portal import links
from channels.portal.app import create_app
from channels.portal.config import PortalConfigError, PortalSettings
from stores import operational as ops
from tests.conftest import REPO_ROOT


def test_signed_link_from_the_environment_opens_the_customers_portal(world, settings, monkeypatch):
    monkeypatch.setenv("RELANCE_PORTAL_BASE_URL", "https://factures.example.com")
    link = links.signed_link("C001", days=10)
    assert link.startswith("https://factures.example.com/p/") and link.endswith("?via=email")
    with TestClient(create_app(settings)) as client:
        page = client.get(link.removeprefix("https://factures.example.com"))
    assert page.status_code == 200 and "Boulangerie Martin" in page.text
    assert links.signed_link("C001", base_url="http://other").startswith("http://other/p/")


def test_demo_secret_is_generated_once_with_owner_only_permissions(relance_home, monkeypatch):
    monkeypatch.delenv("RELANCE_PORTAL_SECRET", raising=False)
    first = PortalSettings.from_env(relance_home).secret
    path = relance_home.root / "portal-secret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert PortalSettings.from_env(relance_home).secret == first and len(first) >= 32


def test_environment_secret_wins_and_must_be_long(relance_home, monkeypatch):
    monkeypatch.setenv("RELANCE_PORTAL_SECRET", "short")
    with pytest.raises(PortalConfigError, match="at least 32"):
        PortalSettings.from_env(relance_home)
    monkeypatch.setenv("RELANCE_PORTAL_SECRET", "s" * 40)
    assert PortalSettings.from_env(relance_home).secret == b"s" * 40
    assert not (relance_home.root / "portal-secret").exists()


def test_link_days_are_bounded(world, settings):
    with pytest.raises(ValueError, match="between 1 and 366"):
        links.issue_token(world.engine, settings.secret, "C001", 0)
    with pytest.raises(ValueError, match="customer id"):
        links.issue_token(world.engine, settings.secret, " ", 5)


def run_cli(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "portal", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_cli_link_revoke_and_apikey(world, settings, monkeypatch):
    env = dict(os.environ)
    made = run_cli("link", "C001", "--days", "7", "--base-url", "https://p.example", env=env)
    assert made.returncode == 0, made.stderr
    link = made.stdout.strip()
    assert link.startswith("https://p.example/p/")
    token = link.rsplit("/", 1)[1]
    assert f"token id {token.split('.')[0]}" in made.stderr
    grant = links.verify_token(world.engine, settings.secret, token)
    assert grant.customer_id == "C001" and 6 <= (grant.expires_at - ops.utcnow()).days <= 7

    revoked = run_cli("revoke", "--token", token.split(".")[0], env=env)
    assert revoked.returncode == 0 and "revoked link" in revoked.stdout
    with pytest.raises(links.InvalidToken, match="revoked"):
        links.verify_token(world.engine, settings.secret, token)
    assert run_cli("revoke", "--token", token.split(".")[0], env=env).returncode == 1

    two = [run_cli("link", "C002", env=env).stdout.strip().rsplit("/", 1)[1] for _ in range(2)]
    assert "revoked 2 link(s) of customer C002" in run_cli("revoke", "C002", env=env).stdout
    for t in two:
        with pytest.raises(links.InvalidToken):
            links.verify_token(world.engine, settings.secret, t)

    key = run_cli("apikey", "C002", "--label", "extranet", env=env)
    assert key.returncode == 0 and key.stdout.startswith("rlk_")
    with TestClient(create_app(settings)) as client:
        answer = client.get("/api/v1/invoices", headers={"Authorization": f"Bearer {key.stdout.strip()}"})
    assert [i["invoice_number"] for i in answer.json()["invoices"]] == ["F-2026-0003"]
    key_id = key.stdout.strip().split("_")[1]
    assert run_cli("revoke", "--apikey", key_id, env=env).stdout.strip() == f"revoked API key {key_id}"
    with TestClient(create_app(settings)) as client:
        again = client.get("/api/v1/invoices", headers={"Authorization": f"Bearer {key.stdout.strip()}"})
    assert again.status_code == 401
    assert run_cli("revoke", "--apikey", key_id, env=env).returncode == 1

    unknown = run_cli("link", "C404", env=env)
    assert unknown.returncode == 0 and "customer C404 is not in the serving snapshot" in unknown.stderr
    assert "not in the serving snapshot" not in made.stderr

    bad = run_cli("link", "C001", "--days", "999", env=env)
    assert bad.returncode == 2 and "between 1 and 366" in bad.stderr
