"""Who is filling in the form: the patient cookie, its CSRF token, and error pages.

The browser is the client here, so domain errors become pages rather than JSON: an
unknown or expired cookie goes to the page that emails a new link, a conflict (the
intake was submitted) gets a friendly page with its own status.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Cookie, Depends, Request, Response, status
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute

from intake.config import get_settings
from intake.deps import PATIENT_COOKIE, SettingsDep
from intake.errors import Conflict, NotFound, Unauthorized
from intake.web import csrf, formdata
from intake.web.templating import templates

RESUME_URL = "/resume"


class CsrfRejected(Exception):
    """The form did not carry the token rendered for this patient's cookie."""


def problem_page(request: Request, status_code: int, title: str, message: str) -> HTMLResponse:
    return templates.TemplateResponse(
        request,
        "problem.html",
        {"clinic_name": get_settings().clinic_name, "title": title, "message": message},
        status_code=status_code,
    )


def refused_form_page(request: Request) -> HTMLResponse:
    """A form without the token rendered for this browser: nothing was done."""
    message = (
        "This form was out of date or did not come from our site, so nothing was "
        "saved. Please go back, reload the page and try again."
    )
    return problem_page(request, status.HTTP_403_FORBIDDEN, "Please try again", message)


_PageError = Unauthorized | CsrfRejected | Conflict | NotFound


def _as_page(request: Request, exc: _PageError) -> Response:
    if isinstance(exc, Unauthorized):
        return RedirectResponse(RESUME_URL, status_code=status.HTTP_303_SEE_OTHER)
    if isinstance(exc, CsrfRejected):
        return refused_form_page(request)
    if isinstance(exc, Conflict):
        message = f"{exc.detail} Your answers are safe; you can still look at them."
        return problem_page(request, status.HTTP_409_CONFLICT, "Nothing was changed", message)
    return problem_page(request, status.HTTP_404_NOT_FOUND, "Page not found", str(exc.detail))


class PageRoute(APIRoute):
    """A route whose domain errors are answered with pages (see the module docstring)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except (Unauthorized, CsrfRejected, Conflict, NotFound) as exc:
                return _as_page(request, exc)

        return handle


@dataclass(frozen=True)
class PatientSession:
    token: str
    csrf_token: str


def patient_session(
    settings: SettingsDep,
    token: Annotated[str | None, Cookie(alias=PATIENT_COOKIE)] = None,
) -> PatientSession:
    """The cookie's token; whether it opens an intake is the service's to say."""
    if not token:
        raise Unauthorized("Missing patient token")
    return PatientSession(token, csrf.token_for(token, secret_key=settings.secret_key))


SessionDep = Annotated[PatientSession, Depends(patient_session)]


async def checked_form(
    request: Request, session: SessionDep, settings: SettingsDep
) -> formdata.FormFields:
    """The posted form's text fields, once its CSRF token matches the cookie."""
    fields = formdata.group((await request.form()).multi_items())
    submitted = fields.get(csrf.FIELD, [None])[0]
    if not csrf.is_valid(submitted, session.token, secret_key=settings.secret_key):
        raise CsrfRejected
    return fields


CheckedFormDep = Annotated[formdata.FormFields, Depends(checked_form)]
