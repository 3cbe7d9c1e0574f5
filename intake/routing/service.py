"""Routing a complete intake to a consultation queue; every decision is kept."""

from __future__ import annotations

import uuid

from intake.db import UnitOfWork
from intake.intakes import repository as intakes
from intake.intakes.models import Intake, IntakeStatus
from intake.routing import interim
from intake.routing.models import RoutingDecision


def route_intake(uow: UnitOfWork, intake: Intake) -> RoutingDecision:
    decision = interim.decide(intake.answers, red_flag_tier=intake.red_flag_tier)
    record = RoutingDecision(
        intake_id=intake.id,
        queue=decision.queue,
        ruleset_version=interim.RULESET_VERSION,
        rule_ids=decision.rule_ids,
        reasons=decision.reasons,
        provisional=decision.provisional,
    )
    uow.session.add(record)
    intake.queue = decision.queue
    intake.status = IntakeStatus.ROUTED
    return record


def route_if_complete(uow: UnitOfWork, intake_id: uuid.UUID) -> RoutingDecision | None:
    """Route an intake the checklist found complete; a second delivery finds it routed."""
    intake = intakes.get(uow.session, intake_id, for_update=True)
    if intake is None or intake.status != IntakeStatus.COMPLETE:
        return None
    return route_intake(uow, intake)
