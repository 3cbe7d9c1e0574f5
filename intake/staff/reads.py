"""A staff member opens one intake: the permission check, the lookup and the audit entry."""

from __future__ import annotations

import uuid

from intake import audit
from intake.audit import Actor
from intake.db import UnitOfWork
from intake.errors import NotFound
from intake.intakes import repository as intakes
from intake.intakes.models import Intake
from intake.staff.models import StaffUser
from intake.staff.permissions import Permission, authorize


def read_intake(uow: UnitOfWork, intake_id: uuid.UUID, *, staff: StaffUser, action: str) -> Intake:
    """The intake, once the caller may read patient data; the read is audited as `action`.

    Refusal is audited by `authorize` before the lookup, so a stranger learns nothing
    about which ids exist.
    """
    authorize(uow, staff, Permission.READ_PATIENT_DATA)
    intake = intakes.get(uow.session, intake_id)
    if intake is None:
        raise NotFound("No such intake")
    audit.record(
        uow, actor=Actor.staff(staff.id), action=action, object_type="intake", object_id=intake.id
    )
    return intake
