"""The form's pages over HTTP, without a browser: auth, CSRF, saving, errors, read-only."""

from __future__ import annotations

import copy
import re
from html.parser import HTMLParser
from typing import Any

import pytest
from fastapi.testclient import TestClient

from intake import questionnaire
from intake.config import Settings
from intake.db import UnitOfWork
from intake.deps import PATIENT_COOKIE
from intake.intakes import service
from tests import samples
from tests.conftest import PATIENT
from tests.questionnaire.fixtures import COMPLETE_ANSWERS
from tests.support import form_token

CSRF_FIELD = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')
FormData = dict[str, Any]


@pytest.fixture
def patient(client: TestClient) -> TestClient:
    """A client holding a new patient's cookie, as the start page leaves it."""
    response = client.post("/start", data={**PATIENT, "csrf_token": form_token(client, "/")})
    assert response.status_code == 201, response.text
    assert client.cookies.get(PATIENT_COOKIE)
    return client


def csrf_token(client: TestClient, page: str = "/intake/about") -> str:
    match = CSRF_FIELD.search(client.get(page).text)
    assert match, f"no CSRF field on {page}"
    return match.group(1)


def post(client: TestClient, url: str, data: FormData, *, token: str | None = None) -> Any:
    body = {"csrf_token": token if token is not None else csrf_token(client), **data}
    return client.post(url, data=body, follow_redirects=False)


def saved_answers(client: TestClient) -> dict[str, Any]:
    with UnitOfWork() as uow:
        intake = service.intake_for_token(uow, client.cookies.get(PATIENT_COOKIE))
        return dict(intake.answers)


