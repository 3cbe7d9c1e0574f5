"""Drafts of a given age, documents uploaded through the API, and what is left of them."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from intake.config import Settings
from intake.db import Base, UnitOfWork, utcnow
from intake.intakes.models import Intake
from tests import samples
from tests.conftest import StartedIntake

DAY = timedelta(days=1)


def upload(client: TestClient, started: StartedIntake, kind: str, label: str) -> dict[str, Any]:
    response = client.post(
        f"/api/v1/intakes/{started.id}/documents",
        headers=started.auth,
        data={"kind": kind},
        files={"file": (f"{label}.pdf", samples.pdf(label), "application/pdf")},
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def age(intake_id: str, days: float, **values: Any) -> datetime:
    """Make the patient's last activity `days` ago (and set any other columns)."""
    at = utcnow() - timedelta(days=days)
    with UnitOfWork() as uow:
        uow.session.execute(
            update(Intake)
            .where(Intake.id == uuid.UUID(intake_id))
            .values(last_patient_activity_at=at, **values)
        )
    return at


def exists(intake_id: str) -> bool:
    with UnitOfWork() as uow:
        return uow.session.get(Intake, uuid.UUID(intake_id)) is not None


def row_counts() -> dict[str, int]:
    """Rows per table, every table in the schema."""
    with UnitOfWork() as uow:
        return {
            table.name: uow.session.scalar(select(func.count()).select_from(table)) or 0
            for table in Base.metadata.sorted_tables
        }


def stored_file(settings: Settings, storage_key: str) -> bool:
    return (settings.storage_path / storage_key).is_file()
