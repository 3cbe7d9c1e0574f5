"""The question pages: each shows a draft's answers and saves them (post/redirect/get)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from intake.db import UnitOfWork
from intake.deps import SettingsDep, UowDep
from intake.errors import InvalidInput
from intake.intakes import service
from intake.intakes.models import IntakeStatus
from intake.web import formdata, problems, view
from intake.web.session import CheckedFormDep, PageRoute, SessionDep
from intake.web.steps import ANSWER_STEPS, REVIEW, Step, next_step, resume_step, sections_on_page

router = APIRouter(prefix="/intake", route_class=PageRoute, include_in_schema=False)


@router.get("")
def carry_on(uow: UowDep, session: SessionDep) -> RedirectResponse:
    """Where a sign-in lands: the first page still waiting for answers."""
    with uow:
        intake = service.intake_for_token(uow, session.token)
        target = resume_step(intake.answers) if intake.status == IntakeStatus.DRAFT else REVIEW
    return RedirectResponse(target.url, status_code=status.HTTP_303_SEE_OTHER)


def _after_save(step: Step, action: formdata.Action, answers: dict[str, Any]) -> str:
    """Where the browser goes once the page is saved."""
    if action.kind == "add" and action.section:
        new_row = len(answers.get(action.section) or [])
        return f"{step.url}?add={action.section}#{action.section}-{new_row}"
    if action.kind == "remove" and action.section:
        return f"{step.url}#{action.section}"
    if action.kind == "save":
        return f"{step.url}?saved=1"
    return next_step(step).url


def _show_page(step: Step) -> Callable[..., HTMLResponse]:
    def show(
        request: Request,
        uow: UowDep,
        settings: SettingsDep,
        session: SessionDep,
        add: str | None = None,
        saved: bool = False,
    ) -> HTMLResponse:
        with uow:
            intake = service.intake_for_token(uow, session.token)
            return view.render(
                request,
                step,
                intake=intake,
                session=session,
                settings=settings,
                # Add another row only to a list this page has, so the query cannot
                # make up sections.
                add=add if add in step.sections else None,
                saved=saved,
            )

    return show


def _save_page(step: Step) -> Callable[..., Response]:
    def save(
        request: Request,
        uow: UowDep,
        settings: SettingsDep,
        session: SessionDep,
        fields: CheckedFormDep,
    ) -> Response:
        submitted: dict[str, Any] = {}
        try:
            with uow:
                intake = service.intake_for_token(uow, session.token)
                on_page = sections_on_page(step, intake.answers)
                action = formdata.parse_action(fields.get("action", [""])[0], on_page)
                for section in on_page:
                    remove = action.index if action.section == section else None
                    submitted[section] = formdata.parse_section(fields, section, remove=remove)
                service.save_answers(uow, intake, submitted, settings=settings)
        except InvalidInput as exc:
            # Nothing was stored; show the page again with what the patient typed.
            with UnitOfWork() as again:
                intake = service.intake_for_token(again, session.token)
                answers = {**intake.answers, **submitted}
                return view.render(
                    request,
                    step,
                    intake=intake,
                    session=session,
                    settings=settings,
                    answers=answers,
                    problems=problems.from_detail(exc.detail, answers),
                    status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
                )
        return RedirectResponse(
            _after_save(step, action, submitted), status_code=status.HTTP_303_SEE_OTHER
        )

    return save


for _step in ANSWER_STEPS:
    router.add_api_route(
        _step.url.removeprefix("/intake"),
        _show_page(_step),
        methods=["GET"],
        response_class=HTMLResponse,
        name=f"show_{_step.slug}",
    )
    router.add_api_route(
        _step.url.removeprefix("/intake"),
        _save_page(_step),
        methods=["POST"],
        response_class=HTMLResponse,
        response_model=None,
        name=f"save_{_step.slug}",
    )
