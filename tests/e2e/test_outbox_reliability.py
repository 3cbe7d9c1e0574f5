"""The outbox under failure: killed workers, a dead relay, a dead broker, racing sweeps.

Everything is real: Celery worker processes on Redis, PostgreSQL, and SMTP servers on
loopback (tests/e2e/smtp_faults.py). A worker is killed with SIGKILL on its whole
process group, as the OOM killer or a host failure would, so nothing gets to clean up.
The sweep is called from the test (what beat asks a worker to do every interval), so
the test decides when lost work is looked for.

Copies are counted by Message-ID, which is derived from the idempotency key: a re-send
of the same row carries the same id, so the sink shows duplicates as such.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

import psutil
import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import update

from intake import processes
from intake.config import Settings
from intake.db import UnitOfWork, utcnow
from intake.intakes.models import Intake
from intake.main import create_app
from intake.notifications import repository
from intake.notifications.models import OutboxEmail, OutboxStatus
from intake.notifications.service import message_id_for
from intake.sweep import SweepReport, sweep
from tests.conftest import PATIENT, apply_env, service_env, start_intake, wipe_database
from tests.e2e.smtp_faults import Tarpit, recording_sink
from tests.support import free_port, reset_caches, start_process, stop_process, wait_for

T = TypeVar("T")

# Short enough to run the recovery paths in seconds. The lease must still outlast one
# healthy delivery to the loopback sink by far: a dispatcher stops starting sends half
# a lease after its claim.
LEASE_SECONDS = 3.0
OUTBOX_ENV = {
    "OUTBOX_SENDING_LEASE_SECONDS": str(LEASE_SECONDS),
    "OUTBOX_RETRY_BASE_SECONDS": "0.5",
    "OUTBOX_RETRY_CAP_SECONDS": "1",
    # Far above what a test reaches, so a row never fails for running out of attempts.
    "OUTBOX_MAX_ATTEMPTS": "50",
}


@dataclass
class OutboxStack:
    """The API in this process, and worker processes the test starts and kills."""

    settings: Settings
    env: dict[str, str]
    client: TestClient
    workdir: Path
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start_worker(self, *, smtp_url: str, concurrency: int = 1) -> subprocess.Popen[bytes]:
        """A worker process with its own SMTP_URL (each start may point elsewhere)."""
        number = len(self.workers)
        log = self.workdir / f"worker-{number}.log"
        worker = start_process(
            [
                *processes.worker_command(),
                f"--concurrency={concurrency}",
                # Other workers on the same Redis (other test runs) are none of its
                # business, and the handshake with them costs a second per start.
                "--without-mingle",
                "--without-gossip",
                "--without-heartbeat",
                "-n",
                f"outbox{number}-{uuid.uuid4().hex[:6]}@%h",
            ],
            env={**os.environ, **self.env, "SMTP_URL": smtp_url},
            log_path=log,
        )
        self.workers.append(worker)
        wait_for(lambda: _ready(worker, log), timeout=60, what=f"worker {number} to be ready")
        return worker

    def kill(self, worker: subprocess.Popen[bytes]) -> None:
        """SIGKILL the worker's main process and its pool children at once."""
        family = [psutil.Process(worker.pid), *psutil.Process(worker.pid).children(True)]
        # start_process starts a new session, so the worker leads its own process
        # group and the group id is its pid.
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
        # The pool child holds the SMTP connection; it must be gone before the test
        # goes on, or it could still finish the send it was in.
        wait_for(
            lambda: not [p for p in family if _alive(p)],
            timeout=30,
            what="every process of the killed worker to be gone",
        )

    def logs(self) -> str:
        return "".join(p.read_text(errors="replace") for p in sorted(self.workdir.glob("*.log")))


def _alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _ready(process: subprocess.Popen[bytes], log: Path) -> bool:
    if process.poll() is not None:
        pytest.fail(f"worker exited early:\n{log.read_text(errors='replace')}")
    return log.exists() and "ready." in log.read_text(errors="replace")


