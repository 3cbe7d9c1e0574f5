"""The pages of the patient's form, in order, and which answers each one holds."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Step:
    slug: str
    title: str
    # The top-level answer sections this page edits (none: documents and review).
    sections: tuple[str, ...] = ()

    @property
    def url(self) -> str:
        return f"/intake/{self.slug}"


ABOUT = Step("about", "About you", ("consent",))
SURGERIES = Step("surgeries", "Your surgeries", ("surgeries",))
SYMPTOMS = Step("symptoms", "Symptoms and daily life", ("symptoms", "pain", "odi", "ndi"))
CARE = Step(
    "care", "Treatment since surgery", ("conservative_care", "medications", "reported_findings")
)
RED_FLAGS = Step("red-flags", "Warning signs", ("red_flags",))
DOCUMENTS = Step("documents", "Documents")
REVIEW = Step("review", "Review and submit")

STEPS = (ABOUT, SURGERIES, SYMPTOMS, CARE, RED_FLAGS, DOCUMENTS, REVIEW)
ANSWER_STEPS = tuple(step for step in STEPS if step.sections)
STEP_OF_SECTION = {section: step for step in STEPS for section in step.sections}


def next_step(step: Step) -> Step:
    return STEPS[min(STEPS.index(step) + 1, len(STEPS) - 1)]


def _regions(answers: Mapping[str, Any]) -> set[str]:
    surgeries = answers.get("surgeries")
    if not isinstance(surgeries, list):
        return set()
    return {str(s["region"]) for s in surgeries if isinstance(s, dict) and s.get("region")}


def shows_odi(answers: Mapping[str, Any]) -> bool:
    """The low-back questionnaire, unless every operation was on the neck."""
    regions = _regions(answers)
    return not regions or bool(regions & {"lumbar", "thoracic"})


def shows_ndi(answers: Mapping[str, Any]) -> bool:
    return "cervical" in _regions(answers)


def sections_on_page(step: Step, answers: Mapping[str, Any]) -> tuple[str, ...]:
    """The sections the page shows for these answers: ODI and NDI follow the operations."""
    hidden = {"odi"} if not shows_odi(answers) else set()
    if not shows_ndi(answers):
        hidden.add("ndi")
    return tuple(s for s in step.sections if s not in hidden)


def resume_step(answers: Mapping[str, Any]) -> Step:
    """Where a returning patient carries on: the first page with an unanswered section."""
    for step in ANSWER_STEPS:
        if any(section not in answers for section in sections_on_page(step, answers)):
            return step
    return DOCUMENTS
