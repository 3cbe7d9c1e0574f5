"""Staff endpoints for routing: the decision history, overrides and confirmed findings."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from intake.deps import SettingsDep, UowDep
from intake.openapi_errors import errors
from intake.routing import service
from intake.routing.schemas import (
    DecisionOut,
    FindingAdded,
    FindingIn,
    FindingOut,
    OverrideIn,
)
from intake.staff.deps import StaffDep

router = APIRouter(prefix="/api/v1/intakes", tags=["routing"])


@router.get("/{intake_id}/routing")
def routing_history(intake_id: uuid.UUID, staff: StaffDep, uow: UowDep) -> list[DecisionOut]:
    """Every routing decision, newest first: rules and overrides side by side."""
    with uow:
        return [DecisionOut.of(d) for d in service.read_history(uow, intake_id, staff=staff)]


# `/route` is the path DESIGN.md names; `/route-override` says what it does. Both stay.
@router.post("/{intake_id}/route", status_code=status.HTTP_201_CREATED, responses=errors(409))
@router.post(
    "/{intake_id}/route-override", status_code=status.HTTP_201_CREATED, responses=errors(409)
)
def override_route(
    intake_id: uuid.UUID, body: OverrideIn, staff: StaffDep, uow: UowDep, settings: SettingsDep
) -> DecisionOut:
    """Choose the route yourself; the reason is required and kept."""
    with uow:
        decision = service.override(
            uow,
            intake_id,
            staff=staff,
            route_name=body.route,
            reason=body.reason,
            settings=settings,
        )
        return DecisionOut.of(decision)


@router.get("/{intake_id}/findings")
def list_findings(intake_id: uuid.UUID, staff: StaffDep, uow: UowDep) -> list[FindingOut]:
    """What the patient reported and what staff confirmed or ruled out."""
    with uow:
        return service.read_findings(uow, intake_id, staff=staff)


@router.post("/{intake_id}/findings", status_code=status.HTTP_201_CREATED)
def add_finding(
    intake_id: uuid.UUID, body: FindingIn, staff: StaffDep, uow: UowDep, settings: SettingsDep
) -> FindingAdded:
    """Enter a finding read in a document; routing runs again on it."""
    entry = service.FindingEntry(
        type=body.type,
        level=body.level,
        present=body.present,
        document_id=body.document_id,
        note=body.note,
    )
    with uow:
        finding, decision = service.add_finding(
            uow, intake_id, staff=staff, entry=entry, settings=settings
        )
        return FindingAdded(
            finding=FindingOut.confirmed(finding),
            decision=DecisionOut.of(decision) if decision else None,
        )
