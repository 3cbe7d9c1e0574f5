"""Sign-in pages. A link's GET only shows a button: mail scanners prefetch links, and
only the button's POST uses the link up."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import EmailStr, TypeAdapter, ValidationError

from intake.auth import service
from intake.auth.router import ACCEPTED_MESSAGE, client_ip
from intake.deps import SettingsDep, UowDep, set_patient_cookie
from intake.errors import TooManyRequests, Unauthorized
from intake.http import presession_csrf
from intake.web.router import templates
from intake.web.session import refused_form_page

router = APIRouter(include_in_schema=False)

# The token is in the URL: keep it out of Referer headers and out of caches.
PRIVATE_HEADERS = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}
_email = TypeAdapter(EmailStr)


@router.get("/resume", response_class=HTMLResponse)
def resume_page(request: Request, settings: SettingsDep) -> HTMLResponse:
    context = {"clinic_name": settings.clinic_name, "error": None, "sent": False}
    return presession_csrf.render_form(templates, request, "resume.html", context, settings)


@router.post("/resume", response_class=HTMLResponse)
def resume(
    request: Request,
    uow: UowDep,
    settings: SettingsDep,
    email: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> HTMLResponse:
    if not presession_csrf.is_valid(request, csrf_token, settings):
        return refused_form_page(request)
    context = {"clinic_name": settings.clinic_name, "error": None, "sent": False}
    try:
        address = str(_email.validate_python(email.strip()))
    except ValidationError:
        context["error"] = "Enter the email address you used to start your intake."
        return presession_csrf.render_form(
            templates,
            request,
            "resume.html",
            context,
            settings,
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        )
    try:
        with uow:
            service.request_magic_link(
                uow, email=address, client_ip=client_ip(request), settings=settings
            )
    except TooManyRequests:
        context["error"] = "Too many requests. Please wait an hour and try again."
        return presession_csrf.render_form(
            templates,
            request,
            "resume.html",
            context,
            settings,
            status_code=status.HTTP_429_TOO_MANY_REQUESTS,
        )
    context |= {"sent": True, "message": ACCEPTED_MESSAGE}
    return templates.TemplateResponse(
        request, "resume.html", context, status_code=status.HTTP_202_ACCEPTED
    )


@router.get("/auth/magic", response_class=HTMLResponse)
def confirm_page(
    request: Request, uow: UowDep, settings: SettingsDep, token: str = ""
) -> HTMLResponse:
    """Show a Continue button; looking at the link never uses it."""
    with uow:
        usable = bool(token) and service.link_is_usable(uow, token)
    return presession_csrf.render_form(
        templates,
        request,
        "magic_confirm.html",
        {"clinic_name": settings.clinic_name, "token": token, "usable": usable},
        settings,
        status_code=status.HTTP_200_OK if usable else status.HTTP_400_BAD_REQUEST,
        headers=PRIVATE_HEADERS,
    )


@router.post("/auth/magic", response_class=HTMLResponse, response_model=None)
def confirm(
    request: Request,
    uow: UowDep,
    settings: SettingsDep,
    token: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Use up the link, set the patient's cookie, and carry on with the intake."""
    # Before the link is used: a forged post must not sign this browser in to an intake.
    if not presession_csrf.is_valid(request, csrf_token, settings):
        return refused_form_page(request)
    try:
        with uow:
            _intake_id, access = service.consume_magic_link(uow, token=token, settings=settings)
    except Unauthorized:
        return templates.TemplateResponse(
            request,
            "magic_confirm.html",
            {"clinic_name": settings.clinic_name, "token": "", "usable": False},
            status_code=status.HTTP_400_BAD_REQUEST,
            headers=PRIVATE_HEADERS,
        )
    response = RedirectResponse("/intake", status_code=status.HTTP_303_SEE_OTHER)
    set_patient_cookie(
        response, access, max_age=settings.magic_session_ttl_hours * 3600, settings=settings
    )
    return response
