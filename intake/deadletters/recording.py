"""What a worker writes: one row per task that failed for good, and delivery counts.

The worker calls these through its own units of work; nothing here knows Celery.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

from intake.db import UnitOfWork
from intake.deadletters import repository
from intake.deadletters.models import FailureKind
from intake.deadletters.repository import Failure

log = logging.getLogger(__name__)

# Task arguments are ids (intake/jobs.py): uuids, keys, names. Anything else is refused
# rather than stored, because it might be data.
_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


def ids_only(args: Sequence[Any] | None) -> list[str] | None:
    """The arguments if every one is an id-shaped string; otherwise None (not re-sendable)."""
    values = list(args or ())
    if all(isinstance(value, str) and _ID.match(value) for value in values):
        return values
    return None


def record_failure(uow: UnitOfWork, failure: Failure) -> None:
    repository.upsert(uow.session, failure)
    repository.forget_deliveries(uow.session, failure.task_id)
    # An alert for whoever watches the logs; ids and class names only.
    log.error(
        "dead letter: %s[%s] %s (%s)",
        failure.task_name,
        failure.task_id,
        failure.kind.value,
        failure.exception_type or "no exception",
    )


def admit(
    uow: UnitOfWork,
    *,
    task_id: str,
    task_name: str,
    args: Sequence[Any],
    max_deliveries: int,
    retries: int,
    redelivered: bool,
    uncounted_before: int = 0,
) -> bool:
    """Count this start of `task_id`; False, and a dead letter, once it is one too many.

    The caller commits before running the task body, so the count survives a worker
    process that the body kills. `uncounted_before`: starts that happened without being
    counted (on a broker that flags redeliveries, the first one).
    """
    deliveries = repository.count_delivery(
        uow.session,
        task_id=task_id,
        task_name=task_name,
        uncounted_before=uncounted_before,
    )
    if deliveries <= max_deliveries:
        return True
    started = deliveries - 1
    record_failure(
        uow,
        Failure(
            task_id=task_id,
            task_name=task_name,
            args=ids_only(args),
            kind=FailureKind.POISON,
            exception_type=None,
            summary=f"started {started} times without finishing; not run again",
            retries=retries,
            deliveries=started,
            redelivered=redelivered,
        ),
    )
    return False


def finished(uow: UnitOfWork, task_id: str) -> None:
    """The body reached an outcome (success, error or retry): the worker survived it."""
    repository.forget_deliveries(uow.session, task_id)
