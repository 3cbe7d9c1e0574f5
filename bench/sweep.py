"""The reminder sweep against a plain SELECT of the due ids, on PostgreSQL, in one run.

Creates a fresh PostgreSQL database, migrates it with `intake migrate` (Alembic) and seeds
it with set-based SQL: --intakes patients, each with one intake awaiting information in
round 1, --due-fraction of them with a reminder due (interleaved through the table). Then,
for each --batch size, a discarded warm-up run and --reps runs, each of which:

1. times a plain `SELECT id ... ORDER BY next_reminder_at, id` of the due intakes,
   fetched into Python, five times (the median is the baseline);
2. times one full `sweep_due` (the code under test, quiet hours off so every due reminder
   is queued; a no-op job publisher, so no broker), counting and timing every SQL
   statement by kind with `before/after_cursor_execute` listeners, and sampling this
   process's RSS every 10 ms;
3. checks the outcome (one outbox row per due intake, none still due, a second sweep
   queues nothing) and restores the seeded state (TRUNCATE the outbox, reset the due
   intakes, VACUUM ANALYZE, CHECKPOINT), so every run starts alike.

A set-based SQL floor is timed the same way: one `INSERT ... SELECT` into the outbox and one
`UPDATE` of the intakes, the same rows and indexes with no Python in between. It shows what
the writes alone cost the database here. Ratios are taken per run, then the median.

Where the time goes: each statement kind's time inside cursor execute (the driver's
parameter handling, the wire and the server), the commits, this process's CPU, the CPU of
the PostgreSQL backend the sweep used (read with psutil: same machine), the collector's
pauses, and the sweep's own per-row Python (`_reminder_row`, `_next_step`) timed alone over
the same rows. `--profile N` adds a cProfile of one more sweep.

    .venv/bin/python bench/sweep.py --intakes 100000 --due-fraction 0.2 \
        --batch 500 2000 5000 --reps 5 --profile 25

Not a test: pytest never collects bench/. Figures and the machine go in bench/README.md.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import os
import pstats
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import psutil
import psycopg
from sqlalchemy import Engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from upload_tools import MiB, RssSampler, fresh_database, migrate

from intake import db, jobs
from intake.config import Settings, get_settings
from intake.reminders import repository as reminders
from intake.reminders.policy import ReminderPolicy
from intake.reminders.service import ReminderSweep, _next_step, _reminder_row, sweep_due

ZONES = (
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "Europe/London",
    "Europe/Berlin",
    "Asia/Tokyo",
    "Australia/Sydney",
    "UTC",
)
PLAIN_SELECT = text(
    "SELECT id FROM intakes"
    " WHERE status = 'awaiting_information' AND next_reminder_at <= :now"
    " ORDER BY next_reminder_at, id"
)
PLAIN_REPEATS = 5


def say(line: str = "") -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


# --- the database -------------------------------------------------------------------

SEED_PATIENTS = """
INSERT INTO patients (id, first_name, last_name, email, date_of_birth, timezone,
                      created_at, updated_at)
SELECT md5('patient:' || g)::uuid, 'Patient' || g, 'Bench', 'patient' || g || '@example.com',
       date '1940-01-01' + mod(g, 25000), (%(zones)s::text[])[1 + mod(g, %(zone_count)s)],
       %(created)s, %(created)s
FROM generate_series(1, %(n)s) AS g
"""
# Every intake awaits information in round 1 with no reminder sent yet. Due ones fall due
# over the hour before `now - 1 hour` (a few share each second, as real ones would);
# floor(g*f) > floor((g-1)*f) picks exactly floor(n*f) of them, spread through the table.
SEED_INTAKES = """
INSERT INTO intakes (id, patient_id, status, answers, last_patient_activity_at,
                     checklist_dirty, created_at, updated_at, questionnaire_version,
                     reminder_round, reminder_step, reminder_anchor_at, next_reminder_at)
