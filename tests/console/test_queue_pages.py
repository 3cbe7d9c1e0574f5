"""The queue overview and one queue's list: counts, order, columns, filters, next page."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import update

from intake.db import UnitOfWork, utcnow
from intake.intakes.models import Intake
from tests.console.support import console_as, run_worker_steps, urgent_intake
from tests.staff.support import audit_events


def _rows(page: str) -> list[str]:
    """Each item row's text, tags stripped, in page order."""
    rows = re.findall(r'<tr class="item".*?</tr>', page, flags=re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in rows]


def _queued_hours_ago(intake_id: str, hours: float) -> None:
    with UnitOfWork() as uow:
        uow.session.execute(
            update(Intake)
            .where(Intake.id == uuid.UUID(intake_id))
            .values(queued_at=utcnow() - timedelta(hours=hours))
        )


def test_the_overview_counts_each_queue_with_its_sla(client: TestClient) -> None:
    urgent_intake(client, last_name="One")
    urgent_intake(client, last_name="Two")
    console_as(client)

    page = client.get("/staff").text

    urgent = re.sub(r"\s+", " ", page.split('id="queue-urgent"')[1].split("</tr>")[0])
    assert '<td class="count">2</td>' in urgent
    assert "4.0 h" in urgent  # the urgent queue's SLA
    regenerative = page.split('id="queue-regenerative"')[1].split("</tr>")[0]
    assert '<td class="count">0</td>' in regenerative


def test_the_urgent_list_puts_emergencies_on_top_with_every_column(client: TestClient) -> None:
    oldest = urgent_intake(client, last_name="Oldest")
    emergency = urgent_intake(client, flag="both_legs_weak_or_numb", last_name="Emergency")
    run_worker_steps(oldest.id)
    _queued_hours_ago(oldest.id, 5)  # past the 4 h SLA
    _queued_hours_ago(emergency.id, 1)
    console_as(client)

    page = client.get("/staff/queues/urgent").text

    first, second = _rows(page)
    assert first.startswith("Ada Emergency Emergency 1.0 h")
    assert "unclaimed" in first
    assert "not checked yet" in first
    assert "overdue" not in first
    assert second.startswith("Ada Oldest Urgent 5.0 h")
    assert "1/4" in second  # checklist progress
    assert "overdue" in second
    assert "Escalate urgent" in second
    assert [e.object_id for e in audit_events("queue.read")] == ["urgent"]


def test_filters_narrow_the_list(client: TestClient) -> None:
    late = urgent_intake(client, last_name="Late")
    urgent_intake(client, last_name="Fresh")
    _queued_hours_ago(late.id, 6)
    console = console_as(client)
    console.post("/staff/queues/urgent/claim")  # takes the older one, Late

    overdue = _rows(client.get("/staff/queues/urgent", params={"overdue": "yes"}).text)
    on_time = _rows(client.get("/staff/queues/urgent", params={"overdue": "no"}).text)
    mine = _rows(client.get("/staff/queues/urgent", params={"claimed": "mine"}).text)
    unclaimed = _rows(client.get("/staff/queues/urgent", params={"claimed": "unclaimed"}).text)
    provisional = client.get("/staff/queues/urgent", params={"provisional": "yes"}).text

    assert [row.split()[1] for row in overdue] == ["Late"]
    assert [row.split()[1] for row in on_time] == ["Fresh"]
    assert [row.split()[1] for row in mine] == ["Late"]
    assert "Casey Coordinator" in mine[0]
    assert [row.split()[1] for row in unclaimed] == ["Fresh"]
    assert 'id="empty"' in provisional


def test_the_next_page_link_continues_where_the_page_ended(client: TestClient) -> None:
    first = urgent_intake(client, last_name="First")
    urgent_intake(client, last_name="Second")
    _queued_hours_ago(first.id, 2)
    console_as(client)

    page_one = client.get("/staff/queues/urgent", params={"limit": 1}).text
    link = re.search(r'id="next-page" href="([^"]+)"', page_one)
    assert link
    page_two = client.get(link.group(1).replace("&amp;", "&")).text

    assert [row.split()[1] for row in _rows(page_one)] == ["First"]
    assert [row.split()[1] for row in _rows(page_two)] == ["Second"]
    assert 'id="next-page"' not in page_two
    assert "limit=1" in link.group(1)
