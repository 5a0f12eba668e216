"""The running app in a real browser: Debian's chromium opens every page and saves a screenshot of each
to test-artifacts/ (gitignored) for a person to look at."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import REPO_ROOT, free_port
from tests.dashboard.conftest import APP, PASSWORD
from tests.dashboard.helpers import record_evidence_events

pytestmark = [pytest.mark.browser, pytest.mark.slow]
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = REPO_ROOT / "test-artifacts" / "dashboard"
# Each page with a text it shows last: once it is there the whole script has run.
PAGES = {
    "Overview": "Pre-due alerts",
    "Retrieval": "Download XLSX",
    "Late-payment origins": "Drill down",
    "At-risk invoices": "Remind selected invoices",
    "Customer 360": "Invoice timeline",
    "Channels": "Delivery rate, bounce rate and time to retrieval",
    "Campaigns": "4. Progress and result",
}


@pytest.fixture
def running_app(dashboard_home, opstore, tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    record_evidence_events(opstore)  # so Customer 360 has a timeline to show
    port = free_port()
    env = dict(os.environ, RELANCE_HOME=str(dashboard_home.root), PYTHONPATH=str(REPO_ROOT))
    log = (tmp_path / "streamlit.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            APP,
            "--server.address",
            "127.0.0.1",
            "--server.port",
            str(port),
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
            "--server.fileWatcherType",
            "none",
        ],
        cwd=REPO_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if httpx.get(f"{url}/_stcore/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None:
                raise AssertionError((tmp_path / "streamlit.log").read_text())
            time.sleep(0.3)
        else:
            raise AssertionError("streamlit did not become healthy in 60 s")
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def test_every_page_renders_in_chromium_and_is_screenshotted(running_app, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-gpu",
            ],
            viewport={"width": 1440, "height": 2600},
        )
        try:
            page = context.new_page()
            page.goto(running_app)
            page.get_by_role("textbox", name="User name").fill("fiona")
            page.get_by_role("textbox", name="Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            for title, last_text in PAGES.items():
                page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True).click()
                expect(page.get_by_role("heading", name=title).first).to_be_visible(timeout=30_000)
                expect(page.get_by_text(last_text, exact=True).first).to_be_visible(timeout=30_000)
                if title == "Customer 360":
                    page.get_by_role("textbox", name="Find a customer (id or name)").fill("Evidence")
                    page.keyboard.press("Enter")
                    expect(page.get_by_text("Evidence & Co", exact=False).first).to_be_visible(timeout=30_000)
                    expect(page.get_by_text("9 entries, 3 delivery or retrieval events.")).to_be_visible(timeout=30_000)
                page.wait_for_load_state("networkidle")
                charts = page.get_by_test_id("stPlotlyChart")
                for index in range(charts.count()):
                    # a chart is drawn once plotly has put its SVG in place
                    expect(charts.nth(index).locator(".main-svg").first).to_be_attached(timeout=30_000)
                # Streamlit marks the app "running" while a script executes; wait for it to settle.
                expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=30_000)
                assert page.get_by_test_id("stException").count() == 0, f"{title}: an exception is shown"
                shot = ARTIFACTS / f"{title.lower().replace(' ', '-')}.png"
                page.screenshot(path=str(shot))
                assert shot.stat().st_size > 10_000
            expect(page.get_by_text("Fiona", exact=False).first).to_be_visible()
        finally:
            context.close()