def save_directly(client: TestClient, settings: Settings, answers: dict[str, Any]) -> None:
    with UnitOfWork() as uow:
        intake = service.intake_for_token(uow, client.cookies.get(PATIENT_COOKIE))
        service.save_answers(uow, intake, answers, settings=settings)


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_without_a_cookie_the_pages_send_the_patient_to_sign_in(
    client: TestClient, method: str
) -> None:
    response = client.request(method, "/intake/surgeries", follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "/resume"


def test_a_cookie_that_opens_nothing_also_goes_to_sign_in(client: TestClient) -> None:
    client.cookies.set(PATIENT_COOKIE, "forged-or-expired")

    response = client.get("/intake/about", follow_redirects=False)

    assert (response.status_code, response.headers["location"]) == (303, "/resume")


@pytest.mark.parametrize("token", ["0" * 64, ""])
def test_a_post_without_the_pages_csrf_token_is_refused(patient: TestClient, token: str) -> None:
    response = post(patient, "/intake/about", {"consent-privacy_notice": "yes"}, token=token)

    assert response.status_code == 403
    assert "nothing was saved" in response.text
    assert saved_answers(patient) == {}


def test_a_saved_step_moves_on_and_a_return_visit_carries_on_there(patient: TestClient) -> None:
    assert patient.get("/intake", follow_redirects=False).headers["location"] == "/intake/about"

    response = post(patient, "/intake/about", {"consent-privacy_notice": "yes"})

    assert (response.status_code, response.headers["location"]) == (303, "/intake/surgeries")
    assert saved_answers(patient) == {"consent": {"privacy_notice": True}}
    assert 'id="consent-privacy_notice" name="consent-privacy_notice" value="yes" checked' in (
        patient.get("/intake/about").text
    )
    resumed = patient.get("/intake", follow_redirects=False)
    assert resumed.headers["location"] == "/intake/surgeries"


def test_a_failed_save_keeps_the_input_and_puts_each_error_beside_its_field(
    patient: TestClient,
) -> None:
    surgery = {
        "surgeries-0-procedure_type": "fusion",
        "surgeries-0-region": "lumbar",
        "surgeries-0-levels": ["L4-L5", "L5-S1"],
        "surgeries-0-instrumented_levels": ["L3-L4"],
        "surgeries-0-surgery_date": "2999-01",
        "surgeries-0-pain_free_months": "eight",
    }

    response = post(patient, "/intake/surgeries", surgery)

    assert response.status_code == 422
    page = response.text
    for field in ("instrumented_levels", "surgery_date", "pain_free_months"):
        name = f"surgeries-0-{field}"
        assert f'href="#{name}"' in page, field  # the summary links to the input
        assert f'id="{name}-error"' in page, field
        assert re.search(rf'id="{name}"[^>]*aria-describedby="[^"]*{name}-error', page), field
    assert "L3-L4 is not one of the operated levels" in page
    assert "Date cannot be in the future" in page
    assert 'value="2999-01"' in page
    assert 'value="eight"' in page
    assert saved_answers(patient) == {}


def test_add_and_remove_a_surgery_are_round_trips_that_save_first(patient: TestClient) -> None:
    first = {"surgeries-0-procedure_type": "discectomy", "surgeries-0-region": "lumbar"}

    added = post(patient, "/intake/surgeries", {**first, "action": "add-surgeries"})

    assert added.status_code == 303
    assert added.headers["location"] == "/intake/surgeries?add=surgeries#surgeries-1"
    page = patient.get(added.headers["location"]).text
    assert "Surgery 2</legend>" in page
    assert 'name="surgeries-1-procedure_type"' in page
    second = {"surgeries-1-procedure_type": "fusion", "surgeries-1-region": "lumbar"}

    removed = post(
        patient, "/intake/surgeries", {**first, **second, "action": "remove-surgeries-0"}
    )

    assert removed.headers["location"] == "/intake/surgeries#surgeries"
    assert saved_answers(patient)["surgeries"] == [{"procedure_type": "fusion", "region": "lumbar"}]


def test_a_red_flag_answer_brings_up_the_emergency_instruction(patient: TestClient) -> None:
    post(patient, "/intake/red-flags", {"red_flags-saddle_numbness": "yes"})

    page = patient.get("/intake/red-flags").text
    elsewhere = patient.get("/intake/care").text

    assert page.count(questionnaire.EMERGENCY_INSTRUCTION) == 2  # at the top and by the questions
    assert 'role="alert"' in page
    assert questionnaire.EMERGENCY_INSTRUCTION in elsewhere


def test_changing_a_yes_back_to_no_keeps_the_instruction(patient: TestClient) -> None:
    post(patient, "/intake/red-flags", {"red_flags-saddle_numbness": "yes"})
    post(patient, "/intake/red-flags", {"red_flags-saddle_numbness": "no"})

    page = patient.get("/intake/care").text

    assert saved_answers(patient)["red_flags"]["saddle_numbness"] is False
    assert questionnaire.EMERGENCY_INSTRUCTION in page


def test_submit_lists_every_problem_with_a_link_to_its_page(patient: TestClient) -> None:
    response = post(patient, "/intake/submit", {}, token=csrf_token(patient, "/intake/review"))

    assert response.status_code == 422
    page = response.text
    assert 'href="/intake/surgeries#surgeries"' in page
    assert 'href="/intake/red-flags#red_flags-saddle_numbness"' in page
    assert 'href="/intake/about#consent"' in page


def test_a_submitted_intake_is_read_only(patient: TestClient, settings: Settings) -> None:
    save_directly(patient, settings, copy.deepcopy(COMPLETE_ANSWERS))
    token = csrf_token(patient, "/intake/review")

    submitted = post(patient, "/intake/submit", {}, token=token)

    assert (submitted.status_code, submitted.headers["location"]) == (303, "/intake/submitted")
    confirmation = patient.get("/intake/submitted").text
    assert "Your intake has been submitted. Your case will be reviewed by our team." in confirmation
    surgeries = patient.get("/intake/surgeries").text
    assert "<form" not in surgeries
    assert "General Hospital" in surgeries
    again = post(patient, "/intake/surgeries", {"surgeries-0-region": "cervical"}, token=token)
    assert again.status_code == 409
    assert "can no longer be changed" in again.text
    assert saved_answers(patient)["surgeries"] == COMPLETE_ANSWERS["surgeries"]


def test_the_documents_page_takes_uploads_and_names_a_refused_one(patient: TestClient) -> None:
    token = csrf_token(patient, "/intake/documents")

    def upload(content: bytes, kind: str, field: str) -> Any:
        return patient.post(
            "/intake/documents",
            data={"csrf_token": token, "kind": kind, "field": field},
            files={"file": ("scan.pdf", content, "application/pdf")},
            follow_redirects=False,
        )

    refused = upload(samples.EXECUTABLE, "current_mri", "file-current_mri")
    accepted = upload(samples.pdf("op note"), "operative_note", "file-operative_note-1")

    assert refused.status_code == 415
    assert 'id="file-current_mri-error"' in refused.text
    assert 'href="#file-current_mri"' in refused.text
    assert accepted.status_code == 303
    page = patient.get(accepted.headers["location"]).text
    assert "Your file was uploaded" in page
    checklist = page[page.index('id="checklist"') :]
    assert re.search(r'id="todo-operative_note-1">\s*<span class="done">✓ Uploaded', checklist)
    assert 'name="kind" value="current_mri"' in checklist  # still to do: its own form


def test_a_file_over_the_limit_is_refused_with_413_on_the_page(
    patient: TestClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "max_upload_bytes", 16)
    token = csrf_token(patient, "/intake/documents")

    response = patient.post(
        "/intake/documents",
        data={"csrf_token": token, "kind": "other", "field": "file"},
        files={"file": ("big.pdf", samples.pdf("too big"), "application/pdf")},
    )

    assert response.status_code == 413
    assert 'id="file-error"' in response.text
    assert "larger than the 16 byte limit" in response.text


def test_the_review_page_names_the_documents_still_needed(patient: TestClient) -> None:
    page = patient.get("/intake/review").text

    assert "0 files uploaded." in page
    missing = page[page.index('id="review-documents-missing"') :]
    assert "Operative note" in missing
    assert "MRI scan" in missing


class _Controls(HTMLParser):
    """Form controls by id, the ids labels point at, and fieldsets without a legend."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[str] = []
        self.labelled: set[str] = set()
        self.fieldsets = self.legends = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag in ("input", "select", "textarea") and attributes.get("type") != "hidden":
            self.controls.append(attributes.get("id") or f"<{tag} without an id>")
        if tag == "label" and attributes.get("for"):
            self.labelled.add(str(attributes["for"]))
        self.fieldsets += tag == "fieldset"
        self.legends += tag == "legend"


@pytest.mark.parametrize(
    "step", ["about", "surgeries", "symptoms", "care", "red-flags", "documents"]
)
def test_every_control_has_a_label_and_every_group_a_legend(patient: TestClient, step: str) -> None:
    add = {"care": "?add=medications", "surgeries": "?add=surgeries"}.get(step, "")
    parser = _Controls()

    parser.feed(patient.get(f"/intake/{step}{add}").text)

    assert parser.controls
    assert [c for c in parser.controls if c not in parser.labelled] == []
    assert parser.fieldsets == parser.legends
