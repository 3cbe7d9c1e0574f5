"""Slot search against a plain SELECT of the same bookings, on PostgreSQL, in one run.

Creates a scratch PostgreSQL database, migrates it with `intake migrate` (Alembic) and
loads a clinic in bulk with Core inserts:

- --clinicians clinicians offering all three consultation types, on four weekly
  patterns in clinic-local time (Mon-Fri 08-12 and 13-17; Mon-Fri 09-13 and 14-18; the
  first plus Saturday mornings; part time, Mon/Wed/Thu 08-12 and 13-17);
- leave: every fifth clinician takes a week off, every third one day (a conference),
  and every seventh works one extra evening;
- over the --weeks ahead, a --booked share of each clinician's free regenerative slots
  is booked, as any of the three types, each starting on its slot, so no two overlap
  and the exclusion constraint holds; 5% more are cancelled bookings, and the --weeks
  before today are completed or no-show history. Each live appointment has its own
  routed intake (one live appointment per intake, as the partial unique index wants).

Then, after a warm-up, --reps times with a random --days window within the weeks ahead
(clinic-local days, as `GET /api/v1/slots` builds them) and the real `now`:

1. the baseline: the plain SELECT of the live bookings in that window, which is the
   query the search itself must make, on a pooled connection, rows fetched into Python;
2. `find_slots` for one type across every clinician, on a fresh Session as a request
   gets one, its statements counted and timed with cursor-execute listeners.

The two take turns going first, so drift and warm caches hit both alike; each starts
from a collected heap. Then a pass that times the search's phases (each repository call,
the slot engine's parts) and, with --profile N, a cProfile of --profile-reps searches.

--variants adds the same search with proposed changes patched into this process only
(see "proposals" below) to every round, and checks each finds exactly the same slots.

    .venv/bin/python bench/booking.py --reps 200 --profile 25 \
        --variants day-offsets pattern-cache columns utc sort-key all

Not a test: pytest never collects bench/. Figures and the machine go in bench/README.md.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import os
import platform
import pstats
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as wall
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Any, ParamSpec, TypeVar
from zoneinfo import ZoneInfo

import psutil
import psycopg
from sqlalchemy import Engine, Table, event, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from upload_tools import fresh_database, migrate

from intake import db, jobs
from intake.config import Settings, get_settings
from intake.intakes.models import IntakeStatus
from intake.scheduling import repository, search, slots
from intake.scheduling.models import (
    AppointmentStatus,
    AvailabilityException,
    ConsultationKind,
    ExceptionKind,
    Modality,
    WeeklyHours,
)
from intake.scheduling.search import find_slots
from intake.scheduling.service import local_days
from intake.scheduling.slots import Slot, Span, WeeklyBlock, free_slots

P = ParamSpec("P")
R = TypeVar("R")

DEFAULT_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
# The brief's baseline, word for word: the live bookings that meet the window.
PLAIN = text(
    "SELECT clinician_id, starts_at, ends_at FROM appointments"
    " WHERE status IN ('booked', 'confirmed') AND starts_at < :end AND ends_at > :start"
)
SEARCHED = ConsultationKind.REGENERATIVE
GRID = timedelta(minutes=60)  # the regenerative consultation's seeded length
DURATIONS = {
    ConsultationKind.REGENERATIVE: timedelta(minutes=60),
    ConsultationKind.SURGICAL_REVISION: timedelta(minutes=45),
    ConsultationKind.CLINICIAN_TRIAGE: timedelta(minutes=30),
}
# What each booking is, by weight: most of the diary is regenerative consultations.
BOOKED_WEIGHTS = (5, 3, 2)
CANCELLED_SHARE = 0.05
NO_SHOW_SHARE = 0.1
WARM_UP = 10


def say(line: str = "") -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


# --- the clinic, planned in Python ----------------------------------------------------


def _week(days: Sequence[int], *hours: tuple[int, int]) -> list[WeeklyBlock]:
    return [WeeklyBlock(d, wall(a), wall(b)) for d in days for a, b in hours]


PATTERNS: tuple[list[WeeklyBlock], ...] = (
    _week(range(5), (8, 12), (13, 17)),
    _week(range(5), (9, 13), (14, 18)),
    _week(range(5), (8, 12), (13, 17)) + _week([5], (8, 12)),  # and Saturday mornings
    _week([0, 2, 3], (8, 12), (13, 17)),  # part time
)


@dataclass
class ClinicianPlan:
    id: uuid.UUID
    blocks: list[WeeklyBlock]
    leave: list[Span] = field(default_factory=list)
    extras: list[Span] = field(default_factory=list)


@dataclass(frozen=True)
class Clock:
    """Where the clinic is and when: the searches run at `now`, over `ahead`."""

    tz: ZoneInfo
    now: datetime
    today: date  # clinic-local
    ahead: Span  # --weeks of clinic-local days from today
    history: Span  # the --weeks before today


def make_clock(settings: Settings, weeks: int) -> Clock:
    tz = ZoneInfo(settings.clinic_timezone)
    now = datetime.now(UTC)
    today = now.astimezone(tz).date()
    ahead = local_days(today, today + timedelta(days=weeks * 7 - 1), settings)
    history = local_days(today - timedelta(weeks=weeks), today - timedelta(days=1), settings)
    return Clock(tz, now, today, ahead, history)


def _day_span(day: date, start: int, end: int, tz: ZoneInfo) -> Span:
    """Local hours of one day as UTC; `end` 24 is the next midnight."""
    opens = datetime.combine(day, wall(start), tzinfo=tz)
    closes = datetime.combine(day + timedelta(days=end // 24), wall(end % 24), tzinfo=tz)
    return Span(opens.astimezone(UTC), closes.astimezone(UTC))


def plan_clinicians(
    count: int, clock: Clock, weeks: int, rng: random.Random
) -> list[ClinicianPlan]:
    """Hours by pattern, then leave and extra evenings; the same for the same seed."""
    monday = clock.today - timedelta(days=clock.today.weekday())
    plans = []
    for n in range(count):
        plan = ClinicianPlan(uuid.uuid4(), PATTERNS[n % len(PATTERNS)])
        if n % 5 == 0:  # a week of leave, Monday to Sunday
            first = monday + timedelta(weeks=rng.randrange(1, weeks))
            plan.leave.append(_day_span(first, 0, 24 * 7, clock.tz))
        if n % 3 == 0:  # a conference day
            day = clock.today + timedelta(days=rng.randrange(weeks * 7))
            plan.leave.append(_day_span(day, 0, 24, clock.tz))
        if n % 7 == 0:  # an extra evening
            day = clock.today + timedelta(days=rng.randrange(weeks * 7))
            plan.extras.append(_day_span(day, 17, 20, clock.tz))
        plans.append(plan)
    return plans


def bookable(plan: ClinicianPlan, window: Span, not_before: datetime, tz: ZoneInfo) -> list[Span]:
    """The clinician's free regenerative grid in `window`, from the slot engine itself."""
    found = free_slots(
        clinician_id=plan.id,
        kind=SEARCHED,
        blocks=plan.blocks,
        extras=plan.extras,
        blocked=plan.leave,
        tz=tz,
        duration=GRID,
        window=window,
        not_before=not_before,
    )
    return [Span(s.starts_at, s.ends_at) for s in found]


