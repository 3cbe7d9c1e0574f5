"""Patient endpoints for intakes."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from intake.deps import PatientTokenDep, SettingsDep, UowDep
from intake.intakes import service
from intake.intakes.schemas import (
    IntakeCreate,
    IntakeCreated,
    IntakeOut,
    IntakePatch,
)
from intake.openapi_errors import errors

router = APIRouter(prefix="/api/v1/intakes", tags=["intakes"])


@router.post("", status_code=status.HTTP_201_CREATED)
def start_intake(body: IntakeCreate, uow: UowDep, settings: SettingsDep) -> IntakeCreated:
    """Start a draft intake. The access token in the answer is shown only once."""
    with uow:
        intake, token = service.start_intake(
            uow, patient=body.patient, answers=body.answers, settings=settings
        )
        out = IntakeOut.of(intake)
    return IntakeCreated(**out.model_dump(), access_token=token)


@router.get("/{intake_id}")
def get_intake(intake_id: uuid.UUID, uow: UowDep, token: PatientTokenDep) -> IntakeOut:
    with uow:
        intake = service.authorize_patient(uow, token=token, intake_id=intake_id)
        return IntakeOut.of(intake)


@router.patch("/{intake_id}", responses=errors(409))
def save_answers(
    intake_id: uuid.UUID,
    body: IntakePatch,
    uow: UowDep,
    token: PatientTokenDep,
    settings: SettingsDep,
) -> IntakeOut:
    """Save any subset of answer sections; a 422 lists every problem in them."""
    with uow:
        intake = service.authorize_patient(uow, token=token, intake_id=intake_id)
        return IntakeOut.of(service.save_answers(uow, intake, body.answers, settings=settings))


@router.post("/{intake_id}/submit", responses=errors(409))
def submit_intake(
    intake_id: uuid.UUID, uow: UowDep, token: PatientTokenDep, settings: SettingsDep
) -> IntakeOut:
    """Validate everything (a 422 lists every problem at once) and submit."""
    with uow:
        intake = service.authorize_patient(uow, token=token, intake_id=intake_id)
        return IntakeOut.of(service.submit(uow, intake, settings=settings))


@router.post("/{intake_id}/withdraw", responses=errors(409))
def withdraw_intake(intake_id: uuid.UUID, uow: UowDep, token: PatientTokenDep) -> IntakeOut:
    """Withdraw the intake: reminders stop at once and it leaves the routing path."""
    with uow:
        intake = service.authorize_patient(uow, token=token, intake_id=intake_id)
        return IntakeOut.of(service.withdraw(uow, intake))
