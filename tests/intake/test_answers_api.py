"""Saving and submitting questionnaire answers through the API, with red flags."""

from __future__ import annotations

import copy
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from intake import questionnaire
from intake.db import UnitOfWork
from intake.intakes.models import Intake
from intake.notifications.models import OutboxEmail
from intake.questionnaire import registry
from tests.conftest import PATIENT, StartedIntake, start_intake
from tests.outbox_support import everything_in
from tests.questionnaire.fixtures import COMPLETE_ANSWERS

NO_RED_FLAGS = COMPLETE_ANSWERS["red_flags"]


def _patch(client: TestClient, started: StartedIntake, answers: dict[str, Any]) -> Any:
    return client.patch(
        f"/api/v1/intakes/{started.id}", headers=started.auth, json={"answers": answers}
    )


def _submit(client: TestClient, started: StartedIntake) -> Any:
    return client.post(f"/api/v1/intakes/{started.id}/submit", headers=started.auth)


def _alerts() -> list[OutboxEmail]:
    with UnitOfWork() as uow:
        return list(
            uow.session.scalars(select(OutboxEmail).where(OutboxEmail.template == "staff_alert"))
        )


def _locs(response: Any) -> set[tuple[Any, ...]]:
    return {tuple(problem["loc"]) for problem in response.json()["detail"]}


def test_a_complete_intake_submits(client: TestClient) -> None:
    started = start_intake(client)

    saved = _patch(client, started, copy.deepcopy(COMPLETE_ANSWERS))
    submitted = _submit(client, started)

    assert saved.status_code == 200, saved.text
    assert saved.json()["questionnaire_version"] == questionnaire.CURRENT_VERSION
    assert saved.json()["scores"]["odi"]["answered"] == 10
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["status"] == "submitted"


def test_a_save_names_every_problem_and_keeps_nothing(client: TestClient) -> None:
    started = start_intake(client)
    _patch(client, started, {"pain": {"back_or_neck": 3, "leg_or_arm": 2}})
    first = copy.deepcopy(COMPLETE_ANSWERS["surgeries"][0])
    second = copy.deepcopy(first)
    first["levels"] = ["L6-S1", "L4-L5"]  # not a segment
    second["instrumented_levels"] = ["L2-L3"]  # not among the operated levels
    bad = [first, second]

    response = _patch(
        client, started, {"surgeries": bad, "pain": {"back_or_neck": 11, "leg_or_arm": 4}}
    )

    assert response.status_code == 422
    locs = _locs(response)
    assert ("body", "answers", "pain", "back_or_neck") in locs
    assert ("body", "answers", "surgeries", 0, "levels", 0) in locs
    assert any(
        loc[:5] == ("body", "answers", "surgeries", 1, "instrumented_levels") for loc in locs
    )
    kept = client.get(f"/api/v1/intakes/{started.id}", headers=started.auth).json()["answers"]
    assert kept == {"pain": {"back_or_neck": 3, "leg_or_arm": 2}}


def test_submit_lists_every_missing_answer(client: TestClient) -> None:
    started = start_intake(client)
    partial = copy.deepcopy(COMPLETE_ANSWERS)
    del partial["pain"]
    partial["red_flags"] = {**NO_RED_FLAGS, "saddle_numbness": None, "wound_problem": None}
    partial["consent"] = {"privacy_notice": False}
    _patch(client, started, partial)

    response = _submit(client, started)

    assert response.status_code == 422
    assert {
        ("body", "answers", "pain"),
        ("body", "answers", "red_flags", "saddle_numbness"),
        ("body", "answers", "red_flags", "wound_problem"),
        ("body", "answers", "consent", "privacy_notice"),
    } <= _locs(response)
    again = client.get(f"/api/v1/intakes/{started.id}", headers=started.auth).json()
    assert again["status"] == "draft"


def test_an_emergency_answer_escalates_at_once(client: TestClient, settings: Any) -> None:
    started = start_intake(client)

    response = _patch(client, started, {"red_flags": {"saddle_numbness": True}})

    assert response.status_code == 200
    flags = response.json()["red_flags"]
    assert flags["tier"] == "emergency"
    assert "emergency department" in flags["instruction"]
    assert response.json()["queue"] == "urgent"
    [alert] = _alerts()
    assert alert.to_address == settings.staff_alert_email
    body = everything_in(alert, settings)
    for detail in (PATIENT["first_name"], PATIENT["last_name"], PATIENT["email"], "saddle"):
        assert detail.lower() not in body.lower()
    assert started.id in body


def test_the_tier_only_rises_and_each_tier_alerts_once(client: TestClient) -> None:
    started = start_intake(client)

    _patch(client, started, {"red_flags": {"fever_after_surgery": True}})
    _patch(client, started, {"red_flags": {"fever_after_surgery": True}})
    assert [a.idempotency_key.rsplit(":", 1)[1] for a in _alerts()] == ["urgent"]
    _patch(client, started, {"red_flags": {"both_legs_weak_or_numb": True}})
    lowered = _patch(client, started, {"red_flags": {"both_legs_weak_or_numb": False}})

    assert sorted(a.idempotency_key.rsplit(":", 1)[1] for a in _alerts()) == ["emergency", "urgent"]
    assert lowered.json()["red_flags"]["tier"] == "emergency"
    assert lowered.json()["red_flags"]["triggers"] == []


def test_no_red_flag_means_no_alert(client: TestClient) -> None:
    started = start_intake(client)

    response = _patch(client, started, {"red_flags": NO_RED_FLAGS})

    assert response.json()["red_flags"]["tier"] is None
    assert response.json()["red_flags"]["instruction"] is None
    assert response.json()["queue"] is None
    assert _alerts() == []


def test_an_old_draft_keeps_its_questionnaire_version(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = start_intake(client)
    _patch(client, old, copy.deepcopy(COMPLETE_ANSWERS))

    class NextVersion:
        """A v2 that renames everything: an old draft must not be read with it."""

        version = "fbss-intake/2"
        sections = frozenset({"about_you"})

        def __getattr__(self, name: str) -> Any:
            return getattr(questionnaire.get_version("fbss-intake/1"), name)

        def validate_complete(self, answers: Any, **_: Any) -> list[dict[str, Any]]:
            return [{"loc": ["about_you"], "msg": "is required", "type": "missing"}]

    # A registry of this test's own, so the fake version never leaks into other tests.
    monkeypatch.setattr(registry, "REGISTRY", registry.REGISTRY.copy())
    questionnaire.register(NextVersion())
    monkeypatch.setattr(questionnaire, "CURRENT_VERSION", "fbss-intake/2")
    new = start_intake(client, email="new@example.com")

    assert (
        client.get(f"/api/v1/intakes/{new.id}", headers=new.auth).json()["questionnaire_version"]
        == "fbss-intake/2"
    )
    assert _submit(client, old).status_code == 200
    with UnitOfWork() as uow:
        intake = uow.session.get(Intake, uuid.UUID(old.id))
        assert intake is not None
        assert intake.questionnaire_version == "fbss-intake/1"
    assert _submit(client, new).status_code == 422
