"""The queries scheduling makes; each reads by an index (see models.py)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.scheduling.models import (
    ACTIVE,
    Appointment,
    AvailabilityException,
    Clinician,
    ConsultationKind,
    ConsultationType,
    ExceptionKind,
    OfferStatus,
    SlotOffer,
    WeeklyHours,
)
from intake.scheduling.slots import Span, WeeklyBlock


def consultation_type(session: Session, kind: ConsultationKind) -> ConsultationType | None:
    return session.get(ConsultationType, kind)


def consultation_types(session: Session) -> Sequence[ConsultationType]:
    return session.scalars(select(ConsultationType).order_by(ConsultationType.code)).all()


def clinicians(session: Session, *, offering: ConsultationKind | None = None) -> list[Clinician]:
    rows = session.scalars(
        select(Clinician).where(Clinician.active.is_(True)).order_by(Clinician.display_name)
    ).all()
    # `offers` is a short JSON list; filtering here keeps the query portable.
    return [c for c in rows if offering is None or offering.value in c.offers]


def weekly_blocks(
    session: Session, clinician_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[WeeklyBlock]]:
    found: dict[uuid.UUID, list[WeeklyBlock]] = defaultdict(list)
    # Columns, not ORM objects: a search reads every clinician's week.
    stmt = select(
        WeeklyHours.clinician_id, WeeklyHours.weekday, WeeklyHours.starts, WeeklyHours.ends
    ).where(WeeklyHours.clinician_id.in_(clinician_ids))
    for clinician_id, weekday, starts, ends in session.execute(stmt):
        found[clinician_id].append(WeeklyBlock(weekday, starts, ends))
    return found


def exceptions_in(
    session: Session, clinician_ids: Sequence[uuid.UUID], window: Span
) -> dict[uuid.UUID, dict[ExceptionKind, list[Span]]]:
    found: dict[uuid.UUID, dict[ExceptionKind, list[Span]]] = defaultdict(lambda: defaultdict(list))
    stmt = select(
        AvailabilityException.clinician_id,
        AvailabilityException.kind,
        AvailabilityException.starts_at,
        AvailabilityException.ends_at,
    ).where(
        AvailabilityException.clinician_id.in_(clinician_ids),
        AvailabilityException.starts_at < window.end,
        AvailabilityException.ends_at > window.start,
    )
    for clinician_id, kind, starts_at, ends_at in session.execute(stmt):
        found[clinician_id][kind].append(Span(starts_at, ends_at))
    return found


def upcoming_exceptions(
    session: Session, clinician_id: uuid.UUID, now: datetime
) -> Sequence[AvailabilityException]:
    stmt = (
        select(AvailabilityException)
        .where(
            AvailabilityException.clinician_id == clinician_id,
            AvailabilityException.ends_at > now,
        )
        .order_by(AvailabilityException.starts_at)
    )
    return session.scalars(stmt).all()


def busy_in(
    session: Session, clinician_ids: Sequence[uuid.UUID], window: Span
) -> dict[uuid.UUID, list[Span]]:
    """Time held by active appointments (any consultation type) that meets the window."""
    found: dict[uuid.UUID, list[Span]] = defaultdict(list)
    stmt = select(Appointment.clinician_id, Appointment.starts_at, Appointment.ends_at).where(
        Appointment.clinician_id.in_(clinician_ids),
        Appointment.status.in_(ACTIVE),
        Appointment.starts_at < window.end,
        Appointment.ends_at > window.start,
    )
    for clinician_id, starts_at, ends_at in session.execute(stmt):
        found[clinician_id].append(Span(starts_at, ends_at))
    return found


def appointment(
    session: Session, appointment_id: uuid.UUID, *, for_update: bool = False
) -> Appointment | None:
    stmt = select(Appointment).where(Appointment.id == appointment_id)
    if for_update:
        stmt = stmt.with_for_update()
    return session.scalars(stmt).first()


def active_appointment(session: Session, intake_id: uuid.UUID) -> Appointment | None:
    stmt = select(Appointment).where(
        Appointment.intake_id == intake_id, Appointment.status.in_(ACTIVE)
    )
    return session.scalars(stmt).first()


def appointments_of_intake(session: Session, intake_id: uuid.UUID) -> Sequence[Appointment]:
    stmt = (
        select(Appointment)
        .where(Appointment.intake_id == intake_id)
        .order_by(Appointment.starts_at.desc())
    )
    return session.scalars(stmt).all()


def appointments_between(
    session: Session, window: Span, *, clinician_id: uuid.UUID | None = None
) -> Sequence[Appointment]:
    stmt = select(Appointment).where(
        Appointment.starts_at < window.end, Appointment.ends_at > window.start
    )
    if clinician_id is not None:
        stmt = stmt.where(Appointment.clinician_id == clinician_id)
    return session.scalars(stmt.order_by(Appointment.starts_at, Appointment.id)).all()


def open_offers(session: Session, intake_id: uuid.UUID) -> Sequence[SlotOffer]:
    stmt = select(SlotOffer).where(
        SlotOffer.intake_id == intake_id, SlotOffer.status == OfferStatus.OPEN
    )
    return session.scalars(stmt).all()


def withdraw_open_offers(session: Session, intake_id: uuid.UUID) -> None:
    """One live choice at a time: a booking or a newer offer closes the older ones."""
    for offer in open_offers(session, intake_id):
        offer.status = OfferStatus.WITHDRAWN


def due_for_reminder(
    session: Session, *, column: str, until: datetime, now: datetime, limit: int
) -> Sequence[Appointment]:
    """Active appointments starting in (now, until] whose reminder `column` is not done."""
    marker = getattr(Appointment, column)
    stmt = (
        select(Appointment)
        .where(
            Appointment.status.in_(ACTIVE),
            Appointment.starts_at > now,
            Appointment.starts_at <= until,
            marker.is_(None),
        )
        .order_by(Appointment.starts_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return session.scalars(stmt).all()
