"""Every route, called by everyone, answers as the allow table says.

The table names each route's audience. For staff routes that is a Permission, and
intake/staff/permissions.py says which roles hold it, so this test checks the wiring
(every service asks) and the policy (who may) together. A new route that is not in the
table fails the test until someone decides who may call it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from starlette.routing import BaseRoute

from intake.config import Settings
from intake.db import UnitOfWork
from intake.documents.models import Document
from intake.main import create_app
from intake.staff.models import StaffRole
from intake.staff.permissions import ALLOWED, Permission
from tests.queues.support import run_worker, submitted_by_patient
from tests.staff.support import PASSWORD, bearer, make_staff

PUBLIC = "public"  # the same answer whoever calls: no caller's token changes it
PATIENT = "patient"  # the patient's own token; everyone else is a stranger (401)
ANY_STAFF = "any_staff"  # any signed-in staff member; no patient data behind it
PATIENT_OR_STAFF = "patient_or_staff"  # the patient, or staff who may read patient data


@dataclass(frozen=True)
class PatientOr:
    """The patient's own token, or staff holding `permission`."""

    permission: Permission


CALLERS = ("anonymous", "patient", *(role.value for role in StaffRole))

# (method, path) -> audience. Order matters only at the end: withdrawing and logging
# out change what the later calls would see.
TABLE: dict[tuple[str, str], str | Permission | PatientOr] = {
    ("GET", "/openapi.json"): PUBLIC,
    ("GET", "/docs"): PUBLIC,
    ("GET", "/docs/oauth2-redirect"): PUBLIC,
    ("GET", "/redoc"): PUBLIC,
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    # Aggregates only; Prometheus itself brings METRICS_TOKEN instead (tests/metrics).
    ("GET", "/metrics"): Permission.VIEW_METRICS,
    # Patients: starting is open; the rest needs the intake's own token.
    ("POST", "/api/v1/intakes"): PUBLIC,
    ("GET", "/api/v1/intakes/{intake_id}"): PATIENT,
    ("PATCH", "/api/v1/intakes/{intake_id}"): PATIENT,
    ("POST", "/api/v1/intakes/{intake_id}/submit"): PATIENT,
    ("POST", "/api/v1/intakes/{intake_id}/documents"): PATIENT,
    ("GET", "/api/v1/intakes/{intake_id}/documents"): PATIENT,
    ("DELETE", "/api/v1/intakes/{intake_id}/documents/{document_id}"): PATIENT,
    ("GET", "/api/v1/intakes/{intake_id}/checklist"): PATIENT_OR_STAFF,
    # A patient's own copy of their data; staff read it through their own routes.
    ("GET", "/api/v1/intakes/{intake_id}/export"): PATIENT,
    ("GET", "/api/v1/intakes/{intake_id}/export.zip"): PATIENT,
    ("POST", "/api/v1/auth/magic-links"): PUBLIC,
    ("POST", "/api/v1/auth/magic-links/consume"): PUBLIC,
    # Staff.
    ("POST", "/api/v1/staff/token"): PUBLIC,
    ("GET", "/api/v1/staff/me"): ANY_STAFF,
    ("GET", "/api/v1/staff/users"): Permission.MANAGE_STAFF,
    ("GET", "/fhir/Questionnaire/fbss-intake"): ANY_STAFF,
    ("GET", "/fhir/QuestionnaireResponse/{intake_id}"): Permission.READ_PATIENT_DATA,
    ("POST", "/api/v1/documents/{document_id}/review"): Permission.REVIEW_DOCUMENTS,
    ("GET", "/api/v1/intakes/{intake_id}/emails"): Permission.READ_PATIENT_DATA,
    ("GET", "/api/v1/emails"): Permission.READ_PATIENT_DATA,
    ("GET", "/api/v1/email-templates"): Permission.PREVIEW_EMAILS,
    ("GET", "/api/v1/email-templates/{template}/preview"): Permission.PREVIEW_EMAILS,
    ("GET", "/api/v1/queues"): Permission.READ_PATIENT_DATA,
    ("GET", "/api/v1/queues/{queue}"): Permission.READ_PATIENT_DATA,
    ("POST", "/api/v1/queues/{queue}/claim"): Permission.WORK_QUEUE,
    # Releasing an unclaimed item is a 409 for whoever may try; a non-holder needs ASSIGN.
    ("POST", "/api/v1/intakes/{intake_id}/release"): Permission.READ_PATIENT_DATA,
    ("POST", "/api/v1/intakes/{intake_id}/assign"): Permission.ASSIGN,
    ("GET", "/api/v1/intakes/{intake_id}/routing"): Permission.READ_PATIENT_DATA,
    ("POST", "/api/v1/intakes/{intake_id}/route-override"): Permission.OVERRIDE_ROUTE,
    ("GET", "/api/v1/intakes/{intake_id}/findings"): Permission.READ_PATIENT_DATA,
    ("POST", "/api/v1/intakes/{intake_id}/findings"): Permission.ENTER_FINDINGS,
    ("GET", "/api/v1/audit-events"): Permission.READ_AUDIT_LOG,
    # The patient's web pages and links: a browser session (cookie) or a signed link,
    # never a bearer token, so every bearer caller gets the same page.
    ("GET", "/"): PUBLIC,
    ("POST", "/start"): PUBLIC,
    ("GET", "/resume"): PUBLIC,
    ("POST", "/resume"): PUBLIC,
    ("GET", "/auth/magic"): PUBLIC,
    ("POST", "/auth/magic"): PUBLIC,
    ("GET", "/unsubscribe/{token}"): PUBLIC,
    ("POST", "/unsubscribe/{token}"): PUBLIC,
    ("POST", "/unsubscribe/{token}/resume"): PUBLIC,
    **{
        (method, f"/intake{step}"): PUBLIC
        for step in ("/about", "/surgeries", "/symptoms", "/care", "/red-flags", "/documents")
        for method in ("GET", "POST")
    },
    ("GET", "/intake"): PUBLIC,
    ("GET", "/intake/review"): PUBLIC,
    ("POST", "/intake/submit"): PUBLIC,
    ("GET", "/intake/submitted"): PUBLIC,
    ("GET", "/assets/{name}"): PUBLIC,  # the pages' script files: nothing private
    # The whole case, for staff: audited reads.
    ("GET", "/api/v1/intakes/{intake_id}/case"): Permission.READ_PATIENT_DATA,
    ("GET", "/api/v1/intakes/{intake_id}/consult-packet"): Permission.READ_PATIENT_DATA,
    # The console signs in with its own cookie, so a bearer token changes nothing here;
    # tests/console checks each role's cookie against the same permissions.
    ("GET", "/staff/login"): PUBLIC,
    ("POST", "/staff/login"): PUBLIC,
    ("GET", "/staff"): PUBLIC,
    ("GET", "/staff/queues/{queue}"): PUBLIC,
    ("POST", "/staff/queues/{queue}/claim"): PUBLIC,
    ("GET", "/staff/intakes/{intake_id}"): PUBLIC,
    ("POST", "/staff/intakes/{intake_id}/release"): PUBLIC,
    ("POST", "/staff/intakes/{intake_id}/override"): PUBLIC,
    ("POST", "/staff/intakes/{intake_id}/findings"): PUBLIC,
    ("POST", "/staff/intakes/{intake_id}/documents/{document_id}/review"): PUBLIC,
    ("GET", "/staff/intakes/{intake_id}/packet"): PUBLIC,
    ("GET", "/staff/intakes/{intake_id}/packet.json"): PUBLIC,
    ("POST", "/staff/logout"): PUBLIC,
    # Scheduling: hours and types are run by coordinators and admins; slots hold no
    # patient data; booking and changing appointments is clinical work.
    ("GET", "/api/v1/consultation-types"): ANY_STAFF,
    ("PUT", "/api/v1/consultation-types/{code}"): Permission.MANAGE_SCHEDULE,
    ("GET", "/api/v1/clinicians"): ANY_STAFF,
    ("POST", "/api/v1/clinicians"): Permission.MANAGE_SCHEDULE,
    ("GET", "/api/v1/clinicians/{clinician_id}"): ANY_STAFF,
    ("PATCH", "/api/v1/clinicians/{clinician_id}"): Permission.MANAGE_SCHEDULE,
    ("PUT", "/api/v1/clinicians/{clinician_id}/availability"): Permission.MANAGE_SCHEDULE,
    ("POST", "/api/v1/clinicians/{clinician_id}/exceptions"): Permission.MANAGE_SCHEDULE,
    (
        "DELETE",
        "/api/v1/clinicians/{clinician_id}/exceptions/{exception_id}",
    ): Permission.MANAGE_SCHEDULE,
    ("GET", "/api/v1/slots"): ANY_STAFF,
    ("POST", "/api/v1/appointments"): Permission.BOOK_APPOINTMENTS,
    ("GET", "/api/v1/appointments"): Permission.READ_PATIENT_DATA,
    ("GET", "/api/v1/me/appointments"): PATIENT,
    ("GET", "/api/v1/appointments/{appointment_id}"): PATIENT_OR_STAFF,
    ("GET", "/api/v1/appointments/{appointment_id}/alternatives"): PATIENT_OR_STAFF,
    ("POST", "/api/v1/appointments/{appointment_id}/confirm"): PatientOr(
        Permission.BOOK_APPOINTMENTS
    ),
    ("POST", "/api/v1/appointments/{appointment_id}/cancel"): PatientOr(
        Permission.BOOK_APPOINTMENTS
    ),
    ("POST", "/api/v1/appointments/{appointment_id}/reschedule"): PatientOr(
        Permission.BOOK_APPOINTMENTS
    ),
    ("POST", "/api/v1/appointments/{appointment_id}/close"): Permission.BOOK_APPOINTMENTS,
    ("POST", "/api/v1/intakes/{intake_id}/offers"): Permission.BOOK_APPOINTMENTS,
    ("POST", "/api/v1/offers/{token}/pick"): PUBLIC,
    ("GET", "/fhir/Schedule"): ANY_STAFF,
    ("GET", "/api/v1/intakes/{intake_id}/audit"): Permission.READ_AUDIT_LOG,
    ("POST", "/api/v1/intakes/{intake_id}/route"): Permission.OVERRIDE_ROUTE,
    ("GET", "/fhir/Slot"): ANY_STAFF,
    ("GET", "/fhir/Appointment/{appointment_id}"): Permission.READ_PATIENT_DATA,
    # Failed tasks: ids and class names only; running the system is the admin's.
    ("GET", "/api/v1/dead-letters"): Permission.MANAGE_DEAD_LETTERS,
    ("POST", "/api/v1/dead-letters/{dead_letter_id}/retry"): Permission.MANAGE_DEAD_LETTERS,
    ("POST", "/api/v1/dead-letters/{dead_letter_id}/resolve"): Permission.MANAGE_DEAD_LETTERS,
    # The calendar, booking pages and the patient's appointment pages: console cookie,
    # patient cookie or a signed link, so a bearer token changes nothing.
    ("GET", "/staff/calendar"): PUBLIC,
    ("POST", "/staff/calendar/cancel"): PUBLIC,
    ("POST", "/staff/calendar/close"): PUBLIC,
    ("GET", "/staff/intakes/{intake_id}/book"): PUBLIC,
    ("POST", "/staff/intakes/{intake_id}/book"): PUBLIC,
    ("POST", "/staff/intakes/{intake_id}/offer"): PUBLIC,
    ("GET", "/intake/appointment"): PUBLIC,
    ("GET", "/appointment/{token}"): PUBLIC,
    ("GET", "/appointment/offer/{token}"): PUBLIC,
    ("POST", "/appointment/offer/{token}"): PUBLIC,
    **{
        ("POST", f"{base}/{change}"): PUBLIC
        for base in ("/intake/appointment", "/appointment/{token}")
        for change in ("confirm", "cancel", "reschedule")
    },
    # Last: they change the world for whatever comes after.
    ("POST", "/api/v1/intakes/{intake_id}/withdraw"): PATIENT,
    ("POST", "/api/v1/staff/logout"): ANY_STAFF,
}


