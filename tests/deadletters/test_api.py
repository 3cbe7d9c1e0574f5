"""The admin API over rows the worker would write: paging, filters, retry and resolve."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient

from intake import tasknames
from intake.config import Settings
from intake.db import UnitOfWork
from intake.deadletters import recording
from intake.deadletters.models import FailureKind
from intake.deadletters.repository import Failure
from intake.staff.models import StaffRole
from tests.broker import drain_queue
from tests.staff.support import audit_events, staff_auth

URL = "/api/v1/dead-letters"


def _fail(task_name: str, args: list[object], *, kind: FailureKind = FailureKind.ERROR) -> str:
    task_id = str(uuid.uuid4())
    with UnitOfWork() as uow:
        recording.record_failure(
            uow,
            Failure(
                task_id=task_id,
                task_name=task_name,
                args=recording.ids_only(args),
                kind=kind,
                exception_type="ValueError",
                summary="ValueError, not retryable: failed at once",
                retries=0,
                deliveries=1,
                redelivered=False,
            ),
        )
    return task_id


def test_the_list_pages_newest_first_and_filters_by_status(
    client: TestClient, settings: Settings
) -> None:
    ids = [_fail(tasknames.ROUTE_INTAKE, [str(uuid.uuid4())]) for _ in range(3)]
    admin = staff_auth(client, StaffRole.ADMIN)

    first = client.get(URL, headers=admin, params={"limit": 2}).json()
    second = client.get(
        URL, headers=admin, params={"limit": 2, "cursor": first["next_cursor"]}
    ).json()

    seen = [row["task_id"] for row in first["dead_letters"] + second["dead_letters"]]
    assert seen == list(reversed(ids))
    assert second["next_cursor"] is None
    resolved = first["dead_letters"][0]["id"]
    assert client.post(f"{URL}/{resolved}/resolve", headers=admin).status_code == 200
    dead = client.get(URL, headers=admin, params={"status": "dead"}).json()["dead_letters"]
    assert [row["id"] for row in dead if row["id"] == resolved] == []
    assert len(dead) == 2
    assert client.get(URL, headers=admin, params={"cursor": "nope"}).status_code == 422


def test_retry_sends_the_same_ids_by_name_after_commit(
    client: TestClient, settings: Settings
) -> None:
    intake_id = str(uuid.uuid4())
    _fail(tasknames.EVALUATE_CHECKLIST, [intake_id], kind=FailureKind.POISON)
    admin = staff_auth(client, StaffRole.ADMIN)
    [row] = client.get(URL, headers=admin).json()["dead_letters"]

    response = client.post(f"{URL}/{row['id']}/retry", headers=admin)

    assert response.status_code == 200, response.text
    assert drain_queue(settings) == [(tasknames.EVALUATE_CHECKLIST, [intake_id])]
    assert [e.object_id for e in audit_events("dead_letter.retry")] == [row["id"]]


def test_a_row_whose_args_were_not_ids_cannot_be_resent(
    client: TestClient, settings: Settings
) -> None:
    _fail(tasknames.DISPATCH_EMAIL, ["ada@example.com has a note"])
    admin = staff_auth(client, StaffRole.ADMIN)
    [row] = client.get(URL, headers=admin).json()["dead_letters"]

    assert row["args"] is None  # never stored: it was not an id
    response = client.post(f"{URL}/{row['id']}/retry", headers=admin)

    assert response.status_code == 409, response.text
    assert drain_queue(settings) == []
    assert client.post(f"{URL}/{uuid.uuid4()}/retry", headers=admin).status_code == 404


def test_only_admins_see_the_list(client: TestClient, settings: Settings) -> None:
    _fail(tasknames.ROUTE_INTAKE, [str(uuid.uuid4())])

    for role in (StaffRole.COORDINATOR, StaffRole.CLINICIAN):
        response = client.get(URL, headers=staff_auth(client, role))
        assert response.status_code == 403, response.text
    assert client.get(URL).status_code == 401
