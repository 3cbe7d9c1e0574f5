"""Checklist throughput of 1 and 2 Celery worker processes on Redis, and no task twice.

Creates a fresh PostgreSQL database (migrated by `intake migrate`), seeds `--intakes`
submitted intakes that have never had a checklist pass (complete answers from
examples/intake.json, no documents), and for each run:

1. puts every intake back to that state (no checklist results, status `submitted`);
2. sends one `intake.checklist.evaluate` task per intake to a Redis queue no one else
   uses, all of them before any worker starts: a backlog;
3. starts N worker processes, each the production command
   (`celery -A workers.celery_app worker --loglevel=INFO`) with the app's own Celery
   settings (prefork 1, acks_late, reject_on_worker_lost) and one execution slot each
   (`--pool prefork --concurrency 1` unless `--pool` says otherwise);
4. waits until every intake has been evaluated, then stops the workers (SIGTERM, the
   warm shutdown production gets).

Executions are counted twice, without touching the worker's code:
- in the database: a trigger on the bench database (not in the migrations) writes a row
  to `bench_evaluations` each time an intake's `checklist_checked_at` changes, with the
  time (`clock_timestamp()`) and the PostgreSQL backend that did it. Every evaluation
  sets that column, so an intake with two rows was evaluated twice;
- in the workers' own INFO logs: Celery's "Task ...[id] succeeded" line, one per
  execution; a task id in two lines (in one log or across them) ran twice.

Runs alternate N = 1, 2, 2, 1, ... so drift on a shared machine hits both.

    .venv/bin/python bench/workers.py --intakes 10000 --workers 1 2 --reps 2

Not a test: pytest never collects bench/. Figures and the machine go in bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psutil
import psycopg
import redis
from upload_tools import BIN, ROOT, fresh_database, migrate, service_env

from intake import tasknames
from intake.config import Settings
from intake.taskqueue import make_celery

# Submitted yesterday, never checked: what `intake.intakes.service.submit` leaves behind,
# minus the token and the outbox row (the checklist reads neither).
SEED_PATIENTS = """
INSERT INTO patients (id, first_name, last_name, email, date_of_birth, timezone,
                      created_at, updated_at)
SELECT md5('patient:' || g)::uuid, 'Patient' || g, 'Bench', 'patient' || g || '@example.com',
       date '1940-01-01' + mod(g, 25000), 'America/New_York', %(at)s, %(at)s
FROM generate_series(1, %(n)s) AS g
"""
SEED_INTAKES = """
INSERT INTO intakes (id, patient_id, status, answers, questionnaire_version,
                     last_patient_activity_at, submitted_at, checklist_dirty,
                     priority, provisional, reminder_round, reminder_step,
                     created_at, updated_at)
SELECT md5('intake:' || g)::uuid, md5('patient:' || g)::uuid, 'submitted', %(answers)s,
       'fbss-intake/1', %(at)s, %(at)s, true, 2, false, 0, 0, %(at)s, %(at)s
FROM generate_series(1, %(n)s) AS g
"""
# Back to the seeded state before each run: every column the checklist pass writes.
RESET = """
UPDATE intakes
SET status = 'submitted', checklist_missing = NULL, checklist_checked_at = NULL,
    checklist_dirty = true, queue = NULL, queued_at = NULL, priority = 2,
    recheck_on = NULL, reminder_round = 0, reminder_step = 0, reminder_anchor_at = NULL,
    next_reminder_at = NULL, stale_at = NULL, updated_at = %(at)s
"""
COUNTER = """
CREATE TABLE bench_evaluations (
    intake_id uuid NOT NULL,
    at timestamptz NOT NULL DEFAULT clock_timestamp(),
    backend int NOT NULL DEFAULT pg_backend_pid()
);
CREATE FUNCTION bench_count_evaluation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO bench_evaluations (intake_id) VALUES (NEW.id);
    RETURN NEW;
END $$;
CREATE TRIGGER bench_count_evaluation AFTER UPDATE ON intakes FOR EACH ROW
WHEN (NEW.checklist_checked_at IS NOT NULL
      AND OLD.checklist_checked_at IS DISTINCT FROM NEW.checklist_checked_at)
