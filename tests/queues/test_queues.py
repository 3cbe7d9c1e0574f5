"""The queues as coordinators use them: order, pages, filters, claims and their audit."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from intake.config import Settings
from intake.db import UnitOfWork, utcnow
from intake.queues import placement
from intake.queues.service import release_idle_claims
from intake.staff.models import StaffRole
from tests.conftest import complete_answers, start_intake
from tests.queues.support import intake, routed, seed, set_queued_at
from tests.staff.support import audit_events, bearer, make_staff, staff_auth


def _page(client: TestClient, auth: dict[str, str], queue: str, **params: Any) -> dict[str, Any]:
    response = client.get(f"/api/v1/queues/{queue}", headers=auth, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _ids(page: dict[str, Any]) -> list[str]:
    return [item["intake_id"] for item in page["items"]]


def test_a_routed_intake_shows_what_a_coordinator_needs(
    client: TestClient, settings: Settings
) -> None:
    intake_id = routed(client, settings)
    auth = staff_auth(client)

    (item,) = _page(client, auth, "regenerative")["items"]

    assert item["intake_id"] == intake_id
    assert (item["route"], item["routed_by"], item["rules_route"]) == (
        "regenerative",
        "rules",
        "regenerative",
    )
    assert item["provisional"] is True  # the tear is only the patient's word so far
    assert item["patient_name"] == "Ada Lovelace"
    assert item["claimed_by"] is None
    assert item["checklist"]["satisfied"] == item["checklist"]["required"] > 0
    assert 0 <= item["age_hours"] < 1
    assert item["overdue"] is False
    assert [e.object_id for e in audit_events("queue.read")] == ["regenerative"]


def test_urgent_items_come_first_then_the_oldest(client: TestClient, settings: Settings) -> None:
    normal = seed(placement.CLINICIAN_TRIAGE, 2)
    urgent = seed(placement.URGENT, 2, red_flag_tier="urgent")
    emergency = seed(placement.URGENT, 1, red_flag_tier="emergency")
    # The emergency arrived last, yet heads the list; inside a rank the oldest leads.
    expected = [str(i) for i in (*emergency, *urgent, *normal)]
    auth = staff_auth(client)

    everything = _page(client, auth, "all", limit=10)
    first = _page(client, auth, "all", limit=2)
    second = _page(client, auth, "all", limit=2, cursor=first["next_cursor"])
    third = _page(client, auth, "all", limit=2, cursor=second["next_cursor"])

    assert _ids(everything) == expected
    assert _ids(first) + _ids(second) + _ids(third) == expected
    assert third["next_cursor"] is None
    assert _ids(_page(client, auth, "urgent")) == expected[:3]


def test_filters_by_claim_provisional_flag_and_sla(client: TestClient, settings: Settings) -> None:
    old, fresh, other = seed(placement.CLINICIAN_TRIAGE, 3)
    sla = settings.queue_sla_hours["clinician_triage"]
    set_queued_at(str(old), utcnow() - timedelta(hours=sla + 1))
    with UnitOfWork() as uow:
        from intake.intakes.models import Intake

        uow.session.get_one(Intake, other).provisional = True
    auth = staff_auth(client)
    claimed = client.post("/api/v1/queues/clinician_triage/claim", headers=auth).json()

    assert claimed["intake_id"] == str(old)
    assert _ids(_page(client, auth, "clinician_triage", claimed="mine")) == [str(old)]
    assert _ids(_page(client, auth, "clinician_triage", claimed="unclaimed")) == [
        str(fresh),
        str(other),
    ]
    assert _ids(_page(client, auth, "clinician_triage", provisional=True)) == [str(other)]
    overdue = _page(client, auth, "clinician_triage", overdue=True)
    assert _ids(overdue) == [str(old)]
    assert overdue["items"][0]["overdue"] is True
    assert str(old) not in _ids(_page(client, auth, "clinician_triage", overdue=False))


def test_a_bad_cursor_or_queue_is_a_clear_error(client: TestClient, settings: Settings) -> None:
    auth = staff_auth(client)
    bad_cursor = client.get("/api/v1/queues/urgent", headers=auth, params={"cursor": "xyz"})
    no_queue = client.get("/api/v1/queues/holding_pen", headers=auth)
    bad_claimed = client.get("/api/v1/queues/urgent", headers=auth, params={"claimed": "bob"})

    assert bad_cursor.status_code == 422
    assert bad_cursor.json()["detail"][0]["loc"] == ["query", "cursor"]
    assert no_queue.status_code == 404
    assert "holding_pen" in no_queue.json()["detail"]
    assert bad_claimed.status_code == 422


def test_claims_hand_out_each_item_once_in_order(client: TestClient, settings: Settings) -> None:
    first, second = seed(placement.SURGICAL_REVISION, 2)
    alice, bob = staff_auth(client), staff_auth(client, StaffRole.CLINICIAN)

    got = [
        client.post("/api/v1/queues/surgical_revision/claim", headers=auth)
        for auth in (alice, bob, alice)
    ]

    assert [r.status_code for r in got] == [200, 200, 204]
    assert [r.json()["intake_id"] for r in got[:2]] == [str(first), str(second)]
    assert got[0].json()["claimed_by"]["name"] == "Casey Coordinator"
    assert [e.object_id for e in audit_events("queue.claim")] == [str(first), str(second)]


def test_an_admin_may_not_claim_and_the_refusal_is_audited(
    client: TestClient, settings: Settings
) -> None:
    seed(placement.URGENT, 1, red_flag_tier="urgent")
    admin = staff_auth(client, StaffRole.ADMIN)

    response = client.post("/api/v1/queues/urgent/claim", headers=admin)

    assert response.status_code == 403
    assert "work queue" in response.json()["detail"]
    assert [e.object_id for e in audit_events("staff.access_denied")] == ["work_queue"]
    assert audit_events("queue.claim") == []


def test_release_and_reassign(client: TestClient, settings: Settings) -> None:
    (item,) = seed(placement.REGENERATIVE, 1)
    holder = staff_auth(client, StaffRole.CLINICIAN)
    other_clinician = staff_auth(client, StaffRole.CLINICIAN)
    coordinator = staff_auth(client)
    colleague = make_staff(email="colleague@clinic.example", role=StaffRole.CLINICIAN)
    admin_user = make_staff(email="root@clinic.example", role=StaffRole.ADMIN)
    client.post("/api/v1/queues/regenerative/claim", headers=holder)

    taken = client.post(f"/api/v1/intakes/{item}/release", headers=other_clinician)
    released = client.post(f"/api/v1/intakes/{item}/release", headers=holder)
    again = client.post(f"/api/v1/intakes/{item}/release", headers=holder)
    to_admin = client.post(
        f"/api/v1/intakes/{item}/assign", headers=coordinator, json={"staff_id": str(admin_user.id)}
    )
    assigned = client.post(
        f"/api/v1/intakes/{item}/assign", headers=coordinator, json={"staff_id": str(colleague.id)}
    )

    assert taken.status_code == 403  # a clinician may not take a colleague's item
    assert released.status_code == 200
    assert released.json()["claimed_by"] is None
    assert again.status_code == 409
    assert to_admin.status_code == 422  # admins don't work queues
    assert assigned.status_code == 200
    assert assigned.json()["claimed_by"]["id"] == str(colleague.id)
    assert intake(str(item)).claimed_by_id == colleague.id
    assert len(audit_events("queue.release")) == 1
    assert len(audit_events("queue.assign")) == 1
    assert bearer(client, "colleague@clinic.example")  # the assignee can sign in and see it


def test_the_sweep_releases_idle_claims_only(client: TestClient, settings: Settings) -> None:
    idle, busy = seed(placement.CLINICIAN_TRIAGE, 2)
    auth = staff_auth(client)
    for _ in range(2):
        client.post("/api/v1/queues/clinician_triage/claim", headers=auth)
    later = utcnow() + timedelta(minutes=settings.claim_idle_minutes + 1)
    with UnitOfWork() as uow:
        from intake.intakes.models import Intake

        uow.session.get_one(Intake, busy).claim_touched_at = later - timedelta(minutes=1)

    with UnitOfWork() as uow:
        released = release_idle_claims(uow, settings=settings, now=later)

    assert released == 1
    assert intake(str(idle)).claimed_by_id is None
    assert intake(str(busy)).claimed_by_id is not None
    assert [e.object_id for e in audit_events("queue.claim_expired")] == [str(idle)]


def test_a_red_flag_answer_lands_in_urgent_ranked_by_tier(
    client: TestClient, settings: Settings
) -> None:
    answers = complete_answers()
    answers["red_flags"] = {**answers["red_flags"], "fever_after_surgery": True}
    urgent = start_intake(client, answers=answers)
    answers["red_flags"]["bladder_or_bowel_dysfunction"] = True
    emergency = start_intake(client, answers=answers)
    auth = staff_auth(client)

    items = _page(client, auth, "urgent")["items"]

    assert [i["intake_id"] for i in items] == [emergency.id, urgent.id]
    assert [i["red_flag_tier"] for i in items] == ["emergency", "urgent"]
