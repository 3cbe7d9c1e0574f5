"""Domain errors carry their HTTP status; one handler renders them all."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


class IntakeError(Exception):
    status_code = 400

    def __init__(self, detail: str | list[dict[str, Any]]) -> None:
        super().__init__(detail if isinstance(detail, str) else "invalid input")
        self.detail = detail


class BadRequest(IntakeError):
    """The request itself is malformed (e.g. a broken multipart body); the text says how."""

    status_code = 400


class NotFound(IntakeError):
    """Missing, or someone else's: the caller cannot tell which."""

    status_code = 404

    def __init__(self, what: str = "Not found") -> None:
        super().__init__(what)


class Unauthorized(IntakeError):
    status_code = 401


class Forbidden(IntakeError):
    """Authenticated, but this role may not do that."""

    status_code = 403


class Conflict(IntakeError):
    status_code = 409


class Gone(IntakeError):
    """It existed, and is over: an expired offer, a closed link."""

    status_code = 410


class InvalidInput(IntakeError):
    """Every problem at once, by field path, in FastAPI's own error shape."""

    status_code = 422


class TooManyRequests(IntakeError):
    status_code = 429

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class ServiceUnavailable(IntakeError):
    """Our side cannot take this now (a full disk); nothing was kept, and a retry may work."""

    status_code = 503

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class PayloadTooLarge(IntakeError):
    status_code = 413


class UnsupportedMediaType(IntakeError):
    status_code = 415


def problem(loc: list[str | int], msg: str, type_: str = "value_error") -> dict[str, Any]:
    return {"loc": loc, "msg": msg, "type": type_}


def install_error_handlers(app: FastAPI) -> None:
    async def _render(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, IntakeError)
        headers: dict[str, str] | None = None
        if isinstance(exc, Unauthorized):
            headers = {"WWW-Authenticate": "Bearer"}
        elif isinstance(exc, TooManyRequests | ServiceUnavailable):
            headers = {"Retry-After": str(exc.retry_after)}
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)

    app.add_exception_handler(IntakeError, _render)