EXECUTE FUNCTION bench_count_evaluation();
"""
SUCCEEDED = re.compile(
    rf"Task {re.escape(tasknames.EVALUATE_CHECKLIST)}\[([0-9a-f-]+)\] succeeded in ([0-9.]+)s"
)


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def psycopg_dsn(sqlalchemy_url: str) -> str:
    return sqlalchemy_url.replace("postgresql+psycopg://", "postgresql://", 1)


def one(conn: psycopg.Connection[Any], sql: str) -> Any:
    row = conn.execute(sql).fetchone()
    assert row is not None
    return row[0]


# --- the database ----------------------------------------------------------------------


def seed(dsn: str, intakes: int) -> None:
    answers = json.loads((ROOT / "examples" / "intake.json").read_text())["answers"]
    params = {"n": intakes, "at": datetime.now(UTC) - timedelta(days=1)}
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(SEED_PATIENTS, params)
        conn.execute(SEED_INTAKES, {**params, "answers": json.dumps(answers)})
        conn.execute(COUNTER)


def reset(dsn: str) -> None:
    """No checklist has ever run: no results, no counted evaluations, status submitted."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(RESET, {"at": datetime.now(UTC) - timedelta(days=1)})
        conn.execute("TRUNCATE checklist_results, bench_evaluations")
        for table in ("intakes", "patients", "checklist_results", "bench_evaluations"):
            conn.execute(f"VACUUM ANALYZE {table}")
        conn.execute("CHECKPOINT")


@dataclass
class Counted:
    """What the trigger saw."""

    evaluations: int
    intakes: int  # distinct intakes among them
    twice: int  # intakes evaluated more than once
    backends: Counter[int]  # evaluations per PostgreSQL backend (one per worker process)
    times: list[float]  # clock_timestamp() of each evaluation, seconds, sorted
    statuses: dict[str, int]  # the intakes' status afterwards
    results: int  # checklist_results rows
    results_v1: int  # ...of which version 1


def counted(dsn: str) -> Counted:
    with psycopg.connect(dsn) as conn:
        times = [
            float(t)
            for (t,) in conn.execute(
                "SELECT extract(epoch FROM at) FROM bench_evaluations ORDER BY at"
            )
        ]
        backends = Counter[int](
            dict(conn.execute("SELECT backend, count(*) FROM bench_evaluations GROUP BY 1"))
        )
        return Counted(
            evaluations=len(times),
            intakes=one(conn, "SELECT count(DISTINCT intake_id) FROM bench_evaluations"),
            twice=one(
                conn,
                "SELECT count(*) FROM (SELECT intake_id FROM bench_evaluations"
                " GROUP BY intake_id HAVING count(*) > 1) AS t",
            ),
            backends=backends,
            times=times,
            statuses=dict(conn.execute("SELECT status, count(*) FROM intakes GROUP BY 1")),
            results=one(conn, "SELECT count(*) FROM checklist_results"),
            results_v1=one(conn, "SELECT count(*) FROM checklist_results WHERE version = 1"),
        )


def evaluations_so_far(conn: psycopg.Connection[Any]) -> int:
    return int(one(conn, "SELECT count(*) FROM bench_evaluations"))


# --- the broker ------------------------------------------------------------------------


@contextmanager
def redis_queue(url: str) -> Iterator[str]:
    """A queue name nobody else uses on `url`; whatever is left of it goes at the end."""
    name = f"bench-workers-{uuid.uuid4().hex[:8]}"
    try:
        yield name
    finally:
        client = redis.Redis.from_url(url)
        for key in client.scan_iter(match=f"*{name}*"):  # the queue and kombu's bindings
            client.delete(key)
        client.close()


def enqueue_backlog(settings: Settings, dsn: str) -> float:
    """One evaluate task per intake, the way `intake.jobs` sends them; returns seconds."""
    with psycopg.connect(dsn) as conn:
        ids = [str(i) for (i,) in conn.execute("SELECT id FROM intakes ORDER BY id")]
    app = make_celery(settings, main="bench-publisher")
    started = time.perf_counter()
    # One connection for all of them; send_task would otherwise check one out each time.
    with app.producer_or_acquire() as producer:
        for intake_id in ids:
            app.send_task(tasknames.EVALUATE_CHECKLIST, args=(intake_id,), producer=producer)
    return time.perf_counter() - started


