"""Every query the queues, the sweep and a slot search make reads large tables by an index.

The queries are the real ones: the service functions run against PostgreSQL loaded with
100,000 intakes and what comes with them (patients, checklist versions, routing decisions,
emails, appointments), while a listener records each statement the driver receives and
its parameters. Each is then planned again with EXPLAIN and the same parameters, and a
sequential scan of any table not in SMALL_TABLES fails. Recording the code's own SQL,
rather than restating it here, means a query added to the sweep tomorrow is checked too.

Which plan wins is a property of PostgreSQL's planner and statistics, so this runs on
PostgreSQL only. Everything the workloads change is rolled back: each area runs in one
outer transaction, and the units of work inside it commit to savepoints.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Final

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from emails.transport import InMemoryTransport
from intake.config import Settings
from intake.db import UnitOfWork, create_db_engine, utcnow
from intake.notifications.service import Dispatcher
from intake.queues import placement
from intake.queues.repository import QueueFilter
from intake.queues.service import ALL, claim_next, list_items, release, summary
from intake.scheduling.models import ConsultationKind
from intake.scheduling.search import find_slots, free_slot
from intake.scheduling.slots import Span
from intake.staff.models import StaffUser
from intake.sweep import sweep
from tests.conftest import scratch_postgres_database
from tests.perf.support import (
    INTAKES,
    Plan,
    Recorder,
    Statement,
    explain,
    load,
    outline,
    row_counts,
    row_id,
    sequential_scans,
    tables_read,
)
from tests.support import migrate

# Tables a query may read whole: each is small by what it holds, whatever the clinic's
# volume, so a sequential scan of a few pages beats any index. Every other table is
# judged large, loaded large, and must be read by an index.
SMALL_TABLES: Final[Mapping[str, str]] = {
    "consultation_types": "three rows, one per consultation a route leads to",
    "clinicians": "one row per clinician: tens in a clinic",
    "clinician_weekly_hours": "a few blocks of hours a week per clinician",
    "clinician_exceptions": "leave and extra hours: a few rows per clinician per month",
    "staff_users": "one row per staff account",
    "staff_tokens": "logins of the last 12 hours only: the sweep deletes older ones",
}
# Fewer rows than this and a table is not a fair test of "reads it by an index": the
# planner rightly scans a table of a few pages.
LARGE: Final = 10_000

# What each area must have run, by the function that sent the SQL: a workload that stops
# reaching a query (no due reminders in the data, say) would otherwise pass unnoticed.
INVENTORY: Final[Mapping[str, frozenset[str]]] = {
    "queues": frozenset(
        {
            "intake/queues/repository.py:page",
            "intake/queues/repository.py:next_unclaimed",
            "intake/queues/repository.py:counts",
            "intake/queues/repository.py:latest_checklists",
            "intake/queues/repository.py:decisions_of",
            "intake/queues/repository.py:staff_names",
            "intake/intakes/repository.py:get",
        }
    ),
    "sweep": frozenset(
        {
            "intake/reminders/repository.py:due",
            "intake/reminders/repository.py:insert_emails",
            "intake/reminders/repository.py:advance",
            "intake/notifications/repository.py:release_stuck",
            "intake/notifications/repository.py:expire_sensitive",
            "intake/notifications/repository.py:count_due",
            "intake/notifications/repository.py:claim_due",
            "intake/auth/ratelimit.py:forget_before",
            "intake/staff/repository.py:forget_tokens_created_before",
            "intake/intakes/repository.py:needing_checklist",
            "intake/intakes/repository.py:needing_routing",
            "intake/queues/repository.py:release_idle",
            "intake/scheduling/repository.py:due_for_reminder",
            "intake/lifecycle/purge.py:_lock_abandoned",
            "intake/lifecycle/purge.py:_purge_batch",
            "intake/lifecycle/purge.py:_purge_lone_patients",
        }
    ),
    "slot search": frozenset(
        {
            "intake/scheduling/repository.py:clinicians",
            "intake/scheduling/repository.py:weekly_blocks",
            "intake/scheduling/repository.py:exceptions_in",
            "intake/scheduling/repository.py:busy_in",
        }
    ),
}
AREAS: Final = tuple(INVENTORY)

NOW: Final = utcnow().replace(second=0, microsecond=0)
ME: Final = row_id("staff", 1)  # a coordinator holding some claims
COLLEAGUE: Final = row_id("staff", 2)

FILTERS: Final = (
    ("claimed=any", QueueFilter()),
    ("claimed=unclaimed", QueueFilter(claimed="unclaimed")),
    ("claimed=mine", QueueFilter(claimed="mine")),
    ("claimed=colleague", QueueFilter(claimed=str(COLLEAGUE))),
    ("provisional", QueueFilter(provisional=True)),
    ("not provisional", QueueFilter(provisional=False)),
    ("overdue", QueueFilter(overdue=True)),
    ("not overdue", QueueFilter(overdue=False)),
    ("unclaimed and overdue", QueueFilter(claimed="unclaimed", overdue=True)),
)

UowFactory = Callable[[], UnitOfWork]


@dataclass(frozen=True)
class Explained:
    statement: Statement
    plan: Plan


class _NoBroker:
    """Jobs the code asks for are dropped: the broker is no part of a query plan."""

    def publish(self, task_name: str, args: tuple[str, ...]) -> None:
        return None


# --- the database -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def clinic() -> Iterator[Engine]:
    """A scratch PostgreSQL database, migrated, then loaded with a clinic's years of rows."""
    with scratch_postgres_database("intake_perf") as url:
        engine = create_db_engine(url)
        try:
            migrate(url)
            load(engine, NOW)
            yield engine
        finally:
            engine.dispose()


