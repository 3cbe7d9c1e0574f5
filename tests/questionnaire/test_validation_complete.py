"""Submit validation: everything a draft reports plus every missing REQUIRED answer."""

from __future__ import annotations

from typing import Any

import pytest

from intake.questionnaire import RED_FLAG_KEYS
from tests.questionnaire.fixtures import (
    COMPLETE_ANSWERS,
    COMPLETE_CERVICAL_ANSWERS,
    DATE_OF_BIRTH,
    TODAY,
)
from tests.questionnaire.support import V1, Edit, complete, draft, edited

RED_FLAGS_UNANSWERED = [(("red_flags", key), "missing") for key in RED_FLAG_KEYS]


@pytest.mark.parametrize("answers", [COMPLETE_ANSWERS, COMPLETE_CERVICAL_ANSWERS])
def test_complete_fixtures_are_valid(answers: dict[str, Any]) -> None:
    assert V1.validate_complete(answers, date_of_birth=DATE_OF_BIRTH, today=TODAY) == []


def test_empty_answers_list_every_required_section_at_once() -> None:
    assert complete({}) == [
        (("surgeries",), "missing"),
        (("symptoms",), "missing"),
        (("pain",), "missing"),
        (("conservative_care",), "missing"),
        *RED_FLAGS_UNANSWERED,
        (("consent",), "missing"),
    ]


def test_missing_answers_have_the_agreed_wording() -> None:
    problems = V1.validate_complete(
        {"consent": {"privacy_notice": False}}, date_of_birth=DATE_OF_BIRTH, today=TODAY
    )
    by_loc = {tuple(p["loc"]): p["msg"] for p in problems}

    assert by_loc[("pain",)] == "is required"
    assert by_loc[("red_flags", "saddle_numbness")] == "answer this question"
    assert by_loc[("consent", "privacy_notice")] == "must be accepted"


@pytest.mark.parametrize("name", ["surgeries", "symptoms", "pain", "conservative_care", "odi"])
def test_each_required_section(name: str) -> None:
    assert complete(edited(lambda a: a.pop(name))) == [((name,), "missing")]


def test_null_section_counts_as_missing() -> None:
    assert complete(edited(lambda a: a.update(pain=None))) == [(("pain",), "missing")]


def test_missing_red_flags_section_lists_every_question() -> None:
    assert complete(edited(lambda a: a.pop("red_flags"))) == RED_FLAGS_UNANSWERED


@pytest.mark.parametrize("key", RED_FLAG_KEYS)
def test_each_unanswered_red_flag_is_its_own_problem(key: str) -> None:
    answers = edited(lambda a: a.update(red_flags={**a["red_flags"], key: None}))

    assert complete(answers) == [(("red_flags", key), "missing")]


def test_two_unanswered_red_flags_are_two_problems() -> None:
    first, second = RED_FLAG_KEYS[0], RED_FLAG_KEYS[-1]
    answers = edited(
        lambda a: a.update(
            red_flags={k: v for k, v in a["red_flags"].items() if k not in {first, second}}
        )
    )

    assert complete(answers) == [
        (("red_flags", first), "missing"),
        (("red_flags", second), "missing"),
    ]


@pytest.mark.parametrize(
    ("consent", "expected"),
    [
        ({"privacy_notice": False}, [(("consent", "privacy_notice"), "must_be_accepted")]),
        ({}, [(("consent", "privacy_notice"), "must_be_accepted")]),
        ({"privacy_notice": "yes"}, [(("consent", "privacy_notice"), "bool_type")]),
        ({"privacy_notice": True}, []),
    ],
)
def test_consent_must_be_accepted_at_submit(consent: dict[str, Any], expected: Any) -> None:
    assert complete(edited(lambda a: a.update(consent=consent))) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("surgeries", [(("surgeries",), "too_short")]),
        ("symptoms", [(("symptoms",), "too_short")]),
        ("conservative_care", []),
        ("medications", []),
        ("reported_findings", []),
    ],
)
def test_empty_lists(name: str, expected: Any) -> None:
    assert complete(edited(lambda a: a.update({name: []}))) == expected


@pytest.mark.parametrize("name", ["medications", "reported_findings"])
def test_optional_sections(name: str) -> None:
    assert complete(edited(lambda a: a.pop(name))) == []


@pytest.mark.parametrize(
    "loc",
    [
        *(("surgeries", 0, f) for f in ("procedure_type", "region", "levels", "surgery_date")),
        ("surgeries", 0, "outcome_pattern"),
        ("surgeries", 0, "pain_free_months"),  # the outcome is improved_then_recurred
        ("surgeries", 0, "instrumented_levels"),  # the procedure is a fusion
        ("symptoms", 0, "symptom"),
        ("symptoms", 0, "onset"),
        ("symptoms", 0, "onset_months_after_surgery"),  # the onset is after_surgery
        ("pain", "back_or_neck"),
        ("pain", "leg_or_arm"),
        ("odi", "version"),
        *(("conservative_care", 0, f) for f in ("type", "start_date", "response")),
        *(("medications", 0, f) for f in ("name", "opioid", "current")),
        ("reported_findings", 0, "finding"),
    ],
)
def test_each_required_field(loc: tuple[str | int, ...]) -> None:
    def remove(answers: dict[str, Any]) -> None:
        container: Any = answers
        for part in loc[:-1]:
            container = container[part]
        del container[loc[-1]]

    answers = edited(remove)

    assert complete(answers) == [(loc, "missing")]
    assert draft(answers) == []


