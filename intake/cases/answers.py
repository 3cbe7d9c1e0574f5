"""The intake's answers as the case view shows them: scores, surgeries, care, medications.

Answers are read defensively: a draft may hold any part of a section, and a value of the
wrong shape is shown as missing rather than failing the whole page.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from intake import questionnaire
from intake.cases.schemas import (
    CareEpisodeView,
    MedicationView,
    ScoresView,
    SurgeryView,
    SymptomView,
)


def _rows(answers: Mapping[str, Any], section: str) -> list[Mapping[str, Any]]:
    value = answers.get(section)
    return [row for row in value if isinstance(row, Mapping)] if isinstance(value, list) else []


def _section(answers: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = answers.get(name)
    return value if isinstance(value, Mapping) else {}


def _text(row: Mapping[str, Any], key: str) -> str | None:
    value = row.get(key)
    return value if isinstance(value, str) and value else None


def _texts(row: Mapping[str, Any], key: str) -> list[str]:
    value = row.get(key)
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _number(row: Mapping[str, Any], key: str) -> int | None:
    value = row.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _flag(row: Mapping[str, Any], key: str) -> bool | None:
    value = row.get(key)
    return value if isinstance(value, bool) else None


def scores_of(version: str, answers: Mapping[str, Any]) -> ScoresView:
    """ODI, NDI and pain NRS, scored by the intake's own questionnaire version."""
    scores = questionnaire.get_version(version).scores(answers)
    pain = _section(answers, "pain")
    return ScoresView(
        odi_version=_text(_section(answers, "odi"), "version"),
        odi_percent=scores.odi.percent if scores.odi else None,
        odi_band=scores.odi.band if scores.odi else None,
        odi_answered=scores.odi.answered if scores.odi else None,
        ndi_raw=scores.ndi.raw if scores.ndi else None,
        ndi_band=scores.ndi.band if scores.ndi else None,
        ndi_answered=scores.ndi.answered if scores.ndi else None,
        nrs_back_or_neck=_number(pain, "back_or_neck"),
        nrs_leg_or_arm=_number(pain, "leg_or_arm"),
        leg_dominant=scores.leg_dominant,
    )


def surgeries_of(answers: Mapping[str, Any]) -> list[SurgeryView]:
    """Every surgery, oldest first; undated ones last, in the order they were given."""
    surgeries = [
        SurgeryView(
            number=number,
            surgery_date=_text(row, "surgery_date"),
            procedure_type=_text(row, "procedure_type"),
            region=_text(row, "region"),
            levels=_texts(row, "levels"),
            instrumented_levels=_texts(row, "instrumented_levels"),
            complications=_texts(row, "complications"),
            outcome_pattern=_text(row, "outcome_pattern"),
            pain_free_months=_number(row, "pain_free_months"),
            surgeon=_text(row, "surgeon"),
            facility=_text(row, "facility"),
        )
        for number, row in enumerate(_rows(answers, "surgeries"), start=1)
    ]
    # "YYYY-MM" and "YYYY-MM-DD" sort correctly as text.
    return sorted(surgeries, key=lambda s: (s.surgery_date is None, s.surgery_date or ""))


def symptoms_of(answers: Mapping[str, Any]) -> list[SymptomView]:
    return [
        SymptomView(
            symptom=symptom,
            onset=_text(row, "onset"),
            onset_months_after_surgery=_number(row, "onset_months_after_surgery"),
        )
        for row in _rows(answers, "symptoms")
        if (symptom := _text(row, "symptom"))
    ]


def care_of(answers: Mapping[str, Any]) -> list[CareEpisodeView]:
    return [
        CareEpisodeView(
            type=_text(row, "type"),
            start_date=_text(row, "start_date"),
            end_date=_text(row, "end_date"),
            sessions=_number(row, "sessions"),
            response=_text(row, "response"),
        )
        for row in _rows(answers, "conservative_care")
    ]


def medications_of(answers: Mapping[str, Any]) -> list[MedicationView]:
    return [
        MedicationView(
            name=_text(row, "name"),
            drug_class=_text(row, "drug_class"),
            opioid=_flag(row, "opioid"),
            current=_flag(row, "current"),
        )
        for row in _rows(answers, "medications")
    ]


def red_flag_triggers(version: str, answers: Mapping[str, Any]) -> list[str]:
    """The red-flag questions answered yes now (the tier itself never goes down)."""
    return list(questionnaire.get_version(version).red_flags(answers).triggers)
