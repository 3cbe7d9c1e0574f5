"""A coordinator works the urgent queue in real headless Chromium: log in, open the
queue, claim the top item (the emergency), override its route, and see the audit trail."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx2 as httpx
from playwright.sync_api import Browser, expect
from sqlalchemy import update

from intake.db import UnitOfWork, utcnow
from intake.intakes.models import Intake
from tests.conftest import PATIENT, complete_answers
from tests.staff.support import PASSWORD, make_staff
from tests.web.browsing import shoot

REASON = "Wound drainage with fever: surgical team to review the instrumented level"
DESKTOP: Any = {"width": 1280, "height": 900}


def _urgent_intake(base: str, *, last_name: str, flag: str, queued_hours_ago: float) -> str:
    """Through the live API: a submitted intake a red-flag answer put in the urgent queue."""
    answers = complete_answers()
    answers["red_flags"][flag] = True
    body = {"patient": {**PATIENT, "last_name": last_name}, "answers": answers}
    started = httpx.post(f"{base}/api/v1/intakes", json=body, timeout=30)
    assert started.status_code == 201, started.text
    intake_id, token = started.json()["id"], started.json()["access_token"]
    submitted = httpx.post(
        f"{base}/api/v1/intakes/{intake_id}/submit",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert submitted.status_code == 200, submitted.text
    with UnitOfWork() as uow:  # ages that differ by hours, as a real queue's would
        uow.session.execute(
            update(Intake)
            .where(Intake.id == uuid.UUID(intake_id))
            .values(queued_at=utcnow() - timedelta(hours=queued_hours_ago))
        )
    return str(intake_id)


def test_a_coordinator_claims_the_top_urgent_item_and_overrides_its_route(
    browser: Browser, live_server: str, same_database_as_live_server: str, tmp_path: Path
) -> None:
    _urgent_intake(live_server, last_name="Oldest", flag="fever_after_surgery", queued_hours_ago=3)
    emergency = _urgent_intake(
        live_server, last_name="Emergency", flag="saddle_numbness", queued_hours_ago=1
    )
    _urgent_intake(live_server, last_name="Newest", flag="wound_problem", queued_hours_ago=0.5)
    coordinator = make_staff(email="casey@clinic.example")
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    shots: list[Path] = []

    # 1. The console sends a visitor without a session to the login page.
    page.goto(f"{live_server}/staff")
    expect(page).to_have_url(re.compile(r"/staff/login\?next="))
    page.fill("#email", coordinator.email)
    page.fill("#password", PASSWORD)
    shots.append(shoot(page, tmp_path / "console-01-login.png"))
    page.click("#log-in")

    # 2. The overview: three urgent items.
    expect(page).to_have_url(f"{live_server}/staff")
    expect(page.locator("#queue-urgent .count")).to_have_text("3")
    shots.append(shoot(page, tmp_path / "console-02-overview.png"))

    # 3. The urgent queue: the emergency on top, though two others waited longer.
    page.click("#queue-urgent a")
    rows = page.locator("#items tr.item")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("Ada Emergency")
    expect(rows.nth(0)).to_contain_text("Emergency")
    expect(rows.nth(1)).to_contain_text("Ada Oldest")
    expect(rows.nth(2)).to_contain_text("Ada Newest")
    shots.append(shoot(page, tmp_path / "console-03-urgent-queue.png"))

    # 4. Claim the next item: the emergency opens, claimed by the coordinator.
    page.click("#claim-next button")
    expect(page).to_have_url(re.compile(rf"/staff/intakes/{emergency}\?done=claimed"))
    expect(page.locator("#notice")).to_have_text("You claimed this intake.")
    expect(page.locator("#claim-holder")).to_contain_text("Casey Coordinator")
    shots.append(shoot(page, tmp_path / "console-04-claimed.png"))

    # 5. Override the route, with a reason.
    page.select_option("#override-route", "surgical_revision")
    page.fill("#override-reason", REASON)
    page.click("#override-submit")
    expect(page.locator("#notice")).to_contain_text("Route overridden")
    expect(page.locator("#current-route")).to_contain_text("Surgical revision")
    expect(page.locator("#latest-override")).to_contain_text(REASON)
    shots.append(shoot(page, tmp_path / "console-05-overridden.png"))

    # 6. The intake's activity shows both actions, by the coordinator.
    activity = page.locator("#activity-log")
    expect(activity.locator("tr.event", has_text="queue.claim")).to_contain_text(
        "Casey Coordinator"
    )
    expect(activity.locator("tr.event", has_text="routing.override")).to_contain_text(
        "Casey Coordinator"
    )
    page.locator("#activity").scroll_into_view_if_needed()
    shots.append(tmp_path / "console-06-activity.png")
    page.locator("#activity").screenshot(path=str(shots[-1]))

    context.close()
    assert all(shot.exists() and shot.stat().st_size > 0 for shot in shots)
    assert len(shots) == 6