SELECT md5('intake:' || g)::uuid, md5('patient:' || g)::uuid, 'awaiting_information', '{}',
       %(anchor)s, false, %(created)s, %(anchor)s, 'fbss-intake/1', 1, 0, %(anchor)s,
       CASE WHEN floor(g * %(fraction)s::numeric) > floor((g - 1) * %(fraction)s::numeric)
            THEN %(now)s - interval '1 hour' - mod(g, 3600) * interval '1 second'
            ELSE %(now)s + interval '3 days' END
FROM generate_series(1, %(n)s) AS g
"""
KEEP_DUE = """
CREATE TABLE bench_due AS
SELECT id, next_reminder_at, updated_at FROM intakes WHERE next_reminder_at <= %(now)s
"""
RESTORE = """
UPDATE intakes AS i
SET reminder_step = 0, next_reminder_at = d.next_reminder_at, stale_at = NULL, queue = NULL,
    updated_at = d.updated_at
FROM bench_due AS d WHERE i.id = d.id
"""
# The floor: the sweep's writes as two set-based statements. The token's HMAC becomes
# 43 characters of md5 (no pgcrypto here) and the next step is the anchor plus 3 days
# (no zones, no quiet hours): the same rows, columns and indexes, no Python per row.
FLOOR_INSERT = """
INSERT INTO outbox_emails (id, idempotency_key, template, context, headers, to_address,
                           category, intake_id, quiet_hours_timezone, status, sensitive,
                           attempts, interruptions, next_attempt_at, created_at, updated_at)
SELECT gen_random_uuid(),
       'intake:' || i.id || ':reminder:' || i.reminder_round || '.' || (i.reminder_step + 1),
       'intake_reminder',
       json_build_object('first_name', p.first_name, 'portal_url', :base || '/resume',
                         'unsubscribe_url', u.url),
       json_build_object('List-Unsubscribe', '<' || u.url || '>',
                         'List-Unsubscribe-Post', 'List-Unsubscribe=One-Click'),
       p.email, 'reminder', i.id, p.timezone, 'pending', false, 0, 0, :now, :now, :now
FROM intakes AS i
JOIN patients AS p ON p.id = i.patient_id
CROSS JOIN LATERAL (
    SELECT :base || '/unsubscribe/' || replace(p.id::text, '-', '') || '.'
           || left(md5(p.id::text) || md5(p.email), 43) AS url
) AS u
WHERE i.status = 'awaiting_information' AND i.next_reminder_at <= :now
ON CONFLICT (idempotency_key) DO NOTHING
"""
FLOOR_UPDATE = """
UPDATE intakes
SET reminder_step = reminder_step + 1, next_reminder_at = reminder_anchor_at + interval '3 days',
    stale_at = NULL, updated_at = :now
