"""Rendering a page of the patient's form with everything every page shows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from intake.config import Settings
from intake.intakes import service
from intake.intakes.models import Intake, IntakeStatus
from intake.web import choices, csrf
from intake.web.problems import Problem, by_field, by_step
from intake.web.session import PatientSession
from intake.web.steps import STEPS, Step, sections_on_page
from intake.web.templating import templates


def template_for(step: Step) -> str:
    return f"step_{step.slug.replace('-', '_')}.html"


def render(
    request: Request,
    step: Step,
    *,
    intake: Intake,
    session: PatientSession,
    settings: Settings,
    answers: Mapping[str, Any] | None = None,
    problems: Sequence[Problem] = (),
    status_code: int = 200,
    template: str | None = None,
    **extra: Any,
) -> HTMLResponse:
    """A step's page. `answers` (saved ones by default) fill the inputs: after a failed
    save they hold what the patient typed, so nothing they wrote is lost."""
    shown = intake.answers if answers is None else answers
    context = {
        "clinic_name": settings.clinic_name,
        "clinic_phone": settings.clinic_phone,
        "patient": intake.patient,
        "intake_id": intake.id,
        "status": intake.status.value,
        "read_only": intake.status != IntakeStatus.DRAFT,
        "steps": STEPS,
        "step": step,
        "step_number": STEPS.index(step) + 1,
        "csrf_field": csrf.FIELD,
        "csrf_token": session.csrf_token,
        "answers": shown,
        "sections": sections_on_page(step, intake.answers),
        "problems": problems,
        "errors": by_field(problems),
        "problem_groups": by_step(problems),
        # Both read the saved answers: what the patient has told us so far.
        "red_flag": service.red_flag_result(intake),
        "scores": service.intake_scores(intake),
        "choices": choices,
        **extra,
    }
    return templates.TemplateResponse(
        request,
        template or template_for(step),
        context,
        status_code=status_code,
        # Health answers: keep them out of shared and browser caches.
        headers={"Cache-Control": "no-store"},
    )
