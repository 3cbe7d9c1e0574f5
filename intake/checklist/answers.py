"""The facts the checklist needs from the questionnaire answers, read leniently.

A draft may lack any answer, and a value the questionnaire rejects (a bad date, an unknown
region) counts here as not given: the checklist must always produce a sensible list.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from intake.questionnaire import INSTRUMENTED_PROCEDURES, PartialDate, Region, parse_partial_date
from intake.questionnaire.segments import region_of
from intake.questionnaire.v1 import SurgeryAnswers
from intake.questionnaire.validation import parse_answers


@dataclass(frozen=True)
class Surgery:
    """One surgery in the answers, as far as they tell."""

    date: PartialDate | None
    region: Region | None
    has_hardware: bool


@dataclass(frozen=True)
class AnswerFacts:
    surgeries: tuple[Surgery, ...]  # oldest first; undated ones last, in answer order
    care_episode_count: int
    care_days: int | None  # days the dated care episodes cover together; None if none dated

    @property
    def regions(self) -> frozenset[Region]:
        return frozenset(s.region for s in self.surgeries if s.region is not None)

    @property
    def has_hardware(self) -> bool:
        return any(s.has_hardware for s in self.surgeries)

    @property
    def first_surgery(self) -> PartialDate | None:
        dated = [s.date for s in self.surgeries if s.date is not None]
        return min(dated, key=lambda d: d.first_day) if dated else None

    @property
    def last_surgery(self) -> PartialDate | None:
        dated = [s.date for s in self.surgeries if s.date is not None]
        return max(dated, key=lambda d: d.last_day) if dated else None


def read_answers(answers: Mapping[str, Any], today: date) -> AnswerFacts:
    """The checklist's view of possibly partial or invalid answers; never raises on them.

    Reuses the questionnaire's first validation pass, so both read a value alike.
    """
    parsed, _ = parse_answers(answers if isinstance(answers, Mapping) else {})
    surgeries = [_surgery(item.value) for item in parsed.surgeries]
    # Stable sort: surgeries in the same month, and undated ones, keep the patient's order.
    surgeries.sort(key=lambda s: (s.date is None, s.date.first_day if s.date else date.min))
    spans = []
    for episode in parsed.conservative_care:
        start = _partial_date(episode.value.start_date)
        end = _partial_date(episode.value.end_date)
        if start is not None:
            # A month date stands for every day in it; an episode with no end is ongoing.
            spans.append((start.first_day, end.last_day if end else today))
    return AnswerFacts(
        surgeries=tuple(surgeries),
        care_episode_count=len(parsed.conservative_care),
        care_days=_days_covered(spans) if spans else None,
    )


def _surgery(value: SurgeryAnswers) -> Surgery:
    levels = value.levels or ()
    region = value.region or (region_of(levels[0]) if levels else None)
    # A fusion or disc prosthesis leaves hardware even while a draft lacks its levels.
    hardware = bool(value.instrumented_levels) or value.procedure_type in INSTRUMENTED_PROCEDURES
    return Surgery(date=_partial_date(value.surgery_date), region=region, has_hardware=hardware)


def _partial_date(text: str | None) -> PartialDate | None:
    if text is None:
        return None
    try:
        return parse_partial_date(text)
    except ValueError:
        return None


def _days_covered(spans: list[tuple[date, date]]) -> int:
    """Calendar days inside at least one [start, end] span; overlapping days count once."""
    covered = 0
    first_uncounted: date | None = None
    for start, end in sorted(spans):
        if first_uncounted is not None:
            start = max(start, first_uncounted)
        if end >= start:
            covered += (end - start).days + 1
            first_uncounted = end + timedelta(days=1)
    return covered
