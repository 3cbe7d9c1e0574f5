"""Red flags bypass routing: the intake jumps to the urgent queue and staff are alerted."""

from __future__ import annotations

from emails.messages import StaffAlert
from intake.config import Settings
from intake.db import UnitOfWork, utcnow
from intake.intakes.models import Intake
from intake.notifications.service import queue_email
from intake.questionnaire import RedFlagResult
from intake.queues import placement

URGENT_QUEUE = placement.URGENT
_RANK = {None: 0, "urgent": 1, "emergency": 2}


def escalate(uow: UnitOfWork, intake: Intake, result: RedFlagResult, *, settings: Settings) -> bool:
    """Raise the intake's tier if `result` is higher; True when it was raised.

    The tier only ever goes up: a patient who un-ticks an emergency answer has still
    told us about it, and a clinician decides what happens next. One alert is written
    per tier reached, under an idempotency key, so re-saving sends nothing new.
    """
    if _RANK[result.tier] <= _RANK[intake.red_flag_tier]:
        return False
    assert result.tier is not None  # ranked above the current tier
    intake.red_flag_tier = result.tier
    intake.red_flag_at = utcnow()
    placement.place(intake, URGENT_QUEUE, now=intake.red_flag_at)
    base = settings.public_base_url.rstrip("/")
    queue_email(
        uow,
        key=f"intake:{intake.id}:red-flag:{result.tier}",
        to=settings.staff_alert_email,
        intake_id=intake.id,
        message=StaffAlert(tier=result.tier, staff_url=f"{base}/staff/intakes/{intake.id}"),
    )
    return True