WHERE status = 'awaiting_information' AND next_reminder_at <= :now
"""


@dataclass(frozen=True)
class Scene:
    """The seeded database: where it is, its clock, and what is due."""

    admin: str  # psycopg conninfo of the bench database, for seeding and restoring
    now: datetime
    intakes: int
    due: int


def seed(conninfo: str, intakes: int, fraction: float, now: datetime) -> Scene:
    params = {
        "n": intakes,
        "fraction": Decimal(str(fraction)),
        "zones": list(ZONES),
        "zone_count": len(ZONES),
        "now": now,
        "anchor": now - timedelta(days=2),
        "created": now - timedelta(days=3),
    }
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(SEED_PATIENTS, params)
        conn.execute(SEED_INTAKES, params)
        conn.execute(KEEP_DUE, params)
        conn.execute("ALTER TABLE bench_due ADD PRIMARY KEY (id)")
        for table in ("patients", "intakes", "outbox_emails", "bench_due"):
            conn.execute(f"VACUUM ANALYZE {table}")
        conn.execute("CHECKPOINT")
        row = conn.execute("SELECT count(*) FROM bench_due").fetchone()
    assert row is not None
    return Scene(conninfo, now, intakes, int(row[0]))


def restore(scene: Scene) -> None:
    """Back to the seeded state: no outbox rows, the due intakes due again."""
    with psycopg.connect(scene.admin, autocommit=True) as conn:
        conn.execute("TRUNCATE outbox_emails")
        conn.execute(RESTORE)
        conn.execute("VACUUM ANALYZE intakes")
        conn.execute("VACUUM ANALYZE outbox_emails")
        conn.execute("CHECKPOINT")
    if count_due(scene) != scene.due:
        raise RuntimeError("restore left the wrong number of intakes due")


def count_due(scene: Scene) -> int:
    with psycopg.connect(scene.admin) as conn:
        row = conn.execute(
            "SELECT count(*) FROM intakes"
            " WHERE status = 'awaiting_information' AND next_reminder_at <= %s",
            (scene.now,),
        ).fetchone()
    assert row is not None
    return int(row[0])


def count_outbox(scene: Scene) -> int:
    with psycopg.connect(scene.admin) as conn:
        row = conn.execute("SELECT count(DISTINCT intake_id) FROM outbox_emails").fetchone()
    assert row is not None
    return int(row[0])


# --- counting statements ------------------------------------------------------------


@dataclass
class Kind:
    """The statements of one kind (SELECT, INSERT, UPDATE...) seen during a sweep."""

    statements: int = 0  # an executemany counts once
    executemany: int = 0  # how many of them were executemany calls...
    rows: int = 0  # ...and the parameter sets they carried (one per row, for executemany)
    seconds: float = 0.0  # from before to after cursor execute: wire and server


@dataclass
class Counts:
    kinds: dict[str, Kind] = field(default_factory=dict)
    per_batch: list[int] = field(default_factory=list)  # statements between commits
    commits: int = 0
    commit_seconds: float = 0.0
    checkouts: int = 0  # pool checkouts: each one is a pre-ping round trip too
    samples: dict[str, str] = field(default_factory=dict)  # one statement text per kind
    client_cpu: float = 0.0  # this process, user + system seconds
    server_cpu: float = 0.0  # the PostgreSQL backends the sweep used, user + system
    gc_seconds: float = 0.0  # pauses of Python's cyclic garbage collector
    gc_full: int = 0  # of which this many were full (generation 2) collections

    @property
    def statements(self) -> int:
        return sum(k.statements for k in self.kinds.values())

    @property
    def sql_seconds(self) -> float:
        return sum(k.seconds for k in self.kinds.values())


class Recorder:
    """Counts and times what the engine sends while `recording()` is active."""

    def __init__(self, engine: Engine, sessions: sessionmaker[Session]) -> None:
        self.counts = Counts()
        self._on = False
        self._started = 0.0
        self._commit_started = 0.0
        self._gc_started = 0.0
        self._since_commit = 0
        self._backends: dict[int, float] = {}  # backend pid: its CPU seconds at first sight
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)
        event.listen(engine, "commit", self._commit)
        event.listen(engine, "checkout", self._checkout)
        event.listen(sessions, "before_commit", self._before_commit)
        event.listen(sessions, "after_commit", self._after_commit)

    @contextmanager
    def recording(self) -> Iterator[Counts]:
        self.counts = Counts()
        self._since_commit = 0
        self._backends = {}
        me = psutil.Process()
        client = _cpu(me)
        gc.callbacks.append(self._gc)
        self._on = True
        try:
            yield self.counts
        finally:
            self._on = False
            gc.callbacks.remove(self._gc)
            self.counts.client_cpu = _cpu(me) - client
            self.counts.server_cpu = sum(
                _cpu(psutil.Process(pid)) - cpu for pid, cpu in self._backends.items()
            )
            if self._since_commit:
                self.counts.per_batch.append(self._since_commit)

    def _gc(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._gc_started = time.perf_counter()
            return
        self.counts.gc_seconds += time.perf_counter() - self._gc_started
        self.counts.gc_full += info["generation"] == 2

    def _before(self, *_args: Any) -> None:
        self._started = time.perf_counter()

    def _after(
        self,
        _conn: Any,
        _cursor: Any,
        statement: str,
        parameters: Any,
        _context: Any,
        executemany: bool,
    ) -> None:
        elapsed = time.perf_counter() - self._started
        if not self._on:
            return
        name = statement.lstrip().split(None, 1)[0].upper()
        kind = self.counts.kinds.setdefault(name, Kind())
        kind.statements += 1
        kind.seconds += elapsed
        if executemany:
            kind.executemany += 1
            kind.rows += len(parameters) if isinstance(parameters, list | tuple) else 1
        self.counts.samples.setdefault(name, " ".join(statement.split()))
        self._since_commit += 1

    def _commit(self, *_args: Any) -> None:
        if self._on:
            self.counts.commits += 1
            self.counts.per_batch.append(self._since_commit)
            self._since_commit = 0

    def _checkout(self, dbapi_connection: Any, *_args: Any) -> None:
        if self._on:
            self.counts.checkouts += 1
            pid = dbapi_connection.info.backend_pid  # same machine: psutil can read it
            self._backends.setdefault(pid, _cpu(psutil.Process(pid)))

    def _before_commit(self, *_args: Any) -> None:
        self._commit_started = time.perf_counter()

    def _after_commit(self, *_args: Any) -> None:
        if self._on:
            self.counts.commit_seconds += time.perf_counter() - self._commit_started


def _cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


# --- the runs -----------------------------------------------------------------------


class NullPublisher:
    """Jobs go nowhere: the bench measures the sweep, not the broker."""

    def __init__(self) -> None:
        self.published = 0

    def publish(self, task_name: str, args: tuple[str, ...]) -> None:  # noqa: ARG002
        self.published += 1


@dataclass
class Run:
    plain: list[float]  # seconds, each of the repeats
    seconds: float  # the sweep
    counts: Counts
    report: ReminderSweep
    rss_growth: int  # bytes, peak during the sweep minus just before
    rss_before: int

    @property
    def baseline(self) -> float:
        return statistics.median(self.plain)

    @property
    def ratio(self) -> float:
        return self.seconds / self.baseline


def time_plain(engine: Engine, scene: Scene) -> list[float]:
    """The baseline, each time from a freshly collected heap.

    Fetching 20,000 UUIDs allocates enough to set off a full collection of this process's
    heap (SQLAlchemy, Celery, the app: ~50 ms here) in about two fetches of three; starting
    each from `gc.collect()` keeps that out, so the baseline is the fast, steady one.
    """
    timings = []
    for _ in range(PLAIN_REPEATS):
        gc.collect()
        started = time.perf_counter()
        with engine.connect() as conn:
            ids = conn.execute(PLAIN_SELECT, {"now": scene.now}).scalars().all()
        timings.append(time.perf_counter() - started)
        if len(ids) != scene.due:
            raise RuntimeError(f"plain SELECT found {len(ids)} due, expected {scene.due}")
    return timings


def run_sweep(
    engine: Engine, recorder: Recorder, scene: Scene, settings: Settings, batch: int
) -> Run:
    publisher = NullPublisher()

    def unit() -> db.UnitOfWork:
        return db.UnitOfWork(publisher=publisher)

    plain = time_plain(engine, scene)
    gc.collect()
    me = psutil.Process()
    before = me.memory_info().rss
    with RssSampler(me) as rss, recorder.recording() as counts:
        started = time.perf_counter()
        report = sweep_due(unit, settings=settings, now=scene.now, batch=batch)
        seconds = time.perf_counter() - started
    check_swept(scene, report)
    again = sweep_due(unit, settings=settings, now=scene.now, batch=batch)
    if again.queued or again.batches:
        raise RuntimeError(f"a second sweep found work: {again}")
    restore(scene)
    return Run(plain, seconds, counts, report, rss.peak - before, before)


def check_swept(scene: Scene, report: ReminderSweep) -> None:
    outbox = count_outbox(scene)
    still_due = count_due(scene)
    if report.queued != scene.due or outbox != scene.due or still_due:
        raise RuntimeError(
            f"sweep queued {report.queued}, outbox holds {outbox} intakes, {still_due} still"
            f" due; expected {scene.due}, {scene.due}, 0"
        )


@dataclass
class Floor:
    plain: list[float]
    seconds: float
    counts: Counts
    commit: float

    @property
    def baseline(self) -> float:
        return statistics.median(self.plain)

    @property
    def ratio(self) -> float:
        return self.seconds / self.baseline


def run_floor(engine: Engine, recorder: Recorder, scene: Scene, settings: Settings) -> Floor:
    plain = time_plain(engine, scene)
    params = {"now": scene.now, "base": settings.public_base_url.rstrip("/")}
    gc.collect()
    with recorder.recording() as counts:
        started = time.perf_counter()
        with engine.connect() as conn:
            conn.execute(text(FLOOR_INSERT), params)
            conn.execute(text(FLOOR_UPDATE), params)
            committing = time.perf_counter()
            conn.commit()
            commit = time.perf_counter() - committing
        seconds = time.perf_counter() - started
    if count_outbox(scene) != scene.due or count_due(scene):
        raise RuntimeError("the set-based floor did not queue every due reminder")
    restore(scene)
    return Floor(plain, seconds, counts, commit)


@dataclass
class RowWork:
    """The sweep's own Python per due intake, timed alone (no SQL, no driver)."""

    email_rows: float  # _reminder_row: the opt-out token (HMAC), the row's dicts
    next_steps: float  # _next_step: ZoneInfo + ReminderPolicy.next_step, the change


