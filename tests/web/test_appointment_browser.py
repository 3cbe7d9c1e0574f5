"""A patient manages their appointment in real headless Chromium, from the link in the
booking email: the time in their own timezone (London, while the clinic is in New York),
then a new time, then a cancellation."""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx2 as httpx
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from emails.timefmt import format_clock, format_day, format_moment
from intake.db import UnitOfWork
from intake.notifications.models import OutboxEmail
from intake.web.appointment_pages import slot_value
from tests.console.conftest import same_database_as_live_server
from tests.console.test_calendar_browser import (
    live_clinician,
    live_routed_intake,
    live_slots,
    staff_bearer,
)
from tests.staff.support import make_staff
from tests.web.browsing import PHONE, shoot

__all__ = ["same_database_as_live_server"]  # a fixture this module uses

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")


def _manage_link(intake_id: str) -> str:
    """The worker is not running, so the booking email waits in the outbox, link intact."""
    with UnitOfWork() as uow:
        stmt = select(OutboxEmail.context).where(
            OutboxEmail.template == "appointment_booked",
            OutboxEmail.intake_id == uuid.UUID(intake_id),
        )
        [context] = uow.session.scalars(stmt).all()
    return str(context["manage_url"])


def test_a_patient_sees_their_own_time_moves_it_then_cancels(
    browser: Browser, live_server: str, same_database_as_live_server: str, tmp_path: Path
) -> None:
    auth = staff_bearer(live_server, make_staff(email="casey@clinic.example").email)
    live_clinician(live_server, auth)
    intake_id, _ = live_routed_intake(live_server, timezone="Europe/London")
    first, _, later, *_ = live_slots(live_server, auth)
    body = {"intake_id": intake_id, "slot_id": first["id"]}
    booked = httpx.post(f"{live_server}/api/v1/appointments", json=body, headers=auth, timeout=30)
    assert booked.status_code == 201, booked.text
    starts = datetime.fromisoformat(first["starts_at"])
    moved = datetime.fromisoformat(later["starts_at"])
    link = _manage_link(intake_id)
    assert link.startswith(f"{live_server}/appointment/")
    context = browser.new_context(viewport=PHONE)  # no session: the link is enough
    page = context.new_page()
    shots: list[Path] = []

    # 1. The emailed link: the time in London, never the clinic's New York time.
    page.goto(link)
    expect(page.locator("h1")).to_have_text("Your appointment")
    expect(page.locator("#when")).to_contain_text(format_moment(starts, LONDON))
    expect(page.locator("main")).not_to_contain_text(format_clock(starts, NEW_YORK))
    expect(page.locator("#timezone")).to_contain_text("Europe/London")
    expect(page.locator("#status")).to_contain_text("Booked")
    shots.append(shoot(page, tmp_path / "appointment-01-by-link.png"))

    # 2. Another time, from the alternatives grouped by the patient's own days.
    day = page.locator("details.day", has_text=format_day(moved, LONDON))
    if day.get_attribute("open") is None:
        day.locator("summary").click()
    page.check(f'input[name=slot_id][value="{slot_value(later["id"])}"]')
    shots.append(shoot(page, tmp_path / "appointment-02-choosing.png"))
    page.click("#reschedule")
    expect(page.locator("#notice")).to_contain_text("Your appointment has moved")
    expect(page.locator("#when")).to_contain_text(format_moment(moved, LONDON))
    shots.append(shoot(page, tmp_path / "appointment-03-moved.png"))

    # 3. Cancel: the page asks first, then the time is given up.
    page.click("#cancel")
    expect(page.locator("#cancel-check")).to_be_visible()
    shots.append(shoot(page, tmp_path / "appointment-04-are-you-sure.png"))
    page.click("#cancel-confirm")
    expect(page.locator("#notice")).to_contain_text("Your appointment is cancelled")
    expect(page.locator("#status")).to_have_text("Cancelled")
    expect(page.locator("main form")).to_have_count(0)
    shots.append(shoot(page, tmp_path / "appointment-05-cancelled.png"))

    context.close()
    assert all(shot.exists() and shot.stat().st_size > 0 for shot in shots)
