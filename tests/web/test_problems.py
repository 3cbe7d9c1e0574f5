"""Validation problems worded for the patient, and every answer labelled."""

from __future__ import annotations

import pytest

from intake import questionnaire
from intake.web import choices, problems


@pytest.mark.parametrize(
    ("loc", "msg", "type_", "summary", "beside"),
    [
        (
            ["surgeries", 0, "procedure_type"],
            "is required",
            "missing",
            "Surgery 1: Type of operation is required",
            "Type of operation is required",
        ),
        (
            ["surgeries", 1, "instrumented_levels", 0],
            "L3-L4 is not one of the operated levels",
            "instrumented_not_operated",
            "Surgery 2, Levels with implants: L3-L4 is not one of the operated levels",
            "L3-L4 is not one of the operated levels",
        ),
        (
            ["conservative_care", 0, "sessions"],
            "Input should be a valid integer",
            "int_type",
            "Treatment 1, Number of sessions: Enter a whole number",
            "Enter a whole number",
        ),
        (
            ["symptoms", 0, "onset"],
            "is required",
            "missing",
            "Stiffness: When it started is required",
            "When it started is required",
        ),
        (
            ["surgeries"],
            "Add at least one",
            "too_short",
            "Add at least one surgery",
            "Add at least one surgery",
        ),
        (
            ["consent", "privacy_notice"],
            "must be accepted",
            "must_be_accepted",
            "Consent: Privacy notice must be accepted",
            "Privacy notice must be accepted",
        ),
    ],
)
def test_problems_are_worded_for_the_patient(
    loc: list[str | int], msg: str, type_: str, summary: str, beside: str
) -> None:
    answers = {"symptoms": [{"symptom": "stiffness"}]}

    assert problems.describe(loc, msg, type_, answers) == (summary, beside)


def test_a_red_flag_problem_is_named_by_its_question() -> None:
    detail = [
        {
            "loc": ["body", "answers", "red_flags", "saddle_numbness"],
            "msg": "answer this question",
            "type": "missing",
        }
    ]

    [problem] = problems.from_detail(detail, {})

    assert problem.message.startswith("Do you have numbness around your bottom")
    assert problem.message.endswith("Answer this question")
    assert problem.href == "/intake/red-flags#red_flags-saddle_numbness"


def test_every_value_the_questionnaire_knows_has_a_label() -> None:
    labelled = {
        "procedure types": (questionnaire.PROCEDURE_TYPES, choices._PROCEDURE_TYPES),
        "regions": (questionnaire.REGIONS, choices._REGION_LABELS),
        "complications": (questionnaire.COMPLICATIONS, choices._COMPLICATIONS),
        "outcomes": (questionnaire.OUTCOME_PATTERNS, choices._OUTCOME_PATTERNS),
        "symptoms": (questionnaire.SYMPTOMS, choices._SYMPTOMS),
        "onsets": (questionnaire.ONSETS, choices._ONSETS),
        "care": (questionnaire.CARE_TYPES, choices._CARE_TYPES),
        "responses": (questionnaire.CARE_RESPONSES, choices._CARE_RESPONSES),
        "findings": (questionnaire.FINDINGS, choices._FINDINGS),
        "sources": (questionnaire.FINDING_SOURCES, choices._SAID_BY),
        "odi versions": (questionnaire.ODI_VERSIONS, choices._ODI_VERSIONS),
        "odi sections": (tuple(choices.ODI_SECTIONS), choices._ODI_SECTIONS),
        "ndi items": (questionnaire.NDI_ITEMS, choices._NDI_ITEMS),
    }
    unlabelled = {name: set(values) - set(labels) for name, (values, labels) in labelled.items()}

    assert {name: missing for name, missing in unlabelled.items() if missing} == {}
    assert set(choices.RED_FLAGS) == set(questionnaire.RED_FLAG_KEYS)
