"""Patient endpoints for documents."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from typing import Any

from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel, ConfigDict, ValidationError
from starlette.concurrency import run_in_threadpool

from intake.config import Settings
from intake.db import UnitOfWork
from intake.deps import PatientTokenDep, SettingsDep, StorageDep, UowDep
from intake.documents import repository, service
from intake.documents.models import DocumentKind
from intake.documents.schemas import DocumentOut
from intake.documents.storage import Storage
from intake.documents.upload import NoFilePart, ReceivedUpload, UploadRoute, receive_upload
from intake.errors import InvalidInput
from intake.intakes.service import authorize_patient
from intake.openapi_errors import errors

# UploadRoute: a refused upload closes the connection instead of draining the body.
router = APIRouter(
    prefix="/api/v1/intakes/{intake_id}/documents", tags=["documents"], route_class=UploadRoute
)

# The body is read by `receive_upload`, not by FastAPI, so the docs are declared here.
_UPLOAD_REQUEST_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["kind", "file"],
                    "properties": {
                        "kind": {
                            "type": "string",
                            "enum": [kind.value for kind in DocumentKind],
                            "description": "What the document is. Send it before `file`: "
                            "its own size cap then applies while the file streams.",
                        },
                        "report_date": {
                            "type": "string",
                            "format": "date",
                            "description": "The date of the report or study, if known",
                        },
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "PDF, JPEG, PNG, DICOM or ZIP; up to 2 GB for imaging",
                        },
                    },
                }
            }
        },
    }
}
_UPLOAD_ERRORS = errors(
    400,
    409,
    413,
    415,
    422,
    503,
    described={
        400: "Malformed multipart body (the message names the problem)",
        409: "The intake is submitted: its documents can no longer change",
        413: "The file is larger than its kind's cap",
        415: "Not multipart/form-data, or a file type we do not accept",
        422: "Every missing or invalid field, by path",
    },
)


class _UploadForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    kind: DocumentKind
    report_date: date | None = None


def _sent(fields: Mapping[str, str]) -> dict[str, str]:
    """An empty input counts as not sent, as it does for FastAPI's Form()."""
    return {name: value for name, value in fields.items() if value}


def _field_problems(fields: Mapping[str, str], *, missing_too: bool = True) -> list[dict[str, Any]]:
    """Every problem with the text fields, in FastAPI's shape."""
    try:
        _UploadForm.model_validate(_sent(fields))
    except ValidationError as exc:
        return [
            {"loc": ["body", *error["loc"]], "msg": error["msg"], "type": error["type"]}
            for error in exc.errors(include_url=False)
            if missing_too or error["type"] != "missing"
        ]
    return []


def _refuse_bad_fields_before_file(fields: Mapping[str, str]) -> None:
    """A bad kind or date sent before the file is refused before the file is read."""
    if problems := _field_problems(fields, missing_too=False):
        raise InvalidInput(problems)


def _authorize(uow: UnitOfWork, token: str | None, intake_id: uuid.UUID) -> None:
    with uow:
        authorize_patient(uow, token=token, intake_id=intake_id)


def _store(
    uow: UnitOfWork,
    *,
    token: str | None,
    intake_id: uuid.UUID,
    upload: ReceivedUpload,
    form: _UploadForm,
    storage: Storage,
    settings: Settings,
) -> tuple[DocumentOut, bool]:
    with uow:
        try:
            # Again: the intake may have moved on (or the token expired) during the upload.
            intake = authorize_patient(uow, token=token, intake_id=intake_id)
        except BaseException:
            storage.discard(upload.blob)
            raise
        # From here on the service keeps or discards the blob.
        document, created = service.add_document(
            uow,
            intake,
            kind=form.kind,
            blob=upload.blob,
            filename=upload.filename,
            storage=storage,
            settings=settings,
            report_date=form.report_date,
            content_type=upload.content_type,
        )
        return DocumentOut.model_validate(document), created


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    openapi_extra=_UPLOAD_REQUEST_BODY,
    responses=_UPLOAD_ERRORS,
)
async def upload_document(
    intake_id: uuid.UUID,
    request: Request,
    response: Response,
    uow: UowDep,
    token: PatientTokenDep,
    storage: StorageDep,
    settings: SettingsDep,
) -> DocumentOut:
    """Upload one document (multipart: `kind`, optional `report_date`, `file`).

    The file streams to disk under its kind's cap. The same bytes again return the
    stored document with 200.
    """
    # Before the body: a wrong token must not make us read gigabytes.
    await run_in_threadpool(_authorize, uow, token, intake_id)
    try:
        upload = await receive_upload(
            request,
            storage=storage,
            settings=settings,
            on_file_start=_refuse_bad_fields_before_file,
        )
    except NoFilePart as exc:
        raise InvalidInput([*_field_problems(exc.fields), *exc.problems]) from exc
    try:
        if problems := _field_problems(upload.fields):
            raise InvalidInput(problems)
        form = _UploadForm.model_validate(_sent(upload.fields))
    except BaseException:
        storage.discard(upload.blob)
        raise
    document, created = await run_in_threadpool(
        lambda: _store(
            uow,
            token=token,
            intake_id=intake_id,
            upload=upload,
            form=form,
            storage=storage,
            settings=settings,
        )
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return document


@router.get("")
def list_documents(intake_id: uuid.UUID, uow: UowDep, token: PatientTokenDep) -> list[DocumentOut]:
    with uow:
        intake = authorize_patient(uow, token=token, intake_id=intake_id)
        return [
            DocumentOut.model_validate(d) for d in repository.for_intake(uow.session, intake.id)
        ]