def queue_length(url: str, queue: str) -> int:
    client = redis.Redis.from_url(url)
    try:
        return int(client.llen(queue))
    finally:
        client.close()


# --- the workers -----------------------------------------------------------------------


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    log: Path
    cpu: float = 0.0  # user + system seconds of the worker and its pool child, at the end

    def stop(self) -> None:
        """The warm shutdown: SIGTERM, the running task finishes, then it exits."""
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_worker(n: int, env: dict[str, str], work: Path, pool: str) -> Worker:
    # Everything the worker logs goes to its stderr (intake/logs.py takes over Celery's
    # logging, so --logfile would be ignored).
    log = work / f"worker-{n}.out"
    argv = [
        str(BIN / "celery"),
        "-A",
        "workers.celery_app",
        "worker",
        "--loglevel=INFO",  # as `intake.processes.worker_command`; the log is a counter too
        f"--pool={pool}",
        "--concurrency=1",
        f"--hostname=bench{n}@%h",  # two workers on one host need two node names
    ]
    with log.open("ab") as out:
        process = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    return Worker(process, log)


def worker_cpu(worker: Worker) -> float:
    """CPU of the worker and every child it has now (the prefork pool process)."""
    try:
        parent = psutil.Process(worker.process.pid)
        total = 0.0
        for proc in [parent, *parent.children(recursive=True)]:
            times = proc.cpu_times()
            total += times.user + times.system
        return total
    except psutil.NoSuchProcess:
        return 0.0


def succeeded(log: Path) -> list[tuple[str, float]]:
    """(task id, runtime in seconds) for each execution the worker logged."""
    text = log.read_text(errors="replace") if log.exists() else ""
    return [(m[1], float(m[2])) for m in SUCCEEDED.finditer(text)]


# --- one run -----------------------------------------------------------------------------


@dataclass
class Run:
    workers: int
    backlog_seconds: float  # time to enqueue the backlog
    wall: float  # from starting the workers to the last evaluation seen by the poller
    counted: Counted
    logged: Counter[str]  # executions per task id, from every worker's log
    per_worker: list[int]  # executions each worker logged
    task_ms: float  # median runtime inside the pool child (Celery's "succeeded in")
    worker_cpu: float  # seconds, all worker processes together
    left_in_queue: int

    @property
    def span(self) -> float:
        """First evaluation to last, by the database clock: start-up excluded."""
        return self.counted.times[-1] - self.counted.times[0]

    @property
    def rate(self) -> float:
        return (self.counted.evaluations - 1) / self.span

    @property
    def middle_rate(self) -> float:
        """Between the 10th and the 90th percentile evaluation: only the steady state."""
        times = self.counted.times
        lo, hi = len(times) // 10, len(times) * 9 // 10
        return (hi - lo) / (times[hi] - times[lo])

    @property
    def wall_rate(self) -> float:
        return self.counted.evaluations / self.wall

    @property
    def duplicates(self) -> int:
        return sum(n - 1 for n in self.logged.values() if n > 1)


def one_run(
    n_workers: int, args: argparse.Namespace, env: dict[str, str], dsn: str, work: Path
) -> Run:
    reset(dsn)
    settings = Settings(broker_url=env["BROKER_URL"], task_queue=env["TASK_QUEUE"])
    backlog_seconds = enqueue_backlog(settings, dsn)
    waiting = queue_length(env["BROKER_URL"], env["TASK_QUEUE"])
    if waiting != args.intakes:
        raise RuntimeError(f"{waiting} messages queued, expected {args.intakes}")
    logs = work / f"run-{uuid.uuid4().hex[:6]}"
    logs.mkdir()
    started = time.monotonic()
    workers = [start_worker(i, env, logs, args.pool) for i in range(1, n_workers + 1)]
    cpu: list[float] = [0.0] * n_workers
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            deadline = started + args.timeout
            while (done := evaluations_so_far(conn)) < args.intakes:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"only {done} of {args.intakes} evaluated in time")
                if any(w.process.poll() is not None for w in workers):
                    raise RuntimeError(f"a worker exited early; see {logs}")
                cpu = [worker_cpu(w) for w in workers]  # the last reading before they stop
                time.sleep(args.poll)
        wall = time.monotonic() - started
    finally:
        for worker in workers:
            worker.stop()
    executions = [succeeded(w.log) for w in workers]
    logged = Counter(task_id for lines in executions for task_id, _ in lines)
    return Run(
        workers=n_workers,
        backlog_seconds=backlog_seconds,
        wall=wall,
        counted=counted(dsn),
        logged=logged,
        per_worker=[len(lines) for lines in executions],
        task_ms=statistics.median(s for lines in executions for _, s in lines) * 1000,
        worker_cpu=sum(cpu),
        left_in_queue=queue_length(env["BROKER_URL"], env["TASK_QUEUE"]),
    )


