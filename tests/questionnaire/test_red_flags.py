"""Red flags: tiers, triggers, unanswered questions and the patient instruction."""

from __future__ import annotations

from typing import Any

import pytest

from intake.questionnaire import (
    EMERGENCY_INSTRUCTION,
    RED_FLAG_KEYS,
    RED_FLAG_QUESTIONS,
    URGENT_INSTRUCTION,
    RedFlagResult,
    instruction_for,
)
from intake.questionnaire.v1 import RedFlagAnswers
from tests.questionnaire.fixtures import COMPLETE_ANSWERS, NO_RED_FLAGS
from tests.questionnaire.support import V1

# Written out rather than read from RED_FLAG_QUESTIONS, so a wrong tier there fails here.
EMERGENCY_KEYS = [
    "bladder_or_bowel_dysfunction",
    "saddle_numbness",
    "both_legs_weak_or_numb",
    "progressive_weakness_or_gait",
]
URGENT_KEYS = [
    "sexual_dysfunction",  # POLICY: urgent alone, emergency alongside an emergency sign
    "fever_after_surgery",
    "wound_problem",
    "cancer_or_weight_loss",
    "infection_risk",
    "significant_trauma",
    "night_or_rest_pain",
    "widespread_neurological_symptoms",
]


def read(**answered: Any) -> RedFlagResult:
    return V1.red_flags({"red_flags": {**NO_RED_FLAGS, **answered}})


def test_every_key_is_covered_and_matches_the_answers_model() -> None:
    assert sorted(EMERGENCY_KEYS + URGENT_KEYS) == sorted(RED_FLAG_KEYS)
    assert list(RED_FLAG_KEYS) == list(RedFlagAnswers.model_fields)


@pytest.mark.parametrize(
    ("key", "tier"),
    [*((key, "emergency") for key in EMERGENCY_KEYS), *((key, "urgent") for key in URGENT_KEYS)],
)
def test_each_key_alone_raises_its_tier(key: str, tier: str) -> None:
    result = read(**{key: True})

    assert result.tier == tier
    assert result.triggers == (key,)
    assert result.unanswered == ()


@pytest.mark.parametrize("emergency_key", EMERGENCY_KEYS)
def test_sexual_dysfunction_with_an_emergency_sign_is_an_emergency(emergency_key: str) -> None:
    result = read(sexual_dysfunction=True, **{emergency_key: True})

    assert result.tier == "emergency"
    assert set(result.triggers) == {"sexual_dysfunction", emergency_key}


def test_sexual_dysfunction_with_an_urgent_sign_stays_urgent() -> None:
    assert read(sexual_dysfunction=True, wound_problem=True).tier == "urgent"


def test_emergency_beats_urgent() -> None:
    result = read(fever_after_surgery=True, saddle_numbness=True, night_or_rest_pain=True)

    assert result.tier == "emergency"
    # Triggers follow the order of the questions, not of the answers.
    assert result.triggers == ("saddle_numbness", "fever_after_surgery", "night_or_rest_pain")


def test_all_false_raises_nothing() -> None:
    assert read() == RedFlagResult(tier=None, triggers=(), unanswered=(), instruction=None)


def test_unanswered_keys_are_listed_and_do_not_count() -> None:
    result = V1.red_flags(
        {"red_flags": {"saddle_numbness": False, "wound_problem": True, "night_or_rest_pain": None}}
    )

    assert result.tier == "urgent"
    assert result.triggers == ("wound_problem",)
    assert result.unanswered == tuple(
        k for k in RED_FLAG_KEYS if k not in {"saddle_numbness", "wound_problem"}
    )


@pytest.mark.parametrize(
    "answers",
    [{}, {"red_flags": None}, {"red_flags": "yes"}, {"red_flags": {"saddle_numbness": "yes"}}],
)
def test_missing_or_invalid_answers_raise_nothing_and_stay_unanswered(
    answers: dict[str, Any],
) -> None:
    result = V1.red_flags(answers)

    assert result.tier is None
    assert result.unanswered == RED_FLAG_KEYS


@pytest.mark.parametrize(
    ("answered", "instruction"),
    [
        ({"saddle_numbness": True}, EMERGENCY_INSTRUCTION),
        ({"fever_after_surgery": True}, URGENT_INSTRUCTION),
        ({}, None),
    ],
)
def test_instruction_follows_the_tier(answered: dict[str, bool], instruction: str | None) -> None:
    result = read(**answered)

    assert result.instruction == instruction
    assert instruction_for(result.tier) == instruction


def test_instructions_send_the_patient_somewhere_now() -> None:
    assert "emergency department now" in EMERGENCY_INSTRUCTION
    assert "Do not wait" in EMERGENCY_INSTRUCTION
    assert "call the clinic today" in URGENT_INSTRUCTION
    assert "emergency department" in URGENT_INSTRUCTION


def test_instruction_for_an_unknown_tier_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown red-flag tier"):
        instruction_for("mild")


@pytest.mark.parametrize("question", RED_FLAG_QUESTIONS, ids=lambda q: q.key)
def test_questions_ask_in_plain_words_without_naming_a_diagnosis(question: Any) -> None:
    text = question.question.lower()

    assert "?" in text
    assert not any(word in text for word in ("cauda equina", "syndrome", "diagnos", "candidate"))


def test_complete_fixture_raises_no_flag() -> None:
    assert V1.red_flags(COMPLETE_ANSWERS).tier is None
