"""Staff sessions in the console and intakes in the urgent queue, for the console tests."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import timedelta

import httpx2
from fastapi.testclient import TestClient

from intake.checklist import service as checklist
from intake.config import get_settings
from intake.console.session import STAFF_COOKIE
from intake.db import UnitOfWork, utcnow
from intake.intakes import repository as intakes
from intake.routing import service as routing
from intake.staff.models import StaffRole, StaffUser
from tests.conftest import StartedIntake, complete_answers, start_intake
from tests.documents.dicom_factory import make_dicom
from tests.staff.support import PASSWORD, make_staff

CSRF_FIELD = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')


def csrf_in(html: str) -> str:
    match = CSRF_FIELD.search(html)
    assert match, "no CSRF field on the page"
    return match.group(1)


@dataclass(frozen=True)
class Console:
    """A TestClient signed in to the console, and the form token of its session."""

    client: TestClient
    user: StaffUser
    csrf: str

    def post(self, path: str, data: dict[str, str] | None = None) -> httpx2.Response:
        return self.client.post(path, data={"csrf_token": self.csrf, **(data or {})})


def log_in(client: TestClient, email: str, password: str = PASSWORD) -> httpx2.Response:
    """The login form, as a browser fills it: the page first (it sets the nonce cookie)."""
    token = csrf_in(client.get("/staff/login").text)
    return client.post(
        "/staff/login",
        data={"email": email, "password": password, "csrf_token": token, "next": "/staff"},
        follow_redirects=False,
    )


def console_as(client: TestClient, role: StaffRole = StaffRole.COORDINATOR) -> Console:
    """A fresh account with `role`, signed in to the console on `client`."""
    user = make_staff(email=f"{role}-{uuid.uuid4().hex[:6]}@clinic.example", role=role)
    response = log_in(client, user.email)
    assert response.status_code == 303, response.text
    assert client.cookies.get(STAFF_COOKIE, path="/staff")
    return Console(client=client, user=user, csrf=csrf_in(client.get("/staff").text))


def urgent_intake(
    client: TestClient,
    *,
    flag: str = "fever_after_surgery",
    last_name: str = "Lovelace",
    with_mri: bool = True,
) -> StartedIntake:
    """A submitted intake that a red-flag answer put in the urgent queue, with an MRI."""
    answers = complete_answers()
    answers["red_flags"][flag] = True
    started = start_intake(client, answers=answers, last_name=last_name)
    if with_mri:
        upload = client.post(
            f"/api/v1/intakes/{started.id}/documents",
            headers=started.auth,
            data={"kind": "current_mri"},
            files={"file": ("mri.dcm", recent_mri(last_name), "application/dicom")},
        )
        assert upload.status_code == 201, upload.text
    submitted = client.post(f"/api/v1/intakes/{started.id}/submit", headers=started.auth)
    assert submitted.status_code == 200, submitted.text
    return started


def recent_mri(last_name: str = "Lovelace") -> bytes:
    """A lumbar MR study from last month, of the patient the test intakes are for."""
    scanned = (utcnow() - timedelta(days=30)).strftime("%Y%m%d")
    return make_dicom(study_date=scanned, patient_name=f"{last_name}^Ada")


def run_worker_steps(intake_id: str) -> None:
    """What the worker would do next: check the documents, and route (red flags: urgent)."""
    settings = get_settings()
    with UnitOfWork() as uow:
        checklist.evaluate(uow, uuid.UUID(intake_id), settings=settings)
    with UnitOfWork() as uow:
        intake = intakes.get(uow.session, uuid.UUID(intake_id), for_update=True)
        assert intake is not None
        routing.route(uow, intake, settings=settings, trigger="test")
