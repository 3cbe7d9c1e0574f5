"""Turning the form's flat fields into the answers JSON, and error paths back into fields.

Field names follow one scheme, which is also each input's id, so an error's path finds
its input: `<section>-<index>-<field>` in lists (`surgeries-0-levels`), `<section>-<field>`
in objects (`pain-back_or_neck`), `<section>-<group>-<key>` one level deeper
(`odi-sections-walking`), and `symptoms-<symptom>-<field>` for the fixed symptom list.

Empty inputs become missing keys, so a half-filled draft saves; a number that does not
parse is kept as typed, so the validator names the problem and the patient sees it again.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from intake.web import choices

FormFields = Mapping[str, Sequence[str]]
# A row the patient cannot have meant to send more of; more rows than this are ignored.
MAX_ROWS = 50
_INTEGER = re.compile(r"[+-]?\d{1,9}")


class Kind(enum.Enum):
    TEXT = "text"  # one value; empty means missing
    NUMBER = "number"  # an int when it parses, else the raw text
    MULTI = "multi"  # checkboxes: every ticked value; none ticked means missing
    FLAG = "flag"  # one checkbox that is a yes/no answer: unticked is False
    YES_NO = "yes_no"  # a yes/no radio pair; unanswered means missing


@dataclass(frozen=True)
class Conditional:
    """`field` only applies when `on` is `value` (or not answered yet): otherwise dropped,
    because without JavaScript the follow-up input is always on the page."""

    field: str
    on: str
    value: str


@dataclass(frozen=True)
class ListSection:
    name: str
    fields: Mapping[str, Kind]
    conditional: Conditional | None = None


LIST_SECTIONS: dict[str, ListSection] = {
    section.name: section
    for section in (
        ListSection(
            "surgeries",
            {
                "procedure_type": Kind.TEXT,
                "region": Kind.TEXT,
                "levels": Kind.MULTI,
                "instrumented_levels": Kind.MULTI,
                "surgery_date": Kind.TEXT,
                "surgeon": Kind.TEXT,
                "facility": Kind.TEXT,
                "complications": Kind.MULTI,
                "outcome_pattern": Kind.TEXT,
                "pain_free_months": Kind.NUMBER,
            },
            Conditional("pain_free_months", on="outcome_pattern", value="improved_then_recurred"),
        ),
        ListSection(
            "conservative_care",
            {
                "type": Kind.TEXT,
                "start_date": Kind.TEXT,
                "end_date": Kind.TEXT,
                "sessions": Kind.NUMBER,
                "response": Kind.TEXT,
            },
        ),
        ListSection(
            "medications",
            {"name": Kind.TEXT, "drug_class": Kind.TEXT, "opioid": Kind.FLAG, "current": Kind.FLAG},
        ),
        ListSection(
            "reported_findings",
            {"finding": Kind.TEXT, "level": Kind.TEXT, "said_by": Kind.TEXT},
        ),
    )
}
SYMPTOM_FIELDS: dict[str, Kind] = {
    "onset": Kind.TEXT,
    "onset_months_after_surgery": Kind.NUMBER,
}
SYMPTOM_CONDITIONAL = Conditional("onset_months_after_surgery", on="onset", value="after_surgery")


def group(pairs: Iterable[tuple[str, Any]]) -> dict[str, list[str]]:
    """A multi-dict of the form's text fields (uploads are not answers)."""
    fields: dict[str, list[str]] = {}
    for name, value in pairs:
        if isinstance(value, str):
            fields.setdefault(name, []).append(value)
    return fields


def _value(kind: Kind, raw: Sequence[str]) -> Any:
    """The JSON value of one input, or None when it counts as missing."""
    first = raw[0].strip() if raw else ""
    if kind is Kind.TEXT:
        return first or None
    if kind is Kind.NUMBER:
        if not first:
            return None
        return int(first) if _INTEGER.fullmatch(first) else first
    if kind is Kind.MULTI:
        ticked = list(dict.fromkeys(v.strip() for v in raw if v.strip()))
        return ticked or None
    if kind is Kind.FLAG:
        return bool(first)
    # YES_NO: anything but yes/no is kept so the validator reports it.
    return {"yes": True, "no": False}.get(first, first or None)


def _object(fields: FormFields, prefix: str, spec: Mapping[str, Kind]) -> dict[str, Any]:
    values = {name: _value(kind, fields.get(f"{prefix}-{name}", ())) for name, kind in spec.items()}
    return {name: value for name, value in values.items() if value is not None}


def _apply_conditional(item: dict[str, Any], rule: Conditional | None) -> dict[str, Any]:
    if rule is not None and item.get(rule.on) not in (None, rule.value):
        item.pop(rule.field, None)
    return item


def _is_blank(item: Mapping[str, Any]) -> bool:
    return not any(value not in (None, False) for value in item.values())


def list_rows(fields: FormFields, section: str) -> list[dict[str, Any]]:
    """Every row of a list section in index order, blank rows included."""
    spec = LIST_SECTIONS[section]
    pattern = re.compile(rf"{re.escape(section)}-(\d{{1,3}})-\w+")
    indices = sorted({int(m.group(1)) for name in fields if (m := pattern.fullmatch(name))})
    rows = []
    for index in indices[:MAX_ROWS]:
        item = _object(fields, f"{section}-{index}", spec.fields)
        rows.append(_apply_conditional(item, spec.conditional))
    return rows


