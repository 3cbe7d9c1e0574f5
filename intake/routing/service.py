"""Routing an intake to a consultation queue, and every way staff steer it.

The rules (rules.py) are pure; this module feeds them (evidence.py), keeps each
decision as a new row, and moves the intake to the queue the decision names. A staff
override is a decision too. It holds against later rule runs, except an escalation the
overridden decision did not already have: new danger always reaches the urgent queue.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import select

from emails.messages import StaffAlert
from intake import audit
from intake.audit import SYSTEM, Actor
from intake.checklist.service import clinic_today, evidence_of
from intake.config import Settings
from intake.db import UnitOfWork, utcnow
from intake.documents import repository as documents
from intake.errors import Conflict, NotFound
from intake.intakes import repository as intakes
from intake.intakes.models import Intake, IntakeStatus
from intake.metrics.events import observe
from intake.notifications.service import queue_email
from intake.queues import placement
from intake.reminders import service as reminders
from intake.routing import evidence as gathered
from intake.routing.models import ConfirmedFinding, DecisionKind, RoutingDecision
from intake.routing.rules import RULESET_VERSION, Decision, decide
from intake.routing.schemas import FindingOut
from intake.scheduling import repository as appointments
from intake.staff.models import StaffUser
from intake.staff.permissions import Permission, authorize
from intake.staff.reads import read_intake

ESCALATIONS: Final = frozenset({"escalate_emergency", "escalate_urgent"})
# The queue each route puts an intake in.
QUEUE_OF: Final = {
    "escalate_emergency": placement.URGENT,
    "escalate_urgent": placement.URGENT,
    "pending_info": placement.AWAITING_INFORMATION,
    "regenerative": placement.REGENERATIVE,
    "surgical_revision": placement.SURGICAL_REVISION,
    "clinician_triage": placement.CLINICIAN_TRIAGE,
    "defer_recovery": placement.DEFERRED,
}
# Routes staff may choose by override.
OVERRIDE_ROUTES: Final = (
    "escalate_urgent",
    "regenerative",
    "surgical_revision",
    "clinician_triage",
)
OVERRIDE_RULE_ID: Final = "OVERRIDE"
# Intakes routing may act on: submitted, and not withdrawn.
_ROUTABLE: Final = frozenset(
    {
        IntakeStatus.AWAITING_INFORMATION,
        IntakeStatus.COMPLETE,
        IntakeStatus.ROUTED,
        IntakeStatus.DEFERRED,
    }
)
_OVERRIDABLE: Final = frozenset({IntakeStatus.COMPLETE, IntakeStatus.ROUTED, IntakeStatus.DEFERRED})


def latest_applied(uow: UnitOfWork, intake_id: uuid.UUID) -> RoutingDecision | None:
    """The decision the intake's queue follows now."""
    stmt = (
        select(RoutingDecision)
        .where(RoutingDecision.intake_id == intake_id, RoutingDecision.applied.is_(True))
        .order_by(RoutingDecision.created_at.desc(), RoutingDecision.id.desc())
        .limit(1)
    )
    return uow.session.scalars(stmt).first()


def history(uow: UnitOfWork, intake_id: uuid.UUID) -> list[RoutingDecision]:
    """Every decision about the intake, newest first."""
    stmt = (
        select(RoutingDecision)
        .where(RoutingDecision.intake_id == intake_id)
        .order_by(RoutingDecision.created_at.desc(), RoutingDecision.id.desc())
    )
    return list(uow.session.scalars(stmt))


def _override_holds(current: RoutingDecision | None, decision: Decision) -> bool:
    if current is None or current.kind != DecisionKind.OVERRIDE:
        return False
    replaced = current.input_snapshot.get("replaced_route")
    return not (decision.route in ESCALATIONS and replaced not in ESCALATIONS)


