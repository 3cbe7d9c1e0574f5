"""Who is using the console: the session cookie, its CSRF token, and pages for errors.

The browser is the client here, so nothing answers with JSON: a missing or expired
session goes to the login page, a forged form gets a 403 page, and any domain error
that a page did not handle itself is shown as a page with its own status, never a 500.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Cookie, Depends, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute

from intake.config import Settings, get_settings
from intake.console import csrf
from intake.console.templating import templates
from intake.db import UnitOfWork
from intake.deps import SettingsDep
from intake.errors import IntakeError, Unauthorized
from intake.http.cookies import SAME_SITE, secure_cookies
from intake.staff import service as staff_service
from intake.staff.models import StaffUser

STAFF_COOKIE = "staff_session"
LOGIN_NONCE_COOKIE = "staff_login_nonce"
# Scoped to the console: the patient pages and the API never receive the staff cookie.
COOKIE_PATH = "/staff"
LOGIN_URL = "/staff/login"


class NotSignedIn(Exception):
    """No live session: go and log in (then come back to `return_to`, for a page view)."""

    def __init__(self, return_to: str | None) -> None:
        super().__init__("not signed in")
        self.return_to = return_to


class CsrfRejected(Exception):
    """The form did not carry the token rendered for this browser's cookie."""


@dataclass(frozen=True)
class ConsoleSession:
    user: StaffUser
    token: str
    csrf_token: str


def set_cookie(response: Response, name: str, value: str, *, settings: Settings) -> None:
    """HttpOnly, SameSite=Lax, path /staff, Secure outside development; gone with the browser.

    No Max-Age: the server decides when a session ends (idle and absolute expiry), and
    a cookie that dies with the browser cannot outlive a shared workstation's session.
    """
    response.set_cookie(
        name,
        value,
        path=COOKIE_PATH,
        httponly=True,
        samesite=SAME_SITE,
        secure=secure_cookies(settings),
    )


def clear_cookie(response: Response, name: str, *, settings: Settings) -> None:
    response.delete_cookie(
        name,
        path=COOKIE_PATH,
        httponly=True,
        samesite=SAME_SITE,
        secure=secure_cookies(settings),
    )


def console_session(
    request: Request,
    settings: SettingsDep,
    token: Annotated[str | None, Cookie(alias=STAFF_COOKIE)] = None,
) -> ConsoleSession:
    """The signed-in staff user; each use restarts the session's idle timeout."""
    return_to = request.url.path if request.method == "GET" else None
    if not token:
        raise NotSignedIn(return_to)
    try:
        # A unit of work of its own, like the API's require_staff: the sliding expiry is
        # kept even when the page's own work fails and rolls back.
        with UnitOfWork() as uow:
            user = staff_service.authenticate(uow, token=token, settings=settings)
    except Unauthorized:
        raise NotSignedIn(return_to) from None
    secret = settings.secret_key
    csrf_token = csrf.token_for(token, purpose=csrf.SESSION_PURPOSE, secret_key=secret)
    return ConsoleSession(user=user, token=token, csrf_token=csrf_token)


SessionDep = Annotated[ConsoleSession, Depends(console_session)]


async def checked_form(request: Request, session: SessionDep) -> dict[str, str]:
    """The posted form's text fields, once its CSRF token matches the session cookie."""
    form = await request.form()
    fields = {key: value for key, value in form.multi_items() if isinstance(value, str)}
    if not csrf.is_valid(fields.get(csrf.FIELD), session.csrf_token):
        raise CsrfRejected
    return fields


FormDep = Annotated[dict[str, str], Depends(checked_form)]


def render(
    request: Request,
    name: str,
    context: Mapping[str, Any],
    *,
    session: ConsoleSession | None,
    status_code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    settings = get_settings()
    page = {
        "clinic_name": settings.clinic_name,
        "clinic_timezone": settings.clinic_timezone,
        "staff": session.user if session else None,
        "csrf_field": csrf.FIELD,
        "csrf_token": session.csrf_token if session else None,
        **context,
    }
    response = templates.TemplateResponse(request, name, page, status_code=status_code)
    # Pages hold patient data: no copy in the browser's cache after logout.
    response.headers["Cache-Control"] = "no-store"
    # Forms that change records must not be clickable through another site's frame.
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = "frame-ancestors 'none'"
    return response


def _field(loc: Any) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path")] if loc else []
    return ".".join(parts).replace("_", " ")


def error_messages(detail: str | list[dict[str, Any]] | Any) -> list[str]:
    """Every problem an error names, one line each ("reason: at least 3 characters")."""
    if isinstance(detail, str):
        return [detail]
    messages = []
    for item in detail:
        field = _field(item.get("loc"))
        messages.append(f"{field}: {item.get('msg')}" if field else str(item.get("msg")))
    return messages


def problem_page(request: Request, status_code: int, messages: list[str]) -> HTMLResponse:
    return render(
        request, "problem.html", {"messages": messages}, session=None, status_code=status_code
    )


def _login_redirect(return_to: str | None) -> RedirectResponse:
    query = f"?{urlencode({'next': return_to})}" if return_to else ""
    response = RedirectResponse(f"{LOGIN_URL}{query}", status_code=status.HTTP_303_SEE_OTHER)
    # An expired cookie is useless; dropping it keeps the next visit a clean login.
    clear_cookie(response, STAFF_COOKIE, settings=get_settings())
    return response


class ConsoleRoute(APIRoute):
    """A console route: errors become pages or a login redirect (see the module docstring)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except NotSignedIn as exc:
                return _login_redirect(exc.return_to)
            except CsrfRejected:
                message = (
                    "This form was out of date or did not come from the console, so nothing "
                    "was changed. Go back, reload the page and try again."
                )
                return problem_page(request, status.HTTP_403_FORBIDDEN, [message])
            except RequestValidationError as exc:
                return problem_page(
                    request, status.HTTP_422_UNPROCESSABLE_CONTENT, error_messages(exc.errors())
                )
            except IntakeError as exc:
                return problem_page(request, exc.status_code, error_messages(exc.detail))

        return handle
