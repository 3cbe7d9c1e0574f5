"""The required-document checklist, as the worker keeps it.

This first version checks presence only (DOMAIN.md §4 lists the required kinds); the
documents issue adds freshness, per-surgery operative notes and DICOM facts.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from intake.config import Settings
from intake.db import UnitOfWork, utcnow
from intake.documents import repository as documents
from intake.documents.models import DocumentKind
from intake.intakes import repository as intakes
from intake.intakes.models import IntakeStatus
from intake.notifications.service import queue_intake_reminder
from intake.routing.service import route_intake

REQUIRED_KINDS = (
    DocumentKind.OPERATIVE_NOTE,
    DocumentKind.CURRENT_MRI,
    DocumentKind.CONSERVATIVE_CARE_RECORD,
)


@dataclass(frozen=True)
class ChecklistOutcome:
    missing: list[str]
    status: IntakeStatus


def missing_kinds(present: set[DocumentKind]) -> list[str]:
    return [kind.value for kind in REQUIRED_KINDS if kind not in present]


def evaluate(
    uow: UnitOfWork, intake_id: uuid.UUID, *, settings: Settings
) -> ChecklistOutcome | None:
    """Recompute what is missing; remind the patient, or route a complete intake.

    Safe to run twice: it re-reads the intake under a row lock, and the reminder's
    idempotency key stops a second email.
    """
    intake = intakes.get(uow.session, intake_id, for_update=True)
    if intake is None:
        return None
    if intake.status not in (IntakeStatus.SUBMITTED, IntakeStatus.AWAITING_INFORMATION):
        return None
    missing = missing_kinds(documents.kinds_present(uow.session, intake.id))
    intake.checklist_missing = missing
    intake.checklist_checked_at = utcnow()
    intake.checklist_dirty = False
    if missing:
        intake.status = IntakeStatus.AWAITING_INFORMATION
        queue_intake_reminder(uow, intake, number=1, settings=settings)
    else:
        route_intake(uow, intake)
    uow.session.flush()
    return ChecklistOutcome(missing=missing, status=intake.status)
