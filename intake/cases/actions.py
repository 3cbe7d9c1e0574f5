"""Staff actions on a case that need a check the owning service does not make itself."""

from __future__ import annotations

import uuid

from intake.db import UnitOfWork
from intake.documents import repository as documents
from intake.documents.models import Document, ReviewStatus
from intake.documents.service import review_document
from intake.errors import InvalidInput, NotFound, problem
from intake.staff.models import StaffUser
from intake.staff.permissions import Permission, authorize

REVIEW_CHOICES = ("reviewed", "rejected", "wrong_patient")


def review_case_document(
    uow: UnitOfWork,
    intake_id: uuid.UUID,
    document_id: uuid.UUID,
    *,
    staff: StaffUser,
    status: str,
    note: str | None,
) -> Document:
    """Review one of this intake's documents.

    review_document knows documents by id alone; a form on one intake's page must not
    change another intake's document, so the document must belong to `intake_id`. The
    role is checked first, so a refusal says 403 whatever the ids.
    """
    authorize(uow, staff, Permission.REVIEW_DOCUMENTS)
    document = documents.get(uow.session, document_id)
    if document is None or document.intake_id != intake_id:
        raise NotFound("No such document on this intake")
    if status not in REVIEW_CHOICES:
        raise InvalidInput(
            [problem(["body", "status"], "choose reviewed, rejected or wrong_patient")]
        )
    return review_document(uow, document_id, staff=staff, status=ReviewStatus(status), note=note)
