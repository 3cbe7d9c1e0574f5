"""The API under load, against a bare FastAPI app on the same server settings, in one run.

Creates a scratch PostgreSQL database on the server TEST_POSTGRES_URL names, migrates it
with `intake migrate` (Alembic), and loads it in bulk with Core inserts: --intakes routed
intakes waiting in the regenerative queue (each with its patient, complete answers, a
checklist result and a routing decision, as the worker leaves them), and a clinic of
--clinicians clinicians with weekly hours, leave and 40% of their slots booked (the
loaders of bench/booking.py). A coordinator account comes from `intake create-staff`.

Then it starts, side by side:

- the service with its production entry point, `intake api --workers N` (uvicorn), on
  that database and on Redis as the broker (a queue of its own, deleted at the end);
- bench/bare_app.py under the uvicorn command line with the same settings (workers,
  loop and HTTP parser left to uvicorn's `auto`, which picks uvloop and httptools in
  both; proxy headers on; the access log on, as `intake api` leaves it).

and drives each target with `wrk` (Debian's, `apt-get install wrk`) for --duration
seconds after --warmup seconds whose figures are dropped, at --connections open
connections, every target alike. The targets:

- `bare`: `GET /bare`, an async route returning a fixed JSON body: the ceiling;
- `bare-sync`, `bare-db`: the same body from a plain `def` route, and after `SELECT 1`
  on a pooled connection (for reading the gap, not targets);
- `post`: `POST /api/v1/intakes` with a full draft (examples/intake.json);
- `patch`: `PATCH /api/v1/intakes/{id}` of one answer section (`pain`), rotating over
  --patch-pool intakes started through the API beforehand, each with its own token;
- `queue`: `GET /api/v1/queues/regenerative`, the first page (50 items);
- `slots`: `GET /api/v1/slots` for regenerative consultations over 14 clinic-local days
  starting tomorrow.

Each round measures every target once (even rounds in reverse order, so drift hits all
alike); ratios are taken against the bare app in the same round. Client and servers
share the machine: the CPU each used (wrk, API processes, PostgreSQL, Redis, which
includes anyone else's use of that server) is reported per target, with how wrk's
connections fell on the workers; a run where one worker got under half its share is
measured again (--rebalance). With --before-src DIR a second API runs from DIR's copy
of the package on the same database, and every endpoint is measured on both, back to
back. With --profile, py-spy (`pip install py-spy`) records the API's processes, GIL
holders only, while wrk drives the named targets once more, and the profile is
summarised.

    TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        .venv/bin/python bench/api.py --workers 2 --connections 32 --rounds 2

Not a test: pytest never collects bench/. Figures and the machine go in bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import anyio
import httpx2 as httpx
import psutil
import psycopg
from booking import (
    conninfo_of,
    load_appointments,
    load_clinicians,
    load_intakes,
    make_clock,
    plan_bookings,
    plan_clinicians,
    reset_caches,
)
from sqlalchemy import Engine, insert
from upload_tools import BIN, ROOT, fresh_database, migrate, service_env, serving

from intake import db
from intake.checklist.policy import RULESET_VERSION as CHECKLIST_RULESET
from intake.config import get_settings
from intake.intakes.models import IntakeStatus
from intake.queues import placement
from intake.routing.models import DecisionKind
from intake.routing.rules import RULESET_VERSION as ROUTING_RULESET
from intake.scheduling.models import ConsultationKind

DEFAULT_DATABASE = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
DEFAULT_BROKER = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
DRAFT: dict[str, Any] = json.loads((ROOT / "examples" / "intake.json").read_text())
PATCH_BODY = {"answers": {"pain": {"back_or_neck": 6, "leg_or_arm": 5}}}
STAFF_EMAIL = "bench.coordinator@clinic.example"
CLINIC_WEEKS = 4  # booked diary ahead (and history behind); the 2-week window fits inside
BARE = "bare"
BEFORE = "@before"  # suffix of a target served by --before-src
TARGETS = ("bare", "bare-sync", "bare-db", "post", "patch", "queue", "slots")
MEASURED = ("post", "patch", "queue", "slots")  # the endpoints the targets apply to


def say(line: str = "") -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


# --- loading the database ---------------------------------------------------------------


def _insert(engine: Engine, table: str, rows: list[dict[str, Any]], chunk: int = 2000) -> None:
    """Core executemany in chunks; SQLAlchemy sends each as multi-row INSERTs."""
    target = db.Base.metadata.tables[table]
    with engine.begin() as conn:
        for start in range(0, len(rows), chunk):
            conn.execute(insert(target), rows[start : start + chunk])


def _checklist_items() -> list[dict[str, Any]]:
    """A complete checklist as the worker stores it (what the queue page reads)."""
    keys = ("operative_note:1", "current_mri", "postop_imaging", "conservative_care_record")
    return [
        {
            "key": key,
            "label": key.replace("_", " ").split(":")[0],
            "required": True,
            "status": "satisfied",
            "reason": "a matching document was uploaded",
            "document_ids": [str(uuid.uuid4())],
        }
        for key in keys
    ]


def load_queue(engine: Engine, count: int, now: datetime) -> None:
    """`count` routed intakes in the regenerative queue, oldest first, as the worker
    leaves them: patient, complete answers, one checklist result, one applied decision."""
    first = now - timedelta(days=3)
    patients, intakes, checklists, decisions = [], [], [], []
    for n in range(count):
        patient_id, intake_id = uuid.uuid4(), uuid.uuid4()
        queued_at = first + timedelta(seconds=10 * n)
        patients.append(
            {
                "id": patient_id,
                "first_name": f"Queued{n}",
                "last_name": "Patient",
                "email": f"queued{n}@example.com",
                "date_of_birth": date(1970, 5, 17),
                "timezone": "America/New_York",
            }
        )
        intakes.append(
            {
                "id": intake_id,
                "patient_id": patient_id,
                "status": IntakeStatus.ROUTED,
                "questionnaire_version": "fbss-intake/1",
                "answers": DRAFT["answers"],
                "last_patient_activity_at": queued_at - timedelta(hours=1),
                "submitted_at": queued_at - timedelta(hours=1),
                "checklist_missing": [],
                "checklist_checked_at": queued_at,
                "queue": placement.REGENERATIVE,
                "queued_at": queued_at,
                "priority": placement.NORMAL_PRIORITY,
                "created_at": queued_at - timedelta(days=1),
                "updated_at": queued_at,
            }
        )
        checklists.append(
            {
                "intake_id": intake_id,
                "version": 1,
                "ruleset_version": CHECKLIST_RULESET,
                "items": _checklist_items(),
                "complete": True,
                "computed_at": queued_at,
            }
        )
        decisions.append(
            {
                "intake_id": intake_id,
                "kind": DecisionKind.RULES,
                "route": "regenerative",
                "queue": placement.REGENERATIVE,
                "ruleset_version": ROUTING_RULESET,
                "rule_ids": ["R6"],
                "reasons": ["fusion more than 6 months ago, recent MRI, chronic pain"],
                "missing": [],
                "provisional": False,
                "input_snapshot": {"months_since_surgery": 20, "mri_age_months": 1},
                "trigger": "checklist_complete",
                "applied": True,
                "created_at": queued_at,
            }
        )
    _insert(engine, "patients", patients)
    _insert(engine, "intakes", intakes)
    _insert(engine, "checklist_results", checklists)
    _insert(engine, "routing_decisions", decisions)


def load_clinic(clinicians: int, seed: int) -> int:
    """bench/booking.py's clinic: hours, leave, 40% booked ahead; the live bookings."""
    rng = random.Random(seed)
    clock = make_clock(get_settings(), CLINIC_WEEKS)
    plans = plan_clinicians(clinicians, clock, CLINIC_WEEKS, rng)
    bookings = plan_bookings(plans, clock, 0.4, rng)
    engine = db.get_engine()
    load_clinicians(engine, plans)
    intakes = load_intakes(engine, len(bookings.live), clock.now)
    load_appointments(engine, bookings, intakes, rng)
    return len(bookings.live)