def _appointment(
    plan: ClinicianPlan, span: Span, status: AppointmentStatus, rng: random.Random
) -> dict[str, Any]:
    [kind] = rng.choices(list(DURATIONS), BOOKED_WEIGHTS)
    video = kind == ConsultationKind.CLINICIAN_TRIAGE
    return {
        "clinician_id": plan.id,
        "consultation_type": kind,
        "modality": Modality.VIDEO if video else Modality.IN_PERSON,
        "starts_at": span.start,
        "ends_at": span.start + DURATIONS[kind],  # never past the grid slot it starts
        "status": status,
    }


@dataclass
class Bookings:
    live: list[dict[str, Any]] = field(default_factory=list)
    other: list[dict[str, Any]] = field(default_factory=list)  # cancelled, and history


def plan_bookings(
    plans: list[ClinicianPlan], clock: Clock, share: float, rng: random.Random
) -> Bookings:
    out = Bookings()
    live = (AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED)
    for plan in plans:
        free = bookable(plan, clock.ahead, clock.now, clock.tz)
        for span in rng.sample(free, round(len(free) * share)):
            out.live.append(_appointment(plan, span, rng.choice(live), rng))
        for span in rng.sample(free, round(len(free) * CANCELLED_SHARE)):
            out.other.append(_appointment(plan, span, AppointmentStatus.CANCELLED, rng))
        past = bookable(plan, clock.history, clock.history.start, clock.tz)
        for span in rng.sample(past, round(len(past) * share)):
            missed = rng.random() < NO_SHOW_SHARE
            status = AppointmentStatus.NO_SHOW if missed else AppointmentStatus.COMPLETED
            out.other.append(_appointment(plan, span, status, rng))
    return out