def parse_list(fields: FormFields, section: str, *, remove: int | None = None) -> list[Any]:
    """A list section without its blank rows, and without row `remove` if given."""
    rows = list_rows(fields, section)
    if remove is not None and 0 <= remove < len(rows):
        del rows[remove]
    return [row for row in rows if not _is_blank(row)]


def parse_symptoms(fields: FormFields) -> list[dict[str, Any]]:
    """The ticked symptoms, in the clinic's order, each with its onset."""
    items = []
    for symptom in choices.SYMPTOMS:
        prefix = f"symptoms-{symptom}"
        if not _value(Kind.FLAG, fields.get(f"{prefix}-selected", ())):
            continue
        details = _object(fields, prefix, SYMPTOM_FIELDS)
        items.append(_apply_conditional({"symptom": symptom, **details}, SYMPTOM_CONDITIONAL))
    return items


def parse_odi(fields: FormFields) -> dict[str, Any]:
    version = _value(Kind.TEXT, fields.get("odi-version", ()))
    # Both versions' sections are on the page; keep only the chosen version's, so the
    # patient is not told off for a section that does not apply to them.
    names = choices.ODI_SECTIONS_BY_VERSION.get(version or "", tuple(choices.ODI_SECTIONS))
    sections = _object(fields, "odi-sections", dict.fromkeys(names, Kind.NUMBER))
    odi: dict[str, Any] = {"sections": sections}
    if version is not None:
        odi["version"] = version
    return odi


def parse_section(fields: FormFields, section: str, *, remove: int | None = None) -> Any:
    """One top-level section of the answers, as the form on the page holds it."""
    if section in LIST_SECTIONS:
        return parse_list(fields, section, remove=remove)
    if section == "symptoms":
        return parse_symptoms(fields)
    if section == "odi":
        return parse_odi(fields)
    if section == "ndi":
        return {
            "items": _object(fields, "ndi-items", dict.fromkeys(choices.NDI_ITEMS, Kind.NUMBER))
        }
    if section == "pain":
        return _object(fields, "pain", dict.fromkeys(("back_or_neck", "leg_or_arm"), Kind.NUMBER))
    if section == "red_flags":
        return _object(fields, "red_flags", dict.fromkeys(choices.RED_FLAGS, Kind.YES_NO))
    if section == "consent":
        return _object(fields, "consent", {"privacy_notice": Kind.FLAG})
    raise ValueError(f"no form for section {section!r}")


# --- the buttons -------------------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    """Which submit button was pressed: the form works without JavaScript, so adding and
    removing rows are round trips that save what is on the page first."""

    kind: str  # "continue" | "save" | "add" | "remove"
    section: str | None = None
    index: int | None = None


_ADD = re.compile(r"add-(\w+)")
_REMOVE = re.compile(r"remove-(\w+)-(\d{1,3})")


def parse_action(value: str | None, sections: Iterable[str]) -> Action:
    allowed = set(sections)
    if value == "save":
        return Action("save")
    if (m := _ADD.fullmatch(value or "")) and m.group(1) in allowed:
        return Action("add", m.group(1))
    if (m := _REMOVE.fullmatch(value or "")) and m.group(1) in allowed:
        return Action("remove", m.group(1), int(m.group(2)))
    return Action("continue")


# --- errors back to fields ---------------------------------------------------------------


def field_name(loc: Sequence[str | int], answers: Mapping[str, Any]) -> str:
    """The input (or group of inputs) an error at `loc` belongs to.

    `loc` starts at the section, e.g. ["surgeries", 0, "levels", 1]. It falls back to the
    enclosing row or section when the path goes below anything on the page, so every
    error has somewhere to be shown.
    """
    if not loc:
        return "answers"
    section, rest = str(loc[0]), list(loc[1:])
    if section in LIST_SECTIONS:
        if not rest or not isinstance(rest[0], int):
            return section
        row = f"{section}-{rest[0]}"
        if len(rest) > 1 and rest[1] in LIST_SECTIONS[section].fields:
            return f"{row}-{rest[1]}"
        return row
    if section == "symptoms":
        items = answers.get("symptoms")
        if not rest or not isinstance(rest[0], int) or not isinstance(items, list):
            return section
        if not 0 <= rest[0] < len(items) or not isinstance(items[rest[0]], Mapping):
            return section
        prefix = f"symptoms-{items[rest[0]].get('symptom')}"
        if len(rest) > 1 and rest[1] in SYMPTOM_FIELDS:
            return f"{prefix}-{rest[1]}"
        return f"{prefix}-selected"
    if section in ("odi", "ndi") and len(rest) >= 2 and rest[0] in ("sections", "items"):
        return f"{section}-{rest[0]}-{rest[1]}"
    if rest and isinstance(rest[0], str):
        return f"{section}-{rest[0]}"
    return section


def section_of(loc: Sequence[str | int]) -> str:
    return str(loc[0]) if loc else ""
