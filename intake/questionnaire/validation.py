"""Checking the answers of fbss-intake/1: every problem at once, each at its own path.

Three passes, each building on the last:
1. shape: every section and list item against its model (types, ranges, enums, unknown
   keys). Invalid values are then set aside, so an item keeps its valid fields.
2. cross-field rules among the valid fields (levels in region, dates, ...).
3. only at submit: everything REQUIRED that is missing.
A field that fails pass 1 is neither checked again nor reported missing, so each mistake
is reported once.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import takewhile
from typing import Any, Generic, TypeAlias, TypeVar

from pydantic import BaseModel, ValidationError

from intake.questionnaire import dates, v1
from intake.questionnaire.red_flags import RED_FLAG_KEYS
from intake.questionnaire.segments import region_of

Loc: TypeAlias = list[str | int]
Problem: TypeAlias = dict[str, Any]  # {"loc": Loc, "msg": str, "type": str}
M = TypeVar("M", bound=BaseModel)

# pydantic would name our model class, which means nothing to a patient.
_MESSAGE_FOR_TYPE = {"model_type": "Input should be an object"}


def problem(loc: Loc, msg: str, type_: str) -> Problem:
    """One problem in the shape FastAPI uses for request errors."""
    return {"loc": loc, "msg": msg, "type": type_}


def _problems_from(error: ValidationError, prefix: Loc) -> list[Problem]:
    # Leave out "input": a free-text answer must not be echoed into logs.
    return [
        problem([*prefix, *e["loc"]], _MESSAGE_FOR_TYPE.get(e["type"], e["msg"]), e["type"])
        for e in error.errors(include_url=False)
    ]


@dataclass(frozen=True)
class Parsed(Generic[M]):
    """A section or list item: its individually valid fields, and where it sits."""

    loc: tuple[str | int, ...]
    value: M
    invalid: frozenset[tuple[str, ...]]  # paths set aside because they failed pass 1

    def at(self, *path: str | int) -> Loc:
        """The answers path of a field in this item."""
        return [*self.loc, *path]

    def lacks(self, field: str) -> bool:
        """True when `field` is missing or null, as opposed to present but invalid."""
        return getattr(self.value, field) is None and (field,) not in self.invalid


def _without(raw: Mapping[str, Any], paths: frozenset[tuple[str, ...]]) -> dict[str, Any]:
    kept = copy.deepcopy(dict(raw))
    for path in paths:
        container: Any = kept
        for key in path[:-1]:
            container = container.get(key) if isinstance(container, dict) else None
        if isinstance(container, dict):
            container.pop(path[-1], None)
    return kept


def _parse(model: type[M], raw: object, loc: Loc, problems: list[Problem]) -> Parsed[M] | None:
    """Validate `raw` against `model`, keeping its valid parts; None if nothing is usable."""
    if isinstance(raw, Mapping):
        raw = dict(raw)  # strict models accept a dict, not any Mapping
    try:
        return Parsed(tuple(loc), model.model_validate(raw), frozenset())
    except ValidationError as error:
        problems.extend(_problems_from(error, loc))
        # Set aside the smallest keyed part around each error: a bad ODI section drops
        # that section, a bad list element drops the whole list (indices must not shift).
        invalid = frozenset(
            tuple(str(part) for part in takewhile(lambda part: isinstance(part, str), e["loc"]))
            for e in error.errors()
        )
    if not isinstance(raw, Mapping) or () in invalid:
        return None
    try:
        return Parsed(tuple(loc), model.model_validate(_without(raw, invalid)), invalid)
    except ValidationError:  # pragma: no cover - every field is optional, so this passes
        return None


@dataclass(frozen=True)
class ParsedAnswers:
    """Pass 1 of fbss-intake/1 answers: what is usable in every section."""

    surgeries: tuple[Parsed[v1.SurgeryAnswers], ...] = ()
    symptoms: tuple[Parsed[v1.SymptomAnswers], ...] = ()
    pain: Parsed[v1.PainAnswers] | None = None
    odi: Parsed[v1.OdiAnswers] | None = None
    ndi: Parsed[v1.NdiAnswers] | None = None
    conservative_care: tuple[Parsed[v1.CareEpisodeAnswers], ...] = ()
    medications: tuple[Parsed[v1.MedicationAnswers], ...] = ()
    reported_findings: tuple[Parsed[v1.ReportedFindingAnswers], ...] = ()
    red_flags: Parsed[v1.RedFlagAnswers] | None = None
    consent: Parsed[v1.ConsentAnswers] | None = None


def parse_answers(answers: Mapping[str, Any]) -> tuple[ParsedAnswers, list[Problem]]:
    """Pass 1: shape problems, and the valid parts of every section."""
    problems = [
        problem([name], "Unknown section", "extra_forbidden")
        for name in answers
        if name not in v1.SECTIONS
    ]

    def many(name: str, model: type[M]) -> tuple[Parsed[M], ...]:
        raw = answers.get(name)
        if raw is None:
            return ()
        if not isinstance(raw, list):
            problems.append(problem([name], "Input should be a valid list", "list_type"))
            return ()
        items = (_parse(model, item, [name, index], problems) for index, item in enumerate(raw))
        return tuple(item for item in items if item is not None)

    def one(name: str, model: type[M]) -> Parsed[M] | None:
        raw = answers.get(name)
        return None if raw is None else _parse(model, raw, [name], problems)

    parsed = ParsedAnswers(
        surgeries=many("surgeries", v1.SurgeryAnswers),
        symptoms=many("symptoms", v1.SymptomAnswers),
        pain=one("pain", v1.PainAnswers),
        odi=one("odi", v1.OdiAnswers),
        ndi=one("ndi", v1.NdiAnswers),
        conservative_care=many("conservative_care", v1.CareEpisodeAnswers),
        medications=many("medications", v1.MedicationAnswers),
        reported_findings=many("reported_findings", v1.ReportedFindingAnswers),
        red_flags=one("red_flags", v1.RedFlagAnswers),
        consent=one("consent", v1.ConsentAnswers),
    )
    return parsed, problems


@dataclass
class _Checker:
    """Passes 2 and 3 over one set of parsed answers; `found` collects every problem."""

    date_of_birth: date
    today: date
    complete: bool
    found: list[Problem] = field(default_factory=list)

    def add(self, loc: Loc, msg: str, type_: str) -> None:
        self.found.append(problem(loc, msg, type_))

    def require(self, item: Parsed[Any], *fields: str, when: bool = True) -> None:
        """At submit, "is required" for each of `fields` that `item` lacks."""
        for name in fields:
            if self.complete and when and item.lacks(name):
                self.add(item.at(name), "is required", "missing")

    def allow_only_if(self, applies: bool, item: Parsed[Any], name: str, msg: str) -> None:
        """A problem when `name` is answered although another answer rules it out."""
        if not applies and getattr(item.value, name) is not None:
            self.add(item.at(name), msg, "not_applicable")

    def no_repeats(self, loc: Loc, values: Sequence[str] | None, type_: str) -> None:
        """A problem at each repeat of a value already listed before it."""
        for index, value in enumerate(values or []):
            if value in (values or ())[:index]:
                self.add([*loc, index], f"{value} is already listed", type_)

    def check_date(self, loc: Loc, text: str | None, *, after_birth: bool = True) -> None:
        value = dates.parse_partial_date(text) if text else None  # pass 1 checked the format
        if value and dates.is_in_future(value, self.today):
            self.add(loc, "Date cannot be in the future", "date_in_future")
        if value and after_birth and dates.is_before(value, self.date_of_birth):
            self.add(loc, "Date cannot be before date of birth", "date_before_birth")


def _check_surgery(check: _Checker, surgery: Parsed[v1.SurgeryAnswers]) -> None:
    value = surgery.value
    check.require(surgery, "procedure_type", "region", "levels", "surgery_date", "outcome_pattern")
    if check.complete and value.levels == []:
        check.add(surgery.at("levels"), "Add at least one level", "too_short")
    hardware = value.procedure_type in v1.INSTRUMENTED_PROCEDURES
    if check.complete and hardware and value.instrumented_levels == []:
        check.add(surgery.at("instrumented_levels"), "Add at least one level", "too_short")
    check.require(surgery, "instrumented_levels", when=hardware)
    check.no_repeats(surgery.at("levels"), value.levels, "duplicate_level")
    check.no_repeats(
        surgery.at("instrumented_levels"), value.instrumented_levels, "duplicate_level"
    )
    for index, level in enumerate(value.levels or []):
        if value.region and region_of(level) != value.region:
            msg = f"{level} is not a {value.region} level"
            check.add(surgery.at("levels", index), msg, "level_outside_region")
    # Compared only with a valid `levels`: against a missing list every level would fail.
    for index, level in enumerate(value.instrumented_levels or []):
        if value.levels is not None and level not in value.levels:
            msg = f"{level} is not one of the operated levels"
            check.add(surgery.at("instrumented_levels", index), msg, "instrumented_not_operated")
    check.check_date(surgery.at("surgery_date"), value.surgery_date)
    recurred = value.outcome_pattern == "improved_then_recurred"
    check.require(surgery, "pain_free_months", when=recurred)
    check.allow_only_if(
        recurred or value.outcome_pattern is None,
        surgery,
        "pain_free_months",
        "Only answer this if the pain improved and then came back",
    )


def _check_symptoms(check: _Checker, symptoms: tuple[Parsed[v1.SymptomAnswers], ...]) -> None:
    names = [symptom.value.symptom for symptom in symptoms]
    for index, symptom in enumerate(symptoms):
        value = symptom.value
        check.require(symptom, "symptom", "onset")
        if value.symptom is not None and value.symptom in names[:index]:
            check.add(
                symptom.at("symptom"), f"{value.symptom} is already listed", "duplicate_symptom"
            )
        after_surgery = value.onset == "after_surgery"
        check.require(symptom, "onset_months_after_surgery", when=after_surgery)
        check.allow_only_if(
            after_surgery or value.onset is None,
            symptom,
            "onset_months_after_surgery",
            "Only answer this if the symptom started after surgery",
        )


def _check_odi(check: _Checker, odi: Parsed[v1.OdiAnswers]) -> None:
    check.require(odi, "version")
    version, sections = odi.value.version, odi.value.sections
    if version and sections:
        for name in sorted(sections.model_fields_set - set(v1.ODI_SECTIONS[version])):
            msg = f"Not a section of ODI version {version}"
            check.add(odi.at("sections", name), msg, "wrong_odi_version")


def _check_care_episode(check: _Checker, episode: Parsed[v1.CareEpisodeAnswers]) -> None:
    check.require(episode, "type", "start_date", "response")
    start, end = episode.value.start_date, episode.value.end_date
    check.check_date(episode.at("start_date"), start)
    # The spec bounds the end date by the start date, not by birth.
    check.check_date(episode.at("end_date"), end, after_birth=False)
    ordered = (
        (dates.parse_partial_date(end), dates.parse_partial_date(start)) if start and end else None
    )
    if ordered and dates.ends_before_start(*ordered):
        check.add(
            episode.at("end_date"), "End date cannot be before start date", "end_before_start"
        )


def _check_red_flags(
    check: _Checker, raw: object, red_flags: Parsed[v1.RedFlagAnswers] | None
) -> None:
    # Each unanswered question is its own problem, even with the whole section missing.
    for key in RED_FLAG_KEYS:
        unanswered = raw is None or (red_flags is not None and red_flags.lacks(key))
        if check.complete and unanswered:
            check.add(["red_flags", key], "answer this question", "missing")


def _check_sections_present(
    check: _Checker, answers: Mapping[str, Any], parsed: ParsedAnswers
) -> None:
    regions = {surgery.value.region for surgery in parsed.surgeries}
    required = ["surgeries", "symptoms", "pain", "conservative_care", "consent"]
    required += ["odi"] if regions & {"lumbar", "thoracic"} else []
    required += ["ndi"] if "cervical" in regions else []
    for name in required:
        if answers.get(name) is None:
            check.add([name], "is required", "missing")
    for name in ("surgeries", "symptoms"):
        if answers.get(name) == []:
            check.add([name], "Add at least one", "too_short")


def _position(found: Problem) -> tuple[int, int]:
    """Sort key: section in form order, then list item; stable within an item."""
    loc = found["loc"]
    section = v1.SECTIONS.index(loc[0]) if loc and loc[0] in v1.SECTIONS else len(v1.SECTIONS)
    item = loc[1] if len(loc) > 1 and isinstance(loc[1], int) else -1
    return section, item


def validate_answers(
    answers: object, *, date_of_birth: date, today: date, complete: bool
) -> list[Problem]:
    """Every problem in the answers; with `complete`, also every missing REQUIRED answer."""
    if not isinstance(answers, Mapping):
        return [problem([], "Answers should be an object", "model_type")]
    parsed, shape_problems = parse_answers(answers)
    check = _Checker(date_of_birth, today, complete, shape_problems)
    if complete:
        _check_sections_present(check, answers, parsed)
    for surgery in parsed.surgeries:
        _check_surgery(check, surgery)
    _check_symptoms(check, parsed.symptoms)
    if parsed.pain:
        check.require(parsed.pain, "back_or_neck", "leg_or_arm")
    if parsed.odi:
        _check_odi(check, parsed.odi)
    for episode in parsed.conservative_care:
        _check_care_episode(check, episode)
    for medication in parsed.medications:
        check.require(medication, "name", "opioid", "current")
    for finding in parsed.reported_findings:
        check.require(finding, "finding")
    _check_red_flags(check, answers.get("red_flags"), parsed.red_flags)
    consent = parsed.consent
    # Missing and false read alike to a patient: the box is not ticked.
    unticked = consent is not None and consent.value.privacy_notice is not True
    if check.complete and consent and unticked and ("privacy_notice",) not in consent.invalid:
        check.add(consent.at("privacy_notice"), "must be accepted", "must_be_accepted")
    return sorted(check.found, key=_position)