# --- loading, with Core inserts -------------------------------------------------------


def _table(name: str) -> Table:
    return db.Base.metadata.tables[name]


def _insert(engine: Engine, table: str, rows: list[dict[str, Any]]) -> None:
    """One executemany per table: SQLAlchemy sends it as multi-row INSERTs."""
    if rows:
        with engine.begin() as conn:
            conn.execute(insert(_table(table)), rows)


def load_clinicians(engine: Engine, plans: list[ClinicianPlan]) -> None:
    offers = [k.value for k in ConsultationKind]
    clinicians = [
        {"id": p.id, "display_name": f"Dr Bench {n:03d}", "offers": offers, "active": True}
        for n, p in enumerate(plans)
    ]
    hours = [
        {"clinician_id": p.id, "weekday": b.weekday, "starts": b.starts, "ends": b.ends}
        for p in plans
        for b in p.blocks
    ]
    exceptions = [
        {"clinician_id": p.id, "kind": kind, "starts_at": s.start, "ends_at": s.end}
        for p in plans
        for kind, spans in ((ExceptionKind.UNAVAILABLE, p.leave), (ExceptionKind.EXTRA, p.extras))
        for s in spans
    ]
    _insert(engine, "clinicians", clinicians)
    _insert(engine, "clinician_weekly_hours", hours)
    _insert(engine, "clinician_exceptions", exceptions)


def load_intakes(engine: Engine, count: int, now: datetime) -> list[uuid.UUID]:
    """Routed intakes with their patients, one per live appointment."""
    patients = [uuid.uuid4() for _ in range(count)]
    intakes = [uuid.uuid4() for _ in range(count)]
    _insert(
        engine,
        "patients",
        [
            {
                "id": p,
                "first_name": f"P{n}",
                "last_name": "Bench",
                "email": f"p{n}@example.com",
                "date_of_birth": date(1970, 1, 1),
                "timezone": "America/New_York",
            }
            for n, p in enumerate(patients)
        ],
    )
    _insert(
        engine,
        "intakes",
        [
            {
                "id": i,
                "patient_id": p,
                "status": IntakeStatus.ROUTED,
                "answers": {},
                "questionnaire_version": "fbss-intake/1",
                "submitted_at": now - timedelta(days=30),
            }
            for i, p in zip(intakes, patients, strict=True)
        ],
    )
    return intakes


def load_appointments(
    engine: Engine, bookings: Bookings, intakes: list[uuid.UUID], rng: random.Random
) -> None:
    for row, intake_id in zip(bookings.live, intakes, strict=True):
        row["intake_id"] = intake_id
    for row in bookings.other:  # not live, so any intake may have had them
        row["intake_id"] = rng.choice(intakes)
    _insert(engine, "appointments", bookings.live + bookings.other)


LOADED = (
    "clinicians",
    "clinician_weekly_hours",
    "clinician_exceptions",
    "patients",
    "intakes",
    "appointments",
)


def analyze(conninfo: str) -> dict[str, int]:
    """Fresh planner statistics, as autovacuum would keep them; and the row counts."""
    counts = {}
    with psycopg.connect(conninfo, autocommit=True) as conn:
        for table in LOADED:
            conn.execute(f"VACUUM ANALYZE {table}")
            row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
            assert row is not None
            counts[table] = int(row[0])
        conn.execute("CHECKPOINT")
    return counts


# --- measuring ------------------------------------------------------------------------


@dataclass
class Statements:
    count: int = 0
    seconds: float = 0.0  # inside cursor execute: the driver, the wire and the server
    texts: list[str] = field(default_factory=list)


