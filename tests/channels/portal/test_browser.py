"""A real browser (Debian's chromium driven by Playwright) opens a signed link, downloads the invoice PDF
and files a dispute, against the portal served by uvicorn."""

from __future__ import annotations

from pathlib import Path

import pytest

from channels.portal import links
from tests.channels.portal.helpers import events
from tests.conftest import REPO_ROOT

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO_ROOT / "test-artifacts"

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def browser_page(tmp_path):
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=str(CHROMIUM),
            headless=True,
            accept_downloads=True,
            locale="fr-FR",
            args=[
                "--no-sandbox",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-gpu",
            ],
        )
        try:
            yield context.pages[0] if context.pages else context.new_page()
        finally:
            context.close()


def test_customer_opens_link_downloads_pdf_and_disputes(world, settings, live_portal, browser_page, tmp_path):
    page = browser_page
    link = links.signed_link("C001", days=5, base_url=live_portal, settings=settings)
    page.goto(link)
    assert page.locator("h1").first.inner_text() == "Factures à régler"
    assert page.get_by_text("Boulangerie Martin").count() == 1

    page.get_by_role("link", name="Facture F-2026-0001").click()
    page.wait_for_selector("h1:has-text('F-2026-0001')")
    with page.expect_download() as info:
        page.get_by_role("link", name="PDF (Factur-X) — F-2026-0001.pdf").click()
    download = info.value
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert download.suggested_filename == "F-2026-0001.pdf"
    assert saved.read_bytes() == world.pdf_bytes

    page.select_option("#reason", "quantity")
    page.fill("#comment", "Livré 10 cartons au lieu de 12")
    page.get_by_role("button", name="Envoyer la contestation").click()
    page.wait_for_selector("p[role=status]")
    assert "Votre contestation a été enregistrée" in page.locator("p[role=status]").inner_text()
    assert page.locator(".badge.disputed").count() == 1

    page.get_by_role("link", name="EN").click()
    page.wait_for_selector("text=Disputed")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "portal-dispute.png"), full_page=True)

    recorded = [(e["event_type"], e["invoice_number"], e["source"]) for e in events(world.engine)]
    assert recorded == [
        ("viewed", None, "email-link"),
        ("viewed", "F-2026-0001", "portal"),
        ("downloaded", "F-2026-0001", "portal"),
        ("disputed", "F-2026-0001", "portal"),
        ("viewed", "F-2026-0001", "portal"),
        ("viewed", "F-2026-0001", "portal"),
    ]
    disputed = events(world.engine, "disputed")[0]
    assert disputed["evidence"]["comment"] == "Livré 10 cartons au lieu de 12"
    assert "Chrome" in disputed["evidence"]["user_agent"] and disputed["evidence"]["ip"] == "127.0.0.1"
