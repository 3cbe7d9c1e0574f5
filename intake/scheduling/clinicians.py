"""Clinicians, the consultation types they offer, and their hours (admins, coordinators)."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Sequence
from datetime import time

from sqlalchemy import delete, select

from intake import audit
from intake.audit import Actor
from intake.db import UnitOfWork
from intake.errors import Conflict, InvalidInput, NotFound, problem
from intake.scheduling import repository
from intake.scheduling.models import (
    AvailabilityException,
    Clinician,
    ConsultationKind,
    ConsultationType,
    ExceptionKind,
    Modality,
    WeeklyHours,
)
from intake.scheduling.slots import Span
from intake.staff.models import StaffUser
from intake.staff.permissions import Permission, authorize


def _record(uow: UnitOfWork, staff: StaffUser, action: str, kind: str, record_id: object) -> None:
    audit.record(
        uow, actor=Actor.staff(staff.id), action=action, object_type=kind, object_id=str(record_id)
    )


def get(uow: UnitOfWork, clinician_id: uuid.UUID) -> Clinician:
    clinician = uow.session.get(Clinician, clinician_id)
    if clinician is None:
        raise NotFound("No such clinician")
    return clinician


def create(
    uow: UnitOfWork,
    *,
    staff: StaffUser,
    display_name: str,
    offers: Sequence[ConsultationKind],
    staff_user_id: uuid.UUID | None,
) -> Clinician:
    authorize(uow, staff, Permission.MANAGE_SCHEDULE)
    if staff_user_id is not None:
        _check_linkable(uow, staff_user_id)
    clinician = Clinician(
        id=uuid.uuid4(),
        display_name=display_name,
        offers=sorted({kind.value for kind in offers}),
        staff_user_id=staff_user_id,
    )
    uow.session.add(clinician)
    uow.session.flush()
    _record(uow, staff, "clinician.create", "clinician", clinician.id)
    return clinician


def _check_linkable(uow: UnitOfWork, staff_user_id: uuid.UUID) -> None:
    """Name the problem here: the foreign key and unique constraint would make it a 500."""
    if uow.session.get(StaffUser, staff_user_id) is None:
        raise InvalidInput([problem(["body", "staff_user_id"], "No staff account has this id")])
    linked = select(Clinician.id).where(Clinician.staff_user_id == staff_user_id)
    if uow.session.scalars(linked).first() is not None:
        raise Conflict("That staff account is already linked to a clinician")


def update(
    uow: UnitOfWork,
    clinician_id: uuid.UUID,
    *,
    staff: StaffUser,
    display_name: str | None,
    offers: Sequence[ConsultationKind] | None,
    active: bool | None,
) -> Clinician:
    authorize(uow, staff, Permission.MANAGE_SCHEDULE)
    clinician = get(uow, clinician_id)
    if display_name is not None:
        clinician.display_name = display_name
    if offers is not None:
        clinician.offers = sorted({kind.value for kind in offers})
    if active is not None:
        clinician.active = active
    _record(uow, staff, "clinician.update", "clinician", clinician.id)
    return clinician


def _overlaps(blocks: Sequence[tuple[int, time, time]]) -> list[dict[str, object]]:
    problems = []
    ordered = sorted(enumerate(blocks), key=lambda item: (item[1][0], item[1][1]))
    for (_, before), (index, after) in itertools.pairwise(ordered):
        if before[0] == after[0] and after[1] < before[2]:
            problems.append(
                problem(["body", "weekly", index], "overlaps another block on the same day")
            )
    return problems


def set_weekly_hours(
    uow: UnitOfWork,
    clinician_id: uuid.UUID,
    *,
    staff: StaffUser,
    blocks: Sequence[tuple[int, time, time]],
) -> list[WeeklyHours]:
    """Replace the clinician's week. Existing bookings stand: they are never moved by this."""
    authorize(uow, staff, Permission.MANAGE_SCHEDULE)
    clinician = get(uow, clinician_id)
    problems = [
        problem(["body", "weekly", index], "ends must be after starts")
        for index, (_, starts, ends) in enumerate(blocks)
        if ends <= starts
    ]
    problems += _overlaps(blocks)
    if problems:
        raise InvalidInput(problems)
    uow.session.execute(delete(WeeklyHours).where(WeeklyHours.clinician_id == clinician.id))
    rows = [
        WeeklyHours(clinician_id=clinician.id, weekday=weekday, starts=starts, ends=ends)
        for weekday, starts, ends in sorted(blocks)
    ]
    uow.session.add_all(rows)
    _record(uow, staff, "clinician.hours", "clinician", clinician.id)
    return rows


def add_exception(
    uow: UnitOfWork,
    clinician_id: uuid.UUID,
    *,
    staff: StaffUser,
    kind: ExceptionKind,
    span: Span,
    note: str | None,
) -> AvailabilityException:
    authorize(uow, staff, Permission.MANAGE_SCHEDULE)
    clinician = get(uow, clinician_id)
    if span.end <= span.start:
        raise InvalidInput([problem(["body", "ends_at"], "must be after starts_at")])
    row = AvailabilityException(
        id=uuid.uuid4(),
        clinician_id=clinician.id,
        kind=kind,
        starts_at=span.start,
        ends_at=span.end,
        note=note,
    )
    uow.session.add(row)
    uow.session.flush()
    _record(uow, staff, "clinician.exception", "clinician", clinician.id)
    return row


def remove_exception(
    uow: UnitOfWork, clinician_id: uuid.UUID, exception_id: uuid.UUID, *, staff: StaffUser
) -> None:
    authorize(uow, staff, Permission.MANAGE_SCHEDULE)
    row = uow.session.get(AvailabilityException, exception_id)
    if row is None or row.clinician_id != clinician_id:
        raise NotFound("No such exception")
    uow.session.delete(row)
    _record(uow, staff, "clinician.exception_removed", "clinician", clinician_id)


def set_consultation_type(
    uow: UnitOfWork,
    kind: ConsultationKind,
    *,
    staff: StaffUser,
    name: str,
    duration_minutes: int,
    modality: Modality,
) -> ConsultationType:
    """Change a type's length or modality; booked appointments keep what they had."""
    authorize(uow, staff, Permission.MANAGE_SCHEDULE)
    row = repository.consultation_type(uow.session, kind)
    if row is None:
        row = ConsultationType(code=kind)
        uow.session.add(row)
    row.name = name
    row.duration_minutes = duration_minutes
    row.modality = modality
    _record(uow, staff, "consultation_type.update", "consultation_type", kind.value)
    return row