def vacuum_analyze(conninfo: str) -> None:
    """Fresh planner statistics, as autovacuum would keep them."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
        conn.execute("CHECKPOINT")


# --- accounts and tokens ------------------------------------------------------------------


def create_coordinator(env: dict[str, str], password: str, log: Path) -> None:
    """With the CLI an operator would use."""
    argv = [str(BIN / "intake"), "create-staff", "--email", STAFF_EMAIL]
    argv += ["--name", "Bench Coordinator", "--role", "coordinator"]
    with log.open("ab") as out:
        subprocess.run(
            argv,
            env={**env, "STAFF_PASSWORD": password},
            cwd=ROOT,
            check=True,
            stdout=out,
            stderr=out,
        )


def staff_tokens(base: str, password: str, count: int) -> list[str]:
    """`count` logins of the coordinator: separate sessions (tokens) for one account."""
    tokens = []
    for _ in range(count):
        response = httpx.post(
            f"{base}/api/v1/staff/token",
            data={"username": STAFF_EMAIL, "password": password},
            timeout=30,
        )
        response.raise_for_status()
        tokens.append(response.json()["access_token"])
    return tokens


async def _start_intakes(base: str, count: int) -> list[tuple[str, str]]:
    """`count` drafts with complete answers, started through the API: (id, token)."""
    started: list[tuple[str, str]] = []
    limiter = anyio.CapacityLimiter(8)

    async def one(client: httpx.AsyncClient) -> None:
        async with limiter:
            response = await client.post(f"{base}/api/v1/intakes", json=DRAFT)
        response.raise_for_status()
        body = response.json()
        started.append((body["id"], body["access_token"]))

    async with httpx.AsyncClient(timeout=60) as client, anyio.create_task_group() as tasks:
        for _ in range(count):
            tasks.start_soon(one, client)
    return started


# --- wrk --------------------------------------------------------------------------------

# wrk calls done() once, with every thread's latencies merged; percentile() is in us.
# Requests that outlive --timeout are counted as timeouts and kept out of the latency
# figures, so the timeout is set far above any latency seen here.
LUA_DONE = """
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests": %d, "duration_us": %d, "bytes": %d, "connect": %d, "read": %d,'
    .. ' "write": %d, "status": %d, "timeout": %d, "p50": %d, "p95": %d, "p99": %d,'
    .. ' "max": %d}\\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write,
    e.status, e.timeout, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max))
