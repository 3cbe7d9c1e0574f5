"""Gathering what the routing rules read from the database: the facts and the findings."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.checklist.answers import read_answers
from intake.checklist.rules import DocumentEvidence, evaluate_checklist
from intake.intakes.models import Intake
from intake.routing.facts import RoutingFacts, StaffFinding, build_facts
from intake.routing.models import ConfirmedFinding


def findings_of(session: Session, intake_id: uuid.UUID) -> list[ConfirmedFinding]:
    """Every finding staff entered for the intake, oldest first (corrections come later)."""
    stmt = (
        select(ConfirmedFinding)
        .where(ConfirmedFinding.intake_id == intake_id)
        .order_by(ConfirmedFinding.created_at, ConfirmedFinding.id)
    )
    return list(session.scalars(stmt))


def current_findings(rows: Sequence[ConfirmedFinding]) -> list[StaffFinding]:
    """The latest word on each (type, level): a later entry corrects an earlier one."""
    latest: dict[tuple[str, str | None], ConfirmedFinding] = {}
    for row in rows:
        latest[(row.type, row.level)] = row
    return [StaffFinding(type=r.type, level=r.level, present=r.present) for r in latest.values()]


def latest_mri_on(evidence: Sequence[DocumentEvidence]) -> date | None:
    dates = [
        d.dated
        for d in evidence
        if d.counts and d.dated is not None and (d.modality == "MR" or d.kind == "current_mri")
    ]
    return max(dates, default=None)


def has_post_fusion_ct(evidence: Sequence[DocumentEvidence], intake: Intake, today: date) -> bool:
    """A CT taken after the latest fusion: the study that shows whether the bone has joined."""
    facts = read_answers(intake.answers, today)
    fused = [s.date.first_day for s in facts.surgeries if s.has_hardware and s.date is not None]
    if not fused:
        return False
    since = max(fused)
    return any(
        d.counts and d.modality == "CT" and d.dated is not None and d.dated >= since
        for d in evidence
    )


def gather(
    intake: Intake,
    *,
    evidence: Sequence[DocumentEvidence],
    findings: Sequence[ConfirmedFinding],
    today: date,
) -> RoutingFacts:
    checklist = evaluate_checklist(answers=intake.answers, documents=evidence, today=today)
    return build_facts(
        intake.answers,
        staff_findings=current_findings(findings),
        red_flag_tier=intake.red_flag_tier,
        missing=checklist.missing_keys,
        latest_mri_on=latest_mri_on(evidence),
        has_post_fusion_ct=has_post_fusion_ct(evidence, intake, today),
        today=today,
    )
