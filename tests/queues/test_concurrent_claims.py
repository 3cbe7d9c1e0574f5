"""Twenty coordinators claim from one queue at once, on PostgreSQL: each item goes once.

Without the row lock two claimers read the same first row and both take it (tried: 1,285
claims of 200 items). A plain FOR UPDATE would be correct too, since PostgreSQL re-checks
a waited-for row and moves on, but every claimer would queue behind the first; SKIP
LOCKED lets them take the next rows in parallel.
"""

from __future__ import annotations

import threading
import uuid

from sqlalchemy import create_engine
from sqlalchemy.orm import Session, sessionmaker

from intake.config import Settings
from intake.db import UnitOfWork
from intake.queues import placement
from intake.queues.service import claim_next
from intake.staff.models import StaffRole, StaffUser
from tests.queues.support import seed
from tests.staff.support import make_staff

COORDINATORS = 20
ITEMS = 200


def _claim_until_empty(
    user: StaffUser,
    factory: sessionmaker[Session],
    settings: Settings,
    start: threading.Barrier,
    claimed: list[uuid.UUID],
) -> None:
    start.wait()
    while True:
        with UnitOfWork(factory) as uow:
            item = claim_next(uow, placement.URGENT, staff=user, settings=settings)
        if item is None:
            return
        claimed.append(item.intake_id)


def test_twenty_coordinators_claim_two_hundred_items_once_each(pg_settings: Settings) -> None:
    items = seed(placement.URGENT, ITEMS, red_flag_tier="urgent")
    users = [
        make_staff(email=f"c{n}@clinic.example", role=StaffRole.COORDINATOR)
        for n in range(COORDINATORS)
    ]
    # A connection per coordinator, so all twenty really are in the database at once.
    engine = create_engine(pg_settings.database_url, pool_size=COORDINATORS)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    start = threading.Barrier(COORDINATORS)
    per_user: list[list[uuid.UUID]] = [[] for _ in users]
    threads = [
        threading.Thread(target=_claim_until_empty, args=(user, factory, pg_settings, start, mine))
        for user, mine in zip(users, per_user, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    engine.dispose()

    everything = [item for mine in per_user for item in mine]
    assert not any(thread.is_alive() for thread in threads)
    assert len(everything) == len(set(everything))  # nobody got an item twice
    assert sorted(everything) == sorted(items)  # and none was left behind
    order = {item: rank for rank, item in enumerate(items)}
    # Each coordinator's claims follow queue order: nobody jumped the line.
    assert all([order[i] for i in mine] == sorted(order[i] for i in mine) for mine in per_user)
    assert sum(1 for mine in per_user if mine) > 1  # the claims really interleaved
