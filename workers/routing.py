"""intake.routing.route: route an intake the checklist found complete."""

from __future__ import annotations

import logging
import uuid

from intake import tasknames
from intake.routing.service import route_if_complete
from workers.base import task, unit_of_work

log = logging.getLogger(__name__)


@task(tasknames.ROUTE_INTAKE)
def route_intake(intake_id: str) -> None:
    with unit_of_work() as uow:
        decision = route_if_complete(uow, uuid.UUID(intake_id))
    if decision is not None:
        log.info("intake %s routed to %s", intake_id, decision.queue)
