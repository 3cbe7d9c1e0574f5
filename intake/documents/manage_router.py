"""Removing a document (the patient, before submitting) and reviewing one (staff)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from intake.deps import PatientTokenDep, StorageDep, UowDep
from intake.documents import service
from intake.documents.models import ReviewStatus
from intake.documents.schemas import DocumentOut, DocumentReview
from intake.intakes.service import authorize_patient
from intake.openapi_errors import errors
from intake.staff.deps import StaffDep

router = APIRouter(prefix="/api/v1", tags=["documents"])


@router.delete(
    "/intakes/{intake_id}/documents/{document_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=errors(409),
)
def delete_document(
    intake_id: uuid.UUID,
    document_id: uuid.UUID,
    uow: UowDep,
    token: PatientTokenDep,
    storage: StorageDep,
) -> Response:
    """Remove one of your own documents; only before the intake is submitted."""
    with uow:
        intake = authorize_patient(uow, token=token, intake_id=intake_id)
        service.delete_document(uow, intake, document_id, storage=storage)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/documents/{document_id}/review")
def review_document(
    document_id: uuid.UUID, body: DocumentReview, uow: UowDep, staff: StaffDep
) -> DocumentOut:
    """Mark a document reviewed, rejected (with a reason) or from the wrong patient."""
    with uow:
        document = service.review_document(
            uow,
            document_id,
            staff=staff,
            status=ReviewStatus(body.status),
            note=body.note,
        )
        return DocumentOut.model_validate(document)