def report_run(r: Run, intakes: int) -> None:
    c = r.counted
    say(
        f"N={r.workers}: load average {load_average()}\n"
        f"  {r.rate:6.1f} tasks/s first to last evaluation ({r.span:.1f} s),"
        f" {r.middle_rate:6.1f} tasks/s 10%-90%, {r.wall_rate:6.1f} tasks/s from start-up"
        f" ({r.wall:.1f} s)\n"
        f"  executions: {c.evaluations} in the database ({c.intakes} intakes,"
        f" {c.twice} twice), {sum(r.logged.values())} logged ({len(r.logged)} task ids,"
        f" {r.duplicates} duplicates); per worker {r.per_worker};"
        f" per backend {sorted(c.backends.values(), reverse=True)}\n"
        f"  after: {c.statuses}, {c.results} checklist results ({c.results_v1} version 1),"
        f" {r.left_in_queue} messages left; task median {r.task_ms:.1f} ms in the child,"
        f" worker CPU {r.worker_cpu / r.wall:.0%} of one core; backlog sent in"
        f" {r.backlog_seconds:.1f} s"
    )
    if c.evaluations != intakes or c.twice or r.duplicates or len(r.logged) != intakes:
        say("  !! not exactly one execution per task")


def report(runs: list[Run], counts: list[int]) -> None:
    say("\nsummary (medians over the runs of each N):")
    base = statistics.median(r.rate for r in runs if r.workers == counts[0])
    for n in counts:
        mine = [r for r in runs if r.workers == n]
        rate = statistics.median(r.rate for r in mine)
        say(
            f"  N={n}: {rate:6.1f} tasks/s (runs: {', '.join(f'{r.rate:.1f}' for r in mine)});"
            f" 10%-90% {statistics.median(r.middle_rate for r in mine):.1f};"
            f" from start-up {statistics.median(r.wall_rate for r in mine):.1f};"
            f" x{rate / base:.2f} of N={counts[0]};"
            f" duplicates {sum(r.duplicates + r.counted.twice for r in mine)}"
        )


def order(counts: list[int], reps: int) -> list[int]:
    """1, 2, 2, 1, 1, 2, ...: each N goes first as often as the other."""
    sequence: list[int] = []
    for rep in range(reps):
        sequence.extend(counts if rep % 2 == 0 else reversed(counts))
    return sequence


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--intakes", type=int, default=10_000, help="tasks in the backlog")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="values of N")
    parser.add_argument("--reps", type=int, default=2)
    parser.add_argument("--pool", default="prefork", choices=["prefork", "solo", "threads"])
    parser.add_argument("--poll", type=float, default=0.5, help="seconds between DB polls")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per run")
    parser.add_argument(
        "--admin-url",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="where to CREATE (and later DROP) the bench database",
    )
    parser.add_argument("--broker-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--keep-logs", action="store_true", help="keep the workers' logs")
    args = parser.parse_args()
    (ROOT / "var").mkdir(exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="bench-workers-", dir=ROOT / "var"))
    say(f"load average before: {load_average()}")
    try:
        with (
            fresh_database(args.admin_url, prefix="bench_workers") as database_url,
            redis_queue(args.broker_url) as queue,
        ):
            env = service_env(
                work, database_url=database_url, broker_url=args.broker_url, TASK_QUEUE=queue
            )
            migrate(env, work / "migrate.log")
            dsn = psycopg_dsn(database_url)
            seed(dsn, args.intakes)
            runs: list[Run] = []
            for n in order(args.workers, args.reps):
                runs.append(one_run(n, args, env, dsn, work))
                report_run(runs[-1], args.intakes)
            report(runs, args.workers)
    finally:
        if args.keep_logs:
            say(f"logs kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    say(f"load average after: {load_average()}")


if __name__ == "__main__":
    main()