def _stop(worker: subprocess.Popen[bytes]) -> None:
    """A warm shutdown, then SIGKILL for whatever of its group is left."""
    stop_process(worker, grace=10)
    with contextlib.suppress(ProcessLookupError):  # the whole group exited already
        os.killpg(worker.pid, signal.SIGKILL)


@pytest.fixture
def outbox_stack(
    postgresql_database: str,
    redis_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[OutboxStack]:
    # The API's own SMTP_URL is never used: only workers send. Each worker gets its own.
    env = {
        **service_env(
            database_url=postgresql_database,
            smtp_url="smtp://127.0.0.1:1",
            var_dir=tmp_path,
            broker_url=redis_url,
            queue_prefix="outbox-reliability",  # a queue per test: no stray messages
        ),
        **OUTBOX_ENV,
    }
    settings = apply_env(monkeypatch, env)
    stack = OutboxStack(settings, env, TestClient(create_app()), tmp_path)
    try:
        with stack.client:
            yield stack
    finally:
        for worker in stack.workers:
            _stop(worker)
        # Wake-ups no worker took would otherwise stay in the shared Redis database.
        broker = redis.Redis.from_url(redis_url)
        try:
            broker.delete(settings.task_queue, f"_kombu.binding.{settings.task_queue}")
        finally:
            broker.close()
        wipe_database(postgresql_database)
        reset_caches()


# --- helpers ------------------------------------------------------------------------


def _key(intake_id: str) -> str:
    return f"intake:{intake_id}:started"


def _row(key: str) -> OutboxEmail:
    with UnitOfWork() as uow:
        row = repository.by_key(uow.session, key)
        assert row is not None
        return row


def _message_id(stack: OutboxStack, key: str) -> str:
    return message_id_for(key, stack.settings)


def _sweeping(check: Callable[[], T | None], *, what: str, timeout: float = 60) -> T:
    """Poll `check`, sweeping before each look, as beat would (only more often)."""

    def swept() -> T | None:
        sweep(UnitOfWork)
        return check()

    return wait_for(swept, timeout=timeout, what=what)


def _keep_sweeping(leases: float) -> None:
    """Sweep for `leases` lease periods: any row still (or again) `sending` would be
    released and sent again in that time, so a duplicate that is coming arrives."""
    end = time.monotonic() + leases * LEASE_SECONDS
    while time.monotonic() < end:
        sweep(UnitOfWork)
        time.sleep(0.2)


def _queued_messages(stack: OutboxStack) -> int:
    """Task messages waiting in this test's Redis queue (every priority band)."""
    broker = redis.Redis.from_url(stack.settings.broker_url)
    try:
        keys = broker.scan_iter(match=f"{stack.settings.task_queue}*", _type="list")
        return sum(int(broker.llen(key)) for key in keys)
    finally:
        broker.close()


def _start_intake_with_broker_down(stack: OutboxStack, monkeypatch: pytest.MonkeyPatch) -> str:
    """POST an intake while the broker is unreachable: its wake-up never leaves."""
    working_broker = stack.settings.broker_url
    monkeypatch.setenv("BROKER_URL", f"redis://127.0.0.1:{free_port()}/0")
    reset_caches()
    try:
        response = stack.client.post("/api/v1/intakes", json={"patient": PATIENT, "answers": {}})
    finally:
        monkeypatch.setenv("BROKER_URL", working_broker)
        reset_caches()
    assert response.status_code == 201, response.text
    intake_id: str = response.json()["id"]
    return intake_id


# --- 1. killed before SMTP ----------------------------------------------------------


def test_a_worker_killed_before_smtp_sends_exactly_once_after_restart(
    outbox_stack: OutboxStack,
) -> None:
    tarpit = Tarpit()
    try:
        first = outbox_stack.start_worker(smtp_url=tarpit.url)
        key = _key(start_intake(outbox_stack.client).id)

        # The worker claimed the row (committed before SMTP) and is waiting for a
        # greeting that never comes: nothing of the message has left it.
        def claimed_and_connected() -> OutboxEmail | None:
            row = _row(key)
            connected = tarpit.connections() >= 1
            return row if row.status == OutboxStatus.SENDING and connected else None

        row = wait_for(claimed_and_connected, what="the worker to claim and dial the tarpit")
        assert (row.attempts, row.interruptions) == (1, 0)
        outbox_stack.kill(first)
    finally:
        tarpit.close()
    assert _row(key).status == OutboxStatus.SENDING  # the dead worker recorded nothing

    with recording_sink() as sink:
        outbox_stack.start_worker(smtp_url=sink.url)
        message_id = _message_id(outbox_stack, key)
        # The sweep releases the row once its lease is over, and wakes a dispatcher.
        _sweeping(lambda: sink.copies(message_id), what="the email, after the lease ran out")
        wait_for(lambda: _row(key).status == OutboxStatus.SENT, what="the row to be sent")
        # More sweeps over two lease periods find nothing left to re-send.
        _keep_sweeping(2.2)

        assert sink.copies(message_id) == 1
        assert len(sink.received()) == 1
    row = _row(key)
    assert row.status == OutboxStatus.SENT
    assert (row.attempts, row.interruptions) == (2, 1)
    assert row.sent_at is not None


# --- 2. killed after the server accepted, before `sent` committed ---------------------


def test_a_worker_killed_after_smtp_accepted_sends_one_duplicate_at_most(
    outbox_stack: OutboxStack,
) -> None:
    with recording_sink() as sink:
        sink.stall = True
        first = outbox_stack.start_worker(smtp_url=sink.url)
        key = _key(start_intake(outbox_stack.client).id)
        message_id = _message_id(outbox_stack, key)
        wait_for(sink.stalled.is_set, what="the sink to record the message and stall")
        row = _row(key)
        # The server has the message; the row still says `sending`, as it will after
        # the kill: `sent` is committed only once the 250 is in.
        assert row.status == OutboxStatus.SENDING
        assert (row.attempts, row.interruptions) == (1, 0)
        assert sink.copies(message_id) == 1
        outbox_stack.kill(first)
        # Answer the dead connection; the next worker's DATA is not held.
        sink.stall = False
        sink.release.set()
        assert _row(key).status == OutboxStatus.SENDING

        outbox_stack.start_worker(smtp_url=sink.url)
        # Observed: once the lease runs out the sweep releases the row (interruptions
        # 1) and the new worker sends it again, with the same Message-ID. This is the
        # documented duplicate window: SMTP has no idempotency (RFC 1047), so a kill
        # between the server's acceptance and our commit costs one duplicate.
        _sweeping(lambda: sink.copies(message_id) >= 2, what="the re-send of the email")
        wait_for(lambda: _row(key).status == OutboxStatus.SENT, what="the row to be sent")
        _keep_sweeping(2.2)

        # Observed: exactly two copies, never a third, however long the sweep goes on.
        assert sink.copies(message_id) == 2
        assert len(sink.received()) == 2
        first_copy, second_copy = sink.received()
        assert first_copy["To"] == second_copy["To"] == PATIENT["email"]
        assert first_copy["Subject"] == second_copy["Subject"]
    row = _row(key)
    assert row.status == OutboxStatus.SENT
    assert (row.attempts, row.interruptions) == (2, 1)


def test_a_second_interruption_fails_the_row_rather_than_send_a_third_copy(
    outbox_stack: OutboxStack,
) -> None:
    with recording_sink() as sink:
        sink.stall = True
        first = outbox_stack.start_worker(smtp_url=sink.url)
        key = _key(start_intake(outbox_stack.client).id)
        message_id = _message_id(outbox_stack, key)
        wait_for(sink.stalled.is_set, what="the sink to stall on the first send")
        outbox_stack.kill(first)

        # The second worker meets the same fate on the re-send.
        sink.stalled.clear()
        second = outbox_stack.start_worker(smtp_url=sink.url)
        _sweeping(sink.stalled.is_set, what="the re-send, stalled in turn")
        assert sink.copies(message_id) == 2
        assert _row(key).status == OutboxStatus.SENDING
        outbox_stack.kill(second)
        sink.stall = False
        sink.release.set()

        # A healthy worker now: still the sweep must not hand it the row again.
        outbox_stack.start_worker(smtp_url=sink.url)
        # Wait for any final state, so a third copy shows as such below.
        _sweeping(
            lambda: _row(key).status in (OutboxStatus.FAILED, OutboxStatus.SENT),
            what="the twice-interrupted row to be settled",
        )
        _keep_sweeping(2.2)
        assert sink.copies(message_id) == 2
    row = _row(key)
    assert row.status == OutboxStatus.FAILED
    assert (row.attempts, row.interruptions) == (2, 2)
    assert row.last_error is not None
    assert "interrupted twice" in row.last_error


# --- 3. the relay is down for a while -------------------------------------------------


def test_emails_queued_while_smtp_is_down_arrive_once_when_it_is_back(
    outbox_stack: OutboxStack,
) -> None:
    # Nothing listens on this port yet: every connect is refused, a transient failure.
    port = free_port()
    outbox_stack.start_worker(smtp_url=f"smtp://127.0.0.1:{port}")
    keys = [_key(start_intake(outbox_stack.client).id) for _ in range(3)]

    def retried_and_waiting() -> list[OutboxEmail] | None:
        rows = [_row(key) for key in keys]
        waiting = all(
            r.status == OutboxStatus.PENDING and r.attempts >= 2 and r.last_error for r in rows
        )
        return rows if waiting else None

    rows = _sweeping(retried_and_waiting, what="every email to fail twice and wait to retry")
    for row in rows:
        assert row.last_error is not None
        assert row.last_error.startswith("SMTP unavailable"), row.last_error

    with recording_sink(port) as sink:
        message_ids = [_message_id(outbox_stack, key) for key in keys]
        _sweeping(
            lambda: all(sink.copies(m) for m in message_ids),
            what="all three emails once the relay is back",
        )
        wait_for(
            lambda: all(_row(key).status == OutboxStatus.SENT for key in keys),
            what="every row to be sent",
        )
        # Every row is `sent`, so nothing is left for a sweep to release: a lease of
        # further sweeps (and the wake-ups they send) must not send anything again.
        _keep_sweeping(1.2)
        assert [sink.copies(m) for m in message_ids] == [1, 1, 1]
        assert len(sink.received()) == 3
    for key in keys:
        row = _row(key)
        assert row.status == OutboxStatus.SENT
        assert row.last_error is None
        assert row.interruptions == 0


# --- 4. the broker is down when the API commits ----------------------------------------


def test_an_email_committed_while_redis_is_down_is_sent_once_by_the_sweep(
    outbox_stack: OutboxStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    intake_id = _start_intake_with_broker_down(outbox_stack, monkeypatch)
    key = _key(intake_id)

    with UnitOfWork() as uow:
        assert uow.session.get(Intake, uuid.UUID(intake_id)) is not None
    row = _row(key)
    assert (row.status, row.attempts) == (OutboxStatus.PENDING, 0)
    # The wake-up never reached Redis: only the sweep can get this email out.
    assert _queued_messages(outbox_stack) == 0

    with recording_sink() as sink:
        outbox_stack.start_worker(smtp_url=sink.url)
        message_id = _message_id(outbox_stack, key)
        _sweeping(lambda: sink.copies(message_id), what="the email, via the sweep")
        wait_for(lambda: _row(key).status == OutboxStatus.SENT, what="the row to be sent")
        # Every row is `sent`, so nothing is left for a sweep to release: a lease of
        # further sweeps (and the wake-ups they send) must not send anything again.
        _keep_sweeping(1.2)
        assert sink.copies(message_id) == 1
        assert len(sink.received()) == 1
    row = _row(key)
    assert (row.status, row.attempts, row.interruptions) == (OutboxStatus.SENT, 1, 0)


# --- 5. two sweeps at once ------------------------------------------------------------


def _sweep_concurrently() -> list[SweepReport]:
    """Two sweeps started together from two threads, as two beats (or a beat and an
    operator's manual sweep) would run them; each has its own connection."""
    barrier = threading.Barrier(2, timeout=30)
    reports: list[SweepReport] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run() -> None:
        try:
            barrier.wait()
            report = sweep(UnitOfWork)
        except BaseException as exc:  # reported below, in the test's own thread
            with lock:
                errors.append(exc)
            return
        with lock:
            reports.append(report)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not [t for t in threads if t.is_alive()], "a sweep did not finish"
    assert errors == []
    return reports


def test_two_concurrent_sweeps_send_each_email_once(
    outbox_stack: OutboxStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Due rows whose wake-up was lost, as in the broker-down case...
    due = [_key(_start_intake_with_broker_down(outbox_stack, monkeypatch)) for _ in range(2)]
    # ...rows a dead worker left `sending` past their lease (the claim of
    # Repository.claim_due, dated back), and one interrupted once before already.
    stuck = [_key(_start_intake_with_broker_down(outbox_stack, monkeypatch)) for _ in range(2)]
    twice = _key(_start_intake_with_broker_down(outbox_stack, monkeypatch))
    claimed_at = utcnow() - timedelta(seconds=2 * LEASE_SECONDS)
    with UnitOfWork() as uow:
        uow.session.execute(
            update(OutboxEmail)
            .where(OutboxEmail.idempotency_key.in_(stuck))
            .values(status=OutboxStatus.SENDING, attempts=1, updated_at=claimed_at)
        )
        uow.session.execute(
            update(OutboxEmail)
            .where(OutboxEmail.idempotency_key == twice)
            .values(status=OutboxStatus.SENDING, attempts=2, interruptions=1, updated_at=claimed_at)
        )
    assert _queued_messages(outbox_stack) == 0

    with recording_sink() as sink:
        # Two pool processes, so the two dispatchers the sweeps wake run side by side
        # and must split the rows between them (SKIP LOCKED).
        outbox_stack.start_worker(smtp_url=sink.url, concurrency=2)
        reports = _sweep_concurrently()
        # Each stuck row was released by one sweep only; the other found it taken.
        assert sum(r.released for r in reports) == 2

        sendable = due + stuck
        message_ids = [_message_id(outbox_stack, key) for key in sendable]
        wait_for(
            lambda: all(_row(key).status == OutboxStatus.SENT for key in sendable),
            what="every sendable row to be sent by the dispatchers the sweeps woke",
        )
        # Every row is `sent`, so nothing is left for a sweep to release: a lease of
        # further sweeps (and the wake-ups they send) must not send anything again.
        _keep_sweeping(1.2)
        assert [sink.copies(m) for m in message_ids] == [1, 1, 1, 1]
        assert sink.copies(_message_id(outbox_stack, twice)) == 0
        assert len(sink.received()) == 4

    for key in due:
        row = _row(key)
        assert (row.status, row.attempts, row.interruptions) == (OutboxStatus.SENT, 1, 0)
    for key in stuck:
        row = _row(key)
        assert (row.status, row.attempts, row.interruptions) == (OutboxStatus.SENT, 2, 1)
    # Given up once, by one sweep: a racing sweep must not count a third interruption.
    row = _row(twice)
    assert (row.status, row.interruptions) == (OutboxStatus.FAILED, 2)
