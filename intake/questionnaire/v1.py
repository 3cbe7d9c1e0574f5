"""Questionnaire "fbss-intake/1": its vocabulary and the shape of every answers section.

The contract is /tmp/answers_spec.md (the API and the web form rely on every name here).
Every field is optional because a draft may hold any part of a section; what submit
requires, and the rules that span fields, live in validation.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated, Literal, TypeAlias, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from intake.questionnaire.dates import parse_partial_date
from intake.questionnaire.segments import Region, Segment

VERSION = "fbss-intake/1"

ProcedureType: TypeAlias = Literal[
    "discectomy",
    "microdiscectomy",
    "laminectomy",
    "laminotomy_foraminotomy",
    "fusion",
    "artificial_disc",
    "other",
]
PROCEDURE_TYPES: tuple[ProcedureType, ...] = get_args(ProcedureType)
# Procedures that leave hardware (screws, cages, plates, a disc prosthesis) behind.
INSTRUMENTED_PROCEDURES: frozenset[ProcedureType] = frozenset({"fusion", "artificial_disc"})

Complication: TypeAlias = Literal[
    "infection", "durotomy", "wound_problem", "reoperation", "new_deficit"
]
COMPLICATIONS: tuple[Complication, ...] = get_args(Complication)

OutcomePattern: TypeAlias = Literal[
    "never_improved", "improved_then_recurred", "new_pain_different_level"
]
OUTCOME_PATTERNS: tuple[OutcomePattern, ...] = get_args(OutcomePattern)

SymptomName: TypeAlias = Literal[
    "new_pain_different_level",
    "no_improvement",
    "stiffness",
    "stabbing_pain",
    "radiating_leg_pain_or_numbness",
    "spasms",
    "anxiety_depression_poor_sleep",
    "pain_medication_dependence",
]
SYMPTOMS: tuple[SymptomName, ...] = get_args(SymptomName)

Onset: TypeAlias = Literal["before_surgery", "since_surgery_never_resolved", "after_surgery"]
ONSETS: tuple[Onset, ...] = get_args(Onset)

CareType: TypeAlias = Literal[
    "physical_therapy",
    "chiropractic",
    "epidural_injection",
    "facet_injection",
    "si_injection",
    "radiofrequency_ablation",
    "medication",
    "psychological_therapy",
]
CARE_TYPES: tuple[CareType, ...] = get_args(CareType)

CareResponse: TypeAlias = Literal["none", "partial", "good"]
CARE_RESPONSES: tuple[CareResponse, ...] = get_args(CareResponse)

Finding: TypeAlias = Literal[
    # Surgical signals (S_* in DOMAIN.md §3).
    "hardware_loosening",
    "hardware_fracture",
    "implant_migration",
    "implant_malposition",
    "pseudarthrosis",
    "retained_fragment",
    "inadequate_decompression",
    "extruded_herniation",
    "wrong_level",
    "instability",
    "spondylolisthesis_above_grade_2",
    "severe_stenosis",
    "progressive_neurological_deficit",
    # Regenerative signals.
    "annular_tear",
    "high_intensity_zone",
    "discogenic_pain",
    # Other.
    "epidural_fibrosis",
    "arachnoiditis",
    "facet_pain",
    "si_joint_pain",
    "fracture",
    "infection",
    "tumour",
    "severe_disc_collapse",
]
FINDINGS: tuple[Finding, ...] = get_args(Finding)
SURGICAL_SIGNAL_FINDINGS: tuple[Finding, ...] = FINDINGS[:13]
REGENERATIVE_SIGNAL_FINDINGS: tuple[Finding, ...] = FINDINGS[13:16]
OTHER_FINDINGS: tuple[Finding, ...] = FINDINGS[16:]

FindingSource: TypeAlias = Literal["imaging_report", "surgeon"]
FINDING_SOURCES: tuple[FindingSource, ...] = get_args(FindingSource)

OdiVersion: TypeAlias = Literal["2.1a", "modified"]
ODI_VERSIONS: tuple[OdiVersion, ...] = get_args(OdiVersion)
_ODI_FIRST = ("pain_intensity", "personal_care", "lifting", "walking", "sitting", "standing")
_ODI_LAST = ("social_life", "travelling")
# The modified ODI asks about employment/homemaking where 2.1a asks about sex life.
# Keyed by plain str so a raw, unchecked answer can be looked up.
ODI_SECTIONS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "2.1a": (*_ODI_FIRST, "sleeping", "sex_life", *_ODI_LAST),
        "modified": (*_ODI_FIRST, "sleeping", "employment_homemaking", *_ODI_LAST),
    }
)

NDI_ITEMS: tuple[str, ...] = (
    "pain_intensity",
    "personal_care",
    "lifting",
    "reading",
    "headaches",
    "concentration",
    "work",
    "driving",
    "sleeping",
    "recreation",
)

# Top-level answer sections in the order the form asks them.
SECTIONS: tuple[str, ...] = (
    "surgeries",
    "symptoms",
    "pain",
    "odi",
    "ndi",
    "conservative_care",
    "medications",
    "reported_findings",
    "red_flags",
    "consent",
)


def _check_partial_date(text: str) -> str:
    try:
        parse_partial_date(text)
    except ValueError:
        raise PydanticCustomError(
            "partial_date", "Use YYYY-MM or YYYY-MM-DD with a real calendar date"
        ) from None
    return text


# Kept as the patient's string: the model checks answers, it does not rewrite them.
PartialDateText = Annotated[str, AfterValidator(_check_partial_date)]
PainRating = Annotated[int, Field(ge=0, le=10)]
DisabilityRating = Annotated[int, Field(ge=0, le=5)]
MonthCount = Annotated[int, Field(ge=0, le=600)]
ShortText = Annotated[str, Field(max_length=200)]


class AnswersModel(BaseModel):
    # strict: JSON true is not 1 and "7" is not 7; unknown keys are errors, never dropped.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class SurgeryAnswers(AnswersModel):
    procedure_type: ProcedureType | None = None
    region: Region | None = None
    levels: list[Segment] | None = None
    instrumented_levels: list[Segment] | None = None
    surgery_date: PartialDateText | None = None
    surgeon: ShortText | None = None
    facility: ShortText | None = None
    complications: list[Complication] | None = None
    outcome_pattern: OutcomePattern | None = None
    pain_free_months: MonthCount | None = None


class SymptomAnswers(AnswersModel):
    symptom: SymptomName | None = None
    onset: Onset | None = None
    onset_months_after_surgery: MonthCount | None = None


class PainAnswers(AnswersModel):
    back_or_neck: PainRating | None = None
    leg_or_arm: PainRating | None = None


class OdiSectionAnswers(AnswersModel):
    """Both versions' section names; validation.py rejects the other version's one."""

    pain_intensity: DisabilityRating | None = None
    personal_care: DisabilityRating | None = None
    lifting: DisabilityRating | None = None
    walking: DisabilityRating | None = None
    sitting: DisabilityRating | None = None
    standing: DisabilityRating | None = None
    sleeping: DisabilityRating | None = None
    sex_life: DisabilityRating | None = None
    employment_homemaking: DisabilityRating | None = None
    social_life: DisabilityRating | None = None
    travelling: DisabilityRating | None = None


class OdiAnswers(AnswersModel):
    version: OdiVersion | None = None
    sections: OdiSectionAnswers | None = None


class NdiItemAnswers(AnswersModel):
    pain_intensity: DisabilityRating | None = None
    personal_care: DisabilityRating | None = None
    lifting: DisabilityRating | None = None
    reading: DisabilityRating | None = None
    headaches: DisabilityRating | None = None
    concentration: DisabilityRating | None = None
    work: DisabilityRating | None = None
    driving: DisabilityRating | None = None
    sleeping: DisabilityRating | None = None
    recreation: DisabilityRating | None = None


class NdiAnswers(AnswersModel):
    items: NdiItemAnswers | None = None


class CareEpisodeAnswers(AnswersModel):
    type: CareType | None = None
    start_date: PartialDateText | None = None
    end_date: PartialDateText | None = None
    sessions: Annotated[int, Field(ge=0, le=1000)] | None = None
    response: CareResponse | None = None


class MedicationAnswers(AnswersModel):
    name: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    drug_class: ShortText | None = None
    opioid: bool | None = None
    current: bool | None = None


class ReportedFindingAnswers(AnswersModel):
    finding: Finding | None = None
    level: Segment | None = None
    said_by: FindingSource | None = None


class RedFlagAnswers(AnswersModel):
    """One field per red-flag question; red_flags.py holds their tiers and wording."""

    bladder_or_bowel_dysfunction: bool | None = None
    saddle_numbness: bool | None = None
    both_legs_weak_or_numb: bool | None = None
    progressive_weakness_or_gait: bool | None = None
    sexual_dysfunction: bool | None = None
    fever_after_surgery: bool | None = None
    wound_problem: bool | None = None
    cancer_or_weight_loss: bool | None = None
    infection_risk: bool | None = None
    significant_trauma: bool | None = None
    night_or_rest_pain: bool | None = None
    widespread_neurological_symptoms: bool | None = None


class ConsentAnswers(AnswersModel):
    privacy_notice: bool | None = None