def _settings(engine: Engine) -> Settings:
    return Settings(
        database_url=engine.url.render_as_string(hide_password=False),
        public_base_url="http://clinic.test",
        # The loaded history is years of drafts, one intake every 25 minutes. A sweep in a
        # running clinic finds a day's worth past the retention limit, not years: here the
        # oldest ten days' are, so the purge runs (and is planned) without taking minutes.
        retention_draft_days=INTAKES * 25 / (24 * 60) - 10,
    )


@contextmanager
def _rolled_back(engine: Engine) -> Iterator[UowFactory]:
    """Units of work that commit to savepoints of one transaction, rolled back at the end."""
    with engine.connect() as conn:
        conn.begin()
        sessions = sessionmaker(
            bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        yield lambda: UnitOfWork(sessions, _NoBroker())
        conn.rollback()


def _staff(uow_factory: UowFactory, staff_id: uuid.UUID) -> StaffUser:
    with uow_factory() as uow:
        return uow.session.get_one(StaffUser, staff_id)


# --- the workloads: the service functions as the API, the console and beat call them --------


def _work_the_queues(uow_factory: UowFactory, settings: Settings, recorder: Recorder) -> None:
    me = _staff(uow_factory, ME)
    for queue in (*placement.QUEUES, ALL):
        for name, filters in FILTERS:
            cursor = None
            for page in ("first page", "next page"):  # the next one reads by keyset
                call = f"list_items({queue}, {name}, {page})"
                with recorder.recording("queues", call), uow_factory() as uow:
                    found = list_items(
                        uow,
                        queue,
                        staff=me,
                        settings=settings,
                        filters=filters,
                        cursor=cursor,
                        now=NOW,
                    )
                cursor = found.next_cursor
                if cursor is None:
                    break
    with recorder.recording("queues", "summary"), uow_factory() as uow:
        summary(uow, staff=me, settings=settings)
    for queue in placement.QUEUES:
        with recorder.recording("queues", f"claim_next({queue})"), uow_factory() as uow:
            item = claim_next(uow, queue, staff=me, settings=settings)
        if item is not None:
            with recorder.recording("queues", f"release({queue})"), uow_factory() as uow:
                release(uow, item.intake_id, staff=me, settings=settings)


def _sweep(uow_factory: UowFactory, settings: Settings, recorder: Recorder) -> None:
    with recorder.recording("sweep", "sweep"):
        sweep(uow_factory, settings, now=NOW)
    # The dispatchers the sweep wakes: their claim of due rows is the other outbox read.
    with recorder.recording("sweep", "dispatch"):
        Dispatcher(
            transport=InMemoryTransport(),
            settings=settings,
            uow_factory=uow_factory,
            clock=lambda: NOW,
        ).run(max_batches=2)


def _search_slots(uow_factory: UowFactory, settings: Settings, recorder: Recorder) -> None:
    window = Span(NOW, NOW + timedelta(days=settings.slot_search_max_days))
    found = []
    for kind in ConsultationKind:
        with recorder.recording("slot search", f"find_slots({kind})"), uow_factory() as uow:
            found = find_slots(uow.session, settings, kind=kind, window=window, now=NOW)
    assert found, "the loaded clinicians have free time in the next weeks"
    # Booking re-checks the one slot chosen: a search for one clinician over two days.
    with recorder.recording("slot search", "free_slot"), uow_factory() as uow:
        free_slot(uow.session, settings, found[-1].id, now=NOW)


WORKLOADS: Final = (_work_the_queues, _sweep, _search_slots)


@pytest.fixture(scope="module")
def explained(clinic: Engine) -> dict[str, list[Explained]]:
    """Each area's statements, as the code sent them, with the plan PostgreSQL makes."""
    settings = _settings(clinic)
    recorder = Recorder()
    recorder.attach(clinic)
    try:
        for work in WORKLOADS:
            with _rolled_back(clinic) as uow_factory:
                work(uow_factory, settings, recorder)
    finally:
        recorder.detach(clinic)
    by_area: dict[str, list[Explained]] = {area: [] for area in AREAS}
    with clinic.connect() as conn:
        for statement in recorder.statements:
            by_area[statement.area].append(Explained(statement, explain(conn, statement)))
    return by_area


def _offences(found: list[Explained]) -> list[str]:
    return [
        f"{e.statement.call} via {e.statement.origin}: Seq Scan on {table}\n"
        f"    plan: {outline(e.plan)}\n    sql: {' '.join(e.statement.sql.split())[:600]}"
        for e in found
        for table in sequential_scans(e.plan)
        if table not in SMALL_TABLES
    ]


# --- the tests ------------------------------------------------------------------------------


@pytest.mark.parametrize("area", AREAS)
def test_no_query_reads_a_large_table_whole(
    explained: dict[str, list[Explained]], area: str
) -> None:
    offences = _offences(explained[area])

    assert not offences, "\n".join(offences)


@pytest.mark.parametrize("area", AREAS)
def test_the_workload_reaches_every_query_of_its_area(
    explained: dict[str, list[Explained]], area: str
) -> None:
    origins = {e.statement.origin for e in explained[area]}

    assert INVENTORY[area] - origins == set()


def test_every_table_judged_large_is_loaded_large(
    clinic: Engine, explained: dict[str, list[Explained]]
) -> None:
    counts = row_counts(clinic)
    read = {table for found in explained.values() for e in found for table in tables_read(e.plan)}

    assert counts["intakes"] == INTAKES
    assert {t: counts[t] for t in read - SMALL_TABLES.keys() if counts[t] < LARGE} == {}


def test_every_table_allowed_a_whole_read_is_read(explained: dict[str, list[Explained]]) -> None:
    # An allowance nothing uses any more is one nobody re-examines: take it out.
    read = {table for found in explained.values() for e in found for table in tables_read(e.plan)}

    assert SMALL_TABLES.keys() - read == set()


def test_a_missing_index_is_caught(clinic: Engine, explained: dict[str, list[Explained]]) -> None:
    # The check must be able to fail: without the index on the idle claims, releasing
    # them reads every intake. DROP INDEX is transactional, so the rollback restores it.
    release_idle = [
        e for e in explained["sweep"] if e.statement.origin.endswith("repository.py:release_idle")
    ]
    with clinic.connect() as conn, conn.begin() as transaction:
        conn.exec_driver_sql("DROP INDEX ix_intakes_claim_touched_at_id")
        replanned = [Explained(e.statement, explain(conn, e.statement)) for e in release_idle]
        transaction.rollback()

    assert _offences(release_idle) == []
    assert any("Seq Scan on intakes" in offence for offence in _offences(replanned))


def test_sequential_scans_are_found_at_any_depth() -> None:
    plan: Plan = {
        "Node Type": "Limit",
        "Plans": [
            {
                "Node Type": "Nested Loop",
                "Plans": [
                    {"Node Type": "Index Scan", "Index Name": "pk_x", "Relation Name": "x"},
                    {
                        "Node Type": "Sort",
                        "Plans": [{"Node Type": "Seq Scan", "Relation Name": "intakes"}],
                    },
                ],
            }
        ],
    }

    assert sequential_scans(plan) == ["intakes"]
    assert tables_read(plan) == {"x", "intakes"}
