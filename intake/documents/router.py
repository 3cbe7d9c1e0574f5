"""Patient endpoints for documents."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Annotated, BinaryIO

from fastapi import APIRouter, Form, Response, UploadFile, status

from intake.deps import PatientTokenDep, SettingsDep, StorageDep, UowDep
from intake.documents import repository, service
from intake.documents.models import DocumentKind
from intake.documents.schemas import DocumentOut
from intake.intakes.service import authorize_patient

router = APIRouter(prefix="/api/v1/intakes/{intake_id}/documents", tags=["documents"])

CHUNK_BYTES = 1024 * 1024


def _chunks(source: BinaryIO) -> Iterator[bytes]:
    while chunk := source.read(CHUNK_BYTES):
        yield chunk


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
            chunks=_chunks(file.file),
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
