"""Making staff accounts and logging them in, for the staff and FHIR tests."""

from __future__ import annotations

import uuid

import httpx2
from fastapi.testclient import TestClient
from sqlalchemy import select

from intake.audit import AuditEvent
from intake.db import UnitOfWork
from intake.staff import service
from intake.staff.models import StaffRole, StaffUser
from intake.staff.schemas import StaffCreate

PASSWORD = "correct horse battery staple"
TOKEN_URL = "/api/v1/staff/token"


def make_staff(
    email: str = "coordinator@clinic.example",
    role: StaffRole = StaffRole.COORDINATOR,
    password: str = PASSWORD,
) -> StaffUser:
    details = StaffCreate(email=email, full_name="Casey Coordinator", role=role)
    with UnitOfWork() as uow:
        return service.create_staff(uow, details=details, password=password)


def login(client: TestClient, email: str, password: str = PASSWORD) -> httpx2.Response:
    """The raw response of the OAuth2 password flow."""
    return client.post(TOKEN_URL, data={"username": email, "password": password})


def bearer(client: TestClient, email: str, password: str = PASSWORD) -> dict[str, str]:
    response = login(client, email, password)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def staff_auth(client: TestClient, role: StaffRole = StaffRole.COORDINATOR) -> dict[str, str]:
    """A fresh account with `role`, logged in."""
    user = make_staff(email=f"{role}-{uuid.uuid4().hex[:6]}@clinic.example", role=role)
    return bearer(client, user.email)


def audit_events(action: str | None = None) -> list[AuditEvent]:
    with UnitOfWork() as uow:
        stmt = select(AuditEvent).order_by(AuditEvent.at, AuditEvent.id)
        if action is not None:
            stmt = stmt.where(AuditEvent.action == action)
        return list(uow.session.scalars(stmt))
