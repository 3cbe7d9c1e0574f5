"""Console forms into the API's own input models, so both check input the same way.

Every problem is reported at once, in the API's error shape; empty inputs count as
not given.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from intake.errors import InvalidInput, problem
from intake.routing.schemas import FindingIn, OverrideIn

Model = TypeVar("Model", bound=BaseModel)

# pydantic's wording, put the way a form asks.
_FRIENDLIER = {
    "literal_error": "choose one of the options",
    "enum": "choose one of the options",
    "string_too_short": "is required (at least {min_length} characters)",
    "missing": "is required",
    "uuid_parsing": "choose one of the options",
}


def _message(error: Mapping[str, Any]) -> str:
    template = _FRIENDLIER.get(str(error["type"]))
    if template is None:
        return str(error["msg"])
    return template.format(**error.get("ctx", {}))


def parse(model: type[Model], data: Mapping[str, Any]) -> Model:
    """`data` as `model`, or an InvalidInput naming every problem by field."""
    given = {key: value for key, value in data.items() if value not in ("", None)}
    try:
        return model.model_validate(given)
    except ValidationError as exc:
        problems = [
            problem(["body", *error["loc"]], _message(error), error["type"])
            for error in exc.errors()
        ]
        raise InvalidInput(problems) from None


def override_input(fields: Mapping[str, str]) -> OverrideIn:
    return parse(OverrideIn, {"route": fields.get("route"), "reason": fields.get("reason")})


def finding_input(fields: Mapping[str, str]) -> FindingIn:
    return parse(
        FindingIn,
        {
            "type": fields.get("type"),
            "level": fields.get("level"),
            # A select, not a checkbox: "ruled out" must be a deliberate choice.
            "present": fields.get("present", "yes") == "yes",
            "document_id": fields.get("document_id"),
            "note": fields.get("note"),
        },
    )
