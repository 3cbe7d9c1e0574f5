"""OpenAPI links: which operations take an id that another one's answer just made.

Clients read them as "what can I do next"; the stateful fuzzer (tests/fuzz) follows them to
chain requests (start an intake, then save, upload, submit), so later steps work on real
records instead of random ids.
"""

from __future__ import annotations

from typing import Any

INTAKE = "/api/v1/intakes/{intake_id}"
CLINICIAN = "/api/v1/clinicians/{clinician_id}"
APPOINTMENT = "/api/v1/appointments/{appointment_id}"

_NEW_INTAKE = {"intake_id": "$response.body#/id"}
_SAME_INTAKE = {"intake_id": "$request.path.intake_id"}
_NEW_CLINICIAN = {"clinician_id": "$response.body#/id"}
_NEW_APPOINTMENT = {"appointment_id": "$response.body#/id"}

# (method, path that answers 201) -> {link name: (method, target path, parameters)}
LINKS: dict[tuple[str, str], dict[str, tuple[str, str, dict[str, str]]]] = {
    ("post", "/api/v1/intakes"): {
        "GetIntake": ("get", INTAKE, _NEW_INTAKE),
        "SaveAnswers": ("patch", INTAKE, _NEW_INTAKE),
        "UploadDocument": ("post", f"{INTAKE}/documents", _NEW_INTAKE),
        "ListDocuments": ("get", f"{INTAKE}/documents", _NEW_INTAKE),
        "GetChecklist": ("get", f"{INTAKE}/checklist", _NEW_INTAKE),
        "SubmitIntake": ("post", f"{INTAKE}/submit", _NEW_INTAKE),
        "WithdrawIntake": ("post", f"{INTAKE}/withdraw", _NEW_INTAKE),
        "GetCase": ("get", f"{INTAKE}/case", _NEW_INTAKE),
    },
    ("post", f"{INTAKE}/documents"): {
        "DeleteDocument": (
            "delete",
            f"{INTAKE}/documents/{{document_id}}",
            {**_SAME_INTAKE, "document_id": "$response.body#/id"},
        ),
        "ReviewDocument": (
            "post",
            "/api/v1/documents/{document_id}/review",
            {"document_id": "$response.body#/id"},
        ),
    },
    ("post", "/api/v1/clinicians"): {
        "GetClinician": ("get", CLINICIAN, _NEW_CLINICIAN),
        "UpdateClinician": ("patch", CLINICIAN, _NEW_CLINICIAN),
        "SetAvailability": ("put", f"{CLINICIAN}/availability", _NEW_CLINICIAN),
        "AddException": ("post", f"{CLINICIAN}/exceptions", _NEW_CLINICIAN),
    },
    ("post", f"{CLINICIAN}/exceptions"): {
        "DeleteException": (
            "delete",
            f"{CLINICIAN}/exceptions/{{exception_id}}",
            {"clinician_id": "$request.path.clinician_id", "exception_id": "$response.body#/id"},
        ),
    },
    ("post", "/api/v1/appointments"): {
        "GetAppointment": ("get", APPOINTMENT, _NEW_APPOINTMENT),
        "Alternatives": ("get", f"{APPOINTMENT}/alternatives", _NEW_APPOINTMENT),
        "ConfirmAppointment": ("post", f"{APPOINTMENT}/confirm", _NEW_APPOINTMENT),
        "CancelAppointment": ("post", f"{APPOINTMENT}/cancel", _NEW_APPOINTMENT),
        "CloseAppointment": ("post", f"{APPOINTMENT}/close", _NEW_APPOINTMENT),
    },
}


def add_links(schema: dict[str, Any]) -> None:
    """Attach LINKS to the 201 answers; a link to an operation that is gone is a bug."""
    paths = schema.get("paths", {})
    for (method, path), links in LINKS.items():
        created = paths[path][method]["responses"]["201"]
        found = created.setdefault("links", {})
        for name, (target_method, target_path, parameters) in links.items():
            assert target_method in paths[target_path], f"{target_method} {target_path}"
            found[name] = {
                "operationRef": f"#/paths/{_pointer(target_path)}/{target_method}",
                "parameters": parameters,
            }


def _pointer(path: str) -> str:
    """A JSON Pointer token (RFC 6901): "~" and "/" are escaped."""
    return path.replace("~", "~0").replace("/", "~1")
