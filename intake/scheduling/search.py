"""Slot search: every active clinician's free slots of one consultation type."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from intake.config import Settings
from intake.errors import Conflict, InvalidInput, NotFound, problem
from intake.scheduling import repository
from intake.scheduling.models import ConsultationKind, ExceptionKind
from intake.scheduling.slots import (
    BadSlotId,
    Slot,
    Span,
    WeeklyBlock,
    free_slots,
    parse_slot_id,
    weekly_candidates,
)


def check_window(window: Span, settings: Settings) -> None:
    problems = []
    if window.end <= window.start:
        problems.append(problem(["query", "end"], "end must be after start"))
    if window.end - window.start > timedelta(days=settings.slot_search_max_days):
        problems.append(
            problem(["query", "end"], f"at most {settings.slot_search_max_days} days per search")
        )
    if problems:
        raise InvalidInput(problems)


def find_slots(
    session: Session,
    settings: Settings,
    *,
    kind: ConsultationKind,
    window: Span,
    now: datetime,
    clinician_id: uuid.UUID | None = None,
) -> list[Slot]:
    """Free slots in `window`, earliest first; none start sooner than the minimum notice."""
    consultation = repository.consultation_type(session, kind)
    if consultation is None:
        return []
    clinicians = [
        c
        for c in repository.clinicians(session, offering=kind)
        if clinician_id is None or c.id == clinician_id
    ]
    ids = [c.id for c in clinicians]
    if not ids:
        return []
    blocks = repository.weekly_blocks(session, ids)
    exceptions = repository.exceptions_in(session, ids, window)
    busy = repository.busy_in(session, ids, window)
    tz = ZoneInfo(settings.clinic_timezone)
    not_before = now + timedelta(hours=settings.booking_min_notice_hours)
    duration = timedelta(minutes=consultation.duration_minutes)
    by_pattern: dict[frozenset[WeeklyBlock], list[Span]] = {}
    found: list[Slot] = []
    for clinician in clinicians:
        theirs = exceptions.get(clinician.id, {})
        pattern = frozenset(blocks.get(clinician.id, []))
        if pattern not in by_pattern:
            by_pattern[pattern] = weekly_candidates(list(pattern), tz, duration, window)
        found += free_slots(
            clinician_id=clinician.id,
            kind=kind,
            blocks=list(pattern),
            extras=theirs.get(ExceptionKind.EXTRA, []),
            blocked=[*theirs.get(ExceptionKind.UNAVAILABLE, []), *busy.get(clinician.id, [])],
            tz=tz,
            duration=duration,
            window=window,
            not_before=not_before,
            weekly=by_pattern[pattern],
        )
    # The same order as sorting the slots, without comparing UUID objects on ties.
    return sorted(found, key=lambda slot: (slot.starts_at, slot.clinician_id.int))


def free_slot(session: Session, settings: Settings, value: str, *, now: datetime) -> Slot:
    """The slot an id names, if it is still free; a 404 if it never was, 409 if taken."""
    try:
        clinician_id, kind, starts_at = parse_slot_id(value)
    except BadSlotId:
        raise NotFound("No such slot") from None
    # A day either side covers any consultation's length.
    window = Span(starts_at - timedelta(days=1), starts_at + timedelta(days=1))
    for slot in find_slots(
        session, settings, kind=kind, window=window, now=now, clinician_id=clinician_id
    ):
        if slot.starts_at == starts_at:
            return slot
    raise SlotTaken()


class SlotTaken(Conflict):
    """The slot is not (or no longer) free: taken, past, inside the notice, or off-hours."""

    def __init__(self) -> None:
        super().__init__("That slot is no longer available; please choose another")
