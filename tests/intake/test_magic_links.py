"""Magic links: no enumeration, hashed, single-use, short-lived, rate-limited."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from emails.transport import SmtpTransport
from intake.auth.models import MagicLink
from intake.config import Settings
from intake.db import UnitOfWork, utcnow
from intake.notifications.models import OutboxEmail, OutboxStatus
from intake.notifications.repository import REDACTED
from intake.security import hash_token
from intake.sweep import sweep
from tests.conftest import PATIENT, SmtpSink, start_intake
from tests.outbox_support import dispatch_due, everything_in, rendered
from tests.support import form_token

LINK = re.compile(r"(https?://\S+/auth/magic\?token=([A-Za-z0-9_-]+))")


def _request(client: TestClient, email: str) -> tuple[int, dict[str, str]]:
    response = client.post("/api/v1/auth/magic-links", json={"email": email})
    return response.status_code, response.json()


def _magic_emails() -> list[OutboxEmail]:
    with UnitOfWork() as uow:
        return list(
            uow.session.scalars(select(OutboxEmail).where(OutboxEmail.template == "magic_link"))
        )


def _token_from_outbox() -> str:
    [email] = _magic_emails()
    match = LINK.search(email.context["link_url"])
    assert match is not None
    return match.group(2)


def test_known_and_unknown_addresses_get_the_same_answer(client: TestClient) -> None:
    start_intake(client)

    known = _request(client, PATIENT["email"].upper())
    unknown = _request(client, "nobody@example.com")

    assert known == unknown
    assert known[0] == 202
    assert [e.to_address for e in _magic_emails()] == [PATIENT["email"]]


def test_the_link_is_built_from_the_public_base_url_not_the_host_header(
    client: TestClient, settings: Settings
) -> None:
    start_intake(client)

    client.post(
        "/api/v1/auth/magic-links",
        json={"email": PATIENT["email"]},
        headers={"Host": "evil.example", "X-Forwarded-Host": "evil.example"},
    )

    [email] = _magic_emails()
    body = everything_in(email, settings)
    match = LINK.search(body)
    assert match is not None
    assert match.group(1).startswith(f"{settings.public_base_url}/auth/magic?token=")
    assert "evil.example" not in body


def test_only_a_hash_of_a_strong_token_is_kept(client: TestClient) -> None:
    start_intake(client)
    _request(client, PATIENT["email"])

    token = _token_from_outbox()

    assert len(token) >= 22  # 128 bits in base64url; ours carry 256
    with UnitOfWork() as uow:
        [link] = uow.session.scalars(select(MagicLink)).all()
    assert link.token_hash == hash_token(token)
    assert (link.expires_at - link.created_at) <= timedelta(minutes=10)


def test_the_email_body_is_blanked_once_sent(
    client: TestClient, settings: Settings, smtp: SmtpSink
) -> None:
    start_intake(client)
    _request(client, PATIENT["email"])
    token = _token_from_outbox()
    [email] = _magic_emails()

    assert token in email.context["link_url"]

    dispatch_due(settings, SmtpTransport(smtp.url))

    [after] = _magic_emails()
    assert (after.status, after.context) == (OutboxStatus.SENT, REDACTED)
    delivered = [m for m in smtp.received() if m["Subject"].endswith("sign-in link")]
    assert token in delivered[0].get_body(("plain",)).get_content()  # type: ignore[union-attr]


def test_looking_at_the_link_does_not_use_it(client: TestClient) -> None:
    start_intake(client)
    _request(client, PATIENT["email"])
    token = _token_from_outbox()

    for _ in range(2):  # a mail scanner, then the patient
        page = client.get(f"/auth/magic?token={token}")
        assert page.status_code == 200
        assert page.headers["referrer-policy"] == "no-referrer"
        assert 'name="token"' in page.text
    client.head(f"/auth/magic?token={token}")

    form = {"token": token, "csrf_token": form_token(client, f"/auth/magic?token={token}")}
    used = client.post("/auth/magic", data=form, follow_redirects=False)
    assert used.status_code == 303
    assert used.headers["location"] == "/intake"
    assert "patient_token=" in used.headers["set-cookie"]


def test_a_link_works_once(client: TestClient) -> None:
    started = start_intake(client)
    _request(client, PATIENT["email"])
    token = _token_from_outbox()

    first = client.post("/api/v1/auth/magic-links/consume", json={"token": token})
    second = client.post("/api/v1/auth/magic-links/consume", json={"token": token})

    assert first.status_code == 200
    assert first.json()["intake_id"] == started.id
    assert second.status_code == 401
    session = {"Authorization": f"Bearer {first.json()['access_token']}"}
    assert client.get(f"/api/v1/intakes/{started.id}", headers=session).status_code == 200
    assert client.get(f"/auth/magic?token={token}").status_code == 400


def test_an_expired_link_is_refused(client: TestClient) -> None:
    start_intake(client)
    _request(client, PATIENT["email"])
    token = _token_from_outbox()
    with UnitOfWork() as uow:
        uow.session.execute(update(MagicLink).values(expires_at=utcnow() - timedelta(seconds=1)))

    response = client.post("/api/v1/auth/magic-links/consume", json={"token": token})

    assert response.status_code == 401
    form = {"token": token, "csrf_token": form_token(client, "/resume")}
    assert client.post("/auth/magic", data=form).status_code == 400


def test_a_session_opens_only_its_own_intake(client: TestClient) -> None:
    start_intake(client)
    theirs = start_intake(client, email="grace@example.com")
    _request(client, PATIENT["email"])
    session = client.post(
        "/api/v1/auth/magic-links/consume", json={"token": _token_from_outbox()}
    ).json()

    headers = {"Authorization": f"Bearer {session['access_token']}"}
    assert client.get(f"/api/v1/intakes/{theirs.id}", headers=headers).status_code == 404


def test_requests_are_limited_per_email(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    start_intake(client)
    statuses = [_request(client, PATIENT["email"])[0] for _ in range(6)]

    assert statuses == [202] * 5 + [429]
    # Another address from the same client is still served.
    assert _request(client, "someone@example.com")[0] == 202
    assert len(_magic_emails()) == 5


def test_requests_are_limited_per_client_address(client: TestClient) -> None:
    statuses = [_request(client, f"person{i}@example.com")[0] for i in range(31)]

    assert statuses == [202] * 30 + [429]
    response = client.post("/api/v1/auth/magic-links", json={"email": "x@example.com"})
    assert response.headers["retry-after"] == "3600"


def test_the_sweep_blanks_a_link_email_that_never_went_out(client: TestClient) -> None:
    start_intake(client)
    _request(client, PATIENT["email"])
    with UnitOfWork() as uow:
        uow.session.execute(
            update(OutboxEmail)
            .where(OutboxEmail.template == "magic_link")
            .values(created_at=utcnow() - timedelta(hours=2))
        )

    sweep(UnitOfWork)

    [email] = _magic_emails()
    assert (email.status, email.context) == (OutboxStatus.FAILED, REDACTED)


def test_starting_an_intake_emails_how_to_resume(client: TestClient, settings: Settings) -> None:
    start_intake(client)

    with UnitOfWork() as uow:
        [email] = uow.session.scalars(
            select(OutboxEmail).where(OutboxEmail.template == "intake_started")
        ).all()
    assert email.to_address == PATIENT["email"]
    text = rendered(email, settings).text
    assert f"{settings.public_base_url}/resume" in text
    assert "token" not in text


def test_the_resume_page_asks_for_a_link(client: TestClient) -> None:
    start_intake(client)

    csrf = form_token(client, "/resume")
    bad = client.post("/resume", data={"email": "nope", "csrf_token": csrf})
    good = client.post("/resume", data={"email": PATIENT["email"], "csrf_token": csrf})

    assert bad.status_code == 422
    assert 'id="email-error"' in bad.text
    assert good.status_code == 202
    assert len(_magic_emails()) == 1
