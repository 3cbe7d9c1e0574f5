"""FastAPI dependencies: settings, the unit of work, storage and the patient's token."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Cookie, Depends, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from intake.config import Settings, get_settings
from intake.db import UnitOfWork
from intake.documents.storage import LocalStorage, Storage
from intake.http.cookies import SAME_SITE, secure_cookies

PATIENT_COOKIE = "patient_token"

SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_uow() -> Iterator[UnitOfWork]:
    """A unit of work the route opens with `with uow:`, so it commits before the response."""
    uow = UnitOfWork()
    try:
        yield uow
    finally:
        uow.session.close()


UowDep = Annotated[UnitOfWork, Depends(get_uow)]


def get_storage(settings: SettingsDep) -> Storage:
    return LocalStorage(settings.storage_path)


StorageDep = Annotated[Storage, Depends(get_storage)]

_bearer = HTTPBearer(auto_error=False)


def patient_token(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    cookie: Annotated[str | None, Cookie(alias=PATIENT_COOKIE)] = None,
) -> str | None:
    """The bearer token from the API client, or the cookie the web pages set."""
    if credentials is not None:
        return credentials.credentials
    return cookie


PatientTokenDep = Annotated[str | None, Depends(patient_token)]


def set_patient_cookie(response: Response, token: str, *, max_age: int, settings: Settings) -> None:
    """Hand a patient token to the browser: HttpOnly, SameSite=Lax, Secure outside development."""
    response.set_cookie(
        PATIENT_COOKIE,
        token,
        max_age=max_age,
        httponly=True,
        samesite=SAME_SITE,
        secure=secure_cookies(settings),
    )
