"""The consult packet: a FHIR R4 document Bundle, valid by fhir.resources (R4B), audited."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi.testclient import TestClient
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle

from intake.fhir.packet import NRS_LOINC
from intake.staff.models import StaffRole
from tests.conftest import start_intake
from tests.console.support import console_as, run_worker_steps, urgent_intake
from tests.questionnaire.fixtures import COMPLETE_CERVICAL_ANSWERS
from tests.staff.support import audit_events, staff_auth

REASON = "CT shows a broken L5-S1 rod"
# fhir.resources checks structure and types, not required code bindings: these are R4's.
STATUS_CODES = {
    "Composition": {"preliminary", "final", "amended", "entered-in-error"},
    "Observation": {"registered", "preliminary", "final", "amended", "corrected", "cancelled"},
    "Procedure": {"preparation", "in-progress", "not-done", "on-hold", "stopped", "completed"},
    "DocumentReference": {"current", "superseded", "entered-in-error"},
    "QuestionnaireResponse": {"in-progress", "completed", "amended", "stopped"},
}


def _references(value: Any) -> Iterator[str]:
    """Every Reference.reference anywhere in a resource."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "reference" and isinstance(item, str):
                yield item
            else:
                yield from _references(item)
    elif isinstance(value, list):
        for item in value:
            yield from _references(item)


def _valid_document(bundle: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Validate the Bundle and each entry with the R4B models and the document rules;
    the resources by type."""
    Bundle.model_validate(bundle)
    assert bundle["type"] == "document"
    assert bundle["identifier"]["system"] == "urn:ietf:rfc:3986"  # bdl-9: system and value
    assert bundle["identifier"]["value"] == f"urn:uuid:{bundle['id']}"
    assert bundle["timestamp"]  # bdl-10
    assert bundle["entry"][0]["resource"]["resourceType"] == "Composition"  # bdl-11
    full_urls = [entry["fullUrl"] for entry in bundle["entry"]]
    assert len(full_urls) == len(set(full_urls))  # bdl-7
    by_type: dict[str, list[dict[str, Any]]] = {}
    for entry in bundle["entry"]:
        resource = entry["resource"]
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
        if resource["resourceType"] in STATUS_CODES:
            assert resource["status"] in STATUS_CODES[resource["resourceType"]]
        assert entry["fullUrl"] == f"urn:uuid:{resource['id']}"
        by_type.setdefault(resource["resourceType"], []).append(resource)
    assert set(_references(bundle)) <= set(full_urls)  # every reference resolves inside
    return by_type


def _overridden_case(client: TestClient) -> str:
    started = urgent_intake(client)
    run_worker_steps(started.id)
    console = console_as(client, StaffRole.CLINICIAN)
    overridden = console.post(
        f"/staff/intakes/{started.id}/override", {"route": "surgical_revision", "reason": REASON}
    )
    assert overridden.status_code == 200
    return started.id


def test_the_packet_is_a_valid_document_bundle_of_the_whole_case(client: TestClient) -> None:
    intake_id = _overridden_case(client)

    response = client.get(f"/api/v1/intakes/{intake_id}/consult-packet", headers=staff_auth(client))

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/fhir+json")
    resources = _valid_document(response.json())
    assert set(resources) == {
        "Composition",
        "Patient",
        "QuestionnaireResponse",
        "Observation",
        "Procedure",
        "DocumentReference",
    }
    [patient] = resources["Patient"]
    assert patient["name"] == [{"family": "Lovelace", "given": ["Ada"]}]
    observations = {o["code"]["coding"][-1]["code"]: o for o in resources["Observation"]}
    assert set(observations) == {"odi-percent", "nrs-back-or-neck", "nrs-leg-or-arm"}
    assert observations["odi-percent"]["valueQuantity"]["value"] == 32.0
    assert observations["odi-percent"]["interpretation"][0]["coding"][0]["code"] == "moderate"
    leg = observations["nrs-leg-or-arm"]
    assert (leg["code"]["coding"][0]["code"], leg["valueInteger"]) == (NRS_LOINC, 4)
    [procedure] = resources["Procedure"]
    assert procedure["performedDateTime"] == "2023-02"
    assert procedure["code"]["coding"][0]["code"] == "fusion"
    assert "Instrumented levels: L5-S1" in procedure["note"][0]["text"]
    [document] = resources["DocumentReference"]
    assert document["description"].startswith("MR LSPINE")
    assert "MRI LUMBAR SPINE (1 series, 1 images)" in document["description"]
    [composition] = resources["Composition"]
    routing = composition["section"][0]
    assert routing["title"] == "Routing decision"
    assert "Current route:" in routing["text"]["div"]
    assert "override by Casey Coordinator: Surgical revision" in routing["text"]["div"]
    assert REASON in routing["text"]["div"]
    assert "rules: Escalate urgent" in routing["text"]["div"]  # the rules' decision beside it
    assert [e.object_id for e in audit_events("intake.packet")] == [intake_id]


def test_a_cervical_case_has_an_ndi_and_no_odi_and_is_preliminary_until_routed(
    client: TestClient,
) -> None:
    started = start_intake(client, answers=dict(COMPLETE_CERVICAL_ANSWERS))

    response = client.get(
        f"/api/v1/intakes/{started.id}/consult-packet", headers=staff_auth(client)
    )

    resources = _valid_document(response.json())
    codes = {o["code"]["coding"][-1]["code"]: o for o in resources["Observation"]}
    assert "odi-percent" not in codes
    assert codes["ndi-raw"]["valueQuantity"]["value"] == 20.0
    assert "DocumentReference" not in resources
    assert resources["Composition"][0]["status"] == "preliminary"
    assert resources["QuestionnaireResponse"][0]["status"] == "in-progress"


def test_the_packet_needs_staff_and_the_console_serves_it_with_its_session(
    client: TestClient,
) -> None:
    intake_id = _overridden_case(client)  # leaves the client signed in to the console

    anonymous = TestClient(client.app).get(f"/api/v1/intakes/{intake_id}/consult-packet")
    from_console = client.get(f"/staff/intakes/{intake_id}/packet.json")

    assert anonymous.status_code == 401
    assert from_console.status_code == 200
    assert from_console.headers["content-type"].startswith("application/fhir+json")
    assert from_console.headers["cache-control"] == "no-store"
    _valid_document(from_console.json())
    assert len(audit_events("intake.packet")) == 1
