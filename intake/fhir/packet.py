"""The consult packet: one intake as a FHIR R4 document Bundle, for the consultation.

Why a "document" Bundle and not a "collection": the packet is one coherent clinical
document, assembled at one moment for one purpose (the consultation), that is read and
printed as a whole. A document Bundle says exactly that: its first entry is a
Composition, the table of contents that names the routing decision and points at every
other entry, and the Bundle carries its own identifier and timestamp, so a packet that
was handed on can be told apart from a later one. A collection is a bag of resources
with no such statement.

Codes: LOINC only where the code is certain (72514-3, the 0-10 pain NRS, qualified by
body site). The ODI, NDI, their bands and the packet's section codes are in local code
systems under the questionnaire's own canonical base.
"""

from __future__ import annotations

import html
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from intake.cases import summary
from intake.cases.schemas import CaseView, DocumentView, SurgeryView
from intake.fhir.questionnaire import CODE_SYSTEM_BASE

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
URI_IDENTIFIER = "urn:ietf:rfc:3986"
PACKET_SYSTEM = f"{CODE_SYSTEM_BASE}/consult-packet"
NRS_LOINC = "72514-3"
NRS_DISPLAY = "Pain severity - 0-10 verbal numeric rating [Score] - Reported"

Resource = dict[str, Any]


def _label(code: str) -> str:
    text = code.replace("_", " ")
    return text[:1].upper() + text[1:]


def _coding(system: str, code: str, display: str | None = None) -> dict[str, str]:
    full = system if system.startswith("http") else f"{CODE_SYSTEM_BASE}/{system}"
    return {"system": full, "code": code, "display": display or _label(code)}