def surgery(**changes: Any) -> Edit:
    return lambda answers: answers["surgeries"][0].update(changes)


def drop(section: str, *fields: str) -> Edit:
    return lambda answers: [answers[section][0].pop(field) for field in fields]


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        pytest.param(
            surgery(levels=[], instrumented_levels=[]),
            [
                (("surgeries", 0, "levels"), "too_short"),
                (("surgeries", 0, "instrumented_levels"), "too_short"),
            ],
            id="no-levels",
        ),
        pytest.param(
            surgery(instrumented_levels=[]),
            [(("surgeries", 0, "instrumented_levels"), "too_short")],
            id="fusion-without-hardware-levels",
        ),
        pytest.param(
            surgery(procedure_type="artificial_disc", instrumented_levels=None),
            [(("surgeries", 0, "instrumented_levels"), "missing")],
            id="disc-prosthesis-without-levels",
        ),
        pytest.param(
            surgery(procedure_type="microdiscectomy", instrumented_levels=[]),
            [],
            id="discectomy-without-hardware-ok",
        ),
        pytest.param(
            surgery(procedure_type="laminectomy", instrumented_levels=None),
            [],
            id="laminectomy-without-hardware-ok",
        ),
        pytest.param(
            surgery(outcome_pattern="never_improved", pain_free_months=None),
            [],
            id="pain-free-only-after-recurrence",
        ),
        pytest.param(
            lambda a: a["symptoms"][0].update(
                onset="before_surgery", onset_months_after_surgery=None
            ),
            [],
            id="onset-months-only-after-surgery",
        ),
        pytest.param(
            drop("surgeries", "surgeon", "facility", "complications"),
            [],
            id="surgery-extras-optional",
        ),
        pytest.param(
            drop("conservative_care", "end_date", "sessions"),
            [],
            id="care-end-and-sessions-optional",
        ),
        pytest.param(lambda a: a["odi"].pop("sections"), [], id="odi-sections-may-be-unanswered"),
        pytest.param(drop("medications", "drug_class"), [], id="drug-class-optional"),
        pytest.param(
            drop("reported_findings", "level", "said_by"), [], id="finding-level-optional"
        ),
    ],
)
def test_conditional_requirements(edit: Edit, expected: Any) -> None:
    assert complete(edited(edit)) == expected


@pytest.mark.parametrize(
    ("region", "levels", "needs"),
    [
        ("lumbar", ["L4-L5"], "odi"),
        ("thoracic", ["T11-T12"], "odi"),
        ("cervical", ["C5-C6"], "ndi"),
    ],
)
def test_disability_index_follows_the_region(region: str, levels: list[str], needs: str) -> None:
    answers = edited(surgery(region=region, levels=levels, instrumented_levels=levels))
    answers.pop("odi")

    assert complete(answers) == [((needs,), "missing")]


def test_lumbar_and_cervical_surgeries_need_both_indices() -> None:
    answers = edited(
        lambda a: a["surgeries"].append(COMPLETE_CERVICAL_ANSWERS["surgeries"][0]) or a.pop("odi")
    )

    assert complete(answers) == [(("odi",), "missing"), (("ndi",), "missing")]


def test_cervical_answers_need_no_odi() -> None:
    assert "odi" not in COMPLETE_CERVICAL_ANSWERS
    assert complete(edited(lambda a: a.pop("ndi"), COMPLETE_CERVICAL_ANSWERS)) == [
        (("ndi",), "missing")
    ]


def test_an_invalid_answer_is_not_also_reported_missing() -> None:
    answers = edited(lambda a: a["pain"].update(back_or_neck=11) or a.update(red_flags=[]))

    assert complete(answers) == [
        (("pain", "back_or_neck"), "less_than_equal"),
        (("red_flags",), "model_type"),
    ]


def test_submit_reports_draft_problems_and_missing_answers_together() -> None:
    def messy(answers: dict[str, Any]) -> None:
        answers["surgeries"][0].update(levels=["L4-L5", "C5-C6"], surgery_date=None)
        answers["symptoms"].append({})
        answers["pain"] = {"back_or_neck": 12}
        answers["red_flags"] = {"saddle_numbness": True}
        answers["consent"] = {"privacy_notice": False}
        answers["hobbies"] = []

    answers = edited(messy)
    problems = complete(answers)

    assert set(draft(answers)) <= set(problems)
    assert (("surgeries", 0, "levels", 1), "level_outside_region") in problems
    assert (("surgeries", 0, "surgery_date"), "missing") in problems
    assert (("symptoms", 2, "symptom"), "missing") in problems
    assert (("pain", "leg_or_arm"), "missing") in problems
    assert (("pain", "back_or_neck"), "less_than_equal") in problems
    assert (("consent", "privacy_notice"), "must_be_accepted") in problems
    assert (("hobbies",), "extra_forbidden") in problems
    assert len([loc for loc, _ in problems if loc[0] == "red_flags"]) == len(RED_FLAG_KEYS) - 1
