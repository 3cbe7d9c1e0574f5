"""The patient start page, in a real browser."""

from __future__ import annotations

from playwright.sync_api import Browser, expect


def test_a_patient_starts_an_intake_from_the_page(browser: Browser, live_server: str) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{live_server}/")

    # The page fills in the browser's own time zone.
    assert page.locator("#timezone").input_value() != ""
    page.fill("#first_name", "Ada")
    page.fill("#last_name", "Lovelace")
    page.fill("#email", "not-an-email")
    page.fill("#date_of_birth", "1970-05-17")
    page.click("button[type=submit]")

    # A bad answer is shown next to its field; the other answers are kept.
    expect(page.locator("#email-error")).to_be_visible()
    expect(page.locator("#first_name")).to_have_value("Ada")
    page.fill("#email", "ada@example.com")
    page.click("button[type=submit]")

    expect(page.locator("h1")).to_have_text("Thank you, Ada")
    intake_id = page.locator("#intake-id").inner_text()
    # Beside it, the start form's CSRF nonce (intake/http/presession_csrf.py).
    cookies = {cookie["name"]: cookie for cookie in context.cookies()}
    assert set(cookies) == {"patient_token", "form_nonce"}
    cookie = cookies["patient_token"]
    assert (cookie["httpOnly"], cookie["sameSite"]) == (True, "Lax")
    # The cookie is the patient's key to their own intake through the API.
    response = page.request.get(f"{live_server}/api/v1/intakes/{intake_id}")
    assert response.status == 200
    assert response.json()["status"] == "draft"
    context.close()
