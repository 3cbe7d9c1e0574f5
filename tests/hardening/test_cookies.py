"""Every cookie the app sets is HttpOnly and SameSite=Lax, and Secure outside development."""

from __future__ import annotations

import httpx2
import pytest
from fastapi.testclient import TestClient

from intake.config import Settings
from intake.console.session import LOGIN_NONCE_COOKIE, STAFF_COOKIE
from intake.deps import PATIENT_COOKIE
from intake.http.presession_csrf import NONCE_COOKIE
from intake.main import create_app
from tests.conftest import PATIENT, start_intake
from tests.console.support import csrf_in, log_in
from tests.hardening.support import magic_link
from tests.staff.support import make_staff
from tests.support import form_token, reset_caches


def _every_cookie_the_app_sets(client: TestClient) -> dict[str, list[str]]:
    """Walk through everything that sets a cookie; each Set-Cookie header, by cookie name."""
    seen: dict[str, list[str]] = {}

    def keep(response: httpx2.Response) -> None:
        for header in response.headers.get_list("set-cookie"):
            seen.setdefault(header.split("=", 1)[0], []).append(header)

    keep(client.get("/"))
    keep(client.post("/start", data={**PATIENT, "csrf_token": form_token(client, "/")}))
    start_intake(client, email="grace@example.com")
    token = magic_link(client, "grace@example.com")
    page = client.get(f"/auth/magic?token={token}")
    keep(page)
    form = {"token": token, "csrf_token": csrf_in(page.text)}
    keep(client.post("/auth/magic", data=form, follow_redirects=False))
    staff = make_staff()
    keep(client.get("/staff/login"))
    keep(log_in(client, staff.email))
    session_csrf = csrf_in(client.get("/staff").text)
    keep(client.post("/staff/logout", data={"csrf_token": session_csrf}, follow_redirects=False))
    return seen


def _attributes(header: str) -> dict[str, str]:
    parts = [part.strip() for part in header.split(";")[1:]]
    return {key.lower(): value for key, _, value in (part.partition("=") for part in parts)}


def test_in_development_cookies_are_httponly_and_lax(client: TestClient) -> None:
    seen = _every_cookie_the_app_sets(client)

    assert set(seen) == {PATIENT_COOKIE, NONCE_COOKIE, LOGIN_NONCE_COOKIE, STAFF_COOKIE}
    for headers in seen.values():
        for header in headers:
            attributes = _attributes(header)
            assert "httponly" in attributes, header
            assert attributes.get("samesite", "").lower() == "lax", header
            # Served over plain http in development: a Secure cookie would never come back.
            assert "secure" not in attributes, header


def test_outside_development_every_cookie_is_secure(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENVIRONMENT", "staging")
    monkeypatch.setenv("SECRET_KEY", "s" * 48)
    reset_caches()
    # TestClient over https, so the client sends Secure cookies back as a browser would.
    with TestClient(create_app(), base_url="https://testserver") as client:
        seen = _every_cookie_the_app_sets(client)

    assert set(seen) == {PATIENT_COOKIE, NONCE_COOKIE, LOGIN_NONCE_COOKIE, STAFF_COOKIE}
    for headers in seen.values():
        for header in headers:
            attributes = _attributes(header)
            assert "secure" in attributes, header
            assert "httponly" in attributes, header
            assert attributes.get("samesite", "").lower() == "lax", header


def test_the_console_cookies_stay_on_the_console(client: TestClient) -> None:
    seen = _every_cookie_the_app_sets(client)

    for name in (STAFF_COOKIE, LOGIN_NONCE_COOKIE):
        for header in seen[name]:
            assert _attributes(header)["path"] == "/staff", header