def time_row_work(scene: Scene, settings: Settings) -> RowWork:
    """The loop body of `sweep_due`, minus its SQL, over the real due rows.

    Reads every due row with the sweep's own query (rolled back), then times the two
    per-row calls the loop makes, so the rest of the client's CPU can be put down to
    SQLAlchemy, psycopg and the collector.
    """
    with db.UnitOfWork(publisher=NullPublisher()) as uow:
        rows = reminders.due(uow.session, scene.now, after=None, limit=scene.due)
        uow.session.rollback()
    policy = ReminderPolicy.from_settings(settings)
    base = settings.public_base_url.rstrip("/")
    gc.collect()
    started = time.perf_counter()
    for row in rows:
        _reminder_row(row, base=base, secret=settings.secret_key, now=scene.now)
    email_rows = time.perf_counter() - started
    gc.collect()
    started = time.perf_counter()
    for row in rows:
        _next_step(row, policy, scene.now)
    return RowWork(email_rows, time.perf_counter() - started)


def profile_sweep(scene: Scene, settings: Settings, batch: int, top: int) -> None:
    """One more sweep under cProfile (slower than unprofiled: read the shares, not times)."""
    publisher = NullPublisher()
    profiler = cProfile.Profile()
    profiler.enable()
    sweep_due(
        lambda: db.UnitOfWork(publisher=publisher), settings=settings, now=scene.now, batch=batch
    )
    profiler.disable()
    restore(scene)
    for order in ("tottime", "cumulative"):
        buffer = io.StringIO()
        pstats.Stats(profiler, stream=buffer).sort_stats(order).print_stats(top)
        say(f"\ncProfile, batch {batch}, by {order}:")
        say(buffer.getvalue().split("\n", 4)[-1].rstrip())