class Recorder:
    """Counts and times the statements the engine sends while `recording()` is on."""

    def __init__(self, engine: Engine) -> None:
        self.current = Statements()
        self._on = False
        self._started = 0.0
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    @contextmanager
    def recording(self) -> Iterator[Statements]:
        self.current = Statements()
        self._on = True
        try:
            yield self.current
        finally:
            self._on = False

    def _before(self, *_args: Any) -> None:
        self._started = time.perf_counter()

    def _after(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if self._on:
            self.current.count += 1
            self.current.seconds += time.perf_counter() - self._started
            self.current.texts.append(" ".join(statement.split()))


@dataclass(frozen=True)
class Sample:
    window: Span
    plain: float  # seconds
    search: float
    busy_rows: int  # what the plain SELECT returned
    found: int  # slots the search returned
    statements: Statements
    variants: dict[str, float]  # seconds of the same search with each proposal patched in


def time_plain(engine: Engine, window: Span) -> tuple[float, int]:
    gc.collect()
    started = time.perf_counter()
    with engine.connect() as conn:
        rows = conn.execute(PLAIN, {"start": window.start, "end": window.end}).all()
    return time.perf_counter() - started, len(rows)


def time_search(
    sessions: sessionmaker[Session], settings: Settings, window: Span, now: datetime
) -> tuple[float, list[Slot]]:
    gc.collect()
    started = time.perf_counter()
    with sessions() as session:
        found = find_slots(session, settings, kind=SEARCHED, window=window, now=now)
    return time.perf_counter() - started, found


@dataclass(frozen=True)
class Bench:
    """What every measurement needs."""

    engine: Engine
    sessions: sessionmaker[Session]
    recorder: Recorder
    settings: Settings
    now: datetime


def sample(bench: Bench, window: Span, variants: Sequence[str], turn: int) -> Sample:
    """Plain SELECT, the search, and each variant of it, in an order that turns each time."""
    times: dict[str, float] = {}
    results: dict[str, Any] = {}
    sides = ["plain", "search", *variants]
    turn %= len(sides)
    for side in sides[turn:] + sides[:turn]:
        if side == "plain":
            times[side], results[side] = time_plain(bench.engine, window)
        elif side == "search":
            with bench.recorder.recording() as statements:
                times[side], results[side] = time_search(
                    bench.sessions, bench.settings, window, bench.now
                )
        else:
            with VARIANTS[side]():
                times[side], results[side] = time_search(
                    bench.sessions, bench.settings, window, bench.now
                )
    for name in variants:
        if results[name] != results["search"]:
            raise RuntimeError(f"variant {name} found other slots than the search")
    return Sample(
        window,
        times["plain"],
        times["search"],
        results["plain"],
        len(results["search"]),
        statements,
        {name: times[name] for name in variants},
    )


def random_windows(
    settings: Settings, clock: Clock, args: argparse.Namespace, count: int, rng: random.Random
) -> list[Span]:
    """--days clinic-local days in a row, starting on any day that keeps them in --weeks."""
    windows = []
    for _ in range(count):
        first = clock.today + timedelta(days=rng.randint(0, args.weeks * 7 - args.days))
        windows.append(local_days(first, first + timedelta(days=args.days - 1), settings))
    return windows


# --- phases and profile ---------------------------------------------------------------

# Where find_slots spends its time: each is looked up by name at call time, so wrapping
# the module attribute times every call the search makes.
PHASES: tuple[tuple[ModuleType, str], ...] = (
    (repository, "consultation_type"),
    (repository, "clinicians"),
    (repository, "weekly_blocks"),
    (repository, "exceptions_in"),
    (repository, "busy_in"),
    (search, "free_slots"),
    (slots, "weekly_candidates"),  # inside free_slots
    (slots, "extra_candidates"),
    (slots, "free_spans"),
)
TOP_LEVEL = tuple(name for module, name in PHASES if module is not slots)


def _timed(fn: Callable[P, R], name: str, totals: dict[str, float]) -> Callable[P, R]:
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        started = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            totals[name] = totals.get(name, 0.0) + time.perf_counter() - started

    return wrapper


@contextmanager
def phases_timed(totals: dict[str, float]) -> Iterator[None]:
    originals = [(module, name, getattr(module, name)) for module, name in PHASES]
    for module, name, fn in originals:
        setattr(module, name, _timed(fn, name, totals))
    try:
        yield
    finally:
        for module, name, fn in originals:
            setattr(module, name, fn)


def time_phases(bench: Bench, windows: list[Span], variant: str | None) -> list[dict[str, float]]:
    """Each search with its phases timed; a variant's patches go in first, so its own
    functions are the ones timed."""
    runs = []
    for window in windows:
        totals: dict[str, float] = {}
        patches = VARIANTS[variant]() if variant else nullcontext()
        with patches, phases_timed(totals), bench.recorder.recording() as statements:
            totals["search"] = time_search(bench.sessions, bench.settings, window, bench.now)[0]
        totals["sql"] = statements.seconds
        runs.append(totals)
    return runs


def profile_searches(
    sessions: sessionmaker[Session],
    settings: Settings,
    windows: list[Span],
    now: datetime,
    top: int,
) -> None:
    """cProfile over several searches (it slows Python more than SQL: read shares)."""
    profiler = cProfile.Profile()
    profiler.enable()
    for window in windows:
        with sessions() as session:
            find_slots(session, settings, kind=SEARCHED, window=window, now=now)
    profiler.disable()
    for order in ("tottime", "cumulative"):
        buffer = io.StringIO()
        pstats.Stats(profiler, stream=buffer).sort_stats(order).print_stats(top)
        say(f"\ncProfile of {len(windows)} searches, by {order}:")
        say(buffer.getvalue().split("\n", 4)[-1].rstrip())


# --- proposals, measured by patching this process only ---------------------------------
#
# Each one below is what we propose for intake/scheduling, written as a patch of the
# module attribute the search looks up; nothing on disk changes. `sample` checks that
# every variant finds exactly the slots the search as written finds.

_INSTANTS = slots.instants


@lru_cache(maxsize=1024)
def _steady_offset(day: date, tz: ZoneInfo) -> timedelta | None:
    """The day's UTC offset when it holds from midnight to midnight, else None.

    All but a couple of days a year have no transition, and on those a wall time names
    exactly one instant: the wall time minus that offset, with no round trips.
    """
    opens = datetime.combine(day, wall(), tzinfo=tz).utcoffset()
    closes = datetime.combine(day + timedelta(days=1), wall(), tzinfo=tz).utcoffset()
    return opens if opens == closes else None


def steady_instants(day: date, at: wall, tz: ZoneInfo) -> list[datetime]:
    offset = _steady_offset(day, tz)
    if offset is None:  # a transition day: the careful way
        return _INSTANTS(day, at, tz)
    return [datetime.combine(day, at, tzinfo=UTC) - offset]


@contextmanager
def patched(module: ModuleType, name: str, replacement: object) -> Iterator[None]:
    original = getattr(module, name)
    setattr(module, name, replacement)
    try:
        yield
    finally:
        setattr(module, name, original)


def day_offsets() -> AbstractContextManager[None]:
    """`instants` takes the steady offset of the day when there is one."""
    return patched(slots, "instants", steady_instants)


@contextmanager
def pattern_cache() -> Iterator[None]:
    """Clinicians with the same weekly hours share one candidate list per search."""
    original = slots.weekly_candidates
    shared: dict[tuple[Any, ...], list[Span]] = {}

    def candidates(
        blocks: Sequence[WeeklyBlock], tz: ZoneInfo, duration: timedelta, window: Span
    ) -> list[Span]:
        key = (frozenset(blocks), tz.key, duration, window)
        if key not in shared:
            shared[key] = original(blocks, tz, duration, window)
        return list(shared[key])  # free_slots adds the extras to the list it gets

    with patched(slots, "weekly_candidates", candidates):
        yield


def weekly_block_rows(
    session: Session, clinician_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[WeeklyBlock]]:
    found: dict[uuid.UUID, list[WeeklyBlock]] = defaultdict(list)
    hours = WeeklyHours.__table__.c
    stmt = select(hours.clinician_id, hours.weekday, hours.starts, hours.ends).where(
        hours.clinician_id.in_(clinician_ids)
    )
    for clinician_id, weekday, starts, ends in session.execute(stmt):
        found[clinician_id].append(WeeklyBlock(weekday, starts, ends))
    return found


def exception_rows(
    session: Session, clinician_ids: Sequence[uuid.UUID], window: Span
) -> dict[uuid.UUID, dict[ExceptionKind, list[Span]]]:
    found: dict[uuid.UUID, dict[ExceptionKind, list[Span]]] = defaultdict(lambda: defaultdict(list))
    leave = AvailabilityException.__table__.c
    stmt = select(leave.clinician_id, leave.kind, leave.starts_at, leave.ends_at).where(
        leave.clinician_id.in_(clinician_ids),
        leave.starts_at < window.end,
        leave.ends_at > window.start,
    )
    for clinician_id, kind, starts_at, ends_at in session.execute(stmt):
        found[clinician_id][kind].append(Span(starts_at, ends_at))
    return found


@contextmanager
def columns_only() -> Iterator[None]:
    """Hours and exceptions read as rows of four columns, not as ORM entities."""
    with (
        patched(repository, "weekly_blocks", weekly_block_rows),
        patched(repository, "exceptions_in", exception_rows),
    ):
        yield


def _in_utc(spans: list[Span]) -> list[Span]:
    return [Span(s.start.astimezone(UTC), s.end.astimezone(UTC)) for s in spans]


_BUSY_IN = repository.busy_in


def utc_busy(
    session: Session, clinician_ids: Sequence[uuid.UUID], window: Span
) -> dict[uuid.UUID, list[Span]]:
    return {c: _in_utc(spans) for c, spans in _BUSY_IN(session, clinician_ids, window).items()}


def utc_rows() -> AbstractContextManager[None]:
    """Booked times in `datetime.UTC`, like every other time the engine compares.

    psycopg hands timestamptz back in the session's zone (`ZoneInfo('Etc/UTC')` here),
    and comparing datetimes whose tzinfo objects differ costs a `utcoffset()` call on
    each side. Here the rows are converted after the query; the proposal is to do it
    once in `UtcDateTime.process_result_value`, for every column.
    """
    return patched(repository, "busy_in", utc_busy)


def _slot_order(slot: Slot) -> tuple[datetime, int]:
    # The dataclass order compares (starts_at, clinician_id, type, ends_at); within one
    # search the type is fixed and ends_at follows starts_at, so this is the same order
    # without a Python-level UUID comparison whenever two clinicians share a start.
    return slot.starts_at, slot.clinician_id.int


def _sorted_slots(slots_found: Iterable[Slot]) -> list[Slot]:
    return sorted(slots_found, key=_slot_order)


@contextmanager
def sort_key() -> Iterator[None]:
    """`find_slots` sorts by a key instead of the dataclass order (a module global
    shadows the builtin `sorted` in intake.scheduling.search while this is on)."""
    search.sorted = _sorted_slots  # type: ignore[attr-defined]
    try:
        yield
    finally:
        del search.sorted  # type: ignore[attr-defined]


@contextmanager
def all_of_them() -> Iterator[None]:
    with day_offsets(), pattern_cache(), columns_only(), utc_rows(), sort_key():
        yield


VARIANTS: dict[str, Callable[[], AbstractContextManager[None]]] = {
    "day-offsets": day_offsets,
    "pattern-cache": pattern_cache,
    "columns": columns_only,
    "utc": utc_rows,
    "sort-key": sort_key,
    "all": all_of_them,
}


def check_steady_instants(tz: ZoneInfo, year: int) -> None:
    """The fast path agrees with `instants` on every half hour of a year, DST days too."""
    day = date(year, 1, 1)
    while day.year == year:
        for minute in range(0, 24 * 60, 30):
            at = wall(minute // 60, minute % 60)
            if steady_instants(day, at, tz) != _INSTANTS(day, at, tz):
                raise RuntimeError(f"steady_instants differs on {day} {at} in {tz.key}")
        day += timedelta(days=1)


# --- reporting ------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.2f}"


def p95(values: Sequence[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[94]


def describe_machine(conninfo: str) -> None:
    with psycopg.connect(conninfo) as conn:
        row = conn.execute("SELECT version()").fetchone()
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    versions = ", ".join(
        f"{name} {metadata.version(name)}" for name in ("SQLAlchemy", "psycopg", "fastapi")
    )
    say(
        f"machine: {os.cpu_count()} CPUs ({cpu}), {psutil.virtual_memory().total / 2**30:.1f} GiB;"
        f" {platform.system()} {platform.release()}; Python {platform.python_version()}; {versions}"
    )
    say(f"server: {row[0] if row else '?'}")


def _row(label: str, values: list[float], plain: list[float], extra: str) -> str:
    return (
        f"| {label} | {ms(statistics.median(values))} | {ms(p95(values))} | {ms(max(values))} |"
        f" {p95(values) / p95(plain):.1f}x | {extra} |"
    )


def report_samples(samples: list[Sample], target: float) -> None:
    plain = [s.plain for s in samples]
    searched = [s.search for s in samples]
    ratios = [s.search / s.plain for s in samples]
    sides = 2 + len(samples[0].variants)
    say(f"\n{len(samples)} interleaved rounds of {sides} (after {WARM_UP} warm-up rounds):\n")
    say("| | p50 (ms) | p95 (ms) | max (ms) | p95 / plain p95 | notes |")
    say("|---|---|---|---|---|---|")
    rows = statistics.median(s.busy_rows for s in samples)
    say(_row("plain SELECT of the live bookings", plain, plain, f"{rows:,.0f} rows (median)"))
    found = statistics.median(s.found for s in samples)
    per_pair = f"per pair: median {statistics.median(ratios):.1f}x, p95 {p95(ratios):.1f}x"
    say(_row("**`find_slots`, as written**", searched, plain, f"{found:,.0f} slots; {per_pair}"))
    for name in samples[0].variants:
        times = [s.variants[name] for s in samples]
        gain = statistics.median(s.search / s.variants[name] for s in samples)
        say(_row(f"with `{name}`", times, plain, f"{gain:.1f}x faster than as written"))
    p95_ratio = p95(searched) / p95(plain)
    verdict = "met" if p95_ratio <= target else "NOT met"
    say(f"\ntarget: search p95 <= {target:g}x the plain SELECT's p95: {verdict} ({p95_ratio:.1f}x)")
    counts = sorted({s.statements.count for s in samples})
    say(
        f"statements per search: {counts} (plus the pool's pre-ping on checkout, which both"
        " sides make and the listener does not see); the plain side sends 1"
    )
    for statement in samples[0].statements.texts:
        say(f"  {statement[:160]}")


def report_phases(runs: list[dict[str, float]], label: str) -> None:
    def med(name: str) -> float:
        return statistics.median(r.get(name, 0.0) for r in runs)

    search = med("search")
    say(f"\nwhere a search's time goes, {label} (medians of {len(runs)} searches, ms):\n")
    say("| phase | ms | share |")
    say("|---|---|---|")
    rows = [(name, med(name)) for name in TOP_LEVEL]
    rest = statistics.median(r["search"] - sum(r.get(n, 0.0) for n in TOP_LEVEL) for r in runs)
    for name, value in [*rows, ("rest: Session, checkout, sorting the slots", rest)]:
        say(f"| {name} | {ms(value)} | {value / search:.0%} |")
    say(f"| **whole search** | **{ms(search)}** | 100% |")
    engine_parts = ("weekly_candidates", "extra_candidates", "free_spans")
    for name in engine_parts:
        say(f"| of free_slots: {name} | {ms(med(name))} | {med(name) / search:.0%} |")
    objects = statistics.median(
        r.get("free_slots", 0.0) - sum(r.get(n, 0.0) for n in engine_parts) for r in runs
    )
    say(f"| of free_slots: Slot objects | {ms(objects)} | {objects / search:.0%} |")
    repo = sum(med(name) for name in TOP_LEVEL if name != "free_slots")
    say(
        f"\nrepository calls {ms(repo)} ms, of which inside cursor execute {ms(med('sql'))} ms;"
        f" the rest of them ({ms(repo - med('sql'))} ms) is SQLAlchemy: compiling, result"
        " rows, ORM objects"
    )


# --- the run --------------------------------------------------------------------------


def reset_caches() -> None:
    """Forget cached settings, engines and publishers: the environment just changed."""
    for cached in (get_settings, db.get_engine, db.get_session_factory, jobs.get_publisher):
        cached.cache_clear()


def conninfo_of(url: str) -> str:
    """A SQLAlchemy URL as libpq conninfo, for psycopg itself."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def load(args: argparse.Namespace, clock: Clock, rng: random.Random) -> None:
    started = time.perf_counter()
    plans = plan_clinicians(args.clinicians, clock, args.weeks, rng)
    bookings = plan_bookings(plans, clock, args.booked, rng)
    engine = db.get_engine()
    load_clinicians(engine, plans)
    intakes = load_intakes(engine, len(bookings.live), clock.now)
    load_appointments(engine, bookings, intakes, rng)
    say(
        f"loaded {len(plans)} clinicians, {len(bookings.live):,} live appointments and"
        f" {len(bookings.other):,} cancelled or past, in {time.perf_counter() - started:.1f} s"
    )


def measure(args: argparse.Namespace, settings: Settings, clock: Clock, rng: random.Random) -> None:
    engine = db.get_engine()
    sessions = db.get_session_factory()
    recorder = Recorder(engine)
    bench = Bench(engine, sessions, recorder, settings, clock.now)
    if args.variants:
        for year in (clock.today.year, clock.today.year + 1):
            check_steady_instants(clock.tz, year)
    windows = random_windows(settings, clock, args, WARM_UP + args.reps, rng)
    samples = [sample(bench, w, args.variants, n) for n, w in enumerate(windows)][WARM_UP:]
    report_samples(samples, args.target)
    phase_windows = random_windows(settings, clock, args, args.phase_reps, rng)
    report_phases(time_phases(bench, phase_windows, None), "as written")
    if "all" in args.variants:
        report_phases(time_phases(bench, phase_windows, "all"), "with `all`")
    if args.profile:
        profiled = random_windows(settings, clock, args, args.profile_reps, rng)
        profile_searches(sessions, settings, profiled, clock.now, args.profile)


def run(args: argparse.Namespace) -> None:
    say(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    rng = random.Random(args.seed)
    with (
        fresh_database(conninfo_of(args.database_url), prefix="bench_booking") as url,
        tempfile.TemporaryDirectory(prefix="bench-booking-") as work,
    ):
        env = {
            "ENVIRONMENT": "development",
            "DATABASE_URL": url,
            "VAR_DIR": work,
            "BROKER_URL": f"sqla+sqlite:///{Path(work) / 'broker.db'}",  # never used
        }
        os.environ.update(env)
        migrate({**os.environ, **env}, Path(work) / "migrate.log")
        reset_caches()
        settings = get_settings()
        describe_machine(conninfo_of(url))
        clock = make_clock(settings, args.weeks)
        try:
            load(args, clock, rng)
            counts = analyze(conninfo_of(url))
            say("rows: " + ", ".join(f"{table} {n:,}" for table, n in counts.items()))
            say(
                f"now {clock.now:%Y-%m-%d %H:%M} UTC, clinic {settings.clinic_timezone};"
                f" {args.days}-day windows of {SEARCHED.value} slots within {args.weeks} weeks"
            )
            measure(args, settings, clock, rng)
        finally:
            db.get_engine().dispose()
    say(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        default=DEFAULT_URL,
        help="a PostgreSQL server to create (and drop) the scratch database on;"
        " default TEST_POSTGRES_URL",
    )
    parser.add_argument("--clinicians", type=int, default=50)
    parser.add_argument("--weeks", type=int, default=8)
    parser.add_argument("--days", type=int, default=14, help="each search's window, in days")
    parser.add_argument("--booked", type=float, default=0.4, help="share of free slots booked")
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--phase-reps", type=int, default=50)
    parser.add_argument("--target", type=float, default=5.0, help="search p95 / plain p95")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--profile", type=int, default=0, metavar="N", help="print the top N of a cProfile"
    )
    parser.add_argument("--profile-reps", type=int, default=20)
    parser.add_argument(
        "--variants",
        nargs="*",
        default=[],
        choices=list(VARIANTS),
        help="also time the search with these proposals patched in (this process only)",
    )
    args = parser.parse_args()
    if args.clinicians <= 0 or args.reps < 2 or not 0 <= args.booked < 1:
        parser.error("need --clinicians > 0, --reps >= 2 and 0 <= --booked < 1")
    if not 0 < args.days <= args.weeks * 7:
        parser.error("--days must fit in --weeks")
    run(args)


if __name__ == "__main__":
    main()
