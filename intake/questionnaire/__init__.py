"""The FBSS intake questionnaire: answer shapes, validation, red flags and scores.

Pure domain code: no database and no web framework. The API calls
`get_version(name).validate_draft / validate_complete / red_flags / scores`; the web
form reads the vocabulary constants below.
"""

from intake.questionnaire.dates import PartialDate, parse_partial_date
from intake.questionnaire.red_flags import (
    EMERGENCY_INSTRUCTION,
    RED_FLAG_KEYS,
    RED_FLAG_QUESTIONS,
    URGENT_INSTRUCTION,
    RedFlagQuestion,
    RedFlagResult,
    Tier,
    instruction_for,
)
from intake.questionnaire.registry import (
    CURRENT_VERSION,
    REGISTRY,
    FbssIntakeV1,
    QuestionnaireRegistry,
    QuestionnaireVersion,
    UnknownQuestionnaireVersion,
    get_version,
    register,
)
from intake.questionnaire.scoring import NdiScore, OdiScore, Scores
from intake.questionnaire.segments import REGIONS, SEGMENTS, Region, Segment, adjacent, region_of
from intake.questionnaire.v1 import (
    CARE_RESPONSES,
    CARE_TYPES,
    COMPLICATIONS,
    FINDING_SOURCES,
    FINDINGS,
    INSTRUMENTED_PROCEDURES,
    NDI_ITEMS,
    ODI_SECTIONS,
    ODI_VERSIONS,
    ONSETS,
    OTHER_FINDINGS,
    OUTCOME_PATTERNS,
    PROCEDURE_TYPES,
    REGENERATIVE_SIGNAL_FINDINGS,
    SECTIONS,
    SURGICAL_SIGNAL_FINDINGS,
    SYMPTOMS,
)
from intake.questionnaire.validation import Problem

__all__ = [
    "CARE_RESPONSES",
    "CARE_TYPES",
    "COMPLICATIONS",
    "CURRENT_VERSION",
    "EMERGENCY_INSTRUCTION",
    "FINDINGS",
    "FINDING_SOURCES",
    "INSTRUMENTED_PROCEDURES",
    "NDI_ITEMS",
    "ODI_SECTIONS",
    "ODI_VERSIONS",
    "ONSETS",
    "OTHER_FINDINGS",
    "OUTCOME_PATTERNS",
    "PROCEDURE_TYPES",
    "RED_FLAG_KEYS",
    "RED_FLAG_QUESTIONS",
    "REGENERATIVE_SIGNAL_FINDINGS",
    "REGIONS",
    "REGISTRY",
    "SECTIONS",
    "SEGMENTS",
    "SURGICAL_SIGNAL_FINDINGS",
    "SYMPTOMS",
    "URGENT_INSTRUCTION",
    "FbssIntakeV1",
    "NdiScore",
    "OdiScore",
    "PartialDate",
    "Problem",
    "QuestionnaireRegistry",
    "QuestionnaireVersion",
    "RedFlagQuestion",
    "RedFlagResult",
    "Region",
    "Scores",
    "Segment",
    "Tier",
    "UnknownQuestionnaireVersion",
    "adjacent",
    "get_version",
    "instruction_for",
    "parse_partial_date",
    "region_of",
    "register",
]
