"""Logging in to the console and out of it.

Login is CSRF-protected too (login CSRF would sign a clinician into someone else's
session): the login page sets a random nonce cookie and the form carries its HMAC.
"""

from __future__ import annotations

import contextlib
from typing import Annotated

from fastapi import APIRouter, Cookie, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from intake.auth.router import client_ip
from intake.config import Settings
from intake.console import csrf
from intake.console.session import (
    LOGIN_NONCE_COOKIE,
    LOGIN_URL,
    STAFF_COOKIE,
    ConsoleRoute,
    CsrfRejected,
    FormDep,
    SessionDep,
    clear_cookie,
    render,
    set_cookie,
)
from intake.deps import SettingsDep, UowDep
from intake.errors import IntakeError, Unauthorized
from intake.security import new_token
from intake.staff import service as staff_service

router = APIRouter(route_class=ConsoleRoute)
HOME = "/staff"


def _safe_return(target: str | None) -> str:
    """Only a console path: never another site (no open redirect)."""
    inside = target == HOME or (target or "").startswith(f"{HOME}/")
    if target and inside and "\\" not in target:
        return target
    return HOME


def _login_page(
    request: Request,
    settings: Settings,
    *,
    email: str = "",
    return_to: str | None = None,
    error: IntakeError | None = None,
    signed_out: bool = False,
) -> HTMLResponse:
    nonce = new_token()
    token = csrf.token_for(nonce, purpose=csrf.LOGIN_PURPOSE, secret_key=settings.secret_key)
    context = {
        "email": email,
        "next": _safe_return(return_to),
        "login_token": token,
        "error": str(error.detail) if error else None,
        "signed_out": signed_out,
    }
    response = render(
        request,
        "login.html",
        context,
        session=None,
        status_code=error.status_code if error else status.HTTP_200_OK,
    )
    set_cookie(response, LOGIN_NONCE_COOKIE, nonce, settings=settings)
    return response


@router.get("/login", response_class=HTMLResponse)
def login_page(
    request: Request, settings: SettingsDep, next: str | None = None, signed_out: bool = False
) -> HTMLResponse:
    return _login_page(request, settings, return_to=next, signed_out=signed_out)


@router.post("/login", response_model=None)
def log_in(
    request: Request,
    uow: UowDep,
    settings: SettingsDep,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = HOME,
    nonce: Annotated[str | None, Cookie(alias=LOGIN_NONCE_COOKIE)] = None,
) -> Response:
    secret = settings.secret_key
    expected = csrf.token_for(nonce, purpose=csrf.LOGIN_PURPOSE, secret_key=secret) if nonce else ""
    if not nonce or not csrf.is_valid(csrf_token, expected):
        raise CsrfRejected
    with uow:
        outcome = staff_service.log_in(
            uow, email=email, password=password, client_ip=client_ip(request), settings=settings
        )
    # Shown only now, so the refusal's audit row and rate-limit hit are committed.
    if isinstance(outcome, staff_service.LoginRefused):
        return _login_page(request, settings, email=email, return_to=next, error=outcome.error)
    response = RedirectResponse(_safe_return(next), status_code=status.HTTP_303_SEE_OTHER)
    set_cookie(response, STAFF_COOKIE, outcome.token, settings=settings)
    clear_cookie(response, LOGIN_NONCE_COOKIE, settings=settings)
    return response


@router.post("/logout")
def log_out(
    session: SessionDep, _form: FormDep, uow: UowDep, settings: SettingsDep
) -> RedirectResponse:
    """Revoke the session on the server, then forget the cookie."""
    # A session that expired in between is already as good as logged out.
    with contextlib.suppress(Unauthorized), uow:
        staff_service.log_out(uow, token=session.token, settings=settings)
    response = RedirectResponse(f"{LOGIN_URL}?signed_out=1", status_code=status.HTTP_303_SEE_OTHER)
    clear_cookie(response, STAFF_COOKIE, settings=settings)
    return response
