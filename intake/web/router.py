"""Server-rendered pages for patients: the start page here, the form's pages included.

Other packages' pages render with `templates` and extend "layout.html".
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from intake.deps import SettingsDep, UowDep, set_patient_cookie
from intake.http import presession_csrf
from intake.intakes import service
from intake.intakes.schemas import PatientIn
from intake.web import appointment_pages, document_pages, form_pages, review_pages
from intake.web.session import refused_form_page
from intake.web.templating import templates

__all__ = ["router", "templates"]

router = APIRouter(include_in_schema=False)
router.include_router(form_pages.router)
router.include_router(document_pages.router)
router.include_router(review_pages.router)
router.include_router(appointment_pages.router)


@router.get("/", response_class=HTMLResponse)
def start_page(request: Request, settings: SettingsDep) -> HTMLResponse:
    context = {"clinic_name": settings.clinic_name, "errors": {}, "values": {}}
    return presession_csrf.render_form(templates, request, "start.html", context, settings)


@router.post("/start", response_class=HTMLResponse)
def start(
    request: Request,
    uow: UowDep,
    settings: SettingsDep,
    first_name: Annotated[str, Form()] = "",
    last_name: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
    date_of_birth: Annotated[str, Form()] = "",
    timezone: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> HTMLResponse:
    if not presession_csrf.is_valid(request, csrf_token, settings):
        return refused_form_page(request)
    values = {
        "first_name": first_name,
        "last_name": last_name,
        "email": email,
        "date_of_birth": date_of_birth,
        "timezone": timezone,
    }
    try:
        patient = PatientIn.model_validate(values)
    except ValidationError as exc:
        errors = {str(err["loc"][0]): err["msg"] for err in exc.errors()}
        context = {"clinic_name": settings.clinic_name, "errors": errors, "values": values}
        return presession_csrf.render_form(
            templates,
            request,
            "start.html",
            context,
            settings,
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        )
    with uow:
        intake, token = service.start_intake(uow, patient=patient, settings=settings)
    response = templates.TemplateResponse(
        request,
        "started.html",
        {
            "clinic_name": settings.clinic_name,
            "first_name": patient.first_name,
            "intake_id": intake.id,
        },
        status_code=status.HTTP_201_CREATED,
    )
    set_patient_cookie(
        response, token, max_age=settings.patient_token_ttl_hours * 3600, settings=settings
    )
    return response
