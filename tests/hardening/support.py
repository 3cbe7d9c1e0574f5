"""What the hardening tests share: counting what was stored, and the patient's intake."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from intake.db import Base, UnitOfWork
from intake.intakes.models import Intake
from intake.notifications.models import OutboxEmail

# Written by authenticating or by refusing, not by the request's own work: a staff token's
# sliding expiry, the audit trail of refusals, and rate-limit counters.
NOT_THE_REQUESTS_WORK = frozenset({"audit_events", "staff_tokens", "rate_limit_hits"})


def intake_count() -> int:
    with UnitOfWork() as uow:
        return uow.session.scalar(select(func.count()).select_from(Intake)) or 0


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table that a request's own work could change, in a stable order."""
    rows = {}
    with UnitOfWork() as uow:
        for table in Base.metadata.sorted_tables:
            if table.name in NOT_THE_REQUESTS_WORK:
                continue
            result = uow.session.execute(select(table).order_by(*table.primary_key.columns))
            rows[table.name] = [tuple(row) for row in result]
    return rows


def magic_link(client: TestClient, email: str) -> str:
    """Ask for a sign-in link as the patient would; the token from the email it queued."""
    assert client.post("/api/v1/auth/magic-links", json={"email": email}).status_code == 202
    with UnitOfWork() as uow:
        stmt = select(OutboxEmail).where(OutboxEmail.template == "magic_link")
        newest = max(uow.session.scalars(stmt), key=lambda email: email.created_at)
        url = str(newest.context["link_url"])
    return parse_qs(urlparse(url).query)["token"][0]