end
"""


def _lua_string(value: str) -> str:
    return json.dumps(value)  # a JSON string of ASCII is a valid Lua string literal


@dataclass(frozen=True)
class Target:
    """What wrk sends: one method and body, over one or more (path, bearer) pairs."""

    name: str
    base: str
    method: str
    paths: list[str]
    tokens: list[str | None]
    body: str | None = None
    expect: int = 200

    def lua(self) -> str:
        headers = {"Content-Type": "application/json"} if self.body is not None else {}
        if len(self.paths) == 1 and len(self.tokens) == 1:
            # One fixed request: wrk builds it once and resends the bytes.
            token = self.tokens[0]
            if token is not None:
                headers["Authorization"] = f"Bearer {token}"
            lines = [f"wrk.method = {_lua_string(self.method)}"]
            lines += [
                f"wrk.headers[{_lua_string(k)}] = {_lua_string(v)}" for k, v in headers.items()
            ]
            if self.body is not None:
                lines.append(f"wrk.body = {_lua_string(self.body)}")
            return "\n".join(lines) + LUA_DONE
        # A new request each time, round-robin over the pool; each wrk thread starts at
        # its own offset so threads do not send the same intake at the same moment.
        pool = max(len(self.paths), len(self.tokens))
        entries = ",\n".join(
            "{"
            + _lua_string(self.paths[i % len(self.paths)])
            + ", "
            + _lua_string(f"Bearer {self.tokens[i % len(self.tokens)]}")
            + "}"
            for i in range(pool)
        )
        extra = "".join(f"[{_lua_string(k)}] = {_lua_string(v)}, " for k, v in headers.items())
        method = _lua_string(self.method)
        body = _lua_string(self.body) if self.body is not None else "nil"
        return (
            f"""
local pool = {{
{entries}
}}
local body = {body}
local n = 0
local threads = 0
function setup(thread)
  thread:set("offset", threads)
  threads = threads + 1
end
function init(args)
  n = (offset or 0) * 7919
