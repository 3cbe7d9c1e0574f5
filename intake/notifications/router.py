"""Staff views of email: each intake's history, the failures, and template previews."""

from __future__ import annotations

import base64
import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from emails.messages import MESSAGES, render_message
from emails.samples import SAMPLES
from intake import audit
from intake.deps import SettingsDep, UowDep
from intake.errors import InvalidInput, NotFound, problem
from intake.intakes import repository as intakes
from intake.notifications import repository
from intake.notifications.models import EmailCategory, OutboxEmail, OutboxStatus
from intake.notifications.service import clinic_contact
from intake.reminders.service import unsubscribe_headers
from intake.staff.deps import StaffDep
from intake.staff.permissions import Permission, authorize

router = APIRouter(prefix="/api/v1", tags=["emails"])


class EmailOut(BaseModel):
    """One email as coordinators see it: what, to whom, and how delivery went."""

    id: uuid.UUID
    intake_id: uuid.UUID | None
    template: str
    category: EmailCategory
    to_address: str
    status: OutboxStatus
    attempts: int
    created_at: datetime
    updated_at: datetime
    next_attempt_at: datetime | None = Field(description="Set while the email is pending")
    sent_at: datetime | None
    reason: str | None = Field(description="Why it failed, was cancelled, or is being retried")

    @classmethod
    def of(cls, row: OutboxEmail) -> EmailOut:
        return cls(
            id=row.id,
            intake_id=row.intake_id,
            template=row.template,
            category=row.category,
            to_address=row.to_address,
            status=row.status,
            attempts=row.attempts,
            created_at=row.created_at,
            updated_at=row.updated_at,
            next_attempt_at=row.next_attempt_at if row.status == OutboxStatus.PENDING else None,
            sent_at=row.sent_at,
            reason=row.last_error,
        )


class EmailPage(BaseModel):
    items: list[EmailOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page")


class EmailPreview(BaseModel):
    template: str
    subject: str
    text: str
    html: str
    headers: dict[str, str]


@router.get("/intakes/{intake_id}/emails")
def intake_emails(intake_id: uuid.UUID, staff: StaffDep, uow: UowDep) -> list[EmailOut]:
    """Every email about this intake, oldest first: queued, sent, failed or cancelled."""
    with uow:
        authorize(uow, staff, Permission.READ_PATIENT_DATA)
        if intakes.get(uow.session, intake_id) is None:
            raise NotFound("Intake not found")
        audit.record(
            uow,
            actor=audit.Actor.staff(staff.id),
            action="emails.read",
            object_type="intake",
            object_id=intake_id,
        )
        return [EmailOut.of(row) for row in repository.for_intake(uow.session, intake_id)]


def _encode(row: OutboxEmail) -> str:
    raw = f"{row.updated_at.isoformat()}|{row.id}".encode()
    return base64.urlsafe_b64encode(raw).decode()


def _decode(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        at, _, raw_id = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        return datetime.fromisoformat(at), uuid.UUID(raw_id)
    except ValueError as exc:
        raise InvalidInput([problem(["query", "cursor"], "not a cursor from this list")]) from exc


@router.get("/emails")
def emails_by_status(
    staff: StaffDep,
    uow: UowDep,
    status: OutboxStatus = OutboxStatus.FAILED,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> EmailPage:
    """Emails in one status, most recent change first: by default the failures, which
    need a coordinator (a wrong address, a mailbox that refuses us)."""
    after = _decode(cursor) if cursor else None
    with uow:
        authorize(uow, staff, Permission.READ_PATIENT_DATA)
        rows = repository.with_status(uow.session, status, after=after, limit=limit)
        audit.record(
            uow,
            actor=audit.Actor.staff(staff.id),
            action="emails.list",
            object_type="outbox",
            object_id=None,
        )
        return EmailPage(
            items=[EmailOut.of(row) for row in rows],
            next_cursor=_encode(rows[-1]) if len(rows) == limit else None,
        )


@router.get("/email-templates")
def email_templates(staff: StaffDep, uow: UowDep) -> list[str]:
    """The name of every email the service sends."""
    with uow:
        authorize(uow, staff, Permission.PREVIEW_EMAILS)
    return sorted(MESSAGES)


@router.get(
    "/email-templates/{template}/preview",
    response_model=None,
    responses={
        200: {
            "model": EmailPreview,
            "description": "The parts as JSON, or with `format=html` the HTML page itself",
            "content": {"text/html": {"schema": {"type": "string"}}},
        }
    },
)
def preview_template(
    template: str,
    staff: StaffDep,
    uow: UowDep,
    settings: SettingsDep,
    format: Literal["json", "html"] = "json",
) -> EmailPreview | HTMLResponse:
    """One template rendered with invented sample data, exactly as it would be sent."""
    with uow:
        authorize(uow, staff, Permission.PREVIEW_EMAILS)
    sample = SAMPLES.get(template)
    if sample is None:
        raise NotFound("No such email template")
    email = render_message(sample, clinic_contact(settings))
    if format == "html":
        return HTMLResponse(email.html)
    headers = {}
    if unsubscribe_url := getattr(sample, "unsubscribe_url", None):
        headers = unsubscribe_headers(unsubscribe_url)
    return EmailPreview(
        template=template, subject=email.subject, text=email.text, html=email.html, headers=headers
    )
