"""An admin re-sends a dead letter once its cause is fixed, and the worker runs it."""

from __future__ import annotations

from intake.deadletters.models import DeadLetterStatus
from intake.staff.models import StaffRole
from tests.deadletters import poison_tasks
from tests.deadletters.conftest import WorkerStack
from tests.deadletters.support import dead_letter
from tests.staff.support import audit_events, bearer, make_staff, staff_auth
from tests.support import wait_for


def test_admin_retry_reruns_the_task_once_fixed(worker_stack: WorkerStack) -> None:
    client = worker_stack.client
    task_id = worker_stack.send(poison_tasks.UNTIL_FIXED, "fixable-1")
    row = wait_for(lambda: dead_letter(task_id), timeout=60, what="the dead letter")
    retry_url = f"/api/v1/dead-letters/{row.id}/retry"

    for role in (StaffRole.COORDINATOR, StaffRole.CLINICIAN):
        refused = client.post(retry_url, headers=staff_auth(client, role))
        assert refused.status_code == 403, refused.text
    assert worker_stack.starts("fixable-1") == 1

    (worker_stack.marks / "fixable-1.fixed").touch()
    admin = make_staff(email="admin@clinic.example", role=StaffRole.ADMIN)
    headers = bearer(client, admin.email)
    response = client.post(retry_url, headers=headers)

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "retried"
    wait_for(lambda: (worker_stack.marks / "fixable-1.done").exists(), what="the re-run")
    assert worker_stack.starts("fixable-1") == 2
    after = dead_letter(task_id)
    assert after is not None
    assert after.status is DeadLetterStatus.RETRIED
    assert after.retried_by_id == admin.id
    assert after.retried_at is not None
    [event] = audit_events("dead_letter.retry")
    assert (event.actor_id, event.object_id) == (str(admin.id), str(row.id))
    # Once re-sent it is not re-sent again by a second click.
    again = client.post(retry_url, headers=headers)
    assert again.status_code == 409, again.text
