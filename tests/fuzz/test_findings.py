"""What the fuzzer found, pinned down one request each, so a regression fails right here."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx2
import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient

from intake.config import Settings
from intake.main import create_app
from intake.scheduling.slots import BadSlotId, Span, extra_candidates, parse_slot_id
from intake.staff.models import StaffRole
from tests.fuzz.runner import CHECKS
from tests.scheduling.support import Clinic
from tests.staff.support import make_staff, staff_auth


def assert_documented(app: FastAPI, method: str, path: str, response: httpx2.Response) -> None:
    """Status, content type and body as /openapi.json promises, by the fuzzer's own checks."""
    operation = schemathesis.openapi.from_asgi("/openapi.json", app)[path][method]
    operation.Case().validate_response(response, checks=CHECKS)


def test_linking_a_clinician_to_no_staff_account_is_a_422(
    client: TestClient, settings: Settings
) -> None:
    # Was a 500: the foreign key refused the row at flush.
    body = {
        "display_name": "Dr Nobody",
        "offers": ["regenerative"],
        "staff_user_id": str(uuid.uuid4()),
    }
    response = client.post("/api/v1/clinicians", headers=staff_auth(client), json=body)

    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["body", "staff_user_id"]


def test_linking_one_staff_account_to_two_clinicians_is_a_409(
    client: TestClient, settings: Settings
) -> None:
    # Was a 500: the unique constraint refused the second row.
    doctor = make_staff(email="doctor@clinic.example", role=StaffRole.CLINICIAN)
    headers = staff_auth(client)
    body = {"display_name": "Dr Twice", "offers": ["regenerative"], "staff_user_id": str(doctor.id)}
    first = client.post("/api/v1/clinicians", headers=headers, json=body)
    second = client.post("/api/v1/clinicians", headers=headers, json=body)

    assert first.status_code == 201, first.text
    assert second.status_code == 409, second.text
    assert_documented(client.app, "POST", "/api/v1/clinicians", second)  # type: ignore[arg-type]


def test_clinic_hours_match_their_documented_schema(client: TestClient, settings: Settings) -> None:
    # "09:00:00" broke the "time" format, which demands a UTC offset.
    clinic = Clinic(client)
    clinic.clinician()
    response = client.get("/api/v1/clinicians", headers=clinic.staff)

    assert response.json()[0]["weekly"][0]["starts"] == "09:00:00"
    assert_documented(client.app, "GET", "/api/v1/clinicians", response)  # type: ignore[arg-type]


def test_the_html_email_preview_is_documented(client: TestClient, settings: Settings) -> None:
    path = "/api/v1/email-templates/{template}/preview"
    response = client.get(
        path.format(template="intake_reminder"),
        params={"format": "html"},
        headers=staff_auth(client, StaffRole.ADMIN),
    )

    assert response.headers["content-type"].startswith("text/html")
    assert_documented(client.app, "GET", path, response)  # type: ignore[arg-type]


def test_a_body_that_is_not_utf8_gets_a_documented_400() -> None:
    # FastAPI answers 400 before any of our code runs; the schema has to say so.
    app = create_app()
    response = TestClient(app).post(
        "/api/v1/intakes", content=b"\xfft\xfe", headers={"content-type": "application/json"}
    )

    assert response.status_code == 400
    assert_documented(app, "POST", "/api/v1/intakes", response)


def test_every_operation_documents_the_errors_its_shape_implies() -> None:
    schema = create_app().openapi()
    missing = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            if operation.get("security") and "401" not in responses:
                missing.append(f"{method} {path}: 401")
            if "{" in path and "404" not in responses:
                missing.append(f"{method} {path}: 404")
            if "requestBody" in operation and not {"400", "422"} <= set(responses):
                missing.append(f"{method} {path}: 400/422")
    assert missing == []


def test_extra_hours_spanning_years_yield_only_the_window_s_slots() -> None:
    # The fuzzer added extra hours from one century to the next; every search then walked
    # them slot by slot. Only the window's slots are built now, on the extra hours' grid.
    extra = Span(datetime(2000, 1, 1, 9, 10, tzinfo=UTC), datetime(2010, 1, 1, tzinfo=UTC))
    window = Span(datetime(2005, 6, 1, tzinfo=UTC), datetime(2005, 6, 2, tzinfo=UTC))

    found = extra_candidates([extra], timedelta(minutes=30), window)

    assert len(found) == 47  # 00:10 to 23:40; the last would end past midnight
    assert found[0].start == datetime(2005, 6, 1, 0, 10, tzinfo=UTC)
    assert found[-1].end <= window.end


def test_extra_hours_at_the_end_of_the_calendar_are_no_500() -> None:
    # Was an OverflowError: the next slot's end, computed before the window was checked.
    extra = Span(datetime(9999, 12, 31, 23, 45, tzinfo=UTC), datetime.max.replace(tzinfo=UTC))
    window = Span(datetime(2005, 6, 1, tzinfo=UTC), datetime(2005, 6, 2, tzinfo=UTC))

    assert extra_candidates([extra], timedelta(minutes=30), window) == []


def test_a_slot_id_at_the_end_of_the_calendar_names_no_slot() -> None:
    # Was an OverflowError when booking: the search looks a day either side of the slot.
    with pytest.raises(BadSlotId):
        parse_slot_id(f"{uuid.uuid4()}.regenerative.99991231T2330Z")


def test_a_search_at_the_end_of_the_calendar_is_a_422(
    client: TestClient, settings: Settings
) -> None:
    # Was a 500: the window steps one day past 9999-12-31.
    params = {"consultation_type": "regenerative", "start": "9999-12-31", "end": "9999-12-31"}
    response = client.get("/api/v1/slots", headers=staff_auth(client), params=params)

    assert response.status_code == 422, response.text
    assert [problem["loc"] for problem in response.json()["detail"]] == [
        ["query", "start"],
        ["query", "end"],
    ]