@pytest.fixture(scope="module")
def app() -> FastAPI:
    return create_app()


@dataclass(frozen=True)
class World:
    intake_id: str
    document_id: str
    clinician_id: str
    tokens: dict[str, dict[str, str]]  # caller -> headers


def _routes(routes: list[BaseRoute], prefix: str = "") -> Iterator[tuple[str, str]]:
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _routes(inner.routes, prefix + route.include_context.prefix)  # type: ignore[attr-defined]
            continue
        path = prefix + getattr(route, "path", "")
        for method in sorted(getattr(route, "methods", None) or ()):
            if method != "HEAD":
                yield method, path


def _world(client: TestClient, settings: Settings) -> World:
    started = submitted_by_patient(client)
    run_worker(started.id, settings)
    with UnitOfWork() as uow:
        stmt = select(Document.id).where(Document.intake_id == uuid.UUID(started.id))
        document_id = uow.session.scalars(stmt).first()
    tokens: dict[str, dict[str, str]] = {"anonymous": {}, "patient": started.auth}
    users = {}
    for role in StaffRole:
        users[role] = make_staff(email=f"{role.value}@clinic.example", role=role)
        tokens[role.value] = bearer(client, users[role].email)
    return World(
        intake_id=started.id,
        document_id=str(document_id),
        clinician_id=str(users[StaffRole.CLINICIAN].id),
        tokens=tokens,
    )