end
function request()
  n = n + 1
  local entry = pool[(n % #pool) + 1]
  local headers = {{{extra}["Authorization"] = entry[2]}}
  return wrk.format({method}, entry[1], headers, body)
end
"""
            + LUA_DONE
        )

    def check(self) -> int:
        """One request as wrk will send it; the status must be the expected one."""
        token = self.tokens[0]
        response = httpx.request(
            self.method,
            self.base + self.paths[0],
            content=self.body,
            headers={
                **({"Authorization": f"Bearer {token}"} if token else {}),
                **({"Content-Type": "application/json"} if self.body is not None else {}),
            },
            timeout=60,
        )
        if response.status_code != self.expect:
            raise RuntimeError(
                f"{self.name}: {self.method} {self.paths[0]} answered {response.status_code},"
                f" not {self.expect}: {response.text[:300]}"
            )
        return len(response.content)


class CpuMeter:
    """CPU seconds used by groups of processes over an interval (psutil).

    A process that appears during the interval (a new PostgreSQL backend) counts from
    zero; one that ends during it is lost, which the pools here make rare.
    """

    def __init__(self, groups: dict[str, list[psutil.Process]]) -> None:
        self._groups = groups
        self._start: dict[tuple[int, float], float] = {}

    @staticmethod
    def _key(process: psutil.Process) -> tuple[int, float]:
        return process.pid, process.create_time()

    @staticmethod
    def _used(process: psutil.Process) -> float:
        times = process.cpu_times()
        return float(times.user + times.system)

    def _each(self) -> Iterator[tuple[str, psutil.Process]]:
        for group, roots in self._groups.items():
            for root in roots:
                try:
                    family = [root, *root.children(recursive=True)]
                except psutil.NoSuchProcess:
                    continue
                for process in family:
                    yield group, process

    def roots(self, group: str) -> list[psutil.Process]:
        return self._groups[group]

    def start(self) -> None:
        self._start = {}
        for _group, process in self._each():
            with suppress(psutil.NoSuchProcess):
                self._start[self._key(process)] = self._used(process)

    def stop(self) -> dict[str, float]:
        used: dict[str, float] = dict.fromkeys(self._groups, 0.0)
        for group, process in self._each():
            with suppress(psutil.NoSuchProcess):
                used[group] += self._used(process) - self._start.get(self._key(process), 0.0)
        return used


def database_processes() -> list[psutil.Process]:
    """The PostgreSQL postmaster(s) and Redis: their children are the backends."""
    found = []
    for process in psutil.process_iter(["name", "ppid"]):
        name = process.info["name"] or ""
        parent_name = ""
        with suppress(psutil.NoSuchProcess, psutil.AccessDenied, ValueError):
            parent_name = psutil.Process(process.info["ppid"]).name()
        if name.startswith("redis-server") or (name == "postgres" and parent_name != "postgres"):
            found.append(process)
    return found


@dataclass(frozen=True)
class WrkRun:
    raw: dict[str, int]  # what the Lua done() printed
    client_cpu: float  # seconds
    server_cpu: dict[str, float]  # seconds, by group
    split: list[int]


@dataclass
class Measurement:
    target: str
    requests: int
    seconds: float
    bytes: int
    errors: dict[str, int]
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    cpu: dict[str, float]  # cores used on average, by group
    split: list[int]  # wrk's connections per server worker

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    @property
    def failed(self) -> int:
        return sum(self.errors.values())


@dataclass
class Driver:
    args: argparse.Namespace
    work: Path
    meter: CpuMeter
    scripts: dict[str, Path] = field(default_factory=dict)

    def script(self, target: Target) -> Path:
        if target.name not in self.scripts:
            path = self.work / f"{target.name}.lua"
            path.write_text(target.lua())
            self.scripts[target.name] = path
        return self.scripts[target.name]

    def wrk(self, target: Target, seconds: float) -> WrkRun:
        argv = ["wrk", "-t", str(self.args.threads), "-c", str(self.args.connections)]
        argv += ["-d", f"{seconds:g}s", "--timeout", "60s", "-s", str(self.script(target))]
        argv.append(target.base + target.paths[0])
        client_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.meter.start()
        wrk = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(min(1.0, seconds / 3))  # every connection open by now
        split = self.split(target)
        stdout, stderr = wrk.communicate()
        servers = self.meter.stop()
        client_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        client = (client_after.ru_utime - client_before.ru_utime) + (
            client_after.ru_stime - client_before.ru_stime
        )
        line = next((x for x in stdout.splitlines() if x.startswith("RESULT ")), None)
        if wrk.returncode or line is None:
            raise RuntimeError(f"wrk failed or printed no result:\n{stdout}\n{stderr}")
        return WrkRun(json.loads(line.removeprefix("RESULT ")), client, servers, split)

    def split(self, target: Target) -> list[int]:
        """wrk's open connections per server worker, most first.

        uvicorn's workers share one listening socket and each accepts whatever it
        can when woken, so wrk's connections, opened in a burst and kept alive for the
        whole run, can land unevenly: a worker holding few or none of them leaves its
        core idle. Reported with every figure, since it moves them.
        """
        port = int(target.base.rsplit(":", 1)[1])
        counts = []
        for root in self.meter.roots(app_group(target.name)):
            for worker in root.children():
                with suppress(psutil.NoSuchProcess):
                    if "resource_tracker" in " ".join(worker.cmdline()):
                        continue  # multiprocessing's helper, not a worker
                    counts.append(
                        sum(
                            1
                            for c in worker.net_connections(kind="tcp")
                            if c.status == psutil.CONN_ESTABLISHED and c.laddr.port == port
                        )
                    )
        return sorted(counts, reverse=True)

    def balanced(self, split: list[int]) -> bool:
        """Every worker holds at least half its fair share of wrk's connections."""
        workers: int = self.args.workers
        fair: float = self.args.connections / workers
        return len(split) == workers and min(split) >= fair / 2

    def measure(self, target: Target) -> Measurement:
        if self.args.warmup > 0:
            self.wrk(target, self.args.warmup)  # pools, caches, thread pools: dropped
        run = self.wrk(target, self.args.duration)
        # Many independent clients spread over the workers; wrk's burst of connections
        # may not (see split()). An uneven run is measured again, a few times at most,
        # and says so; --rebalance 0 keeps whatever split the first run got.
        for _ in range(self.args.rebalance):
            if self.balanced(run.split):
                break
            say(f"  {target.name}: connections per worker {run.split}, measuring again")
            run = self.wrk(target, self.args.duration)
        raw, client, servers = run.raw, run.client_cpu, run.server_cpu
        seconds = raw["duration_us"] / 1e6
        return Measurement(
            target=target.name,
            requests=raw["requests"],
            seconds=seconds,
            bytes=raw["bytes"],
            errors={k: raw[k] for k in ("connect", "read", "write", "status", "timeout")},
            p50_ms=raw["p50"] / 1000,
            p95_ms=raw["p95"] / 1000,
            p99_ms=raw["p99"] / 1000,
            max_ms=raw["max"] / 1000,
            cpu={"wrk": client / seconds, **{k: v / seconds for k, v in servers.items()}},
            split=run.split,
        )


# --- reporting ---------------------------------------------------------------------------


def report_round(number: int, results: dict[str, Measurement], args: argparse.Namespace) -> None:
    bare = results[BARE]
    wrk = f"wrk -t {args.threads} -c {args.connections}, {args.duration:g} s each"
    say(f"\nround {number} ({wrk}):\n")
    say(
        "| target | req/s | / bare | p50 ms | p95 ms | p99 ms | max ms | p99 / bare p99"
        " | errors | bytes/resp | app CPU ms/req | CPU (cores): wrk, app, PostgreSQL, Redis"
        " | connections per worker |"
    )
    say("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name in (n for t in TARGETS for n in (t + BEFORE, t) if n in results):
        m = results[name]
        cpu = m.cpu
        app = cpu[app_group(name)]
        say(
            f"| {name} | {m.rps:,.0f} | {m.rps / bare.rps:.0%} | {m.p50_ms:.1f} | {m.p95_ms:.1f}"
            f" | {m.p99_ms:.1f} | {m.max_ms:.0f} | {m.p99_ms / bare.p99_ms:.1f}x"
            f" | {m.failed or 0} | {m.bytes / max(m.requests, 1):,.0f} | {app / m.rps * 1000:.2f}"
            f" | {cpu['wrk']:.2f}, {app:.2f}, {cpu['postgres']:.2f}, {cpu['redis']:.2f}"
            f" | {'/'.join(map(str, m.split))} |"
        )
        if m.failed:
            say(f"  ! {name}: {m.errors}")


def app_group(target: str) -> str:
    """Which server a target runs on, by the CPU meter's group name."""
    if target.startswith(BARE):
        return "bare"
    return "before" if target.endswith(BEFORE) else "api"


def report_change(rounds: list[dict[str, Measurement]]) -> None:
    """Before against after, per round: the pairs ran back to back."""
    say("\nbefore -> after (each pair back to back in its round; median over rounds):\n")
    say("| endpoint | req/s before | req/s after | change | app CPU ms/req before | after |")
    say("|---|---|---|---|---|---|")
    for name in MEASURED:
        if name not in rounds[0]:
            continue
        old = [r[name + BEFORE] for r in rounds]
        new = [r[name] for r in rounds]
        change = statistics.median(n.rps / o.rps - 1 for o, n in zip(old, new, strict=True))

        def cpu_ms(ms: list[Measurement], group: str) -> float:
            return statistics.median(m.cpu[group] / m.rps * 1000 for m in ms)

        say(
            f"| {name} | {statistics.median(m.rps for m in old):,.0f}"
            f" | {statistics.median(m.rps for m in new):,.0f} | {change:+.0%}"
            f" | {cpu_ms(old, 'before'):.1f} | {cpu_ms(new, 'api'):.1f} |"
        )


def report_verdict(rounds: list[dict[str, Measurement]], args: argparse.Namespace) -> None:
    say(
        f"\nagainst the targets (throughput >= {args.min_share:.0%} of bare,"
        f" p99 < {args.max_p99:g}x bare p99), median over {len(rounds)} round(s):\n"
    )
    say("| endpoint | req/s | / bare | p99 ms | p99 / bare p99 | throughput | p99 |")
    say("|---|---|---|---|---|---|---|")
    for name in MEASURED:
        if name not in rounds[0]:
            continue
        rps = statistics.median(r[name].rps for r in rounds)
        share = statistics.median(r[name].rps / r[BARE].rps for r in rounds)
        p99 = statistics.median(r[name].p99_ms for r in rounds)
        p99_ratio = statistics.median(r[name].p99_ms / r[BARE].p99_ms for r in rounds)
        say(
            f"| {name} | {rps:,.0f} | {share:.1%} | {p99:.1f} | {p99_ratio:.1f}x"
            f" | {'met' if share >= args.min_share else 'NOT met'}"
            f" | {'met' if p99_ratio < args.max_p99 else 'NOT met'} |"
        )


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
    names = ("fastapi", "starlette", "uvicorn", "uvloop", "httptools", "SQLAlchemy", "psycopg")
    versions = ", ".join(f"{name} {metadata.version(name)}" for name in (*names, "celery"))
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    say(
        f"machine: {os.cpu_count()} CPUs ({cpu}), {psutil.virtual_memory().total / 2**30:.1f} GiB;"
        f" {platform.system()} {platform.release()}; Python {platform.python_version()}"
    )
    say(f"versions: {versions}; {(wrk.stdout or wrk.stderr).splitlines()[0]}")
    say(f"database: {row[0] if row else '?'}")


# --- profiling ---------------------------------------------------------------------------


def _area(frame: str) -> str:
    """Which package a py-spy frame, `function (path:line)`, belongs to."""
    path = frame.rsplit("(", 1)[-1]
    for needle, area in (
        ("/intake/", "intake (this service)"),
        ("/emails/", "intake (this service)"),
        ("sqlalchemy", "SQLAlchemy"),
        ("psycopg", "psycopg"),
        ("pydantic", "pydantic"),
        ("fastapi", "FastAPI"),
        ("starlette", "Starlette"),
        ("uvicorn", "uvicorn"),
        ("anyio", "AnyIO"),
        ("celery", "Celery/kombu/redis"),
        ("kombu", "Celery/kombu/redis"),
        ("redis", "Celery/kombu/redis"),
        ("logging", "logging"),
        ("threading.py", "threads (stdlib)"),
        ("concurrent", "threads (stdlib)"),
        ("json", "json"),
        ("uuid.py", "uuid"),
        ("zoneinfo", "datetime/zoneinfo"),
    ):
        if needle in path:
            return area
    return "other"


def _short(frame: str) -> str:
    name, _, where = frame.partition(" (")
    where = where.rstrip(")")
    for marker in ("site-packages/", "/work/main/", "python3.11/"):
        if marker in where:
            where = where.split(marker, 1)[1]
    return f"{name} ({where})"


def summarise_profile(raw: Path, top: int) -> None:
    """Self time by package, then the heaviest functions, from py-spy's raw output."""
    stacks: list[tuple[list[str], int]] = []
    for line in raw.read_text().splitlines():
        stack, _, samples = line.rpartition(" ")
        if not stack or not samples.isdigit():
            continue
        frames = [f for f in stack.split(";") if not f.startswith(("process ", "thread "))]
        if frames:
            stacks.append((frames, int(samples)))
    total = sum(count for _, count in stacks)
    if not total:
        say("no samples")
        return
    by_area: Counter[str] = Counter()
    self_time: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    for frames, count in stacks:
        by_area[_area(frames[-1])] += count
        self_time[_short(frames[-1])] += count
        for frame in set(frames):
            inclusive[_short(frame)] += count
    say(f"\n{total:,} samples holding the GIL. Self time by package:\n")
    say("| package | share |")
    say("|---|---|")
    for area, count in by_area.most_common():
        say(f"| {area} | {count / total:.1%} |")
    say(f"\nheaviest functions, inclusive (top {top}):\n")
    for name, count in inclusive.most_common(top):
        say(f"  {count / total:6.1%}  {name}")
    say(f"\nheaviest functions, self (top {top}):\n")
    for name, count in self_time.most_common(top):
        say(f"  {count / total:6.1%}  {name}")


def profile(driver: Driver, target: Target, server: psutil.Process, out: Path) -> None:
    """py-spy on the API's processes while wrk drives `target` for --profile-seconds."""
    spy = shutil.which("py-spy") or str(BIN / "py-spy")
    # --gil: only the thread holding the GIL is sampled, so a sample is Python (or C
    # called from it) using a core; threads waiting on the database or the pool's queue
    # drop out, however runnable the OS thinks they are on a busy machine.
    argv = [spy, "record", "--pid", str(server.pid), "--subprocesses", "--nonblocking", "--gil"]
    argv += ["--rate", "200", "--format", "raw", "--output", str(out)]
    argv += ["--duration", str(int(driver.args.profile_seconds))]
    with (out.with_suffix(".log")).open("wb") as log:
        recorder = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        time.sleep(1)  # py-spy attaches to every worker before the load starts
        driver.wrk(target, driver.args.profile_seconds - 1)
        recorder.wait(timeout=120)
    say(f"\nprofile of `{target.name}` ({target.method} {target.paths[0]}): raw stacks in {out}")
    summarise_profile(out, driver.args.profile_top)


# --- the run ----------------------------------------------------------------------------


def clean_broker(url: str, queue: str) -> None:
    """Drop the messages this run queued (no worker reads them) and kombu's bindings."""
    import redis  # only here: the bench needs Redis, the rest of bench/ does not

    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(match=f"*{queue}*"))
    if keys:
        client.delete(*keys)


def build_targets(
    api: str,
    bare: str,
    pool: list[tuple[str, str]],
    tokens: Sequence[str],
    window: tuple[date, date],
) -> dict[str, Target]:
    slots_query = urlencode(
        {
            "consultation_type": ConsultationKind.REGENERATIVE.value,
            "start": window[0].isoformat(),
            "end": window[1].isoformat(),
        }
    )
    staff: list[str | None] = list(tokens)
    return {
        "bare": Target("bare", bare, "GET", ["/bare"], [None]),
        "bare-sync": Target("bare-sync", bare, "GET", ["/bare-sync"], [None]),
        "bare-db": Target("bare-db", bare, "GET", ["/bare-db"], [None]),
        "post": Target(
            "post", api, "POST", ["/api/v1/intakes"], [None], json.dumps(DRAFT), expect=201
        ),
        "patch": Target(
            "patch",
            api,
            "PATCH",
            [f"/api/v1/intakes/{intake_id}" for intake_id, _ in pool],
            [token for _, token in pool],
            json.dumps(PATCH_BODY),
        ),
        "queue": Target("queue", api, "GET", ["/api/v1/queues/regenerative"], staff),
        "slots": Target("slots", api, "GET", [f"/api/v1/slots?{slots_query}"], staff),
    }


def run(args: argparse.Namespace) -> None:
    say(f"load average before: {load_average()}")
    work = Path(tempfile.mkdtemp(prefix="bench-api-", dir=args.work_dir))
    queue = f"bench-api-{uuid.uuid4().hex[:8]}"
    api_url, bare_url = (f"http://127.0.0.1:{p}" for p in (args.port, args.port + 1))
    password = secrets.token_urlsafe(18)
    try:
        with fresh_database(conninfo_of(args.database_url), prefix="bench_api") as url:
            env = service_env(
                work,
                database_url=url,
                broker_url=args.broker_url,
                ENVIRONMENT="production",
                SECRET_KEY=secrets.token_urlsafe(48),
                TASK_QUEUE=queue,
                PUBLIC_BASE_URL=api_url,
            )
            migrate(env, work / "api.log")
            os.environ.update({k: env[k] for k in ("ENVIRONMENT", "SECRET_KEY", "DATABASE_URL")})
            os.environ.update({k: env[k] for k in ("BROKER_URL", "TASK_QUEUE", "VAR_DIR")})
            reset_caches()
            describe_machine(conninfo_of(url))
            if args.before_src:
                say(f"before: the API from {args.before_src}; after: from {ROOT}")
            started = time.perf_counter()
            load_queue(db.get_engine(), args.intakes, datetime.now(UTC))
            booked = load_clinic(args.clinicians, args.seed)
            db.get_engine().dispose()
            create_coordinator(env, password, work / "api.log")
            vacuum_analyze(conninfo_of(url))
            took = time.perf_counter() - started
            say(
                f"loaded {args.intakes:,} intakes in the regenerative queue, {args.clinicians}"
                f" clinicians with {booked:,} live bookings, in {took:.1f} s"
            )
            measure_all(args, env, work, api_url, bare_url, password)
    finally:
        if args.broker_url.startswith(("redis://", "rediss://")):
            clean_broker(args.broker_url, queue)
        if args.keep:
            say(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    say(f"\nload average after: {load_average()}")


def measure_all(
    args: argparse.Namespace,
    env: dict[str, str],
    work: Path,
    api_url: str,
    bare_url: str,
    password: str,
) -> None:
    workers = ["--workers", str(args.workers)]
    api_argv = [str(BIN / "intake"), "api", "--host", "127.0.0.1", "--port", str(args.port)]
    # The flags `intake api` hands to uvicorn.run(); the rest are uvicorn's defaults in both.
    bare_argv = [str(BIN / "uvicorn"), "--app-dir", str(ROOT / "bench"), "--factory"]
    bare_argv += ["bare_app:create_app", "--host", "127.0.0.1", "--port", str(args.port + 1)]
    bare_argv += ["--proxy-headers"]
    before_port = args.port + 2
    with ExitStack() as stack:
        api = stack.enter_context(serving([*api_argv, *workers], env, args.port, work / "api.log"))
        bare = stack.enter_context(
            serving([*bare_argv, *workers], env, args.port + 1, work / "bare.log")
        )
        groups = {"api": [api], "bare": [bare]}
        if args.before_src:
            # The same entry point with DIR first on the path, ahead of the editable install.
            before_argv = [*api_argv[:-1], str(before_port), *workers]
            groups["before"] = [
                stack.enter_context(
                    serving(
                        before_argv,
                        {**env, "PYTHONPATH": args.before_src},
                        before_port,
                        work / "before.log",
                    )
                )
            ]
        pool = anyio.run(_start_intakes, api_url, args.patch_pool)
        tokens = staff_tokens(api_url, password, args.staff_tokens)
        today = datetime.now(UTC).astimezone(ZoneInfo(get_settings().clinic_timezone)).date()
        window = (today + timedelta(days=1), today + timedelta(days=14))
        targets = build_targets(api_url, bare_url, pool, tokens, window)
        chosen = [t for t in TARGETS if t in args.targets or t == BARE]
        if args.before_src:
            # Each endpoint on the old code right next to the new: load from elsewhere on
            # the machine drifts over minutes, and hits both sides of the pair alike.
            old_url = f"http://127.0.0.1:{before_port}"
            for name in MEASURED:
                target = targets[name]
                targets[name + BEFORE] = replace(target, name=name + BEFORE, base=old_url)
            chosen = [n for t in chosen for n in ((t + BEFORE, t) if t in MEASURED else (t,))]
        for target in targets.values():
            size = target.check()
            say(f"checked {target.name}: {target.method} {target.paths[0][:60]} -> {size:,} bytes")
        databases = database_processes()
        groups["postgres"] = [p for p in databases if p.name() == "postgres"]
        groups["redis"] = [p for p in databases if p.name() != "postgres"]
        driver = Driver(args, work, CpuMeter(groups))
        rounds: list[dict[str, Measurement]] = []
        for number in range(1, args.rounds + 1):
            say(f"\nround {number}, load average {load_average()}")
            order = chosen if number % 2 else list(reversed(chosen))
            results = {name: driver.measure(targets[name]) for name in order}
            rounds.append(results)
            report_round(number, results, args)
        report_verdict(rounds, args)
        if args.before_src:
            report_change(rounds)
        for name in args.profile:
            profile(driver, targets[name], api, Path(args.work_dir) / f"api-profile-{name}.txt")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        default=DEFAULT_DATABASE,
        help="a PostgreSQL server to create (and drop) the scratch database on;"
        " default TEST_POSTGRES_URL",
    )
    parser.add_argument(
        "--broker-url", default=DEFAULT_BROKER, help="Redis; default TEST_REDIS_URL"
    )
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers, both servers")
    parser.add_argument("--connections", type=int, default=32, help="wrk -c, every target")
    parser.add_argument("--threads", type=int, default=1, help="wrk -t")
    parser.add_argument("--duration", type=float, default=15, help="seconds measured per target")
    parser.add_argument("--warmup", type=float, default=3, help="seconds dropped before each")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--rebalance",
        type=int,
        default=4,
        metavar="N",
        help="measure again, up to N times, when a worker got under half its share of wrk's"
        " connections (0: keep every first run)",
    )
    parser.add_argument("--targets", nargs="+", choices=TARGETS, default=list(TARGETS))
    parser.add_argument("--intakes", type=int, default=10_000, help="in the regenerative queue")
    parser.add_argument("--clinicians", type=int, default=10)
    parser.add_argument("--patch-pool", type=int, default=256, help="intakes PATCH rotates over")
    parser.add_argument(
        "--staff-tokens",
        type=int,
        default=1,
        help="coordinator sessions the staff GETs rotate over",
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--port", type=int, default=8841, help="and the next one, for bare")
    parser.add_argument("--min-share", type=float, default=0.35, help="target: rps / bare rps")
    parser.add_argument("--max-p99", type=float, default=10, help="target: p99 / bare p99")
    parser.add_argument(
        "--profile", nargs="*", choices=MEASURED, default=[], help="py-spy these targets after"
    )
    parser.add_argument("--profile-seconds", type=float, default=20)
    parser.add_argument("--profile-top", type=int, default=30)
    parser.add_argument(
        "--before-src",
        default="",
        metavar="DIR",
        help="also serve the API from DIR's `intake` package (a copy taken before a change) on"
        " the same database, and measure every endpoint on both, back to back in each round",
    )
    parser.add_argument("--work-dir", default=str(ROOT / "var"), help="logs, profiles")
    parser.add_argument("--keep", action="store_true", help="keep the run's logs and scripts")
    args = parser.parse_args()
    if args.workers < 1 or args.connections < args.threads or args.rounds < 1:
        parser.error("need --workers >= 1, --connections >= --threads, --rounds >= 1")
    if not 0 < args.staff_tokens <= 10:  # the login rate limit allows 10 an hour per address
        parser.error("--staff-tokens must be 1..10")
    if shutil.which("wrk") is None:
        parser.error("wrk not found: apt-get install -y wrk")
    Path(args.work_dir).mkdir(parents=True, exist_ok=True)
    run(args)


if __name__ == "__main__":
    main()
