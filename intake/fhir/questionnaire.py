"""FHIR R4 views of the intake questionnaire: a Questionnaire and QuestionnaireResponses.

Pure builders returning JSON-ready dicts. One item table describes fbss-intake/1, and
both resources are rendered from it, so a response's linkIds always exist in the
questionnaire. LinkIds are answers paths joined by dots ("surgeries.levels").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from intake.questionnaire import v1
from intake.questionnaire.red_flags import EMERGENCY_INSTRUCTION, RED_FLAG_QUESTIONS
from intake.questionnaire.registry import CURRENT_VERSION, QuestionnaireVersion, get_version
from intake.questionnaire.segments import REGIONS, SEGMENTS
from intake.questionnaire.validation import parse_answers

QUESTIONNAIRE_ID = "fbss-intake"
# Placeholder canonical base: a canonical URL names the questionnaire, it need not resolve.
# Replace it with a domain the clinic controls before exchanging resources outside.
CANONICAL_BASE = "http://fbss-intake.example/fhir"
QUESTIONNAIRE_URL = f"{CANONICAL_BASE}/Questionnaire/{QUESTIONNAIRE_ID}"
CODE_SYSTEM_BASE = f"{CANONICAL_BASE}/CodeSystem"

CALCULATED_EXPRESSION_URL = (
    "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-calculatedExpression"
)
VARIABLE_URL = "http://hl7.org/fhir/StructureDefinition/variable"
MIN_VALUE_URL = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE_URL = "http://hl7.org/fhir/StructureDefinition/maxValue"

# Answers of one group that count towards its score, for the FHIRPath expressions below.
_ANSWERS_UNDER = "%resource.repeat(item).where(linkId.startsWith('{prefix}')).answer.value"
_SUM = "{var}.aggregate($this + $total, 0)"
ODI_SCORE_EXPRESSION = (
    "iif(%odiAnswers.count() >= 8, "
    f"{_SUM.format(var='%odiAnswers')} / (5 * %odiAnswers.count()) * 100, {{}})"
)
NDI_SCORE_EXPRESSION = (
    "iif(%ndiAnswers.count() >= 8, "
    f"{_SUM.format(var='%ndiAnswers')} * 10 / %ndiAnswers.count(), {{}})"
)

_VALUE_KEYS = {
    "boolean": "valueBoolean",
    "date": "valueDate",
    "decimal": "valueDecimal",
    "integer": "valueInteger",
    "string": "valueString",
}


class NoFhirMapping(LookupError):
    """The questionnaire version has no FHIR mapping here yet."""


def _label(code: str) -> str:
    text = code.replace("_", " ")
    return text[:1].upper() + text[1:]


@dataclass(frozen=True)
class _Item:
    name: str  # the answers key; the linkId is the dotted path down to it
    type: str  # FHIR item type
    text: str
    codes: tuple[str, ...] = ()  # answer options of a choice item
    system: str = ""  # CodeSystem name of a choice item
    repeats: bool = False
    required: bool = False
    bounds: tuple[int, int] | None = None
    enable_when: tuple[str, str, str] | None = None  # (linkId, its system, code)
    children: tuple[_Item, ...] = ()
    extensions: tuple[dict[str, Any], ...] = ()


def _choice(name: str, codes: tuple[str, ...], system: str = "", **rest: Any) -> _Item:
    return _Item(name, "choice", _label(name), codes, system or name.replace("_", "-"), **rest)


def _rating(name: str, low: int, high: int, **rest: Any) -> _Item:
    return _Item(name, "integer", _label(name), bounds=(low, high), **rest)


def _group(name: str, text: str, *children: _Item, **rest: Any) -> _Item:
    return _Item(name, "group", text, children=children, **rest)


def _expression(url: str, expression: str, name: str | None = None) -> dict[str, Any]:
    value = {"language": "text/fhirpath", "expression": expression}
    return {"url": url, "valueExpression": {"name": name, **value} if name else value}


def _score(name: str, text: str, expression: str) -> _Item:
    calculated = _expression(CALCULATED_EXPRESSION_URL, expression)
    return _Item(name, "decimal", text, extensions=(calculated,))


def _odi_section(name: str) -> _Item:
    only_in = [version for version in v1.ODI_VERSIONS if name in v1.ODI_SECTIONS[version]]
    condition = None
    if len(only_in) == 1:  # sex_life (2.1a) or employment_homemaking (modified)
        condition = ("odi.version", "odi-version", only_in[0])
    return _rating(name, 0, 5, enable_when=condition)


_ODI_NAMES = tuple(dict.fromkeys(n for names in v1.ODI_SECTIONS.values() for n in names))
_RECURRED = ("surgeries.outcome_pattern", "outcome-pattern", "improved_then_recurred")
_AFTER_SURGERY = ("symptoms.onset", "onset", "after_surgery")

V1_ITEMS: tuple[_Item, ...] = (
    _group(
        "surgeries",
        "Previous spine surgeries",
        _choice("procedure_type", v1.PROCEDURE_TYPES, required=True),
        _choice("region", REGIONS, required=True),
        _choice("levels", SEGMENTS, "segment", repeats=True, required=True),
        _choice("instrumented_levels", SEGMENTS, "segment", repeats=True),
        _Item("surgery_date", "date", "Surgery date", required=True),
        _Item("surgeon", "string", "Surgeon"),
        _Item("facility", "string", "Facility"),
        _choice("complications", v1.COMPLICATIONS, repeats=True),
        _choice("outcome_pattern", v1.OUTCOME_PATTERNS, required=True),
        _rating("pain_free_months", 0, 600, required=True, enable_when=_RECURRED),
        repeats=True,
        required=True,
    ),
    _group(
        "symptoms",
        "Symptoms",
        _choice("symptom", v1.SYMPTOMS, required=True),
        _choice("onset", v1.ONSETS, required=True),
        _rating("onset_months_after_surgery", 0, 600, required=True, enable_when=_AFTER_SURGERY),
        repeats=True,
        required=True,
    ),
    _group(
        "pain",
        "Pain today (0 = none, 10 = worst imaginable)",
        _rating("back_or_neck", 0, 10, required=True),
        _rating("leg_or_arm", 0, 10, required=True),
        required=True,
    ),
    _group(
        "odi",
        "Oswestry Disability Index",
        _choice("version", v1.ODI_VERSIONS, "odi-version", required=True),
        _group("sections", "Sections", *(_odi_section(name) for name in _ODI_NAMES)),
        _score("score", "ODI score (%)", ODI_SCORE_EXPRESSION),
        extensions=(
            _expression(VARIABLE_URL, _ANSWERS_UNDER.format(prefix="odi.sections."), "odiAnswers"),
        ),
    ),
    _group(
        "ndi",
        "Neck Disability Index",
        _group("items", "Items", *(_rating(name, 0, 5) for name in v1.NDI_ITEMS)),
        _score("score", "NDI raw score (of 50)", NDI_SCORE_EXPRESSION),
        extensions=(
            _expression(VARIABLE_URL, _ANSWERS_UNDER.format(prefix="ndi.items."), "ndiAnswers"),
        ),
    ),
    _group(
        "conservative_care",
        "Treatment since surgery",
        _choice("type", v1.CARE_TYPES, "care-type", required=True),
        _Item("start_date", "date", "Start date", required=True),
        _Item("end_date", "date", "End date"),
        _rating("sessions", 0, 1000),
        _choice("response", v1.CARE_RESPONSES, "care-response", required=True),
        repeats=True,
    ),
    _group(
        "medications",
        "Medications",
        _Item("name", "string", "Name", required=True),
        _Item("drug_class", "string", "Drug class"),
        _Item("opioid", "boolean", "Opioid", required=True),
        _Item("current", "boolean", "Taking it now", required=True),
        repeats=True,
    ),
    _group(
        "reported_findings",
        "What your imaging report or surgeon said",
        _choice("finding", v1.FINDINGS, required=True),
        _choice("level", SEGMENTS, "segment"),
        _choice("said_by", v1.FINDING_SOURCES, "finding-source"),
        repeats=True,
    ),
    _group(
        "red_flags",
        "Symptoms that need attention now",
        # DOMAIN.md §6: the emergency instruction sits next to the red-flag questions.
        _Item("instruction", "display", EMERGENCY_INSTRUCTION),
        *(_Item(q.key, "boolean", q.question, required=True) for q in RED_FLAG_QUESTIONS),
        required=True,
    ),
    _group(
        "consent",
        "Consent",
        _Item("privacy_notice", "boolean", "I have read the privacy notice", required=True),
        required=True,
    ),
)


def _coding(system: str, code: str) -> dict[str, str]:
    return {"system": f"{CODE_SYSTEM_BASE}/{system}", "code": code, "display": _label(code)}


def _definition(item: _Item, parent: str | None = None) -> dict[str, Any]:
    link_id = f"{parent}.{item.name}" if parent else item.name
    extensions = list(item.extensions)
    if item.bounds:
        extensions += [
            {"url": MIN_VALUE_URL, "valueInteger": item.bounds[0]},
            {"url": MAX_VALUE_URL, "valueInteger": item.bounds[1]},
        ]
    rendered: dict[str, Any] = {"linkId": link_id, "text": item.text, "type": item.type}
    if extensions:
        rendered["extension"] = extensions
    if item.required:
        rendered["required"] = True
    if item.repeats:
        rendered["repeats"] = True
    if item.type == "decimal" and item.extensions:
        rendered["readOnly"] = True  # calculated: the form fills it in
    if item.enable_when:
        question, system, code = item.enable_when
        condition = {"question": question, "operator": "=", "answerCoding": _coding(system, code)}
        rendered["enableWhen"] = [condition]
    if item.codes:
        rendered["answerOption"] = [{"valueCoding": _coding(item.system, c)} for c in item.codes]
    if item.children:
        rendered["item"] = [_definition(child, link_id) for child in item.children]
    return rendered


def _fhir_version(version: QuestionnaireVersion | None) -> QuestionnaireVersion:
    chosen = version or get_version(CURRENT_VERSION)
    if chosen.version != v1.VERSION:
        raise NoFhirMapping(f"no FHIR mapping for questionnaire version {chosen.version!r}")
    return chosen


def questionnaire_resource(version: QuestionnaireVersion | None = None) -> dict[str, Any]:
    """The FHIR R4 Questionnaire for a version (the current one by default)."""
    chosen = _fhir_version(version)
    return {
        "resourceType": "Questionnaire",
        "id": QUESTIONNAIRE_ID,
        "url": QUESTIONNAIRE_URL,
        "version": chosen.version,
        "name": "FbssIntake",
        "title": "Failed back surgery syndrome consultation intake",
        "status": "active",
        "subjectType": ["Patient"],
        "item": [_definition(item) for item in V1_ITEMS],
    }


def _response_items(
    item: _Item, link_id: str, value: Any, scores: Mapping[str, float]
) -> list[dict[str, Any]]:
    """The response item(s) for `value`; [] when nothing under it is answered."""
    if item.type == "group":
        children = [
            rendered
            for child in item.children
            for rendered in _response_items(
                child, f"{link_id}.{child.name}", getattr(value, child.name, None), scores
            )
        ]
        return [{"linkId": link_id, "item": children}] if children else []
    if link_id in scores:
        return [{"linkId": link_id, "answer": [{"valueDecimal": scores[link_id]}]}]
    values = value if isinstance(value, list) else [] if value is None else [value]
    if item.type == "choice":
        answers = [{"valueCoding": _coding(item.system, code)} for code in values]
    else:
        answers = [{_VALUE_KEYS[item.type]: answer} for answer in values]
    return [{"linkId": link_id, "answer": answers}] if answers else []


def questionnaire_response_resource(
    *,
    intake_id: str,
    status: Literal["in-progress", "completed"],
    answers: Mapping[str, Any],
    authored: datetime,
    version: QuestionnaireVersion,
) -> dict[str, Any]:
    """A FHIR R4 QuestionnaireResponse of intake answers; no patient identity in it.

    Answers that fail their own checks (a draft may hold some) are left out, since they
    have no valid FHIR form; the calculated scores are the version's own.
    """
    if authored.tzinfo is None:
        raise ValueError("authored must be timezone-aware")
    chosen = _fhir_version(version)
    parsed, _problems = parse_answers(answers)
    computed = chosen.scores(answers)
    scores: dict[str, float] = {}
    if computed.odi:
        scores["odi.score"] = computed.odi.percent
    if computed.ndi:
        scores["ndi.score"] = computed.ndi.raw
    items: list[dict[str, Any]] = []
    for section in V1_ITEMS:
        found = getattr(parsed, section.name)  # a tuple for list sections, else one or None
        repetitions = found if isinstance(found, tuple) else (found,) if found else ()
        for repetition in repetitions:
            items += _response_items(section, section.name, repetition.value, scores)
    response = {
        "resourceType": "QuestionnaireResponse",
        "id": intake_id,
        "questionnaire": f"{QUESTIONNAIRE_URL}|{chosen.version}",
        "status": status,
        "authored": authored.isoformat(),
    }
    return {**response, "item": items} if items else response  # FHIR forbids empty arrays
