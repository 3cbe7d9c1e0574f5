"""Reading dead letters and delivery counts straight from the database."""

from __future__ import annotations

from sqlalchemy import func, select

from intake.db import UnitOfWork
from intake.deadletters.models import DeadLetter, TaskDelivery


def dead_letter(task_id: str) -> DeadLetter | None:
    with UnitOfWork() as uow:
        return uow.session.scalar(select(DeadLetter).where(DeadLetter.task_id == task_id))


def dead_letters_named(task_name: str) -> int:
    with UnitOfWork() as uow:
        stmt = select(func.count()).select_from(DeadLetter).where(DeadLetter.task_name == task_name)
        return int(uow.session.scalar(stmt) or 0)


def open_deliveries() -> int:
    with UnitOfWork() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(TaskDelivery)) or 0)
