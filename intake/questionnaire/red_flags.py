"""Red-flag questions (DOMAIN.md §2): a yes bypasses routing and escalates the intake.

The wording is patient-facing, so it describes symptoms and actions and never names a
diagnosis (DOMAIN.md §6).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, TypeAlias

Tier: TypeAlias = Literal["emergency", "urgent"]

EMERGENCY_INSTRUCTION = (
    "Your answers include symptoms that need urgent medical attention. Go to the nearest "
    "emergency department now, or call your local emergency number. Do not wait for our "
    "team to contact you."
)
URGENT_INSTRUCTION = (
    "Some of your answers need a same-day review by a clinician. Please call the clinic "
    "today. If your symptoms get worse, go to the nearest emergency department."
)
INSTRUCTIONS: Mapping[str, str] = {
    "emergency": EMERGENCY_INSTRUCTION,
    "urgent": URGENT_INSTRUCTION,
}


@dataclass(frozen=True)
class RedFlagQuestion:
    key: str
    tier: Tier  # the tier a yes to this question raises on its own
    question: str


RED_FLAG_QUESTIONS: tuple[RedFlagQuestion, ...] = (
    RedFlagQuestion(
        "bladder_or_bowel_dysfunction",
        "emergency",
        "In the last 14 days, have you had new or worsening trouble passing urine, "
        "leaking of urine, or loss of control of your bowels?",
    ),
    RedFlagQuestion(
        "saddle_numbness",
        "emergency",
        "Do you have numbness around your bottom, genitals or inner thighs "
        "(the area that would touch a saddle)?",
    ),
    RedFlagQuestion(
        "both_legs_weak_or_numb", "emergency", "Do you have weakness or numbness in both legs?"
    ),
    RedFlagQuestion(
        "progressive_weakness_or_gait",
        "emergency",
        "Is weakness getting worse, or is walking getting harder?",
    ),
    # POLICY (answers spec): listed with the emergency signs, but on its own a clinician
    # reviews it the same day; alongside any emergency sign the tier is emergency anyway.
    RedFlagQuestion(
        "sexual_dysfunction",
        "urgent",
        "Have you noticed new problems with sexual function, such as loss of sensation?",
    ),
    RedFlagQuestion(
        "fever_after_surgery",
        "urgent",
        "Since your surgery, have you had a fever above 38 °C (100.4 °F) "
        "lasting more than 48 hours?",
    ),
    RedFlagQuestion(
        "wound_problem",
        "urgent",
        "Is your surgical wound red, leaking fluid, or opening up?",
    ),
    RedFlagQuestion(
        "cancer_or_weight_loss",
        "urgent",
        "Have you ever had cancer, or have you lost weight recently without trying?",
    ),
    RedFlagQuestion(
        "infection_risk",
        "urgent",
        "Do any of these apply to you: injecting drugs, a weakened immune system, "
        "taking steroids for a long time, or a recent infection?",
    ),
    RedFlagQuestion(
        "significant_trauma",
        "urgent",
        "Have you had a serious injury or a fall? A minor fall counts if you have "
        "osteoporosis (thin bones) or take steroids.",
    ),
    RedFlagQuestion(
        "night_or_rest_pain",
        "urgent",
        "Do you have pain that does not ease at night or when you rest?",
    ),
    RedFlagQuestion(
        "widespread_neurological_symptoms",
        "urgent",
        "Do you have numbness, tingling or weakness that is spreading or getting worse?",
    ),
)
RED_FLAG_KEYS: tuple[str, ...] = tuple(question.key for question in RED_FLAG_QUESTIONS)


@dataclass(frozen=True)
class RedFlagResult:
    tier: Tier | None
    triggers: tuple[str, ...]  # keys answered true, in question order
    unanswered: tuple[str, ...]  # keys not answered true or false
    instruction: str | None  # what the patient must do now; None without a tier


def instruction_for(tier: str | None) -> str | None:
    """The patient-facing instruction for a tier; None for no tier, ValueError for unknown."""
    if tier is None:
        return None
    instruction = INSTRUCTIONS.get(tier)
    if instruction is None:
        raise ValueError(f"unknown red-flag tier: {tier!r}")
    return instruction


def evaluate_red_flags(
    answers: object, questions: tuple[RedFlagQuestion, ...] = RED_FLAG_QUESTIONS
) -> RedFlagResult:
    """Tier, triggers and unanswered keys for a red_flags section, however partial.

    Only a JSON true raises a flag and only true/false count as answered: anything else
    (null, "yes", a missing key, a section that is not an object) is unanswered, and
    validation reports it.
    """
    section: Mapping[str, object] = answers if isinstance(answers, Mapping) else {}
    triggers = tuple(q.key for q in questions if section.get(q.key) is True)
    unanswered = tuple(q.key for q in questions if not isinstance(section.get(q.key), bool))
    tiers = {q.tier for q in questions if q.key in triggers}
    tier: Tier | None = (
        "emergency" if "emergency" in tiers else "urgent" if "urgent" in tiers else None
    )
    return RedFlagResult(
        tier=tier,
        triggers=triggers,
        unanswered=unanswered,
        instruction=INSTRUCTIONS[tier] if tier else None,
    )
