"""Routing a complete intake to a consultation queue; every decision is kept."""

from __future__ import annotations

from intake.db import UnitOfWork
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
