"""The patient's form in real headless Chromium: a whole lumbar fusion case, no-JS use,
and the red-flag instruction."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from intake import questionnaire
from intake.db import utcnow
from tests import samples
from tests.web.browsing import PHONE, shoot, start


def fill_surgery(page: Page, *, instrumented: str, date: str) -> None:
    page.select_option("#surgeries-0-procedure_type", "fusion")
    page.check("#surgeries-0-region-lumbar")
    page.fill("#surgeries-0-surgery_date", date)
    page.check("#surgeries-0-levels-L4-L5")
    page.check("#surgeries-0-levels-L5-S1")
    page.check(f"#surgeries-0-instrumented_levels-{instrumented}")
    page.check("#surgeries-0-outcome_pattern-improved_then_recurred")
    page.fill("#surgeries-0-pain_free_months", "8")
    page.fill("#surgeries-0-surgeon", "Dr A. Surgeon")
    page.fill("#surgeries-0-facility", "General Hospital")


def upload(page: Page, item_id: str, label: str, *, scan_date: str | None = None) -> None:
    """Upload a PDF from a checklist item's own form (item ids look like operative_note-1)."""
    item = page.locator(f"#todo-{item_id}")
    item.locator(f"#file-{item_id}").set_input_files(
        {"name": f"{item_id}.pdf", "mimeType": "application/pdf", "buffer": samples.pdf(label)}
    )
    if scan_date:
        item.locator(f"#report_date-{item_id}").fill(scan_date)
    item.get_by_role("button", name="Upload").click()
    expect(page.locator(f"#todo-{item_id} .done")).to_have_text("✓ Uploaded")


