"""The periodic sweep: the database is the source of truth, the broker only wakes workers.

A lost message (a dead broker at commit time, a killed worker on the embedded broker)
leaves work undone in the database. The sweep finds that work and asks for it again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from intake import tasknames
from intake.auth import ratelimit
from intake.config import Settings, get_settings
from intake.db import UnitOfWork, utcnow
from intake.intakes import repository as intakes
from intake.notifications import repository as outbox
from intake.notifications.service import REDACTED
from intake.staff import repository as staff

BATCH = 500
# A row in `sending` longer than this belongs to a worker that died mid-send.
SENDING_LEASE = timedelta(minutes=5)
# A sign-in link is dead after its TTL (at most an hour); its email is then pointless.
SENSITIVE_EMAIL_LIFETIME = timedelta(hours=1)
# Longer than any rate-limit window.
RATE_LIMIT_MEMORY = timedelta(days=1)


@dataclass(frozen=True)
class SweepReport:
    checklists: int
    routings: int
    emails: int
    released: int


def sweep(uow: UnitOfWork, settings: Settings | None = None) -> SweepReport:
    settings = settings or get_settings()
    now = utcnow()
    released = outbox.release_stuck(uow.session, older_than=now - SENDING_LEASE)
    outbox.expire_sensitive(
        uow.session, created_before=now - SENSITIVE_EMAIL_LIFETIME, redacted=REDACTED
    )
    ratelimit.forget_before(uow.session, now - RATE_LIMIT_MEMORY)
    # Past the absolute expiry a staff token can never be live again: nothing to keep.
    staff.forget_tokens_created_before(
        uow.session, now - timedelta(hours=settings.staff_token_absolute_hours)
    )
    intake_ids = intakes.needing_checklist(uow.session, limit=BATCH)
    complete_ids = intakes.needing_routing(uow.session, limit=BATCH)
    email_ids = outbox.due(uow.session, now, limit=BATCH)
    for intake_id in intake_ids:
        uow.jobs.enqueue(tasknames.EVALUATE_CHECKLIST, str(intake_id))
    for intake_id in complete_ids:
        uow.jobs.enqueue(tasknames.ROUTE_INTAKE, str(intake_id))
    for email_id in email_ids:
        uow.jobs.enqueue(tasknames.DISPATCH_EMAIL, str(email_id))
    return SweepReport(
        checklists=len(intake_ids),
        routings=len(complete_ids),
        emails=len(email_ids),
        released=released,
    )