@observe("routing")
def route(
    uow: UnitOfWork,
    intake: Intake,
    *,
    settings: Settings,
    trigger: str,
    now: datetime | None = None,
) -> RoutingDecision:
    """Run the rules on the intake as it stands, store the decision, and act on it."""
    now = now or utcnow()
    today = clinic_today(settings, now)
    evidence = [evidence_of(d) for d in documents.for_intake(uow.session, intake.id)]
    facts = gathered.gather(
        intake,
        evidence=evidence,
        findings=gathered.findings_of(uow.session, intake.id),
        today=today,
    )
    policy = settings.routing_policy()
    decision = decide(facts, policy)
    applied = not _override_holds(latest_applied(uow, intake.id), decision)
    record = RoutingDecision(
        intake_id=intake.id,
        kind=DecisionKind.RULES,
        route=decision.route,
        queue=QUEUE_OF[decision.route],
        ruleset_version=RULESET_VERSION,
        rule_ids=list(decision.rule_ids),
        reasons=list(decision.reasons),
        missing=list(decision.missing),
        provisional=decision.provisional,
        provisional_route=decision.provisional_route,
        recheck_on=decision.recheck_on,
        # The thresholds too: a decision can be replayed after the policy changes.
        input_snapshot={**facts.snapshot(), "policy": asdict(policy)},
        trigger=trigger,
        applied=applied,
        created_at=now,
    )
    uow.session.add(record)
    uow.session.flush()  # the id and defaults, for the caller's answer
    if applied:
        _apply(uow, intake, record, settings=settings, now=now)
    audit.record(
        uow, actor=SYSTEM, action="routing.decide", object_type="intake", object_id=intake.id
    )
    return record


def _apply(
    uow: UnitOfWork, intake: Intake, record: RoutingDecision, *, settings: Settings, now: datetime
) -> None:
    intake.provisional = record.provisional
    intake.recheck_on = record.recheck_on
    if record.route == "pending_info":
        # Something must come from the patient first: the checklist pass names it and
        # the reminders ask for it.
        intake.status = IntakeStatus.AWAITING_INFORMATION
        intake.checklist_dirty = True
        if intake.queue not in (placement.URGENT, placement.STALE):
            placement.place(intake, placement.AWAITING_INFORMATION, now=now)
        reminders.keep_reminding(uow, intake, settings=settings, now=now)
        return
    intake.status = (
        IntakeStatus.DEFERRED if record.route == "defer_recovery" else IntakeStatus.ROUTED
    )
    reminders.stop(uow, intake, why="the intake is routed")
    booked = appointments.active_appointment(uow.session, intake.id)
    if booked is None or booked.consultation_type.value != record.queue:
        # A booked intake stays off the queues while its booking still fits the route; a
        # new route (or an escalation) brings it back for a coordinator to act on.
        placement.place(intake, record.queue, now=now)
    if record.route in ESCALATIONS and not intake.red_flag_tier:
        # A red-flag answer alerted staff when it was given; a finding (infection,
        # tumour, fracture) escalates here, and staff hear of it the same way.
        base = settings.public_base_url.rstrip("/")
        queue_email(
            uow,
            key=f"intake:{intake.id}:routing-escalation",
            to=settings.staff_alert_email,
            intake_id=intake.id,
            message=StaffAlert(tier="urgent", staff_url=f"{base}/staff/intakes/{intake.id}"),
        )


def route_if_due(
    uow: UnitOfWork, intake_id: uuid.UUID, *, settings: Settings, now: datetime | None = None
) -> RoutingDecision | None:
    """The routing task: a complete intake, or a deferred one whose recheck date came.

    A second delivery of the same message finds the intake already routed and does nothing.
    """
    now = now or utcnow()
    intake = intakes.get(uow.session, intake_id, for_update=True)
    if intake is None:
        return None
    if intake.status == IntakeStatus.COMPLETE:
        return route(uow, intake, settings=settings, trigger="checklist_complete", now=now)
    due = intake.recheck_on is not None and intake.recheck_on <= clinic_today(settings, now)
    if intake.status == IntakeStatus.DEFERRED and due:
        return route(uow, intake, settings=settings, trigger="recheck", now=now)
    return None


def _staff_intake(uow: UnitOfWork, intake_id: uuid.UUID) -> Intake:
    intake = intakes.get(uow.session, intake_id, for_update=True)
    if intake is None or intake.status == IntakeStatus.DRAFT:
        raise NotFound("No such submitted intake")
    return intake