def test_a_patient_walks_every_step_and_submits(
    browser: Browser, live_server: str, tmp_path: Path
) -> None:
    context = browser.new_context(viewport=PHONE)
    page = start(context, live_server)
    shots: list[Path] = []

    # 1. About you: details read-only, the privacy notice to accept.
    expect(page.locator("#patient-details")).to_contain_text("grace@example.com")
    page.check("#consent-privacy_notice")
    shots.append(shoot(page, tmp_path / "01-about.png"))
    page.click("#continue")

    # 2. Surgeries: two mistakes first, each shown beside its input.
    expect(page).to_have_url(f"{live_server}/intake/surgeries")
    fill_surgery(page, instrumented="L3-L4", date="2099-03")
    page.click("#continue")
    expect(page.locator(".error-summary")).to_be_visible()
    expect(page.locator("#surgeries-0-instrumented_levels-error")).to_contain_text(
        "L3-L4 is not one of the operated levels"
    )
    expect(page.locator("#surgeries-0-surgery_date-error")).to_contain_text("future")
    expect(page.locator("#surgeries-0-surgery_date")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#surgeries-0-surgery_date")).to_have_value("2099-03")
    shots.append(shoot(page, tmp_path / "02-surgeries-errors.png"))
    page.uncheck("#surgeries-0-instrumented_levels-L3-L4")
    page.check("#surgeries-0-instrumented_levels-L5-S1")
    page.fill("#surgeries-0-surgery_date", "2023-02")
    shots.append(shoot(page, tmp_path / "02-surgeries.png"))
    page.click("#continue")

    # 3. Symptoms, pain and the ODI; the score shows once saved.
    expect(page).to_have_url(f"{live_server}/intake/symptoms")
    page.check("#symptoms-radiating_leg_pain_or_numbness-selected")
    page.select_option("#symptoms-radiating_leg_pain_or_numbness-onset", "after_surgery")
    page.fill("#symptoms-radiating_leg_pain_or_numbness-onset_months_after_surgery", "8")
    page.check("#symptoms-stiffness-selected")
    page.select_option("#symptoms-stiffness-onset", "since_surgery_never_resolved")
    page.check("#pain-back_or_neck-7")
    page.check("#pain-leg_or_arm-4")
    page.select_option("#odi-version", "2.1a")
    odi = {"pain_intensity": 3, "personal_care": 1, "lifting": 3, "walking": 1, "sitting": 2}
    odi |= {"standing": 2, "sleeping": 1, "sex_life": 1, "social_life": 1, "travelling": 1}
    for section, rating in odi.items():
        page.check(f"#odi-sections-{section}-{rating}")
    page.click("#save")
    expect(page.locator("#odi-score")).to_contain_text("32%")
    shots.append(shoot(page, tmp_path / "03-symptoms.png"))
    page.click("#continue")

    # 4. Care: each list grows by a round trip that saves the page first.
    expect(page).to_have_url(f"{live_server}/intake/care")
    page.click("#add-conservative_care")
    page.select_option("#conservative_care-0-type", "physical_therapy")
    page.fill("#conservative_care-0-start_date", "2023-06")
    page.fill("#conservative_care-0-end_date", "2023-09")
    page.fill("#conservative_care-0-sessions", "12")
    page.check("#conservative_care-0-response-partial")
    page.click("#add-medications")
    expect(page.locator("#conservative_care-0-type")).to_have_value("physical_therapy")
    page.fill("#medications-0-name", "Tramadol")
    page.check("#medications-0-opioid")
    page.check("#medications-0-current")
    page.click("#add-reported_findings")
    page.select_option("#reported_findings-0-finding", "annular_tear")
    page.select_option("#reported_findings-0-level", "L3-L4")
    page.select_option("#reported_findings-0-said_by", "imaging_report")
    shots.append(shoot(page, tmp_path / "04-care.png"))
    page.click("#continue")

    # 5. Warning signs: every question answered, no banner.
    expect(page).to_have_url(f"{live_server}/intake/red-flags")
    expect(page.locator("#emergency-instruction")).to_be_visible()
    for key in questionnaire.RED_FLAG_KEYS:
        page.check(f"#red_flags-{key}-no")
    shots.append(shoot(page, tmp_path / "05-red-flags.png"))
    page.click("#continue")
    expect(page.locator("#red-flag-alert")).to_have_count(0)

    # 6. Documents: each required item uploaded from its own form; scan reports get a date.
    expect(page).to_have_url(f"{live_server}/intake/documents")
    last_month = (utcnow().date() - timedelta(days=30)).isoformat()
    upload(page, "operative_note-1", "op note")
    upload(page, "current_mri", "mri report", scan_date=last_month)
    upload(page, "postop_imaging", "ct report", scan_date=last_month)
    upload(page, "conservative_care_record", "pt notes")
    expect(page.locator("#uploaded-files li")).to_have_count(4)
    shots.append(shoot(page, tmp_path / "06-documents.png"))
    page.click("#continue")

    # 7. Review, submit, and the confirmation.
    expect(page).to_have_url(f"{live_server}/intake/review")
    expect(page.locator("#summary-odi-score")).to_contain_text("32%")
    expect(page.get_by_text("General Hospital")).to_be_visible()
    shots.append(shoot(page, tmp_path / "07-review.png"))
    page.click("#submit")
    expect(page.locator("#confirmation")).to_have_text(
        "Your intake has been submitted. Your case will be reviewed by our team."
    )
    shots.append(shoot(page, tmp_path / "08-submitted.png"))

    # Submitted answers are shown, not offered for editing.
    page.goto(f"{live_server}/intake/surgeries")
    expect(page.locator("main form")).to_have_count(0)
    context.close()
    assert all(shot.exists() and shot.stat().st_size > 0 for shot in shots)
    assert len(shots) == 9


def test_without_javascript_another_surgery_is_added_by_a_round_trip(
    browser: Browser, live_server: str
) -> None:
    context = browser.new_context(java_script_enabled=False, viewport=PHONE)
    # No script fills in the time zone without JavaScript.
    page = start(context, live_server, timezone="Europe/London")
    page.goto(f"{live_server}/intake/surgeries")
    page.select_option("#surgeries-0-procedure_type", "microdiscectomy")
    page.check("#surgeries-0-region-lumbar")
    page.check("#surgeries-0-levels-L5-S1")

    page.get_by_role("button", name="Add another surgery").click()

    expect(page.locator("#surgeries-1 > legend")).to_have_text("Surgery 2")
    expect(page.locator("#surgeries-0-procedure_type")).to_have_value("microdiscectomy")
    page.select_option("#surgeries-1-procedure_type", "fusion")
    page.check("#surgeries-1-region-lumbar")
    page.check("#surgeries-1-levels-L4-L5")
    page.click("#continue")
    expect(page).to_have_url(f"{live_server}/intake/symptoms")
    page.goto(f"{live_server}/intake/surgeries")
    expect(page.locator("#surgeries-1-procedure_type")).to_have_value("fusion")
    expect(page.locator("#surgeries-1-levels-L4-L5")).to_be_checked()
    context.close()


def test_a_yes_to_saddle_numbness_shows_the_emergency_instruction(
    browser: Browser, live_server: str
) -> None:
    context = browser.new_context()
    page = start(context, live_server)
    page.goto(f"{live_server}/intake/red-flags")
    expect(page.get_by_role("alert")).to_have_count(0)

    page.check("#red_flags-saddle_numbness-yes")
    page.click("#save")

    beside = page.locator("#red-flag-instruction")
    expect(beside).to_have_attribute("role", "alert")
    expect(beside).to_contain_text(questionnaire.EMERGENCY_INSTRUCTION)
    expect(page.locator("#red_flags #red-flag-instruction")).to_be_visible()  # by the questions
    page.goto(f"{live_server}/intake/care")
    expect(page.locator("#red-flag-alert")).to_contain_text(questionnaire.EMERGENCY_INSTRUCTION)

    # The page's form carries its CSRF token; a forged post without it is refused.
    forged = page.request.post(
        f"{live_server}/intake/red-flags",
        form={"csrf_token": "f" * 64, "red_flags-saddle_numbness": "no"},
        max_redirects=0,
    )
    assert forged.status == 403
    context.close()
