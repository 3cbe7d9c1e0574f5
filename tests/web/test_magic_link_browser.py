"""Coming back by magic link, in real Chromium: ask, open the link, continue."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, expect
from sqlalchemy import select

from intake.db import create_db_engine
from intake.notifications.models import OutboxEmail
from tests.web.browsing import PHONE, start

LINK = re.compile(r"https?://\S+/auth/magic\?token=[A-Za-z0-9_-]+")


def _link_from_outbox(database_url: str) -> str:
    """The worker is not running here, so the email still waits, link intact, in the outbox."""
    engine = create_db_engine(database_url)
    try:
        with engine.connect() as conn:
            [context] = conn.scalars(
                select(OutboxEmail.context).where(OutboxEmail.template == "magic_link")
            ).all()
    finally:
        engine.dispose()
    match = LINK.search(context["link_url"])
    assert match is not None
    return match.group(0)


def test_a_patient_returns_by_magic_link(
    browser: Browser, live_server: str, sqlite_database: str
) -> None:
    first_visit = browser.new_context(viewport=PHONE)
    start(first_visit, live_server)
    first_visit.close()

    later = browser.new_context(viewport=PHONE)  # another day, no cookie
    page = later.new_page()
    page.goto(f"{live_server}/intake/about")
    expect(page).to_have_url(f"{live_server}/resume")
    page.fill("#email", "grace@example.com")
    page.click("button[type=submit]")
    expect(page.locator("#sent")).to_be_visible()

    link = _link_from_outbox(sqlite_database)
    page.goto(link)
    expect(page.locator("#continue")).to_be_visible()  # opening the link used nothing up
    page.click("#continue")
    expect(page).to_have_url(re.compile(rf"{re.escape(live_server)}/intake/\w+"))

    page.goto(link)  # the same link again: spent
    expect(page.locator("#expired")).to_be_visible()
    later.close()
