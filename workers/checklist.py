"""intake.checklist.evaluate: recompute an intake's missing documents."""

from __future__ import annotations

import logging
import uuid

from intake import tasknames
from intake.checklist import service
from intake.config import get_settings
from workers.base import task, unit_of_work

log = logging.getLogger(__name__)


@task(tasknames.EVALUATE_CHECKLIST)
def evaluate_checklist(intake_id: str) -> None:
    with unit_of_work() as uow:
        outcome = service.evaluate(uow, uuid.UUID(intake_id), settings=get_settings())
    if outcome is not None:
        log.info(
            "intake %s checklist: %d missing, now %s",
            intake_id,
            len(outcome.missing),
            outcome.status,
        )