def _request(world: World, method: str, path: str) -> dict[str, Any]:
    """A well-formed request, so what answers is the access check, not validation."""
    url = path.format(
        intake_id=world.intake_id,
        document_id=world.document_id,
        queue="stale",  # empty: a claim there takes nothing from the other routes
        template="intake_reminder",
        appointment_id=uuid.uuid4(),  # none: a permitted caller gets a 404, others 401/403
        clinician_id=uuid.uuid4(),
        exception_id=uuid.uuid4(),
        dead_letter_id=uuid.uuid4(),  # none: an admin gets a 404, others 401/403
        code="clinician_triage",
        token="not-a-token",
        name="timezone.js",
    )
    bodies: dict[tuple[str, str], dict[str, Any]] = {
        ("POST", "/api/v1/staff/token"): {
            "data": {"username": "coordinator@clinic.example", "password": PASSWORD}
        },
        ("POST", "/api/v1/documents/{document_id}/review"): {"json": {"status": "reviewed"}},
        ("POST", "/api/v1/intakes/{intake_id}/assign"): {"json": {"staff_id": world.clinician_id}},
        ("POST", "/api/v1/intakes/{intake_id}/route"): {
            "json": {"route": "clinician_triage", "reason": "second opinion"}
        },
        ("POST", "/api/v1/intakes/{intake_id}/route-override"): {
            "json": {"route": "clinician_triage", "reason": "second opinion"}
        },
        ("POST", "/api/v1/intakes/{intake_id}/findings"): {
            "json": {"type": "facet_pain", "level": "L4-L5"}
        },
        ("PATCH", "/api/v1/intakes/{intake_id}"): {"json": {"answers": {}}},
        ("PUT", "/api/v1/consultation-types/{code}"): {
            "json": {"name": "Clinician review", "duration_minutes": 30, "modality": "video"}
        },
        ("POST", "/api/v1/clinicians"): {
            "json": {"display_name": "Dr Table", "offers": ["clinician_triage"]}
        },
        ("PATCH", "/api/v1/clinicians/{clinician_id}"): {"json": {"active": True}},
        ("PUT", "/api/v1/clinicians/{clinician_id}/availability"): {"json": {"weekly": []}},
        ("POST", "/api/v1/clinicians/{clinician_id}/exceptions"): {
            "json": {
                "kind": "unavailable",
                "starts_at": "2030-01-01T09:00:00Z",
                "ends_at": "2030-01-01T17:00:00Z",
            }
        },
        ("GET", "/api/v1/slots"): {
            "params": {
                "consultation_type": "regenerative",
                "start": "2030-01-01",
                "end": "2030-01-02",
            }
        },
        ("GET", "/fhir/Slot"): {
            "params": {
                "consultation_type": "regenerative",
                "start": "2030-01-01",
                "end": "2030-01-02",
            }
        },
        ("GET", "/api/v1/appointments"): {"params": {"start": "2030-01-01", "end": "2030-01-02"}},
        ("GET", "/api/v1/appointments/{appointment_id}/alternatives"): {
            "params": {"start": "2030-01-01", "end": "2030-01-02"}
        },
        ("POST", "/api/v1/appointments"): {
            "json": {"intake_id": world.intake_id, "slot_id": "not-a-slot"}
        },
        ("POST", "/api/v1/appointments/{appointment_id}/reschedule"): {
            "json": {"slot_id": "not-a-slot"}
        },
        ("POST", "/api/v1/appointments/{appointment_id}/close"): {"json": {"outcome": "completed"}},
        ("POST", "/api/v1/intakes/{intake_id}/offers"): {"json": {"slot_ids": ["not-a-slot"]}},
        ("POST", "/api/v1/offers/{token}/pick"): {"json": {"slot_id": "not-a-slot"}},
        ("POST", "/api/v1/intakes"): {"json": {"patient": {}, "answers": {}}},
    }
    params = {"patient_id": str(uuid.uuid4())} if path == "/api/v1/audit-events" else {}
    return {"method": method, "url": url, "params": params, **bodies.get((method, path), {})}


