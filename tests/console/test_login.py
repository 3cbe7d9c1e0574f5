"""Console sessions: login, the cookie's flags, logout, expiry, and CSRF on every form."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx2
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from intake.config import get_settings
from intake.console.session import LOGIN_NONCE_COOKIE, STAFF_COOKIE
from intake.db import UnitOfWork, utcnow
from intake.intakes.models import Intake
from intake.staff.models import StaffToken
from tests.console.support import console_as, csrf_in, log_in, urgent_intake
from tests.staff.support import audit_events, make_staff


def _set_cookie_header(response: httpx2.Response, name: str) -> str:
    [header] = [h for h in response.headers.get_list("set-cookie") if h.startswith(f"{name}=")]
    return header


def test_pages_send_a_visitor_without_a_session_to_the_login_page(client: TestClient) -> None:
    intake_page = f"/staff/intakes/{uuid.uuid4()}"

    for path in ("/staff", "/staff/queues/urgent", intake_page):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/staff/login?next=%2Fstaff")

    login = client.get("/staff/login")
    assert login.status_code == 200
    assert 'id="password"' in login.text


def test_login_sets_an_httponly_lax_cookie_for_staff_pages_only(client: TestClient) -> None:
    user = make_staff()

    response = log_in(client, user.email)

    assert response.status_code == 303
    assert response.headers["location"] == "/staff"
    cookie = _set_cookie_header(response, STAFF_COOKIE).lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie  # issue 9: Lax, with CSRF tokens on every form
    assert "path=/staff" in cookie
    assert "secure" not in cookie  # PUBLIC_BASE_URL is http:// in tests
    assert "max-age" not in cookie  # gone with the browser; the server times it out
    assert "max-age=0" in _set_cookie_header(response, LOGIN_NONCE_COOKIE).lower()  # spent
    overview = client.get("/staff")
    assert overview.status_code == 200
    assert "Casey Coordinator (coordinator)" in overview.text
    assert overview.headers["cache-control"] == "no-store"  # patient data: not cached
    assert overview.headers["x-frame-options"] == "DENY"
    assert [e.actor_id for e in audit_events("staff.login")] == [str(user.id)]


def test_the_cookie_is_secure_when_the_console_is_served_over_https(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://clinic.example")
    get_settings.cache_clear()
    user = make_staff()
    # A browser sends a Secure cookie (the login nonce too) back over HTTPS only.
    over_https = TestClient(client.app, base_url="https://testserver")

    response = log_in(over_https, user.email)

    assert response.status_code == 303
    assert "secure" in _set_cookie_header(response, STAFF_COOKIE).lower()
    assert over_https.get("/staff").status_code == 200


def test_a_wrong_password_is_shown_on_the_login_page_and_opens_nothing(
    client: TestClient,
) -> None:
    user = make_staff()

    response = log_in(client, user.email, password="not the password at all")

    assert response.status_code == 401
    assert "Incorrect email or password" in response.text
    assert STAFF_COOKIE not in response.headers.get("set-cookie", "")
    assert client.get("/staff", follow_redirects=False).status_code == 303
    assert len(audit_events("staff.login_failed")) == 1


def test_login_without_the_token_of_its_own_page_is_refused(client: TestClient) -> None:
    user = make_staff()
    form = {"email": user.email, "password": "correct horse battery staple"}

    no_page_first = client.post("/staff/login", data={**form, "csrf_token": "0" * 64})
    csrf_in(client.get("/staff/login").text)  # the nonce cookie is set now...
    forged = client.post("/staff/login", data={**form, "csrf_token": "0" * 64})

    for response in (no_page_first, forged):
        assert response.status_code == 403
        assert "did not come from the console" in response.text
    assert audit_events("staff.login") == []  # ...but a forged token never logs anyone in


def test_after_login_the_console_returns_to_console_pages_only(client: TestClient) -> None:
    user = make_staff()
    page = client.get("/staff/login", params={"next": "/staff/queues/urgent"})
    form = {"email": user.email, "password": "correct horse battery staple"}

    inside = client.post(
        "/staff/login",
        data={**form, "csrf_token": csrf_in(page.text), "next": "/staff/queues/urgent"},
        follow_redirects=False,
    )
    elsewhere = client.post(
        "/staff/login",
        data={**form, "csrf_token": csrf_in(client.get("/staff/login").text), "next": "//evil"},
        follow_redirects=False,
    )

    assert 'name="next" value="/staff/queues/urgent"' in page.text
    assert inside.headers["location"] == "/staff/queues/urgent"
    assert elsewhere.headers["location"] == "/staff"


def test_logout_revokes_the_session_on_the_server(client: TestClient) -> None:
    console = console_as(client)
    token = client.cookies.get(STAFF_COOKIE, path="/staff")
    assert token

    refused = client.post("/staff/logout", data={"csrf_token": "f" * 64})
    assert refused.status_code == 403
    assert client.get("/staff").status_code == 200  # still signed in
    response = console.post("/staff/logout")

    assert response.status_code == 200
    assert "You have logged out." in response.text
    assert [e.actor_id for e in audit_events("staff.logout")] == [str(console.user.id)]
    client.cookies.set(STAFF_COOKIE, token, path="/staff")  # a copy of the old cookie
    assert client.get("/staff", follow_redirects=False).status_code == 303
    bearer = client.get("/api/v1/staff/me", headers={"Authorization": f"Bearer {token}"})
    assert bearer.status_code == 401


def test_an_idle_session_goes_back_to_the_login_page(client: TestClient) -> None:
    console_as(client)
    idle = timedelta(minutes=get_settings().staff_token_idle_minutes + 1)
    with UnitOfWork() as uow:
        uow.session.execute(update(StaffToken).values(last_used_at=utcnow() - idle))

    response = client.get("/staff", follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"].startswith("/staff/login")


def test_a_form_posted_without_its_csrf_token_changes_nothing(client: TestClient) -> None:
    started = urgent_intake(client)
    console = console_as(client)

    for token in (None, "f" * 64, console_as(TestClient(client.app)).csrf):
        data = {} if token is None else {"csrf_token": token}
        response = client.post("/staff/queues/urgent/claim", data=data)
        assert response.status_code == 403
        assert "did not come from the console" in response.text

    assert audit_events("queue.claim") == []
    with UnitOfWork() as uow:
        assert uow.session.get_one(Intake, uuid.UUID(started.id)).claimed_by_id is None
    assert console.post("/staff/queues/urgent/claim").status_code == 200  # with it: claimed
    assert len(audit_events("queue.claim")) == 1
