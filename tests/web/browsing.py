"""Steps the browser tests share: a phone-sized screen, starting an intake, screenshots."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import BrowserContext, Page, ViewportSize, expect

PHONE: ViewportSize = {"width": 390, "height": 844}


def start(context: BrowserContext, base: str, *, timezone: str | None = None) -> Page:
    """A new intake from the start page, left on its first question page."""
    page = context.new_page()
    page.goto(f"{base}/")
    page.fill("#first_name", "Grace")
    page.fill("#last_name", "Hopper")
    page.fill("#email", "grace@example.com")
    page.fill("#date_of_birth", "1961-12-09")
    if timezone:
        page.fill("#timezone", timezone)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Thank you, Grace")
    page.click("#continue")
    expect(page).to_have_url(f"{base}/intake/about")
    return page


def shoot(page: Page, path: Path) -> Path:
    page.wait_for_load_state()
    page.screenshot(path=str(path), full_page=True)
    return path
