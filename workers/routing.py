"""intake.routing.route: route a complete intake, or a deferred one on its recheck date."""

from __future__ import annotations

import logging
import uuid

from intake import tasknames
from intake.config import get_settings
from intake.routing.service import route_if_due
from workers.base import task, unit_of_work

log = logging.getLogger(__name__)


@task(tasknames.ROUTE_INTAKE)
def route_intake(intake_id: str) -> None:
    with unit_of_work() as uow:
        decision = route_if_due(uow, uuid.UUID(intake_id), settings=get_settings())
    if decision is not None:
        # Ids and rule ids only: the reasons may cite clinical facts.
        log.info("intake %s routed to %s by %s", intake_id, decision.queue, decision.rule_ids)