# --- reporting ----------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f}"


def med(values: Iterator[float] | list[float]) -> float:
    return statistics.median(values)


def kind_seconds(counts: Counts, name: str) -> float:
    return counts.kinds.get(name, Kind()).seconds


RESULTS = (
    "| batch | plain SELECT (ms) | sweep (s) | **sweep / SELECT** | transactions |"
    " statements per transaction | statements per 1,000 due |"
    " peak RSS growth, warm-up / others (MiB) |\n"
    "|---|---|---|---|---|---|---|---|"
)
BREAKDOWN = (
    "| batch | sweep | SELECT | INSERT | UPDATE | COMMIT | rest (Python) |"
    " client CPU | server CPU | GC pauses (full) |\n"
    "|---|---|---|---|---|---|---|---|---|---|"
)


def breakdown_row(label: str, runs: Sequence[Run | Floor], commit: list[float]) -> str:
    def part(name: str) -> str:
        return ms(med([kind_seconds(r.counts, name) for r in runs]))

    sweep = med([r.seconds for r in runs])
    rest = med([r.seconds - r.counts.sql_seconds - c for r, c in zip(runs, commit, strict=True)])
    return (
        f"| {label} | {ms(sweep)} | {part('SELECT')} | {part('INSERT')} | {part('UPDATE')} |"
        f" {ms(med(commit))} | {ms(rest)} | {ms(med([r.counts.client_cpu for r in runs]))} |"
        f" {ms(med([r.counts.server_cpu for r in runs]))} |"
        f" {ms(med([r.counts.gc_seconds for r in runs]))}"
        f" ({med([r.counts.gc_full for r in runs]):.0f}) |"
    )


