"""Reviewing every answer, submitting, and the confirmation."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from intake.config import Settings
from intake.db import UnitOfWork
from intake.deps import SettingsDep, UowDep
from intake.errors import InvalidInput
from intake.intakes import service
from intake.intakes.models import IntakeStatus
from intake.web import problems, view
from intake.web.document_pages import checklist
from intake.web.session import PageRoute, PatientSession, SessionDep, checked_form
from intake.web.steps import ANSWER_STEPS, REVIEW

router = APIRouter(prefix="/intake", route_class=PageRoute, include_in_schema=False)


@router.get("/review", response_class=HTMLResponse)
def review_page(
    request: Request, uow: UowDep, settings: SettingsDep, session: SessionDep
) -> HTMLResponse:
    with uow:
        return _review(request, uow, session=session, settings=settings)


def _review(
    request: Request,
    uow: UnitOfWork,
    *,
    session: PatientSession,
    settings: Settings,
    **extra: Any,
) -> HTMLResponse:
    intake = service.intake_for_token(uow, session.token)
    return view.render(
        request,
        REVIEW,
        intake=intake,
        session=session,
        settings=settings,
        parts=ANSWER_STEPS,
        **checklist(uow, intake, settings),
        **extra,
    )


@router.post(
    "/submit",
    response_class=HTMLResponse,
    response_model=None,
    dependencies=[Depends(checked_form)],
)
def submit(request: Request, uow: UowDep, settings: SettingsDep, session: SessionDep) -> Response:
    """Submit the draft; if anything is missing, list every problem with a link to it."""
    try:
        with uow:
            intake = service.intake_for_token(uow, session.token)
            service.submit(uow, intake, settings=settings)
    except InvalidInput as exc:
        with UnitOfWork() as again:
            answers = service.intake_for_token(again, session.token).answers
            return _review(
                request,
                again,
                session=session,
                settings=settings,
                problems=problems.from_detail(exc.detail, answers),
                link_to_steps=True,
                status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
            )
    return RedirectResponse("/intake/submitted", status_code=status.HTTP_303_SEE_OTHER)


@router.get("/submitted", response_class=HTMLResponse, response_model=None)
def submitted_page(
    request: Request, uow: UowDep, settings: SettingsDep, session: SessionDep
) -> Response:
    with uow:
        intake = service.intake_for_token(uow, session.token)
        if intake.status == IntakeStatus.DRAFT:
            return RedirectResponse(REVIEW.url, status_code=status.HTTP_303_SEE_OTHER)
        return view.render(
            request,
            REVIEW,
            intake=intake,
            session=session,
            settings=settings,
            template="submitted.html",
        )
