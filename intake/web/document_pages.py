"""The documents page: the required-document checklist as a to-do list, and uploads."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, UploadFile, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from intake.checklist.service import REQUIRED_KINDS
from intake.config import Settings
from intake.db import UnitOfWork
from intake.deps import SettingsDep, StorageDep, UowDep
from intake.documents import repository as document_repo
from intake.documents import service as documents
from intake.documents.models import DocumentKind
from intake.documents.sniff import ALLOWED_DESCRIPTION
from intake.documents.storage import read_chunks
from intake.errors import Conflict, PayloadTooLarge, UnsupportedMediaType
from intake.intakes import service
from intake.intakes.models import Intake
from intake.web import view
from intake.web.problems import Problem
from intake.web.session import PageRoute, PatientSession, SessionDep, checked_form
from intake.web.steps import DOCUMENTS

router = APIRouter(prefix="/intake", route_class=PageRoute, include_in_schema=False)

# The file input of the general upload form; each to-do item has `file-<kind>`.
GENERAL_UPLOAD = "file"


def _size(limit: int) -> str:
    """A byte count as a patient reads it: "2 GB", "500 MB"."""
    for unit, scale in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if limit >= scale:
            return f"{limit / scale:.3g} {unit}"
    return f"{limit} bytes"


def checklist(uow: UnitOfWork, intake: Intake) -> dict[str, Any]:
    """The uploaded documents, and each required kind with whether it is there yet."""
    stored = document_repo.for_intake(uow.session, intake.id)
    present = {document.kind for document in stored}
    return {
        "documents": stored,
        "required": [(kind.value, kind in present) for kind in REQUIRED_KINDS],
    }


def _render(
    request: Request,
    uow: UnitOfWork,
    intake: Intake,
    *,
    session: PatientSession,
    settings: Settings,
    problems: list[Problem] | None = None,
    status_code: int = status.HTTP_200_OK,
    uploaded: str | None = None,
) -> HTMLResponse:
    return view.render(
        request,
        DOCUMENTS,
        intake=intake,
        session=session,
        settings=settings,
        problems=problems or [],
        status_code=status_code,
        **checklist(uow, intake),
        accepts_uploads=documents.accepts_uploads(intake),
        uploaded=uploaded,
        upload_hint=f"{ALLOWED_DESCRIPTION}, up to {_size(settings.max_upload_bytes)}.",
    )


@router.get("/documents", response_class=HTMLResponse)
def documents_page(
    request: Request,
    uow: UowDep,
    settings: SettingsDep,
    session: SessionDep,
    uploaded: str | None = None,
) -> HTMLResponse:
    with uow:
        intake = service.intake_for_token(uow, session.token)
        return _render(request, uow, intake, session=session, settings=settings, uploaded=uploaded)


@router.post(
    "/documents",
    response_class=HTMLResponse,
    response_model=None,
    dependencies=[Depends(checked_form)],
)
def upload(
    request: Request,
    uow: UowDep,
    settings: SettingsDep,
    session: SessionDep,
    storage: StorageDep,
    kind: Annotated[str, Form()] = "",
    field: Annotated[str, Form()] = GENERAL_UPLOAD,
    file: UploadFile | None = None,
) -> Response:
    """Store one upload, then show the list again; a refused file is named on the page."""
    # Only our own inputs' names go back into the page as link targets.
    if field not in {GENERAL_UPLOAD, *(f"file-{k.value}" for k in REQUIRED_KINDS)}:
        field = GENERAL_UPLOAD
    try:
        document_kind = DocumentKind(kind)
    except ValueError:
        return _refuse(
            request, session, settings, field, "Choose what kind of document this is", 422
        )
    if file is None or not file.filename:
        return _refuse(request, session, settings, field, "Choose a file to upload", 422)
    try:
        with uow:
            intake = service.intake_for_token(uow, session.token)
            _document, created = documents.add_document(
                uow,
                intake,
                kind=document_kind,
                chunks=read_chunks(file.file),
                filename=file.filename,
                storage=storage,
                max_bytes=settings.max_upload_bytes,
            )
    except (PayloadTooLarge, UnsupportedMediaType, Conflict) as exc:
        return _refuse(request, session, settings, field, str(exc.detail), exc.status_code)
    outcome = document_kind.value if created else "duplicate"
    return RedirectResponse(
        f"{DOCUMENTS.url}?uploaded={outcome}", status_code=status.HTTP_303_SEE_OTHER
    )


def _refuse(
    request: Request,
    session: PatientSession,
    settings: Settings,
    field: str,
    message: str,
    status_code: int,
) -> HTMLResponse:
    problem = Problem(field=field, message=message, short=message, step=DOCUMENTS)
    with UnitOfWork() as uow:
        intake = service.intake_for_token(uow, session.token)
        return _render(
            request,
            uow,
            intake,
            session=session,
            settings=settings,
            problems=[problem],
            status_code=status_code,
        )