def report_batch(batch: int, scene: Scene, warm: Run, runs: list[Run]) -> tuple[str, str]:
    """A row for each markdown table, and the details on stdout."""
    first = runs[0].counts
    full = max(first.per_batch)
    tail = sorted(set(first.per_batch) - {full})
    per_transaction = f"{full}" + (f" (+{'/'.join(map(str, tail))} last)" if tail else "")
    rss = max(r.rss_growth for r in runs) / MiB
    say(f"\nbatch {batch}: a warm-up run, then {len(runs)} runs")
    for r in [warm, *runs]:
        say(
            f"  plain SELECT {', '.join(ms(p) for p in r.plain)} ms (median {ms(r.baseline)});"
            f" sweep {r.seconds:.3f} s; ratio {r.ratio:.1f}x; RSS +{r.rss_growth / MiB:.1f} MiB"
            f" (from {r.rss_before / MiB:.0f} MiB); {r.report}"
        )
    say(
        f"  {first.statements} statements in {first.commits} transactions"
        f" ({first.checkouts} pool checkouts, each with a pre-ping `SELECT 1` the listener"
        f" does not see); statements per transaction: {first.per_batch}"
    )
    for name, k in sorted(first.kinds.items()):
        many = f", {k.executemany} executemany, {k.rows} parameter sets" if k.executemany else ""
        say(f"    {name}: {k.statements} statements{many}, {ms(k.seconds)} ms")
        say(f"      {first.samples[name][:200]}")
    results = (
        f"| {batch} | {ms(med([r.baseline for r in runs]))} | {med([r.seconds for r in runs]):.2f}"
        f" | **{med([r.ratio for r in runs]):.0f}x** | {first.commits} | {per_transaction} |"
        f" {first.statements / scene.due * 1000:.2f} | {warm.rss_growth / MiB:.1f} / {rss:.1f} |"
    )
    commits = [r.counts.commit_seconds for r in runs]
    return results, breakdown_row(str(batch), runs, commits)


# --- the run ------------------------------------------------------------------------


def reset_caches() -> None:
    """Forget cached settings, engines and publishers: the environment just changed."""
    for cached in (get_settings, db.get_engine, db.get_session_factory, jobs.get_publisher):
        cached.cache_clear()