def touch_claim(intake: Intake, staff: StaffUser, now: datetime) -> None:
    """The holder is working on it: their claim is not idle."""
    if intake.claimed_by_id == staff.id:
        intake.claim_touched_at = now


def override(
    uow: UnitOfWork,
    intake_id: uuid.UUID,
    *,
    staff: StaffUser,
    route_name: str,
    reason: str,
    settings: Settings,
) -> RoutingDecision:
    """A coordinator's or clinician's own routing, with their reason; kept beside the rules'."""
    authorize(uow, staff, Permission.OVERRIDE_ROUTE)
    now = utcnow()
    intake = _staff_intake(uow, intake_id)
    if intake.status not in _OVERRIDABLE and intake.queue != placement.URGENT:
        raise Conflict(
            f"This intake is {intake.status.value}: it can be routed once its checklist is complete"
        )
    current = latest_applied(uow, intake.id)
    record = RoutingDecision(
        intake_id=intake.id,
        kind=DecisionKind.OVERRIDE,
        route=route_name,
        queue=QUEUE_OF[route_name],
        ruleset_version=RULESET_VERSION,
        rule_ids=[OVERRIDE_RULE_ID],
        reasons=[reason],
        missing=[],
        provisional=False,
        provisional_route=None,
        recheck_on=None,
        input_snapshot={
            "replaced_decision_id": str(current.id) if current else None,
            "replaced_route": current.route if current else None,
        },
        trigger="override",
        decided_by_id=staff.id,
        applied=True,
        created_at=now,
    )
    uow.session.add(record)
    uow.session.flush()
    _apply(uow, intake, record, settings=settings, now=now)
    audit.record(
        uow,
        actor=Actor.staff(staff.id),
        action="routing.override",
        object_type="intake",
        object_id=intake.id,
    )
    return record


@dataclass(frozen=True)
class FindingEntry:
    type: str
    level: str | None
    present: bool
    document_id: uuid.UUID | None
    note: str | None


def add_finding(
    uow: UnitOfWork,
    intake_id: uuid.UUID,
    *,
    staff: StaffUser,
    entry: FindingEntry,
    settings: Settings,
) -> tuple[ConfirmedFinding, RoutingDecision | None]:
    """Record what staff read in a document, then route again on it."""
    authorize(uow, staff, Permission.ENTER_FINDINGS)
    now = utcnow()
    intake = _staff_intake(uow, intake_id)
    if entry.document_id is not None:
        document = documents.get(uow.session, entry.document_id)
        if document is None or document.intake_id != intake.id:
            raise NotFound("No such document on this intake")
    finding = ConfirmedFinding(
        intake_id=intake.id,
        type=entry.type,
        level=entry.level,
        present=entry.present,
        document_id=entry.document_id,
        note=entry.note,
        entered_by_id=staff.id,
        created_at=now,
    )
    uow.session.add(finding)
    uow.session.flush()
    audit.record(
        uow,
        actor=Actor.staff(staff.id),
        action="finding.create",
        object_type="finding",
        object_id=finding.id,
    )
    touch_claim(intake, staff, now)
    decision = None
    if intake.status in _ROUTABLE:
        decision = route(uow, intake, settings=settings, trigger="finding", now=now)
    return finding, decision


def read_history(
    uow: UnitOfWork, intake_id: uuid.UUID, *, staff: StaffUser
) -> list[RoutingDecision]:
    intake = read_intake(uow, intake_id, staff=staff, action="routing.read")
    return history(uow, intake.id)


def read_findings(uow: UnitOfWork, intake_id: uuid.UUID, *, staff: StaffUser) -> list[FindingOut]:
    """The patient's reported findings, then staff's entries oldest first."""
    intake = read_intake(uow, intake_id, staff=staff, action="finding.read")
    reported = [
        FindingOut(
            id=None,
            type=str(item.get("finding")),
            level=item.get("level"),
            present=True,
            source="patient_reported",
        )
        for item in intake.answers.get("reported_findings") or []
        if isinstance(item, dict) and item.get("finding")
    ]
    confirmed = [FindingOut.confirmed(row) for row in gathered.findings_of(uow.session, intake.id)]
    return reported + confirmed