def _concept(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    coding = _coding(system, code, display)
    return {"coding": [coding], "text": coding["display"]}


def _ref(resource: Resource) -> dict[str, str]:
    return {"reference": f"urn:uuid:{resource['id']}"}


def _narrative(lines: Iterable[str]) -> dict[str, str]:
    items = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
    body = f"<ul>{items}</ul>" if items else "<p>None recorded.</p>"
    return {"status": "generated", "div": f'<div xmlns="http://www.w3.org/1999/xhtml">{body}</div>'}


def _id(packet_id: uuid.UUID, name: str) -> str:
    """A stable id per entry of one packet (names are unique within it)."""
    return str(uuid.uuid5(packet_id, name))


def patient_resource(case: CaseView) -> Resource:
    patient = case.patient
    telecom = [{"system": "email", "value": patient.email}]
    if patient.phone:
        telecom.append({"system": "phone", "value": patient.phone})
    return {
        "resourceType": "Patient",
        "id": str(patient.id),
        "name": [{"family": patient.last_name, "given": [patient.first_name]}],
        "birthDate": patient.date_of_birth.isoformat(),
        "telecom": telecom,
    }


class _Context:
    """What every clinical entry refers to: the patient, the answers, and when."""

    def __init__(self, patient: Resource, answers: Resource, effective: datetime) -> None:
        self.patient = _ref(patient)
        self.answers = _ref(answers)
        self.effective = effective.isoformat()


def _observation(
    packet_id: uuid.UUID, name: str, code: dict[str, Any], value: dict[str, Any], ctx: _Context
) -> Resource:
    return {
        "resourceType": "Observation",
        "id": _id(packet_id, f"observation:{name}"),
        "status": "final",
        "category": [_concept(OBSERVATION_CATEGORY, "survey", "Survey")],
        "code": code,
        "subject": ctx.patient,
        "effectiveDateTime": ctx.effective,
        "derivedFrom": [ctx.answers],
        **value,
    }


def _score(value: float, band: str, *, unit: str, ucum: str, bands: str) -> Resource:
    quantity = {"value": value, "unit": unit, "system": UCUM, "code": ucum}
    return {"valueQuantity": quantity, "interpretation": [_concept(bands, band)]}


def _nrs_code(site: str) -> Resource:
    """LOINC's 0-10 pain NRS, with a local code saying which pain it rates."""
    return {
        "coding": [
            {"system": LOINC, "code": NRS_LOINC, "display": NRS_DISPLAY},
            _coding(PACKET_SYSTEM, f"nrs-{site.replace(' ', '-')}", f"Pain NRS, {site}"),
        ],
        "text": f"Pain NRS ({site})",
    }


def score_observations(packet_id: uuid.UUID, case: CaseView, ctx: _Context) -> list[Resource]:
    """ODI %, NDI raw score and the two pain NRS ratings, each only when there is one."""
    scores = case.scores
    found: list[Resource] = []
    if scores.odi_percent is not None and scores.odi_band is not None:
        code = _concept(PACKET_SYSTEM, "odi-percent", "Oswestry Disability Index (%)")
        value = _score(scores.odi_percent, scores.odi_band, unit="%", ucum="%", bands="odi-band")
        found.append(_observation(packet_id, "odi", code, value, ctx))
    if scores.ndi_raw is not None and scores.ndi_band is not None:
        code = _concept(PACKET_SYSTEM, "ndi-raw", "Neck Disability Index (raw, of 50)")
        value = _score(
            scores.ndi_raw, scores.ndi_band, unit="score", ucum="{score}", bands="ndi-band"
        )
        found.append(_observation(packet_id, "ndi", code, value, ctx))
    for site, rating in (
        ("back or neck", scores.nrs_back_or_neck),
        ("leg or arm", scores.nrs_leg_or_arm),
    ):
        if rating is not None:
            value = {"valueInteger": rating, "bodySite": {"text": _label(site)}}
            name = f"nrs-{site.replace(' ', '-')}"
            found.append(_observation(packet_id, name, _nrs_code(site), value, ctx))
    return found


def procedure_resource(packet_id: uuid.UUID, surgery: SurgeryView, ctx: _Context) -> Resource:
    procedure: Resource = {
        "resourceType": "Procedure",
        "id": _id(packet_id, f"procedure:{surgery.number}"),
        "status": "completed",
        "code": _concept("procedure-type", surgery.procedure_type or "other"),
        "subject": ctx.patient,
    }
    if surgery.surgery_date:  # "YYYY-MM" is a valid FHIR dateTime
        procedure["performedDateTime"] = surgery.surgery_date
    if surgery.surgeon:
        procedure["performer"] = [{"actor": {"display": surgery.surgeon}}]
    if surgery.facility:
        procedure["location"] = {"display": surgery.facility}
    if surgery.levels:
        procedure["bodySite"] = [_concept("segment", level, level) for level in surgery.levels]
    if surgery.outcome_pattern:
        procedure["outcome"] = _concept("outcome-pattern", surgery.outcome_pattern)
    if surgery.complications:
        procedure["complication"] = [_concept("complications", c) for c in surgery.complications]
    notes = []
    if surgery.instrumented_levels:
        notes.append(f"Instrumented levels: {', '.join(surgery.instrumented_levels)}")
    if surgery.pain_free_months is not None:
        notes.append(f"Pain-free for {surgery.pain_free_months} months before it recurred")
    if notes:
        procedure["note"] = [{"text": note} for note in notes]
    return procedure


def _dicom_summary(document: DocumentView) -> list[str]:
    return [
        " ".join(
            part
            for part in (
                study.modality,
                study.body_part,
                study.study_date.isoformat() if study.study_date else None,
                study.description,
                f"({study.series_count} series, {study.instance_count} images)",
            )
            if part
        )
        for study in document.studies
    ]


def document_reference(packet_id: uuid.UUID, document: DocumentView, ctx: _Context) -> Resource:
    """A pointer to an uploaded document, with its DICOM facts and review status."""
    attachment: dict[str, Any] = {
        "contentType": document.media_type,
        "size": document.size_bytes,
        "creation": document.uploaded_at.isoformat(),
    }
    if document.original_filename:
        attachment["title"] = document.original_filename
    review = f"Review: {document.review_status}"
    if document.review_note:
        review += f" ({document.review_note})"
    resource: Resource = {
        "resourceType": "DocumentReference",
        "id": _id(packet_id, f"document:{document.id}"),
        "identifier": [{"system": URI_IDENTIFIER, "value": f"urn:uuid:{document.id}"}],
        # A wrong-patient upload does not belong in this patient's record.
        "status": "entered-in-error" if document.review_status == "wrong_patient" else "current",
        "type": _concept("document-kind", document.kind),
        "subject": ctx.patient,
        "date": document.uploaded_at.isoformat(),
        "description": "; ".join([*_dicom_summary(document), review]),
        "content": [{"attachment": attachment}],
    }
    when = document.study_date or document.report_date
    if when:
        resource["context"] = {"period": {"start": when.isoformat(), "end": when.isoformat()}}
    return resource


def _section(
    title: str, code: str, *, lines: Iterable[str] = (), entries: Iterable[Resource] = ()
) -> Resource:
    section: Resource = {
        "title": title,
        "code": _concept(PACKET_SYSTEM, code, title),
        "text": _narrative(lines),
    }
    refs = [_ref(entry) for entry in entries]
    if refs:
        section["entry"] = refs
    return section


def consult_packet(
    case: CaseView,
    *,
    questionnaire_response: Resource,
    clinic_name: str,
    generated_at: datetime,
    packet_id: uuid.UUID | None = None,
) -> Resource:
    """The packet as a FHIR R4 document Bundle (JSON-ready); see the module docstring."""
    packet_id = packet_id or uuid.uuid4()
    patient = patient_resource(case)
    answers = {**questionnaire_response, "subject": _ref(patient)}
    ctx = _Context(patient, answers, case.submitted_at or case.created_at)
    observations = score_observations(packet_id, case, ctx)
    procedures = [procedure_resource(packet_id, s, ctx) for s in case.surgeries]
    documents = [document_reference(packet_id, d, ctx) for d in case.documents]
    composition: Resource = {
        "resourceType": "Composition",
        "id": _id(packet_id, "composition"),
        # Preliminary while the route rests on patient-reported findings only.
        "status": "preliminary" if case.provisional or not case.current_decision else "final",
        "type": _concept(PACKET_SYSTEM, "consult-packet", "Consultation packet"),
        "subject": _ref(patient),
        "date": generated_at.isoformat(),
        "author": [{"display": clinic_name}],
        "title": "Consultation packet",
        "section": [
            _section("Routing decision", "routing", lines=summary.routing_lines(case)),
            _section("Findings", "findings", lines=summary.finding_lines(case)),
            _section("Scores", "scores", entries=observations, lines=summary.score_lines(case)),
            _section(
                "Surgical history",
                "surgeries",
                entries=procedures,
                lines=summary.surgery_lines(case),
            ),
            _section(
                "Documents",
                "documents",
                entries=documents,
                lines=[d["description"] for d in documents],
            ),
            _section(
                "Questionnaire answers", "answers", entries=[answers], lines=["Intake answers"]
            ),
        ],
    }
    entries = [composition, patient, answers, *observations, *procedures, *documents]
    return {
        "resourceType": "Bundle",
        "id": str(packet_id),
        "identifier": {"system": URI_IDENTIFIER, "value": f"urn:uuid:{packet_id}"},
        "type": "document",
        "timestamp": generated_at.isoformat(),
        "entry": [{"fullUrl": f"urn:uuid:{e['id']}", "resource": e} for e in entries],
    }
