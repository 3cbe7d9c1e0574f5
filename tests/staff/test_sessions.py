"""Staff sessions: idle and absolute timeouts, server-side logout, roles (ASVS 7.3, 7.4)."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from intake.db import UnitOfWork, utcnow
from intake.staff.models import StaffRole, StaffToken, StaffUser
from intake.sweep import sweep
from tests.conftest import start_intake
from tests.staff.support import audit_events, bearer, make_staff

ME = "/api/v1/staff/me"
USERS = "/api/v1/staff/users"


def _signed_in(client: TestClient, role: StaffRole = StaffRole.COORDINATOR) -> dict[str, str]:
    user = make_staff(email=f"{role}@clinic.example", role=role)
    return bearer(client, user.email)


def _move_session(**columns: object) -> None:
    """Set timestamps on the only session, as if time had passed."""
    with UnitOfWork() as uow:
        uow.session.execute(update(StaffToken).values(**columns))


def _session() -> StaffToken:
    with UnitOfWork() as uow:
        return uow.session.scalars(select(StaffToken)).one()


def test_no_token_a_bad_token_and_a_patient_token_all_get_401(client: TestClient) -> None:
    patient = start_intake(client)

    answers = [
        client.get(ME),
        client.get(ME, headers={"Authorization": "Bearer not-a-real-token"}),
        client.get(ME, headers=patient.auth),
    ]

    assert [a.status_code for a in answers] == [401, 401, 401]
    assert all(a.headers["www-authenticate"] == "Bearer" for a in answers)


def test_a_session_unused_for_the_idle_timeout_is_refused(client: TestClient) -> None:
    auth = _signed_in(client)
    _move_session(last_used_at=utcnow() - timedelta(minutes=31))

    assert client.get(ME, headers=auth).status_code == 401


def test_each_use_restarts_the_idle_timeout(client: TestClient) -> None:
    auth = _signed_in(client)
    _move_session(last_used_at=utcnow() - timedelta(minutes=29))

    assert client.get(ME, headers=auth).status_code == 200

    assert utcnow() - _session().last_used_at < timedelta(minutes=1)


def test_a_busy_session_still_ends_at_the_absolute_timeout(client: TestClient) -> None:
    auth = _signed_in(client)
    _move_session(
        created_at=utcnow() - timedelta(hours=12, minutes=1),
        last_used_at=utcnow() - timedelta(minutes=1),
    )

    assert client.get(ME, headers=auth).status_code == 401


def test_logout_revokes_the_token_on_the_server(client: TestClient) -> None:
    auth = _signed_in(client)
    other_session = bearer(client, "coordinator@clinic.example")

    response = client.post("/api/v1/staff/logout", headers=auth)

    assert response.status_code == 204
    assert client.get(ME, headers=auth).status_code == 401
    assert client.post("/api/v1/staff/logout", headers=auth).status_code == 401
    assert client.get(ME, headers=other_session).status_code == 200
    [event] = audit_events("staff.logout")
    assert event.actor_type == "staff"


def test_a_disabled_account_loses_its_live_sessions(client: TestClient) -> None:
    auth = _signed_in(client)
    with UnitOfWork() as uow:
        uow.session.execute(update(StaffUser).values(active=False))

    assert client.get(ME, headers=auth).status_code == 401


def test_the_staff_list_is_for_admins_only(client: TestClient) -> None:
    coordinator = _signed_in(client, StaffRole.COORDINATOR)
    clinician = _signed_in(client, StaffRole.CLINICIAN)
    admin = _signed_in(client, StaffRole.ADMIN)

    refused = [client.get(USERS, headers=auth) for auth in (coordinator, clinician)]
    allowed = client.get(USERS, headers=admin)

    assert [r.status_code for r in refused] == [403, 403]
    assert allowed.status_code == 200
    assert sorted(u["role"] for u in allowed.json()) == ["admin", "clinician", "coordinator"]
    assert all("password_hash" not in u for u in allowed.json())
    denials = audit_events("staff.access_denied")
    assert len(denials) == 2
    assert {d.actor_id for d in denials} <= {u["id"] for u in allowed.json()}
    assert {(d.object_type, d.object_id) for d in denials} == {("permission", "manage_staff")}


def test_a_wrong_role_is_403_only_once_the_token_is_good(client: TestClient) -> None:
    assert client.get(USERS).status_code == 401
    assert client.get(USERS, headers={"Authorization": "Bearer nope"}).status_code == 401


def test_the_sweep_forgets_sessions_past_their_absolute_expiry(client: TestClient) -> None:
    _signed_in(client)
    _move_session(created_at=utcnow() - timedelta(hours=12, minutes=1))
    live = _signed_in(client, StaffRole.CLINICIAN)

    sweep(UnitOfWork)

    with UnitOfWork() as uow:
        remaining = uow.session.scalars(select(StaffToken)).all()
    assert len(remaining) == 1
    assert client.get(ME, headers=live).status_code == 200
