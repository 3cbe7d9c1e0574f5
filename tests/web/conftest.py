"""A live API process and Debian's Chromium, driven by Playwright."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.conftest import SmtpSink, wipe_database
from tests.live_api import live_api_process

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# Without these, Chromium keeps trying to reach Google's services from a closed network.
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# Module scope: Playwright's sync API keeps an asyncio loop on the main thread while it
# runs, which breaks any later test that starts a loop there (anyio.run) if it lingers.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"Chromium not found at {CHROMIUM} (.ci/run installs it)")
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def live_server(sqlite_database: str, smtp: SmtpSink, tmp_path: Path) -> Iterator[str]:
    """`intake api` in its own process, on the migrated SQLite test database."""
    try:
        with live_api_process(
            database_url=sqlite_database, smtp_url=smtp.url, var_dir=tmp_path, queue_prefix="web"
        ) as api:
            yield api.base
    finally:
        wipe_database(sqlite_database)