def _expected(audience: str | Permission | PatientOr, caller: str) -> str:
    if isinstance(audience, PatientOr):
        if caller == "patient":
            return "allowed"
        audience = audience.permission
    if audience == PATIENT:
        return "allowed" if caller == "patient" else "unauthenticated"
    if audience == PATIENT_OR_STAFF:
        if caller == "patient":
            return "allowed"
        audience = Permission.READ_PATIENT_DATA
    if caller in ("anonymous", "patient"):
        return "unauthenticated"
    if audience == ANY_STAFF:
        return "allowed"
    assert isinstance(audience, Permission)
    return "allowed" if StaffRole(caller) in ALLOWED[audience] else "forbidden"


def _outcome(status: int) -> str:
    assert status < 500, f"server error {status}"
    return {401: "unauthenticated", 403: "forbidden"}.get(status, "allowed")


def test_every_route_is_in_the_table(app: FastAPI) -> None:
    routes = set(_routes(app.routes))
    assert sorted(routes - set(TABLE)) == [], "routes nobody decided on"
    assert sorted(set(TABLE) - routes) == [], "table rows for routes that are gone"


def test_every_route_answers_every_caller_as_the_table_says(
    client: TestClient, settings: Settings
) -> None:
    world = _world(client, settings)
    wrong = []
    for (method, path), audience in TABLE.items():
        seen = {}
        for caller in CALLERS:
            response = client.request(
                **_request(world, method, path),
                headers=world.tokens[caller],
                follow_redirects=False,
            )
            seen[caller] = response.status_code
            if audience == PUBLIC:
                continue
            if _outcome(response.status_code) != _expected(audience, caller):
                wrong.append(f"{method} {path} as {caller}: {response.status_code}")
        if audience == PUBLIC and len(set(seen.values())) != 1:
            wrong.append(f"{method} {path} answers callers differently: {seen}")
    assert wrong == []
