"""FHIR R4 views of intake data, as plain JSON-ready dicts (no FHIR server involved)."""

from intake.fhir.questionnaire import (
    QUESTIONNAIRE_URL,
    NoFhirMapping,
    questionnaire_resource,
    questionnaire_response_resource,
)

__all__ = [
    "QUESTIONNAIRE_URL",
    "NoFhirMapping",
    "questionnaire_resource",
    "questionnaire_response_resource",
]
