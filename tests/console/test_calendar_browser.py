"""A coordinator books a consultation in real headless Chromium: log in, open the
intake's booking page, book a slot, and find it in the clinician's week.

The helpers build the world through the live API (and the worker's steps in this
process, on the same database); tests/web/test_appointment_browser.py uses them too.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx2 as httpx
from playwright.sync_api import Browser, expect

from intake.config import get_settings
from intake.db import utcnow
from tests import samples
from tests.conftest import PATIENT, complete_answers
from tests.queues.support import EVERYTHING, RECENT, run_worker
from tests.staff.support import PASSWORD, make_staff
from tests.web.browsing import shoot

DESKTOP: Any = {"width": 1280, "height": 900}
EVERY_DAY = {"weekly": [{"weekday": d, "starts": "09:00", "ends": "17:00"} for d in range(7)]}
NEW_YORK = ZoneInfo("America/New_York")


def staff_bearer(base: str, email: str) -> dict[str, str]:
    form = {"username": email, "password": PASSWORD}
    response = httpx.post(f"{base}/api/v1/staff/token", data=form, timeout=30)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def live_clinician(base: str, auth: dict[str, str], name: str = "Dr Rivera") -> str:
    """A regenerative clinician working 09:00-17:00 clinic time, every day."""
    body = {"display_name": name, "offers": ["regenerative"]}
    created = httpx.post(f"{base}/api/v1/clinicians", json=body, headers=auth, timeout=30)
    assert created.status_code == 201, created.text
    clinician_id = str(created.json()["id"])
    url = f"{base}/api/v1/clinicians/{clinician_id}/availability"
    hours = httpx.put(url, json=EVERY_DAY, headers=auth, timeout=30)
    assert hours.status_code == 200, hours.text
    return clinician_id


def live_routed_intake(base: str, **patient: str) -> tuple[str, str]:
    """(intake id, patient token): every document in, submitted through the live API,
    then checked and routed (to regenerative) as the worker would."""
    body = {"patient": {**PATIENT, **patient}, "answers": complete_answers()}
    started = httpx.post(f"{base}/api/v1/intakes", json=body, timeout=30)
    assert started.status_code == 201, started.text
    intake_id, token = started.json()["id"], started.json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    for kind in EVERYTHING:
        dated = {"report_date": RECENT} if kind in ("current_mri", "postop_imaging") else {}
        upload = httpx.post(
            f"{base}/api/v1/intakes/{intake_id}/documents",
            headers=auth,
            data={"kind": kind, **dated},
            files={"file": ("f.pdf", samples.pdf(kind), "application/pdf")},
            timeout=30,
        )
        assert upload.status_code == 201, upload.text
    submitted = httpx.post(f"{base}/api/v1/intakes/{intake_id}/submit", headers=auth, timeout=30)
    assert submitted.status_code == 200, submitted.text
    assert run_worker(intake_id, get_settings()).queue == "regenerative"
    return intake_id, token


def live_slots(base: str, auth: dict[str, str], days_ahead: int = 3) -> list[dict[str, Any]]:
    """One clinic day's free regenerative slots, `days_ahead` from today."""
    day = (utcnow().astimezone(NEW_YORK) + timedelta(days=days_ahead)).date().isoformat()
    query = {"consultation_type": "regenerative", "start": day, "end": day}
    response = httpx.get(f"{base}/api/v1/slots", params=query, headers=auth, timeout=30)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    assert len(found) >= 4, found
    return found


def test_a_coordinator_books_a_slot_and_sees_it_in_the_week(
    browser: Browser, live_server: str, same_database_as_live_server: str, tmp_path: Path
) -> None:
    coordinator = make_staff(email="casey@clinic.example")
    auth = staff_bearer(live_server, coordinator.email)
    clinician_id = live_clinician(live_server, auth)
    intake_id, _ = live_routed_intake(live_server)
    slot = live_slots(live_server, auth)[1]
    local = datetime.fromisoformat(slot["starts_at"]).astimezone(NEW_YORK)
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    shots: list[Path] = []

    # 1. The booking page wants a session: log in, and come back to it.
    page.goto(f"{live_server}/staff/intakes/{intake_id}/book")
    expect(page).to_have_url(re.compile(r"/staff/login\?next="))
    page.fill("#email", coordinator.email)
    page.fill("#password", PASSWORD)
    page.click("#log-in")
    expect(page).to_have_url(f"{live_server}/staff/intakes/{intake_id}/book")

    # 2. The route's free slots for two weeks, in clinic time.
    expect(page.locator("#route")).to_have_text("Regenerative")
    row = page.locator(f'li.slot[data-slot-id="{slot["id"]}"]')
    expect(row).to_contain_text(f"{local:%H:%M}")
    expect(row).to_contain_text("Dr Rivera")
    shots.append(shoot(page, tmp_path / "calendar-01-booking-page.png"))

    # 3. Book it: the clinician's week opens on the new appointment.
    row.get_by_role("button", name=re.compile("^Book ")).click()
    expect(page).to_have_url(re.compile(rf"/staff/calendar\?.*clinician={clinician_id}"))
    expect(page.locator("#notice")).to_contain_text("Appointment booked")
    expect(page.locator("section.day")).to_have_count(7)
    column = page.locator(f"#day-{local.date().isoformat()}")
    entry = column.locator("article.appointment")
    expect(entry).to_have_count(1)
    expect(entry).to_contain_text(f"{local:%H:%M}")
    expect(entry).to_contain_text("Ada Lovelace")
    expect(entry).to_contain_text("Booked")
    expect(column.locator("li.slot", has_text=f"{local:%H:%M}")).to_have_count(0)  # taken
    shots.append(shoot(page, tmp_path / "calendar-02-week.png"))

    # 4. The name opens the intake; the day view holds the cancel form.
    expect(entry.get_by_role("link", name="Ada Lovelace")).to_have_attribute(
        "href", f"/staff/intakes/{intake_id}"
    )
    entry.get_by_role("link", name="Cancel…").click()
    expect(page.locator("section.day")).to_have_count(1)
    expect(page.locator("form.cancel-form")).to_have_count(1)
    shots.append(shoot(page, tmp_path / "calendar-03-day.png"))

    # 5. The booking page now shows the appointment instead of slots.
    page.goto(f"{live_server}/staff/intakes/{intake_id}/book")
    expect(page.locator("#already-booked")).to_contain_text("Dr Rivera")
    shots.append(shoot(page, tmp_path / "calendar-04-booked.png"))

    context.close()
    assert all(shot.exists() and shot.stat().st_size > 0 for shot in shots)
