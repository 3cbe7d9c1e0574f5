"""The delivery counter behind the poison guard, on both databases."""

from __future__ import annotations

import uuid

from intake.config import Settings
from intake.db import UnitOfWork
from intake.deadletters import recording
from intake.deadletters.models import FailureKind
from tests.deadletters.support import dead_letter, open_deliveries


def _admit(task_id: str, *, uncounted_before: int = 0) -> bool:
    with UnitOfWork() as uow:
        return recording.admit(
            uow,
            task_id=task_id,
            task_name="intake.routing.route",
            args=[task_id],
            max_deliveries=3,
            retries=0,
            redelivered=True,
            uncounted_before=uncounted_before,
        )


def test_the_start_after_n_unfinished_ones_is_refused_and_dead_lettered(
    settings: Settings,
) -> None:
    task_id = str(uuid.uuid4())

    assert [_admit(task_id) for _ in range(4)] == [True, True, True, False]

    row = dead_letter(task_id)
    assert row is not None
    assert (row.kind, row.deliveries, row.args) == (FailureKind.POISON, 3, [task_id])
    assert open_deliveries() == 0


def test_on_a_broker_that_flags_redeliveries_the_uncounted_first_start_counts_too(
    settings: Settings,
) -> None:
    """Redis: the first delivery runs unguarded, so the first redelivery is the second start."""
    task_id = str(uuid.uuid4())

    assert [_admit(task_id, uncounted_before=1) for _ in range(3)] == [True, True, False]

    row = dead_letter(task_id)
    assert row is not None
    assert (row.kind, row.deliveries) == (FailureKind.POISON, 3)


def test_a_start_that_reached_an_outcome_does_not_count(settings: Settings) -> None:
    task_id = str(uuid.uuid4())

    for _ in range(5):  # e.g. a task retried five times: each run ended normally
        assert _admit(task_id)
        with UnitOfWork() as uow:
            recording.finished(uow, task_id)

    assert dead_letter(task_id) is None
    assert open_deliveries() == 0
