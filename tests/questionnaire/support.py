"""Helpers for the questionnaire tests: edit a copy of the fixture, run a validator."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from intake.questionnaire import Problem, get_version
from tests.questionnaire.fixtures import COMPLETE_ANSWERS, DATE_OF_BIRTH, TODAY

V1 = get_version("fbss-intake/1")
Edit = Callable[[dict[str, Any]], object]
Found = list[tuple[tuple[str | int, ...], str]]


def edited(edit: Edit, base: dict[str, Any] = COMPLETE_ANSWERS) -> dict[str, Any]:
    """A deep copy of `base` changed by `edit` (which may return anything; it is ignored)."""
    answers = copy.deepcopy(base)
    edit(answers)
    return answers


def found(problems: list[Problem]) -> Found:
    """(loc, type) of each problem: what the tests compare, leaving wording free."""
    return [(tuple(p["loc"]), p["type"]) for p in problems]


def draft(answers: Any) -> Found:
    return found(V1.validate_draft(answers, date_of_birth=DATE_OF_BIRTH, today=TODAY))


def complete(answers: Any) -> Found:
    return found(V1.validate_complete(answers, date_of_birth=DATE_OF_BIRTH, today=TODAY))
