"""What the routing rules read: the answers, the staff's findings and the documents, flattened.

`RoutingFacts` is the rules' whole input and is stored beside every decision, so a decision
can be replayed. `build_facts` reads possibly partial or invalid answers without raising: a
value the questionnaire rejects counts as not given. Where the answers are imprecise it
takes the reading that never overstates time or care, so a threshold is met only when the
answers show it is.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal, TypeAlias

from intake.questionnaire import INSTRUMENTED_PROCEDURES, PartialDate, parse_partial_date
from intake.questionnaire.v1 import CareEpisodeAnswers, SurgeryAnswers
from intake.questionnaire.validation import parse_answers
from intake.routing.policy import months_between

FindingSource: TypeAlias = Literal["patient_reported", "staff_confirmed"]


@dataclass(frozen=True)
class FindingFact:
    type: str  # a questionnaire v1 Finding value
    level: str | None  # a Segment, or None when not given
    source: FindingSource


@dataclass(frozen=True)
class StaffFinding:
    """What staff entered from a document; present=False rules the finding out."""

    type: str
    level: str | None  # None with present=False rules the finding out at every level
    present: bool


@dataclass(frozen=True)
class SurgeryFact:
    procedure_type: str
    levels: tuple[str, ...]
    instrumented_levels: tuple[str, ...]
    # A month-only date resolves to its last day, so no time that may not have elapsed yet
    # counts towards a threshold.
    performed_on: date | None
    outcome_pattern: str | None
    pain_free_months: int | None


@dataclass(frozen=True)
class RoutingFacts:
    """The rules' whole input; also the input snapshot stored with each decision."""

    today: date
    red_flag_tier: str | None  # "emergency" | "urgent" | None
    missing: tuple[str, ...]  # missing answers / documents (checklist keys)
    surgeries: tuple[SurgeryFact, ...]  # oldest first; undated ones last
    findings: tuple[FindingFact, ...]  # the merged, effective findings, sorted
    back_pain: int | None  # NRS 0-10
    leg_pain: int | None
    pain_months: int | None  # how long the current pain has lasted
    care_episodes_since_surgery: int
    latest_mri_on: date | None
    has_post_fusion_ct: bool

    def snapshot(self) -> dict[str, Any]:
        """JSON-ready: dates as ISO strings, tuples as lists, keys in field order."""
        return {name: _jsonable(value) for name, value in dataclasses.asdict(self).items()}


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def build_facts(
    answers: Mapping[str, Any],
    *,
    staff_findings: Sequence[StaffFinding],
    red_flag_tier: str | None,
    missing: Sequence[str],
    latest_mri_on: date | None,
    has_post_fusion_ct: bool,
    today: date,
) -> RoutingFacts:
    """The rules' input from the answers and what staff and the documents add; never raises
    on the answers."""
    # Reuse the questionnaire's first pass, so the rules read a value as the form does.
    parsed, _ = parse_answers(answers if isinstance(answers, Mapping) else {})
    surgeries = sorted(
        (_surgery(item.value) for item in parsed.surgeries),
        # Stable: surgeries on the same day, and undated ones, keep the patient's order.
        key=lambda s: (s.performed_on is None, s.performed_on or date.min),
    )
    dated = [s for s in surgeries if s.performed_on is not None]
    latest = max(dated, key=lambda s: s.performed_on or date.min) if dated else None
    reported = [
        (item.value.finding, item.value.level)
        for item in parsed.reported_findings
        if item.value.finding is not None
    ]
    pain = parsed.pain.value if parsed.pain else None
    return RoutingFacts(
        today=today,
        red_flag_tier=red_flag_tier,
        missing=tuple(missing),
        surgeries=tuple(surgeries),
        findings=effective_findings(reported, staff_findings),
        back_pain=pain.back_or_neck if pain else None,
        leg_pain=pain.leg_or_arm if pain else None,
        pain_months=_pain_months(latest, today),
        care_episodes_since_surgery=_care_since(
            [item.value for item in parsed.conservative_care], latest
        ),
        latest_mri_on=latest_mri_on,
        has_post_fusion_ct=has_post_fusion_ct,
    )


def effective_findings(
    reported: Sequence[tuple[str, str | None]], staff: Sequence[StaffFinding]
) -> tuple[FindingFact, ...]:
    """Staff-confirmed findings, plus each reported one staff neither ruled out nor confirmed."""
    confirmed = {FindingFact(s.type, s.level, "staff_confirmed") for s in staff if s.present}
    ruled_out = {(s.type, s.level) for s in staff if not s.present}
    effective = set(confirmed)
    for type_, level in reported:
        if (type_, level) in ruled_out or (type_, None) in ruled_out:
            continue
        if FindingFact(type_, level, "staff_confirmed") in confirmed:
            continue  # the confirmed copy stands in for it
        effective.add(FindingFact(type_, level, "patient_reported"))
    return tuple(sorted(effective, key=lambda f: (f.type, f.level or "", f.source)))


def _surgery(value: SurgeryAnswers) -> SurgeryFact:
    levels = tuple(value.levels or ())
    instrumented: tuple[str, ...] = tuple(value.instrumented_levels or ())
    if value.instrumented_levels is None and value.procedure_type in INSTRUMENTED_PROCEDURES:
        # A fusion or disc prosthesis leaves hardware at its levels even while a draft lacks
        # the instrumented list: never let a fused disc pass for a regenerative target.
        instrumented = levels
    when = _partial_date(value.surgery_date)
    return SurgeryFact(
        # An unknown procedure reads as 'other', which waits the longer (fusion) threshold.
        procedure_type=value.procedure_type or "other",
        levels=levels,
        instrumented_levels=instrumented,
        performed_on=when.last_day if when else None,
        outcome_pattern=value.outcome_pattern,
        pain_free_months=value.pain_free_months,
    )


def _pain_months(latest: SurgeryFact | None, today: date) -> int | None:
    """Months the current pain has lasted: since the latest surgery, less any pain-free spell."""
    if latest is None or latest.performed_on is None:
        return None
    months = months_between(latest.performed_on, today)
    if latest.outcome_pattern == "improved_then_recurred":
        if latest.pain_free_months is None:
            return None  # the pain came back, but when is unknown
        months -= latest.pain_free_months
    return max(months, 0)


def _care_since(episodes: Sequence[CareEpisodeAnswers], latest: SurgeryFact | None) -> int:
    """Episodes that certainly started on or after the latest surgery.

    A month-only start is read as the month's first day and a month-only surgery as its last
    day, so an episode in the same month as the surgery does not count: it may have been
    before it. Undated episodes, and any episode when no surgery is dated, do not count.
    """
    if latest is None or latest.performed_on is None:
        return 0
    starts = [_partial_date(episode.start_date) for episode in episodes]
    return sum(1 for start in starts if start and start.first_day >= latest.performed_on)


def _partial_date(text: str | None) -> PartialDate | None:
    if text is None:
        return None
    try:
        return parse_partial_date(text)
    except ValueError:  # parse_answers already set bad dates aside; kept as a guard
        return None
