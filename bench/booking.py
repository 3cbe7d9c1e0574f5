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

Then, after a warm-up, --reps rounds, each with a random --days window within the weeks
ahead (clinic-local days, as `GET /api/v1/slots` builds them) and the real `now`:

1. the baseline: the plain SELECT of the live bookings in that window, which is the
   query the search itself must make, on a pooled connection, rows fetched into Python;
2. `find_slots` for one type across every clinician, on a fresh Session as a request
   gets one, its statements counted and timed with cursor-execute listeners.

The two take turns going first, so drift and warm caches hit both alike; each starts
from a collected heap. Every round checks the search's answer against the baseline's
rows (see `check_found`). With --profile N, N more searches with each phase timed.

    TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \
        .venv/bin/python bench/booking.py --reps 200 --profile 50

Not a test: pytest never collects bench/. Figures and the machine go in bench/README.md.
"""

from __future__ import annotations

import argparse
import bisect
import gc
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as wall
from importlib import metadata
from itertools import pairwise
from pathlib import Path
from types import ModuleType
from typing import Any, ParamSpec, TypeVar
from zoneinfo import ZoneInfo

import psutil
import psycopg
from sqlalchemy import Engine, Table, event, insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from upload_tools import fresh_database, migrate

from intake import db, jobs
from intake.config import Settings, get_settings
from intake.intakes.models import IntakeStatus
from intake.scheduling import repository, search, slots
from intake.scheduling.models import (
    AppointmentStatus,
    ConsultationKind,
    ExceptionKind,
    Modality,
)
from intake.scheduling.search import find_slots
from intake.scheduling.service import local_days
from intake.scheduling.slots import Slot, Span, WeeklyBlock, free_slots, merge

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


Booked = tuple[uuid.UUID, datetime, datetime]  # a row of the plain SELECT


@dataclass(frozen=True)
class Bench:
    """What every measurement needs."""

    engine: Engine
    sessions: sessionmaker[Session]
    recorder: Recorder
    settings: Settings
    now: datetime


@dataclass(frozen=True)
class Sample:
    plain: float  # seconds
    search: float
    booked: int  # rows the plain SELECT returned
    found: int  # slots the search returned
    statements: Statements


def time_plain(engine: Engine, window: Span) -> tuple[float, list[Booked]]:
    gc.collect()
    started = time.perf_counter()
    with engine.connect() as conn:
        rows = conn.execute(PLAIN, {"start": window.start, "end": window.end}).all()
    elapsed = time.perf_counter() - started
    return elapsed, [(row[0], row[1], row[2]) for row in rows]


def time_search(bench: Bench, window: Span) -> tuple[float, list[Slot]]:
    gc.collect()
    started = time.perf_counter()
    with bench.sessions() as session:
        found = find_slots(session, bench.settings, kind=SEARCHED, window=window, now=bench.now)
    return time.perf_counter() - started, found


def check_found(
    found: list[Slot], booked: list[Booked], window: Span, not_before: datetime
) -> None:
    """The search's answer is sane: some slots, earliest first, each inside the window and
    the notice, the searched type and length, and clear of every live booking the plain
    SELECT saw for its clinician."""
    if not found:
        raise RuntimeError(f"no slots found in {window}")
    keys = [(slot.starts_at, slot.clinician_id.int) for slot in found]
    if any(a >= b for a, b in pairwise(keys)):
        raise RuntimeError("slots not in strict (start, clinician) order")
    spans: dict[uuid.UUID, list[Span]] = defaultdict(list)
    for clinician_id, starts_at, ends_at in booked:
        spans[clinician_id].append(Span(starts_at, ends_at))
    taken = {clinician_id: merge(theirs) for clinician_id, theirs in spans.items()}
    starts = {clinician_id: [s.start for s in theirs] for clinician_id, theirs in taken.items()}
    earliest = max(window.start, not_before)
    for slot in found:
        if slot.starts_at < earliest or slot.ends_at > window.end:
            raise RuntimeError(f"slot outside the window or the notice: {slot}")
        if slot.consultation_type != SEARCHED or slot.ends_at - slot.starts_at != GRID:
            raise RuntimeError(f"slot of another type or length: {slot}")
        index = bisect.bisect_left(starts.get(slot.clinician_id, []), slot.ends_at) - 1
        if index >= 0 and taken[slot.clinician_id][index].end > slot.starts_at:
            raise RuntimeError(f"slot overlaps a live booking: {slot}")


def sample(bench: Bench, window: Span, turn: int) -> Sample:
    """The plain SELECT and the search, the first going first on even turns."""
    statements = Statements()
    booked: list[Booked] = []
    found: list[Slot] = []
    plain = searched = 0.0
    for side in ("plain", "search") if turn % 2 == 0 else ("search", "plain"):
        if side == "plain":
            plain, booked = time_plain(bench.engine, window)
        else:
            with bench.recorder.recording() as statements:
                searched, found = time_search(bench, window)
    notice = timedelta(hours=bench.settings.booking_min_notice_hours)
    check_found(found, booked, window, bench.now + notice)
    return Sample(plain, searched, len(booked), len(found), statements)


def random_windows(
    settings: Settings, clock: Clock, args: argparse.Namespace, count: int, rng: random.Random
) -> list[Span]:
    """--days clinic-local days in a row, starting on any day that keeps them in --weeks."""
    windows = []
    for _ in range(count):
        first = clock.today + timedelta(days=rng.randint(0, args.weeks * 7 - args.days))
        windows.append(local_days(first, first + timedelta(days=args.days - 1), settings))
    return windows


# --- phases (--profile) ---------------------------------------------------------------

# Where find_slots spends its time. Each is a module global looked up at call time, so
# wrapping it times every call the search makes. find_slots calls weekly_candidates
# once per distinct weekly pattern, then free_slots once per clinician.
PHASES: tuple[tuple[ModuleType, str], ...] = (
    (repository, "consultation_type"),
    (repository, "clinicians"),
    (repository, "weekly_blocks"),
    (repository, "exceptions_in"),
    (repository, "busy_in"),
    (search, "weekly_candidates"),
    (search, "free_slots"),
    (slots, "extra_candidates"),  # inside free_slots
    (slots, "free_spans"),  # inside free_slots
)
TOP_LEVEL = tuple(name for module, name in PHASES if module is not slots)
REPOSITORY = tuple(name for module, name in PHASES if module is repository)


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


def time_phases(bench: Bench, windows: list[Span]) -> list[dict[str, float]]:
    runs = []
    for window in windows:
        totals: dict[str, float] = {}
        with phases_timed(totals), bench.recorder.recording() as statements:
            totals["search"] = time_search(bench, window)[0]
        totals["sql"] = statements.seconds
        runs.append(totals)
    return runs


def report_phases(runs: list[dict[str, float]]) -> None:
    def med(name: str) -> float:
        return statistics.median(r.get(name, 0.0) for r in runs)

    def rest(r: dict[str, float], whole: str, parts: Sequence[str]) -> float:
        return r.get(whole, 0.0) - sum(r.get(n, 0.0) for n in parts)

    whole = med("search")
    inner = ("extra_candidates", "free_spans")
    rows = [
        *((f"`{name}`", med(name)) for name in TOP_LEVEL),
        ("- of which `extra_candidates`", med("extra_candidates")),
        ("- of which `free_spans`", med("free_spans")),
        (
            "- of which building `Slot`s",
            statistics.median(rest(r, "free_slots", inner) for r in runs),
        ),
        (
            "the rest: Session, checkout, sorting",
            statistics.median(rest(r, "search", TOP_LEVEL) for r in runs),
        ),
    ]
    say(f"\nwhere a search's time goes (medians of {len(runs)} searches, ms):\n")
    say("| phase | ms | share |")
    say("|---|---|---|")
    for label, value in rows:
        say(f"| {label} | {ms(value)} | {value / whole:.0%} |")
    say(f"| **the whole search** | **{ms(whole)}** | 100% |")
    repo = sum(med(name) for name in REPOSITORY)
    say(
        f"\nrepository calls {ms(repo)} ms, of which inside cursor execute {ms(med('sql'))} ms"
        f" (the driver, the wire, the server); SQLAlchemy the rest"
    )


# --- reporting ------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.2f}"


def percentile(values: Sequence[float], pct: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1]


def describe_machine(conninfo: str) -> None:
    with psycopg.connect(conninfo) as conn:
        row = conn.execute("SELECT version(), current_setting('TimeZone')").fetchone()
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
    say(f"server: {row[0]}; TimeZone {row[1]}" if row else "server: ?")


def report_samples(samples: list[Sample], target: float) -> None:
    plain = [s.plain for s in samples]
    searched = [s.search for s in samples]
    ratios = [s.search / s.plain for s in samples]
    booked = statistics.median(s.booked for s in samples)
    found = statistics.median(s.found for s in samples)
    say(f"\n{len(samples)} interleaved rounds (after {WARM_UP} warm-up rounds), ms:\n")
    say("| | p50 | p95 | p99 | max | p95 / plain p95 |")
    say("|---|---|---|---|---|---|")
    for label, values in (
        (f"plain SELECT ({booked:,.0f} rows, median)", plain),
        (f"`find_slots` ({found:,.0f} slots, median)", searched),
    ):
        say(
            f"| {label} | {ms(statistics.median(values))} | {ms(percentile(values, 95))}"
            f" | {ms(percentile(values, 99))} | {ms(max(values))}"
            f" | {percentile(values, 95) / percentile(plain, 95):.1f}x |"
        )
    say(
        f"\nper round, search / plain: median {statistics.median(ratios):.1f}x,"
        f" p95 {percentile(ratios, 95):.1f}x"
    )
    p95_ratio = percentile(searched, 95) / percentile(plain, 95)
    verdict = "met" if p95_ratio <= target else "NOT met"
    say(f"target: search p95 <= {target:g}x the plain SELECT's p95: {verdict} ({p95_ratio:.1f}x)")
    counts = sorted({s.statements.count for s in samples})
    say(
        f"statements per search: {counts} (plus the pool's pre-ping on checkout, which both"
        " sides make and the listener does not see); the plain side sends 1"
    )
    for statement in samples[0].statements.texts:
        say(f"  {statement[:160]}")


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
    bench = Bench(engine, db.get_session_factory(), Recorder(engine), settings, clock.now)
    windows = random_windows(settings, clock, args, WARM_UP + args.reps, rng)
    samples = [sample(bench, window, turn) for turn, window in enumerate(windows)][WARM_UP:]
    report_samples(samples, args.target)
    if args.profile:
        report_phases(time_phases(bench, random_windows(settings, clock, args, args.profile, rng)))


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
    parser.add_argument("--target", type=float, default=5.0, help="search p95 / plain p95")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="then time each phase of N more searches",
    )
    args = parser.parse_args()
    if args.clinicians <= 0 or args.reps < 2 or not 0 <= args.booked < 1 or args.profile < 0:
        parser.error("need --clinicians > 0, --reps >= 2, 0 <= --booked < 1, --profile >= 0")
    if not 0 < args.days <= args.weeks * 7:
        parser.error("--days must fit in --weeks")
    run(args)


if __name__ == "__main__":
    main()
