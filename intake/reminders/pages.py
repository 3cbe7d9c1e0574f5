"""The opt-out link in every reminder (RFC 8058).

GET only shows a button, because mail scanners fetch links. POST to the same URL turns
reminders off: that is what a mail client's one-click "unsubscribe" sends, with no
cookie and no CSRF token, so the signed token in the URL is the whole authority (it can
only switch reminders off). Turning them back on is a form on these pages, and like
every form it carries a CSRF token (the pre-session nonce kind: there is no session).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse

from intake.config import Settings
from intake.deps import SettingsDep, UowDep
from intake.http import presession_csrf
from intake.intakes.models import Patient
from intake.reminders import optout, service
from intake.web.router import templates
from intake.web.session import refused_form_page

router = APIRouter(include_in_schema=False)

_PRIVATE = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


def _page(
    request: Request, token: str, settings: Settings, *, valid: bool, opted_out: bool
) -> HTMLResponse:
    return presession_csrf.render_form(
        templates,
        request,
        "reminders.html",
        {
            "clinic_name": settings.clinic_name,
            "clinic_phone": settings.clinic_phone,
            "token": token,
            "valid": valid,
            "opted_out": opted_out,
        },
        settings,
        status_code=status.HTTP_200_OK if valid else status.HTTP_404_NOT_FOUND,
        headers=_PRIVATE,
    )


@router.get("/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe_page(
    request: Request, token: str, uow: UowDep, settings: SettingsDep
) -> HTMLResponse:
    patient_id = optout.patient_for(token, settings.secret_key)
    with uow:
        patient = uow.session.get(Patient, patient_id) if patient_id else None
        opted_out = patient is not None and patient.reminders_opted_out_at is not None
    return _page(request, token, settings, valid=patient is not None, opted_out=opted_out)


@router.post("/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe(request: Request, token: str, uow: UowDep, settings: SettingsDep) -> HTMLResponse:
    with uow:
        valid = service.set_opt_out(uow, token, opted_out=True, settings=settings)
    return _page(request, token, settings, valid=valid, opted_out=valid)


@router.post("/unsubscribe/{token}/resume", response_class=HTMLResponse)
def resubscribe(
    request: Request,
    token: str,
    uow: UowDep,
    settings: SettingsDep,
    csrf_token: Annotated[str | None, Form()] = None,
) -> HTMLResponse:
    if not presession_csrf.is_valid(request, csrf_token, settings):
        return refused_form_page(request)
    with uow:
        valid = service.set_opt_out(uow, token, opted_out=False, settings=settings)
    return _page(request, token, settings, valid=valid, opted_out=False)
