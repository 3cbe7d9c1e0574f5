"""Patient endpoints for documents."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Response, UploadFile, status

from intake.deps import PatientTokenDep, SettingsDep, StorageDep, UowDep
from intake.documents import repository, service
from intake.documents.models import DocumentKind
from intake.documents.schemas import DocumentOut
from intake.documents.storage import read_chunks
from intake.intakes.service import authorize_patient

router = APIRouter(prefix="/api/v1/intakes/{intake_id}/documents", tags=["documents"])


@router.post("", status_code=status.HTTP_201_CREATED)
def upload_document(
    intake_id: uuid.UUID,
    kind: Annotated[DocumentKind, Form()],
    file: UploadFile,
    response: Response,
    uow: UowDep,
    token: PatientTokenDep,
    storage: StorageDep,
    settings: SettingsDep,
) -> DocumentOut:
    """Upload one document. The same bytes again return the stored document with 200."""
    with uow:
        intake = authorize_patient(uow, token=token, intake_id=intake_id)
        document, created = service.add_document(
            uow,
            intake,
            kind=kind,
            chunks=read_chunks(file.file),
            filename=file.filename,
            storage=storage,
            max_bytes=settings.max_upload_bytes,
        )
        if not created:
            response.status_code = status.HTTP_200_OK
        return DocumentOut.model_validate(document)


@router.get("")
def list_documents(intake_id: uuid.UUID, uow: UowDep, token: PatientTokenDep) -> list[DocumentOut]:
    with uow:
        intake = authorize_patient(uow, token=token, intake_id=intake_id)
        return [
            DocumentOut.model_validate(d) for d in repository.for_intake(uow.session, intake.id)
        ]
