"""The periodic sweep: the database is the source of truth, the broker only wakes workers.

A lost message (a dead broker at commit time, a killed worker) leaves work undone in
the database; due reminders, deferred intakes' recheck dates and idle claims are
times in the database too. The sweep finds both,
and asks for the work again. Running two sweeps at once doubles nothing: reminders are
claimed row by row (see intake/reminders), and every other job it asks for is safe to
run twice. It also purges abandoned drafts past the retention limit (intake/lifecycle).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from intake import tasknames
from intake.auth import ratelimit
from intake.checklist.service import clinic_today
from intake.config import Settings, get_settings
from intake.db import UnitOfWork, utcnow
from intake.intakes import repository as intakes
from intake.lifecycle import purge
from intake.notifications import repository as outbox
from intake.queues import service as queues
from intake.reminders import service as reminders
from intake.scheduling import reminders as appointment_reminders
from intake.staff import repository as staff

BATCH = 500
# A sign-in link is dead after its TTL (at most an hour); its email is then pointless.
SENSITIVE_EMAIL_LIFETIME = timedelta(hours=1)
# Longer than any rate-limit window.
RATE_LIMIT_MEMORY = timedelta(days=1)
# Dispatchers woken per sweep when a backlog of email is due; each drains batches.
MAX_DISPATCHERS = 4


@dataclass(frozen=True)
class SweepReport:
    checklists: int
    routings: int
    emails: int
    released: int
    claims_released: int
    appointment_reminders: int
    reminders: reminders.ReminderSweep
    purged: int = 0  # abandoned drafts removed under the retention policy


def sweep(
    uow_factory: Callable[[], UnitOfWork],
    settings: Settings | None = None,
    *,
    now: datetime | None = None,
) -> SweepReport:
    settings = settings or get_settings()
    now = now or utcnow()
    due_reminders = reminders.sweep_due(uow_factory, settings=settings, now=now)
    purged = purge.purge_abandoned(uow_factory, settings=settings, now=now)
    with uow_factory() as uow:
        lease = timedelta(seconds=settings.outbox_sending_lease_seconds)
        released, _ = outbox.release_stuck(uow.session, older_than=now - lease)
        outbox.expire_sensitive(uow.session, created_before=now - SENSITIVE_EMAIL_LIFETIME)
        ratelimit.forget_before(uow.session, now - RATE_LIMIT_MEMORY)
        # Past the absolute expiry a staff token can never be live again: nothing to keep.
        staff.forget_tokens_created_before(
            uow.session, now - timedelta(hours=settings.staff_token_absolute_hours)
        )
        intake_ids = intakes.needing_checklist(uow.session, limit=BATCH)
        complete_ids = intakes.needing_routing(
            uow.session, today=clinic_today(settings, now), limit=BATCH
        )
        claims_released = queues.release_idle_claims(uow, settings=settings, now=now)
        appointment_reminders_queued = appointment_reminders.send_due(
            uow, settings=settings, now=now, limit=BATCH
        )
        emails_due = outbox.count_due(uow.session, now)
        for intake_id in intake_ids:
            uow.jobs.enqueue(tasknames.EVALUATE_CHECKLIST, str(intake_id))
        for intake_id in complete_ids:
            uow.jobs.enqueue(tasknames.ROUTE_INTAKE, str(intake_id))
        # A dispatcher claims whatever is due; a few in parallel share a backlog.
        uow.jobs.wake(tasknames.DISPATCH_EMAIL, min(MAX_DISPATCHERS, -(-emails_due // 20)))
    return SweepReport(
        checklists=len(intake_ids),
        routings=len(complete_ids),
        emails=emails_due,
        released=released,
        claims_released=claims_released,
        appointment_reminders=appointment_reminders_queued,
        reminders=due_reminders,
        purged=purged,
    )
