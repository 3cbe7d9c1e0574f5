"""One intake's page, and the actions taken on it: release, override, findings, review.

Each action posts a form and, on success, redirects back to the page (so a reload never
repeats it). On a domain error the page is shown again with the error and the form as
it was filled in, under the error's own status.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping

from fastapi import APIRouter, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from intake.cases import actions
from intake.cases import service as cases
from intake.config import Settings
from intake.console import forms
from intake.console.session import ConsoleRoute, FormDep, SessionDep, error_messages, render
from intake.db import UnitOfWork
from intake.deps import SettingsDep
from intake.errors import IntakeError
from intake.questionnaire import FINDINGS, SEGMENTS
from intake.queues import service as queues
from intake.routing import service as routing

router = APIRouter(route_class=ConsoleRoute)

NOTICES = {
    "claimed": "You claimed this intake.",
    "released": "The intake is back in its queue.",
    "overridden": "Route overridden; the reason is kept with the decision.",
    "finding": "Finding recorded; routing ran again on it.",
    "reviewed": "Document review recorded.",
}


def intake_page(
    request: Request,
    session: SessionDep,
    settings: Settings,
    intake_id: uuid.UUID,
    *,
    notice: str | None = None,
    error: IntakeError | None = None,
    submitted: Mapping[str, str] | None = None,
) -> HTMLResponse:
    with UnitOfWork() as uow:
        case = cases.read_case(uow, intake_id, staff=session.user, settings=settings)
    context = {
        "case": case,
        "notice": notice,
        "problems": error_messages(error.detail) if error else [],
        "submitted": submitted or {},
        "override_routes": routing.OVERRIDE_ROUTES,
        "finding_types": FINDINGS,
        "segments": SEGMENTS,
        "review_choices": actions.REVIEW_CHOICES,
    }
    status_code = error.status_code if error else status.HTTP_200_OK
    return render(request, "intake.html", context, session=session, status_code=status_code)


@router.get("/intakes/{intake_id}", response_class=HTMLResponse)
def intake_detail(
    request: Request,
    intake_id: uuid.UUID,
    session: SessionDep,
    settings: SettingsDep,
    done: str | None = None,
) -> HTMLResponse:
    """Everything about the intake, with the actions staff can take on it."""
    return intake_page(request, session, settings, intake_id, notice=NOTICES.get(done or ""))


def _act(
    request: Request,
    session: SessionDep,
    settings: Settings,
    intake_id: uuid.UUID,
    fields: Mapping[str, str],
    action: Callable[[UnitOfWork], object],
    *,
    done: str,
    anchor: str,
) -> Response:
    try:
        with UnitOfWork() as uow:
            action(uow)
    except IntakeError as error:
        return intake_page(request, session, settings, intake_id, error=error, submitted=fields)
    url = f"/staff/intakes/{intake_id}?done={done}#{anchor}"
    return RedirectResponse(url, status_code=status.HTTP_303_SEE_OTHER)


@router.post("/intakes/{intake_id}/release", response_model=None)
def release(
    request: Request,
    intake_id: uuid.UUID,
    session: SessionDep,
    fields: FormDep,
    settings: SettingsDep,
) -> Response:
    def action(uow: UnitOfWork) -> object:
        return queues.release(uow, intake_id, staff=session.user, settings=settings)

    return _act(
        request, session, settings, intake_id, fields, action, done="released", anchor="top"
    )


@router.post("/intakes/{intake_id}/override", response_model=None)
def override_route(
    request: Request,
    intake_id: uuid.UUID,
    session: SessionDep,
    fields: FormDep,
    settings: SettingsDep,
) -> Response:
    def action(uow: UnitOfWork) -> object:
        body = forms.override_input(fields)
        return routing.override(
            uow,
            intake_id,
            staff=session.user,
            route_name=body.route,
            reason=body.reason,
            settings=settings,
        )

    return _act(
        request, session, settings, intake_id, fields, action, done="overridden", anchor="routing"
    )


@router.post("/intakes/{intake_id}/findings", response_model=None)
def add_finding(
    request: Request,
    intake_id: uuid.UUID,
    session: SessionDep,
    fields: FormDep,
    settings: SettingsDep,
) -> Response:
    def action(uow: UnitOfWork) -> object:
        body = forms.finding_input(fields)
        entry = routing.FindingEntry(
            type=body.type,
            level=body.level,
            present=body.present,
            document_id=body.document_id,
            note=body.note,
        )
        return routing.add_finding(
            uow, intake_id, staff=session.user, entry=entry, settings=settings
        )

    return _act(
        request, session, settings, intake_id, fields, action, done="finding", anchor="findings"
    )


@router.post("/intakes/{intake_id}/documents/{document_id}/review", response_model=None)
def review_document(
    request: Request,
    intake_id: uuid.UUID,
    document_id: uuid.UUID,
    session: SessionDep,
    fields: FormDep,
    settings: SettingsDep,
) -> Response:
    def action(uow: UnitOfWork) -> object:
        return actions.review_case_document(
            uow,
            intake_id,
            document_id,
            staff=session.user,
            status=fields.get("status", ""),
            note=fields.get("note", "").strip() or None,
        )

    return _act(
        request, session, settings, intake_id, fields, action, done="reviewed", anchor="documents"
    )
