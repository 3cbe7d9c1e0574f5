"""Which queue an intake is in, and its rank there.

Every move goes through `place`, so the queue, the time the intake entered it and its
priority never disagree. Moving to another queue drops any claim: the intake waits to
be picked up by whoever works its new queue.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from intake.intakes.models import Intake

URGENT: Final = "urgent"
REGENERATIVE: Final = "regenerative"
SURGICAL_REVISION: Final = "surgical_revision"
CLINICIAN_TRIAGE: Final = "clinician_triage"
AWAITING_INFORMATION: Final = "awaiting_information"
STALE: Final = "stale"
# Not a work queue: intakes waiting for their recheck date, listed so nobody loses sight.
DEFERRED: Final = "deferred"

QUEUES: Final = (
    URGENT,
    REGENERATIVE,
    SURGICAL_REVISION,
    CLINICIAN_TRIAGE,
    AWAITING_INFORMATION,
    STALE,
    DEFERRED,
)
# The queues a consultation is booked from; staff may override a route to one of these.
CONSULTATION_QUEUES: Final = (REGENERATIVE, SURGICAL_REVISION, CLINICIAN_TRIAGE)

# Lower sorts first: emergencies, then other urgent items, then everything else.
EMERGENCY_PRIORITY: Final = 0
URGENT_PRIORITY: Final = 1
NORMAL_PRIORITY: Final = 2


def priority_of(queue: str | None, red_flag_tier: str | None) -> int:
    if queue != URGENT:
        return NORMAL_PRIORITY
    return EMERGENCY_PRIORITY if red_flag_tier == "emergency" else URGENT_PRIORITY


def place(intake: Intake, queue: str | None, *, now: datetime) -> bool:
    """Put the intake in `queue` (None: in no queue); True when it moved."""
    priority = priority_of(queue, intake.red_flag_tier)
    if intake.queue == queue:
        # Same queue: keep its age; an emergency answered while urgent still moves it up.
        intake.priority = priority
        return False
    intake.queue = queue
    intake.queued_at = now if queue is not None else None
    intake.priority = priority
    release(intake)
    return True


def release(intake: Intake) -> None:
    intake.claimed_by_id = None
    intake.claimed_at = None
    intake.claim_touched_at = None
