"""The documents page: the required-document checklist as a to-do list, and uploads."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from fastapi import APIRouter, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from intake.checklist import service as checklist_service
from intake.config import Settings
from intake.db import UnitOfWork
from intake.deps import SettingsDep, StorageDep, UowDep
from intake.documents import repository as document_repo
from intake.documents import service as documents
from intake.documents.models import DocumentKind
from intake.documents.sniff import ALLOWED_DESCRIPTION
from intake.documents.storage import Storage
from intake.documents.upload import NoFilePart, ReceivedUpload, UploadRoute, receive_upload
from intake.errors import IntakeError, NotFound, Unauthorized
from intake.intakes import service
from intake.intakes.models import Intake
from intake.web import csrf, view
from intake.web.problems import Problem
from intake.web.session import CsrfRejected, PageRoute, PatientSession, SessionDep
from intake.web.steps import DOCUMENTS


class _UploadPageRoute(UploadRoute, PageRoute):
    """Pages for domain errors, and a refused upload closes the connection (UploadRoute)."""


router = APIRouter(prefix="/intake", route_class=_UploadPageRoute, include_in_schema=False)

# The file input of the general upload form; each to-do item has `file-<its anchor>`.
GENERAL_UPLOAD = "file"
# A problem is placed beside the input the form names, and that name goes back into
# the page as an id and a link target: only names of this shape are trusted.
_UPLOAD_INPUT = re.compile(r"file(-[a-z0-9_-]{1,64})?")


def _size(limit: int) -> str:
    """A byte count as a patient reads it: "2 GB", "500 MB"."""
    for unit, scale in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if limit >= scale:
            return f"{limit / scale:.3g} {unit}"
    return f"{limit} bytes"


def checklist(uow: UnitOfWork, intake: Intake, settings: Settings) -> dict[str, Any]:
    """The uploaded documents, and the checklist as it stands now, item by item.

    Worked out live (the rules are pure and cheap), so the page is right the moment a
    file lands, without waiting for the worker's pass.
    """
    result = checklist_service.preview(uow, intake, settings=settings)
    return {
        "documents": document_repo.for_intake(uow.session, intake.id),
        "items": [
            {
                "key": item.key,
                "anchor": item.key.replace(":", "-"),
                "kind": checklist_service.item_kind(item.key),
                "label": item.label,
                "required": item.required,
                "status": item.status,
            }
            for item in result.items
        ],
        "still_needed": [
            item.label for item in result.items if item.required and item.status != "satisfied"
        ],
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
        **checklist(uow, intake, settings),
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


class _Refusal(Exception):
    """An upload turned away with a message beside the input it came from."""

    def __init__(self, field: str, message: str, status_code: int) -> None:
        super().__init__(message)
        self.field, self.message, self.status_code = field, message, status_code


def _target(fields: Mapping[str, str]) -> str:
    """The input a problem is shown beside; only our own inputs' names go into the page."""
    field = fields.get("field", GENERAL_UPLOAD)
    return field if _UPLOAD_INPUT.fullmatch(field) else GENERAL_UPLOAD


def _check_csrf(fields: Mapping[str, str], session: PatientSession, settings: Settings) -> None:
    """The same guarantee as `checked_form`: nothing is done for a form without our token."""
    if not csrf.is_valid(fields.get(csrf.FIELD), session.token, secret_key=settings.secret_key):
        raise CsrfRejected


def _kind(fields: Mapping[str, str]) -> DocumentKind:
    try:
        return DocumentKind(fields.get("kind", ""))
    except ValueError:
        raise _Refusal(_target(fields), "Choose what kind of document this is", 422) from None


def _report_date(fields: Mapping[str, str]) -> date | None:
    """The scan's date, if the patient gave one (a date input sends YYYY-MM-DD)."""
    raw = fields.get("report_date", "").strip()
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        message = "Enter the date of the scan as a date, like 2024-03-01"
        raise _Refusal(_target(fields), message, 422) from None


def _message(exc: IntakeError) -> str:
    if isinstance(exc.detail, str):
        return exc.detail
    named = {"report_date": "The date of the scan"}
    return "; ".join(
        f"{named.get(str(p['loc'][-1]), 'This file')}: {p['msg']}" if p.get("loc") else p["msg"]
        for p in exc.detail
    )


def _open_intake(uow: UnitOfWork, token: str) -> None:
    with uow:
        service.intake_for_token(uow, token)


def _store(
    uow: UnitOfWork,
    token: str,
    kind: DocumentKind,
    received: ReceivedUpload,
    storage: Storage,
    settings: Settings,
    report_date: date | None,
) -> bool:
    with uow:
        try:
            intake = service.intake_for_token(uow, token)
        except BaseException:
            storage.discard(received.blob)
            raise
        # From here on the service keeps or discards the blob.
        _document, created = documents.add_document(
            uow,
            intake,
            kind=kind,
            blob=received.blob,
            filename=received.filename,
            storage=storage,
            settings=settings,
            report_date=report_date,
            content_type=received.content_type,
        )
    return created


async def _receive(
    request: Request, session: PatientSession, settings: Settings, storage: Storage
) -> tuple[ReceivedUpload, DocumentKind, date | None]:
    """The upload, once its CSRF token, kind and date (sent before the file) are good."""
    seen: dict[str, str] = {}

    def before_file(fields: Mapping[str, str]) -> None:
        seen.update(fields)
        _check_csrf(fields, session, settings)
        _kind(fields)
        _report_date(fields)

    try:
        received = await receive_upload(
            request, storage=storage, settings=settings, on_file_start=before_file
        )
    except NoFilePart as exc:
        _check_csrf(exc.fields, session, settings)
        _kind(exc.fields)
        raise _Refusal(_target(exc.fields), "Choose a file to upload", 422) from exc
    except (Unauthorized, NotFound):
        raise
    except IntakeError as exc:
        raise _Refusal(_target(seen), _message(exc), exc.status_code) from exc
    try:
        _check_csrf(received.fields, session, settings)
        kind = _kind(received.fields)
        report_date = _report_date(received.fields)
        if not received.filename:
            raise _Refusal(_target(received.fields), "Choose a file to upload", 422)
    except BaseException:
        storage.discard(received.blob)
        raise
    return received, kind, report_date


@router.post("/documents", response_class=HTMLResponse, response_model=None)
async def upload(
    request: Request,
    uow: UowDep,
    settings: SettingsDep,
    session: SessionDep,
    storage: StorageDep,
) -> Response:
    """Store one upload, then show the list again; a refused file is named on the page."""
    # Before the body: a stale cookie must not make us read gigabytes.
    await run_in_threadpool(_open_intake, uow, session.token)
    try:
        received, kind, report_date = await _receive(request, session, settings, storage)
        field = _target(received.fields)
        try:
            created = await run_in_threadpool(
                _store, uow, session.token, kind, received, storage, settings, report_date
            )
        except (Unauthorized, NotFound):
            raise
        except IntakeError as exc:
            raise _Refusal(field, _message(exc), exc.status_code) from exc
    except _Refusal as refusal:
        return await run_in_threadpool(
            _refuse, request, session, settings, refusal.field, refusal.message, refusal.status_code
        )
    outcome = kind.value if created else "duplicate"
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