def run(args: argparse.Namespace) -> None:
    say(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with (
        fresh_database(args.admin_url, prefix="bench_sweep") as database_url,
        tempfile.TemporaryDirectory(prefix="bench-sweep-") as work,
    ):
        env = {
            "ENVIRONMENT": "development",
            "DATABASE_URL": database_url,
            "VAR_DIR": work,
            "BROKER_URL": f"sqla+sqlite:///{Path(work) / 'broker.db'}",  # never used
            # Quiet hours off: every due reminder is queued, none held to the morning.
            "QUIET_HOURS_START": "00:00",
            "QUIET_HOURS_END": "00:00",
        }
        os.environ.update(env)
        migrate({**os.environ, **env}, Path(work) / "migrate.log")
        reset_caches()
        settings = get_settings()
        if settings.quiet_hours_start != settings.quiet_hours_end:
            raise RuntimeError("quiet hours are still on: the sweep would hold reminders")

        conninfo = make_url(database_url).set(drivername="postgresql")
        now = datetime.now(UTC).replace(microsecond=0)
        started = time.perf_counter()
        scene = seed(conninfo.render_as_string(hide_password=False), args.intakes, args.due, now)
        say(
            f"seeded {scene.intakes:,} intakes, {scene.due:,} due, in"
            f" {time.perf_counter() - started:.1f} s; database {conninfo.database}"
        )

        engine = db.get_engine()
        recorder = Recorder(engine, db.get_session_factory())
        results, breakdown = [], []
        try:
            for batch in args.batch:
                warm = run_sweep(engine, recorder, scene, settings, batch)  # not in the medians
                runs = [
                    run_sweep(engine, recorder, scene, settings, batch) for _ in range(args.reps)
                ]
                result, parts = report_batch(batch, scene, warm, runs)
                results.append(result)
                breakdown.append(parts)
            floors = [run_floor(engine, recorder, scene, settings) for _ in range(args.reps + 1)]
            floors = floors[1:]  # the first one warms up
            row_work = [time_row_work(scene, settings) for _ in range(args.reps)]
            if args.profile:
                profile_sweep(scene, settings, args.batch[0], args.profile)
        finally:
            engine.dispose()

    say("\nset-based SQL floor (INSERT ... SELECT, then UPDATE, one transaction):")
    for f in floors:
        say(
            f"  plain SELECT {', '.join(ms(p) for p in f.plain)} ms (median {ms(f.baseline)});"
            f" floor {ms(f.seconds)} ms; ratio {f.ratio:.1f}x"
        )
    results.append(
        f"| set-based SQL floor | {ms(med([f.baseline for f in floors]))} |"
        f" {med([f.seconds for f in floors]):.2f} | **{med([f.ratio for f in floors]):.0f}x** |"
        " 1 | 2 | - | - |"
    )
    breakdown.append(breakdown_row("floor", floors, [f.commit for f in floors]))
    say(f"\n{scene.intakes:,} intakes, {scene.due:,} due; medians of {args.reps} runs:\n")
    say(RESULTS)
    for row in results:
        say(row)
    say("\nWhere the time goes (ms, medians):\n")
    say(BREAKDOWN)
    for row in breakdown:
        say(row)
    say(
        f"\nthe sweep's own Python per row, alone over the {scene.due:,} due rows (medians):"
        f" _reminder_row {ms(med([w.email_rows for w in row_work]))} ms,"
        f" _next_step {ms(med([w.next_steps for w in row_work]))} ms"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    say(f"\nthis process's peak RSS over the whole run (ru_maxrss): {peak:.1f} MiB")
    say(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--intakes", type=int, default=100_000)
    parser.add_argument("--due-fraction", dest="due", type=float, default=0.2)
    parser.add_argument("--batch", type=int, nargs="+", default=[500, 2000, 5000])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="after the runs, profile one sweep at the first batch size; print N functions",
    )
    parser.add_argument(
        "--admin-url",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="where to CREATE (and later DROP) the bench database",
    )
    args = parser.parse_args()
    if not 0 < args.due <= 1 or args.intakes <= 0 or args.reps <= 0:
        parser.error("need --intakes > 0, 0 < --due-fraction <= 1 and --reps > 0")
    run(args)


if __name__ == "__main__":
    main()
