"""Test-only tasks, loaded by the test worker with `-I tests.deadletters.poison_tasks`.

They are registered through workers.base.task, so they get exactly the production
policy: the delivery guard, autoretry on OperationalError, the failure signal. Each
start appends a line to `<DEADLETTER_MARKS>/<mark>.starts` before doing anything else,
so a test can count how often a body really ran, even one that kills its process.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from celery.exceptions import SoftTimeLimitExceeded
from sqlalchemy import create_engine, text

from workers.base import task
from workers.celery_app import app
from workers.deadletters import GuardedTask

BROKEN = "tests.deadletters.broken"
FLAKY_DATABASE = "tests.deadletters.flaky_database"
POISON = "tests.deadletters.poison"
UNTIL_FIXED = "tests.deadletters.until_fixed"
HEALTHY = "tests.deadletters.healthy"
HANG = "tests.deadletters.hang"
# The hard time limit of HANG, far below the production one (task_time_limit).
HANG_TIME_LIMIT_SECONDS = 2

# What a careless exception message might quote; it must never reach the table.
SECRET_DETAIL = "Ada Lovelace, born 1970-05-17"


def marks() -> Path:
    return Path(os.environ["DEADLETTER_MARKS"])


def _started(mark: str) -> None:
    # Closed at once: the line is in the kernel before a SIGKILL can take the process.
    with (marks() / f"{mark}.starts").open("a") as log:
        log.write(f"{os.getpid()}\n")


@task(BROKEN)
def broken(mark: str) -> None:
    _started(mark)
    raise ValueError(f"cannot handle {SECRET_DETAIL}")


@task(FLAKY_DATABASE)
def flaky_database(mark: str) -> None:
    """A real OperationalError every time: a SQLite file in a directory that is not there."""
    _started(mark)
    engine = create_engine(f"sqlite:///{marks() / 'missing-dir' / 'db.sqlite'}")
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    finally:
        engine.dispose()


@task(POISON)
def poison(mark: str) -> None:
    """Dies as the OOM killer would kill it: no exception, no cleanup, no ack."""
    _started(mark)
    os.kill(os.getpid(), signal.SIGKILL)


@task(UNTIL_FIXED)
def until_fixed(mark: str) -> None:
    """Fails until the test "fixes the cause" by creating `<mark>.fixed`."""
    _started(mark)
    if not (marks() / f"{mark}.fixed").exists():
        raise ValueError("the cause is not fixed yet")
    (marks() / f"{mark}.done").touch()


@task(HEALTHY)
def healthy(mark: str) -> None:
    _started(mark)
    (marks() / f"{mark}.done").touch()


# The production policy with short time limits, which workers.base.task does not take.
# The pool arms the hard limit only once the soft one fired (so both are set), and the
# body shrugs the soft one off: the worker process kills the pool child and reports the
# failure itself.
@app.task(
    name=HANG,
    base=GuardedTask,
    soft_time_limit=HANG_TIME_LIMIT_SECONDS // 2,
    time_limit=HANG_TIME_LIMIT_SECONDS,
)
def hang(mark: str) -> None:
    _started(mark)
    for _ in range(2):
        try:
            time.sleep(60 * HANG_TIME_LIMIT_SECONDS)
        except SoftTimeLimitExceeded:
            continue
