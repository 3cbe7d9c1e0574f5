"""Validation problems from the service, worded for the patient and placed beside the
inputs they are about."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from intake.web import choices, formdata
from intake.web.steps import REVIEW, STEP_OF_SECTION, STEPS, Step

# The service reports paths from the request body: ["body", "answers", <section>, ...].
_SERVICE_PREFIX = 2
# pydantic's wording for a few types, put the way a form asks.
_FRIENDLIER = {
    "int_type": "Enter a whole number",
    "int_parsing": "Enter a whole number",
    "literal_error": "Choose one of the options",
}
# A whole section missing or empty, said as what to do about it.
_WHOLE_SECTION = {
    "surgeries": "Add at least one surgery",
    "symptoms": "Tick at least one symptom",
    "pain": "Rate your pain",
    "odi": "Answer the low back questionnaire",
    "ndi": "Answer the neck questionnaire",
    "conservative_care": "Answer the questions about treatment since surgery",
    "consent": "Read the privacy notice and tick the box",
    "red_flags": "Answer the warning-sign questions",
}


@dataclass(frozen=True)
class Problem:
    field: str  # the input's name and id, or the enclosing group's id
    message: str  # for the summary: where, then what
    short: str  # beside the input: only what
    step: Step  # the page that holds the input

    @property
    def href(self) -> str:
        return f"{self.step.url}#{self.field}"


def _place(loc: Sequence[str | int], answers: Mapping[str, Any]) -> tuple[str, str | None]:
    """Where the problem is, as the patient sees it: ("Surgery 2", "Levels operated on")."""
    section, rest = str(loc[0]), list(loc[1:])
    place = choices.SECTION_LABELS.get(section, section.replace("_", " ").capitalize())
    if rest and isinstance(rest[0], int):
        items = answers.get(section)
        item = items[rest[0]] if isinstance(items, list) and 0 <= rest[0] < len(items) else None
        if section == "symptoms" and isinstance(item, Mapping):
            place = choices.SYMPTOMS.get(str(item.get("symptom")), place)
        else:
            place = f"{place} {rest[0] + 1}"
        rest = rest[1:]
    labels: dict[str, str] = {
        **choices.FIELD_LABELS,
        **choices.RED_FLAGS,
        **(choices.NDI_ITEMS if section == "ndi" else choices.ODI_SECTIONS),
    }
    names = [part for part in rest if isinstance(part, str) and part not in ("sections", "items")]
    return place, (labels.get(names[0], names[0].replace("_", " ")) if names else None)


def describe(
    loc: Sequence[str | int], msg: str, type_: str, answers: Mapping[str, Any]
) -> tuple[str, str]:
    """(summary message, message beside the input) for one problem."""
    if not loc:
        return msg, msg
    if len(loc) == 1 and type_ in ("missing", "too_short"):
        text = _WHOLE_SECTION.get(str(loc[0]), msg)
        return text, text
    place, field = _place(loc, answers)
    msg = _FRIENDLIER.get(type_, msg.removeprefix("Value error, "))
    if msg.startswith(("is ", "must ")):
        short = f"{field or place} {msg}"
        return f"{place}: {short}", short
    short = msg[:1].upper() + msg[1:]
    if loc[0] == "red_flags" and field:
        return f"{field} {short}", short  # the question says where it is
    return (f"{place}, {field}: {short}" if field else f"{place}: {short}"), short


def from_detail(detail: object, answers: Mapping[str, Any]) -> list[Problem]:
    """Problems from an InvalidInput's detail, in the order the service gave them."""
    if not isinstance(detail, list):
        return [Problem("answers", str(detail), str(detail), REVIEW)]
    problems = []
    for entry in detail:
        loc = list(entry.get("loc", []))[_SERVICE_PREFIX:]
        message, short = describe(
            loc, str(entry.get("msg", "is not valid")), str(entry.get("type", "")), answers
        )
        step = STEP_OF_SECTION.get(formdata.section_of(loc), REVIEW)
        problems.append(Problem(formdata.field_name(loc, answers), message, short, step))
    return problems


def by_field(problems: Sequence[Problem]) -> dict[str, list[str]]:
    """What to show beside each input."""
    shown: dict[str, list[str]] = {}
    for problem in problems:
        shown.setdefault(problem.field, []).append(problem.short)
    return shown


def by_step(problems: Sequence[Problem]) -> list[tuple[Step, list[Problem]]]:
    """The problems grouped by the page that holds them, in the form's order."""
    groups: dict[Step, list[Problem]] = {}
    for problem in problems:
        groups.setdefault(problem.step, []).append(problem)
    return [(step, groups[step]) for step in STEPS if step in groups]
