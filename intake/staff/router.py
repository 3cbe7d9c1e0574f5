"""Staff endpoints: the OAuth2 password flow, logout, and who am I."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.security import OAuth2PasswordRequestForm

from intake.auth.router import client_ip
from intake.deps import SettingsDep, UowDep
from intake.openapi_errors import errors
from intake.staff import service
from intake.staff.deps import StaffDep, StaffTokenDep
from intake.staff.schemas import StaffUserOut, TokenOut

router = APIRouter(prefix="/api/v1/staff", tags=["staff"])


@router.post("/token", responses=errors(401, 429))
def issue_token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    request: Request,
    response: Response,
    uow: UowDep,
    settings: SettingsDep,
) -> TokenOut:
    """Log in with email (as `username`) and password; get a bearer token."""
    with uow:
        outcome = service.log_in(
            uow,
            email=form.username,
            password=form.password,
            client_ip=client_ip(request),
            settings=settings,
        )
    # Raised only now, so the failure's audit row and rate-limit hit are committed.
    if isinstance(outcome, service.LoginRefused):
        raise outcome.error
    response.headers["Cache-Control"] = "no-store"  # RFC 6749 §5.1
    return TokenOut(access_token=outcome.token, expires_in=outcome.expires_in)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def log_out(token: StaffTokenDep, uow: UowDep, settings: SettingsDep) -> None:
    """Revoke this token on the server."""
    with uow:
        service.log_out(uow, token=token, settings=settings)


@router.get("/me")
def who_am_i(user: StaffDep) -> StaffUserOut:
    return StaffUserOut.of(user)


@router.get("/users")
def list_users(staff: StaffDep, uow: UowDep) -> list[StaffUserOut]:
    """Every staff account (admins only)."""
    with uow:
        return [StaffUserOut.of(user) for user in service.list_users(uow, staff=staff)]
