"""Staff login: OAuth2 password flow, no enumeration, hashed tokens, rate limits, rehash."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from intake.config import get_settings
from intake.db import UnitOfWork
from intake.security import hash_token
from intake.staff.models import StaffRole, StaffToken, StaffUser
from tests.staff.support import PASSWORD, audit_events, bearer, login, make_staff


def test_login_gives_a_bearer_token_that_opens_me(client: TestClient) -> None:
    user = make_staff(email="casey@clinic.example")

    response = login(client, "Casey@Clinic.example")

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 30 * 60
    assert response.headers["cache-control"] == "no-store"
    me = client.get("/api/v1/staff/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json()["id"] == str(user.id)
    assert me.json()["role"] == "coordinator"
    assert "password_hash" not in me.json()


def test_wrong_password_and_unknown_email_get_identical_answers(client: TestClient) -> None:
    make_staff(email="casey@clinic.example")

    wrong_password = login(client, "casey@clinic.example", "not the password at all")
    unknown_email = login(client, "nobody@clinic.example", "not the password at all")

    assert wrong_password.status_code == unknown_email.status_code == 401
    assert wrong_password.content == unknown_email.content
    assert wrong_password.headers["www-authenticate"] == unknown_email.headers["www-authenticate"]


def test_a_disabled_account_gets_the_same_answer_as_a_wrong_password(client: TestClient) -> None:
    user = make_staff(email="casey@clinic.example")
    with UnitOfWork() as uow:
        uow.session.execute(update(StaffUser).where(StaffUser.id == user.id).values(active=False))

    disabled = login(client, "casey@clinic.example")
    unknown = login(client, "nobody@clinic.example")

    assert disabled.status_code == 401
    assert disabled.content == unknown.content


def test_only_a_hash_of_a_strong_token_is_stored(client: TestClient) -> None:
    make_staff(email="casey@clinic.example")

    token = login(client, "casey@clinic.example").json()["access_token"]

    assert len(token) >= 43  # 256 bits in base64url
    with UnitOfWork() as uow:
        [stored] = uow.session.scalars(select(StaffToken)).all()
    assert stored.token_hash == hash_token(token)
    assert token not in stored.token_hash


def test_every_login_opens_a_new_session(client: TestClient) -> None:
    make_staff(email="casey@clinic.example")

    first = bearer(client, "casey@clinic.example")
    second = bearer(client, "casey@clinic.example")

    assert first != second
    for auth in (first, second):
        assert client.get("/api/v1/staff/me", headers=auth).status_code == 200


def _set_limit(monkeypatch: pytest.MonkeyPatch, variable: str, value: int) -> None:
    monkeypatch.setenv(variable, str(value))
    get_settings.cache_clear()


def test_logins_are_rate_limited_per_email(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_staff(email="casey@clinic.example")
    _set_limit(monkeypatch, "STAFF_LOGINS_PER_EMAIL_PER_HOUR", 3)

    answers = [
        login(client, "casey@clinic.example", "wrong password!!").status_code for _ in range(3)
    ]
    throttled = login(client, "CASEY@clinic.example", PASSWORD)

    assert answers == [401, 401, 401]
    assert throttled.status_code == 429
    assert int(throttled.headers["retry-after"]) > 0
    assert len(audit_events("staff.login_throttled")) == 1


def test_logins_are_rate_limited_per_client_address(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    _set_limit(monkeypatch, "STAFF_LOGINS_PER_IP_PER_HOUR", 2)

    answers = [login(client, f"guess{n}@clinic.example").status_code for n in range(3)]

    assert answers == [401, 401, 429]


def test_a_hash_with_outdated_parameters_is_upgraded_at_login(client: TestClient) -> None:
    user = make_staff(email="casey@clinic.example")
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(PASSWORD)
    with UnitOfWork() as uow:
        uow.session.execute(
            update(StaffUser).where(StaffUser.id == user.id).values(password_hash=weak)
        )

    assert login(client, "casey@clinic.example").status_code == 200

    with UnitOfWork() as uow:
        upgraded = uow.session.get_one(StaffUser, user.id).password_hash
    assert upgraded != weak
    assert not PasswordHasher().check_needs_rehash(upgraded)
    assert PasswordHasher().verify(upgraded, PASSWORD)


def test_logins_are_audited_by_id_only(client: TestClient) -> None:
    user = make_staff(email="casey@clinic.example", role=StaffRole.ADMIN)

    login(client, "casey@clinic.example", "wrong password!!")
    login(client, "nobody@clinic.example", "wrong password!!")
    login(client, "casey@clinic.example")

    failed = audit_events("staff.login_failed")
    [succeeded] = audit_events("staff.login")
    assert [(e.actor_type, e.actor_id) for e in failed] == [
        ("staff", str(user.id)),
        ("staff", None),
    ]
    assert (succeeded.actor_id, succeeded.object_id) == (str(user.id), str(user.id))
    for event in audit_events():
        columns = [event.actor_id, event.action, event.object_type, event.object_id]
        assert not any("@" in (value or "") for value in columns)
