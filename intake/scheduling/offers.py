"""Offers: a coordinator proposes up to three slots, the patient picks one by link.

The offer does not hold the slots: a patient who waits may find one taken and picks
another (a clear 409 says so). Holding slots for days would starve everyone else.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from emails.messages import AppointmentOffer
from emails.timefmt import format_day
from intake import audit
from intake.audit import Actor
from intake.config import Settings
from intake.db import UnitOfWork
from intake.errors import Conflict, Gone, InvalidInput, NotFound, problem
from intake.intakes import repository as intakes
from intake.intakes.models import Intake
from intake.notifications.service import queue_email
from intake.scheduling import links, repository
from intake.scheduling.booking import Caller, book, bookable
from intake.scheduling.models import Appointment, OfferStatus, SlotOffer
from intake.scheduling.search import free_slot
from intake.scheduling.slots import Slot
from intake.staff.models import StaffUser
from intake.staff.permissions import Permission, authorize

MAX_OFFERED: Final = 3
_LINK_GRACE: Final = timedelta(days=7)


def pick_url(settings: Settings, offer: SlotOffer) -> str:
    # The link outlives the offer by a week, so a late click hears "this offer has
    # closed" (410) rather than "this link is not valid".
    token = links.sign(settings.secret_key, links.PICK, offer.id, offer.expires_at + _LINK_GRACE)
    return f"{settings.public_base_url.rstrip('/')}/appointment/offer/{token}"


def offer_slots(
    uow: UnitOfWork,
    intake_id: uuid.UUID,
    *,
    slot_ids: list[str],
    staff: StaffUser,
    settings: Settings,
    now: datetime,
) -> SlotOffer:
    """Email the patient a choice of 1-3 free slots that suit the intake's route."""
    authorize(uow, staff, Permission.BOOK_APPOINTMENTS)
    if not 1 <= len(slot_ids) <= MAX_OFFERED or len(set(slot_ids)) != len(slot_ids):
        raise InvalidInput(
            [problem(["body", "slot_ids"], f"offer 1 to {MAX_OFFERED} different slots")]
        )
    intake = intakes.get(uow.session, intake_id, for_update=True)
    if intake is None:
        raise NotFound("No such intake")
    slots = [free_slot(uow.session, settings, slot_id, now=now) for slot_id in slot_ids]
    reasons = sorted({r for slot in slots for r in bookable(intake, slot.consultation_type)})
    if reasons:
        raise Conflict("Cannot offer: " + "; ".join(reasons))
    repository.withdraw_open_offers(uow.session, intake.id)
    offer = SlotOffer(
        id=uuid.uuid4(),
        intake_id=intake.id,
        slot_ids=[slot.id for slot in slots],
        status=OfferStatus.OPEN,
        expires_at=now + timedelta(hours=settings.slot_offer_ttl_hours),
        offered_by_id=staff.id,
    )
    uow.session.add(offer)
    uow.session.flush()
    audit.record(
        uow,
        actor=Actor.staff(staff.id),
        action="offer.create",
        object_type="offer",
        object_id=offer.id,
    )
    _email(uow, offer, intake, slots, settings)
    return offer


def _email(
    uow: UnitOfWork, offer: SlotOffer, intake: Intake, slots: list[Slot], settings: Settings
) -> None:
    tz = ZoneInfo(intake.patient.timezone)
    options = [slot.starts_at.astimezone(tz).strftime("%A %d %B %Y, %H:%M %Z") for slot in slots]
    queue_email(
        uow,
        key=f"offer:{offer.id}",
        to=intake.patient.email,
        message=AppointmentOffer(
            first_name=intake.patient.first_name,
            options=options,
            pick_url=pick_url(settings, offer),
            expires_on=format_day(offer.expires_at, tz),
        ),
        intake_id=intake.id,
    )


def open_offer(uow: UnitOfWork, token: str, *, settings: Settings, now: datetime) -> SlotOffer:
    """The offer a pick link names, while it is open; Gone (410) once it is not."""
    try:
        offer_id = links.verify(settings.secret_key, links.PICK, token, now=now)
    except links.BadLink:
        raise NotFound("This link is not valid; it may have expired") from None
    offer = uow.session.get(SlotOffer, offer_id, with_for_update=True)
    if offer is None:
        raise NotFound("This link is not valid; it may have expired")
    booked = repository.active_appointment(uow.session, offer.intake_id) is not None
    if offer.status != OfferStatus.OPEN or now >= offer.expires_at or booked:
        raise Gone("This offer is closed; the clinic will be in touch")
    return offer


def pick(
    uow: UnitOfWork, token: str, *, slot_id: str, settings: Settings, now: datetime
) -> Appointment:
    """The patient takes one of the offered slots."""
    offer = open_offer(uow, token, settings=settings, now=now)
    if slot_id not in offer.slot_ids:
        raise InvalidInput([problem(["body", "slot_id"], "choose one of the offered slots")])
    appointment = book(
        uow,
        intake_id=offer.intake_id,
        slot_id=slot_id,
        caller=Caller.patient(offer.intake_id),
        settings=settings,
        now=now,
    )
    offer.status = OfferStatus.TAKEN
    offer.appointment_id = appointment.id
    return appointment
