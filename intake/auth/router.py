"""Magic links over the API: request one (always 202), and use one up."""

from __future__ import annotations

from fastapi import APIRouter, Request, status
from pydantic import BaseModel, ConfigDict, EmailStr, Field

from intake.auth import service
from intake.deps import SettingsDep, UowDep
from intake.openapi_errors import errors

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])

ACCEPTED_MESSAGE = "If that address has an intake with us, a sign-in link is on its way."


class MagicLinkRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr


class MagicLinkConsume(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=16, max_length=200)


class MagicLinkAccepted(BaseModel):
    detail: str


class PatientSession(BaseModel):
    intake_id: str
    access_token: str
    token_type: str = "bearer"


def client_ip(request: Request) -> str:
    # uvicorn resolves X-Forwarded-For only from trusted proxies (forwarded_allow_ips).
    return request.client.host if request.client else "unknown"


@router.post("/magic-links", status_code=status.HTTP_202_ACCEPTED, responses=errors(429))
def request_magic_link(
    body: MagicLinkRequest, request: Request, uow: UowDep, settings: SettingsDep
) -> MagicLinkAccepted:
    """Email a sign-in link. The answer is the same whether or not the address is known."""
    with uow:
        service.request_magic_link(
            uow, email=str(body.email), client_ip=client_ip(request), settings=settings
        )
    return MagicLinkAccepted(detail=ACCEPTED_MESSAGE)


@router.post("/magic-links/consume", responses=errors(401))
def consume_magic_link(
    body: MagicLinkConsume, uow: UowDep, settings: SettingsDep
) -> PatientSession:
    """Use up a link (single use) and get a patient bearer token for its intake."""
    with uow:
        intake_id, token = service.consume_magic_link(uow, token=body.token, settings=settings)
    return PatientSession(intake_id=intake_id, access_token=token)
