"""Does the event loop stay responsive while big uploads stream in?

Starts the service with its production entry point (`intake api`, uvicorn with uvloop and
httptools, one process) on a fresh PostgreSQL database migrated by `intake migrate`, and
Redis as the broker (a queue of its own, deleted at the end). Each repetition has two
phases of the same shape:

1. idle: `--post-clients` closed-loop clients POST /api/v1/intakes (a new draft each
   time) for `--idle-seconds`, while another process times GET /healthz every
   `--probe-interval` seconds;
2. loaded: the same two, while `--uploads` uploads of `--size` MiB each stream into
   POST /api/v1/intakes/{id}/documents at once (chunked, no Content-Length, each to its
   own intake, bytes no other upload had).

The loaded figures are taken over the window in which every upload was still sending
its body (from the first byte to the moment the first upload had sent its last), and
again over the whole span until the last response. POST throughput during uploads is
compared with the idle phase just before it, so load from elsewhere on the machine hits
both sides of the ratio alike.

    .venv/bin/python bench/loop.py --uploads 8 --size 500 --reps 3

Not a test: pytest never collects bench/. Figures and the machine go in bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import multiprocessing as mp
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

import psutil
import redis
from upload_tools import (
    BIN,
    PATIENT,
    ROOT,
    MiB,
    fresh_database,
    migrate,
    service_env,
    serving,
)

HOST = "127.0.0.1"
SEND_BYTES = 1 * MiB  # one HTTP chunk; the server reads from its socket in smaller pieces
INTAKE_BODY = json.dumps({"patient": PATIENT, "answers": {}}).encode()


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


# --- probes inside the server ----------------------------------------------------------
#
# /healthz is served on the loop (it was a sync route, whose latency included two hops
# through the thread pool; --sync-healthz brings that back). To see the loop itself,
# the server starts with PROBE as a sitecustomize on its PYTHONPATH. The
# service's code is not changed; the probe adds:
# - a task on uvicorn's loop that sleeps 5 ms and records how late it woke (~200
#   wake-ups a second): the loop's lag;
# - a gc.callbacks hook timing every collection (a full one stops every thread);
# - with --trace-hops, the time each sync endpoint's thread-pool hop spends queued,
#   running and getting back to the loop, and each /healthz and POST /api/v1/intakes
#   as the server saw it;
# - with --sync-healthz, /healthz as it was before: a plain def, through the thread pool;
# - with --thread-limit N, a what-if: AnyIO's thread pool (sync routes, upload writes)
#   capped at N threads instead of 40.
# Everything is written once a second to files on tmpfs, so no probe waits on the disk
# the uploads are filling.

PROBE = """
import asyncio
import gc
import os
import sys
import threading
import time

import uvicorn.server

_DIR = os.environ["BENCH_PROBE_DIR"]
_rows = {"gc": [], "hops": []}
_lock = threading.Lock()


def _record(kind, row):
    with _lock:
        _rows[kind].append(row)


def _flush_forever():
    while True:
        time.sleep(1)
        with _lock:
            batches = {kind: rows[:] for kind, rows in _rows.items()}
            for rows in _rows.values():
                rows.clear()
        for kind, rows in batches.items():
            if rows:
                with open(os.path.join(_DIR, kind + ".txt"), "a") as out:
                    out.writelines(rows)


threading.Thread(target=_flush_forever, daemon=True).start()

_gc_started = [0.0]


def _on_gc(phase, info):
    now = time.monotonic()
    if phase == "start":
        _gc_started[0] = now
    else:
        _record("gc", f"{now:.6f} {info['generation']} {(now - _gc_started[0]) * 1000:.3f}\\n")


gc.callbacks.append(_on_gc)


async def _watch_loop():
    every = 0.005
    samples = []
    flushed = time.monotonic()
    while True:
        due = time.monotonic() + every
        await asyncio.sleep(every)
        now = time.monotonic()
        samples.append(f"{now:.6f} {(now - due) * 1000:.3f}\\n")
        if now - flushed > 1.0:
            with open(os.path.join(_DIR, "lag.txt"), "a") as out:
                out.writelines(samples)
            samples.clear()
            flushed = now


_main_loop = uvicorn.server.Server.main_loop


async def main_loop(self):
    watcher = asyncio.ensure_future(_watch_loop())
    if os.environ.get("BENCH_THREAD_LIMIT"):
        import anyio.to_thread

        limiter = anyio.to_thread.current_default_thread_limiter()
        limiter.total_tokens = int(os.environ["BENCH_THREAD_LIMIT"])
    try:
        await _main_loop(self)
    finally:
        watcher.cancel()


uvicorn.server.Server.main_loop = main_loop

if os.environ.get("BENCH_NO_GC_FREEZE"):
    import intake.main

    intake.main.create_served_app = intake.main.create_app

if os.environ.get("BENCH_SWITCH_INTERVAL"):
    sys.setswitchinterval(float(os.environ["BENCH_SWITCH_INTERVAL"]))

if os.environ.get("BENCH_SYNC_HEALTHZ"):
    import intake.health

    intake.health.router.routes[:] = [
        r for r in intake.health.router.routes if getattr(r, "path", "") != "/healthz"
    ]

    @intake.health.router.get("/healthz")
    def healthz():
        return {"status": "ok"}

if os.environ.get("BENCH_TRACE_HOPS"):
    import fastapi.routing
    import intake.main

    _to_thread = fastapi.routing.run_in_threadpool

    async def _traced_hop(func, *args, **kwargs):
        name = getattr(kwargs.get("function"), "__name__", getattr(func, "__name__", "?"))
        marks = {}
        submitted = time.monotonic()

        def hop():
            marks["start"] = time.monotonic()
            try:
                return func(*args, **kwargs)
            finally:
                marks["end"] = time.monotonic()

        result = await _to_thread(hop)
        back = time.monotonic()
        _record(
            "hops",
            f"hop {name} {submitted:.6f} {(marks['start'] - submitted) * 1000:.3f}"
            f" {(marks['end'] - marks['start']) * 1000:.3f} {(back - marks['end']) * 1000:.3f}\\n",
        )
        return result

    fastapi.routing.run_in_threadpool = _traced_hop

    def _timed(factory):
        def make():
            app = factory()

            async def timed(scope, receive, send):
                path = scope.get("path")
                if scope["type"] != "http" or path not in ("/healthz", "/api/v1/intakes"):
                    return await app(scope, receive, send)
                began = time.monotonic()
                await app(scope, receive, send)
                took = (time.monotonic() - began) * 1000
                _record("hops", f"req {path} {began:.6f} {took:.3f}\\n")

            return timed

        return make

    for _name in ("create_app", "create_served_app"):
        if hasattr(intake.main, _name):
            setattr(intake.main, _name, _timed(getattr(intake.main, _name)))
"""


@dataclass
class Probed:
    """What the probes inside the server wrote so far."""

    lag: list[tuple[float, float]]  # (time.monotonic(), ms late) per wake-up
    gc: list[tuple[float, int, float]]  # (ended at, generation, ms) per collection
    hops: dict[str, list[tuple[float, float, float, float]]]  # name: (at, queued, ran, back)
    requests: dict[str, list[tuple[float, float]]]  # path: (at, ms inside the server)

    @classmethod
    def read(cls, directory: Path) -> Probed:
        def lines(name: str) -> list[list[str]]:
            path = directory / name
            return [line.split() for line in path.read_text().splitlines()] if path.exists() else []

        probed = cls(
            lag=[(float(at), float(ms)) for at, ms in lines("lag.txt")],
            gc=[(float(at), int(gen), float(ms)) for at, gen, ms in lines("gc.txt")],
            hops={},
            requests={},
        )
        for row in lines("hops.txt"):
            if row[0] == "hop":
                probed.hops.setdefault(row[1], []).append(
                    (float(row[2]), float(row[3]), float(row[4]), float(row[5]))
                )
            else:
                probed.requests.setdefault(row[1], []).append((float(row[2]), float(row[3])))
        return probed


# --- the two measuring processes --------------------------------------------------------
#
# Both run in processes of their own, not as tasks next to the uploads: a client loop
# busy pushing gigabytes would delay its own timers and add that delay to every figure.
# http.client on kept-alive connections costs little CPU per request, which matters on
# two cores shared by everything.

Sample = tuple[float, float, int]  # (finished at, time.monotonic(); latency ms; status)


def probe_health(port: int, interval: float, stop: Event, out: Queue[list[Sample]]) -> None:
    """GET /healthz, wait `interval`, again, until told to stop."""
    conn = http.client.HTTPConnection(HOST, port, timeout=60)
    samples: list[Sample] = []
    while not stop.is_set():
        started = time.monotonic()
        conn.request("GET", "/healthz")
        response = conn.getresponse()
        response.read()
        ended = time.monotonic()
        samples.append((ended, (ended - started) * 1000, response.status))
        stop.wait(interval)
    conn.close()
    out.put(samples)


def post_intakes(port: int, clients: int, stop: Event, out: Queue[list[Sample]]) -> None:
    """`clients` threads, each starting one draft intake after another until told to stop."""
    samples: list[Sample] = []
    lock = threading.Lock()

    def client() -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=60)
        headers = {"Content-Type": "application/json"}
        mine: list[Sample] = []
        while not stop.is_set():
            started = time.monotonic()
            conn.request("POST", "/api/v1/intakes", body=INTAKE_BODY, headers=headers)
            response = conn.getresponse()
            response.read()
            ended = time.monotonic()
            mine.append((ended, (ended - started) * 1000, response.status))
        conn.close()
        with lock:
            samples.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    out.put(samples)


@dataclass
class Observers:
    """The health prober and the POST clients, running until `stop()`."""

    port: int
    clients: int
    interval: float
    _stop: Event = field(init=False)
    _out: Queue[list[Sample]] = field(init=False)
    _procs: list[mp.process.BaseProcess] = field(init=False)

    def __post_init__(self) -> None:
        context = mp.get_context("fork")
        self._stop = context.Event()
        self._out = context.Queue()
        self._procs = [
            context.Process(
                target=probe_health, args=(self.port, self.interval, self._stop, self._out)
            )
        ]
        if self.clients:
            self._procs.append(
                context.Process(
                    target=post_intakes, args=(self.port, self.clients, self._stop, self._out)
                )
            )
        for proc in self._procs:
            proc.start()

    def stop(self) -> tuple[list[Sample], list[Sample]]:
        self._stop.set()
        # Read before joining: a child cannot exit while its result fills the pipe.
        first = self._out.get(timeout=120)
        second = self._out.get(timeout=120) if self.clients else []
        for proc in self._procs:
            proc.join(timeout=30)
        # The prober's samples come back first unless it was stuck in a slow request; a
        # POST sample is the only kind with status 201, which tells them apart.
        if any(status == 201 for _, _, status in first):
            first, second = second, first
        return first, second


# --- uploads, with a bare HTTP/1.1 client ----------------------------------------------
#
# httpx spends a Python-level copy and framing per chunk; eight of them at full speed
# took CPU the server needed on this two-core machine. Writing the chunked framing
# straight to an asyncio stream costs the client almost nothing beyond the kernel's copy.


@dataclass
class Upload:
    started: float = 0.0  # time.monotonic(), headers about to go
    sent: float = 0.0  # the last chunk of the body handed to the socket and drained
    done: float = 0.0  # the response read
    status: int = 0
    response: bytes = b""


async def send_upload(
    result: Upload,
    port: int,
    grant: tuple[str, str],
    size: int,
    tag: str,
    block: memoryview,
    rate: float = 0.0,
) -> None:
    """Fill in `result` as the upload goes, so the caller sees each one's progress.

    `rate` (bytes/s, 0 for as fast as the server takes them) paces the client the way a
    patient's own uplink would.
    """
    intake_id, token = grant
    boundary = uuid.uuid4().hex
    reader, writer = await asyncio.open_connection(HOST, port)
    result.started = time.monotonic()
    writer.write(
        (
            f"POST /api/v1/intakes/{intake_id}/documents HTTP/1.1\r\n"
            f"Host: {HOST}:{port}\r\n"
            f"Authorization: Bearer {token}\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
            "Transfer-Encoding: chunked\r\n\r\n"
        ).encode()
    )

    def chunk(data: bytes | memoryview) -> None:
        writer.writelines([f"{len(data):x}\r\n".encode(), data, b"\r\n"])

    chunk(
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\ncurrent_mri\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="study.pdf"'
            "\r\nContent-Type: application/pdf\r\n\r\n"
            # New bytes in every upload of every run: never answered as a duplicate.
            f"%PDF-1.4\n%{tag}\n"
        ).encode()
    )
    remaining = size - len(f"%PDF-1.4\n%{tag}\n")
    offset = 0
    while remaining > 0:
        piece = block[offset : offset + min(SEND_BYTES, remaining)]
        chunk(piece)
        await writer.drain()
        remaining -= len(piece)
        if rate:
            due = result.started + (size - remaining) / rate
            await asyncio.sleep(max(0.0, due - time.monotonic()))
        offset = (offset + len(piece)) % (len(block) - SEND_BYTES)
    chunk(f"\r\n--{boundary}--\r\n".encode())
    writer.write(b"0\r\n\r\n")
    await writer.drain()
    result.sent = time.monotonic()
    status_line = await reader.readline()
    result.status = int(status_line.split()[1])
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    result.response = await reader.readexactly(length)
    result.done = time.monotonic()
    writer.close()


async def send_uploads(
    uploads: list[Upload],
    port: int,
    grants: list[tuple[str, str]],
    size: int,
    tag: str,
    rate: float = 0.0,
) -> None:
    block = memoryview(os.urandom(16 * MiB))
    await asyncio.gather(
        *(
            send_upload(upload, port, grant, size, f"{tag}-upload{n}", block, rate)
            for n, (upload, grant) in enumerate(zip(uploads, grants, strict=True))
        )
    )


# --- figures -----------------------------------------------------------------------------


@dataclass
class Latency:
    count: int
    p50: float
    p95: float
    p99: float
    max: float

    @classmethod
    def of(cls, values: list[float]) -> Latency:
        if len(values) < 2:
            raise RuntimeError("too few samples for percentiles; run longer")
        cuts = statistics.quantiles(values, n=100, method="inclusive")
        return cls(len(values), cuts[49], cuts[94], cuts[98], max(values))

    def __str__(self) -> str:
        return (
            f"p50 {self.p50:6.1f}  p95 {self.p95:6.1f}  p99 {self.p99:6.1f}"
            f"  max {self.max:6.1f} ms  (n={self.count})"
        )


@dataclass
class Phase:
    seconds: float
    posts: int
    post_errors: int
    post_latency: Latency | None  # None: no POST load in this phase
    health: Latency
    loop_lag: Latency | None  # how late the probe's 5 ms timer fired (None: no probe)
    full_gcs: list[float]  # ms of each full (generation 2) collection in the window
    hops: dict[str, tuple[float, float, float]]  # endpoint: median ms queued, ran, back
    inside: dict[str, Latency]  # path: time inside the server (with --trace-hops)
    server_cpu: float  # seconds of CPU the API process used in the window (all threads)
    machine: dict[str, float]  # share of both cores' time: user, system, iowait, idle

    @property
    def posts_per_second(self) -> float:
        return self.posts / self.seconds


@dataclass
class Snapshot:
    """CPU counters at one moment: the API process's, and the whole machine's."""

    server: float
    machine: Any  # psutil's scputimes

    @classmethod
    def take(cls, process: psutil.Process) -> Snapshot:
        times = process.cpu_times()
        return cls(times.user + times.system, psutil.cpu_times())


def machine_shares(before: Snapshot, after: Snapshot) -> dict[str, float]:
    spent = {
        name: getattr(after.machine, name) - getattr(before.machine, name)
        for name in after.machine._fields
    }
    total = sum(spent.values()) or 1.0
    return {
        "user": (spent["user"] + spent.get("nice", 0.0)) / total,
        "system": (spent["system"] + spent.get("irq", 0.0) + spent.get("softirq", 0.0)) / total,
        "iowait": spent.get("iowait", 0.0) / total,
        "idle": spent["idle"] / total,
    }


def phase(
    health: list[Sample],
    posts: list[Sample],
    probed: Probed,
    window: tuple[float, float],
    cpu: tuple[Snapshot, Snapshot],
) -> Phase:
    start, end = window

    def within(at: float) -> bool:
        return start <= at <= end

    def inside(samples: list[Sample]) -> list[Sample]:
        return [s for s in samples if within(s[0])]

    ok = [s for s in inside(posts) if s[2] == 201]
    late = [ms for at, ms in probed.lag if within(at)]
    hops: dict[str, tuple[float, float, float]] = {}
    for name, rows in probed.hops.items():
        if mine := [r for r in rows if within(r[0])]:
            hops[name] = (
                statistics.median(r[1] for r in mine),
                statistics.median(r[2] for r in mine),
                statistics.median(r[3] for r in mine),
            )
    return Phase(
        seconds=end - start,
        posts=len(ok),
        post_errors=len(inside(posts)) - len(ok),
        post_latency=Latency.of([s[1] for s in ok]) if ok else None,
        health=Latency.of([s[1] for s in inside(health) if s[2] == 200]),
        loop_lag=Latency.of(late) if late else None,
        full_gcs=[ms for at, gen, ms in probed.gc if gen == 2 and within(at)],
        hops=hops,
        inside={
            path: Latency.of(ms)
            for path, rows in probed.requests.items()
            if len(ms := [m for at, m in rows if within(at)]) >= 2
        },
        server_cpu=cpu[1].server - cpu[0].server,
        machine=machine_shares(*cpu),
    )


@dataclass
class Loaded:
    """One round of uploads: the window in which all of them were sending, and the uploads."""

    streaming: Phase
    upload_seconds: list[float]
    mb_s: float  # all the uploads' bytes over the time from the first byte to the last


@dataclass
class Run:
    idle: Phase  # POST load, no uploads
    alone: Loaded  # uploads, with only /healthz probing: the loop's own figure
    busy: Loaded  # uploads and the POST load together: the throughput figure


# --- the bench -----------------------------------------------------------------------------


@dataclass
class Bench:
    port: int
    server: psutil.Process
    storage: Path
    grants: list[tuple[str, str]]
    probe_dir: Path
    args: argparse.Namespace
    timelines: list[list[str]] = field(default_factory=list)  # one per round of uploads

    def quiet(self) -> None:
        """Every phase starts from a synced disk: no writeback left over from the last."""
        os.sync()
        time.sleep(2)

    def idle_phase(self) -> Phase:
        self.quiet()
        watching = Observers(self.port, self.args.post_clients, self.args.probe_interval)
        time.sleep(1)  # the clients are connected and going
        before, start = Snapshot.take(self.server), time.monotonic()
        time.sleep(self.args.idle_seconds)
        end, after = time.monotonic(), Snapshot.take(self.server)
        health, posts = watching.stop()
        time.sleep(1.2)  # the probe writes its samples out once a second
        return phase(health, posts, Probed.read(self.probe_dir), (start, end), (before, after))

    def loaded_phase(self, tag: str, clients: int) -> Loaded:
        self.quiet()
        watching = Observers(self.port, clients, self.args.probe_interval)
        time.sleep(1)
        size = self.args.size * MiB
        uploads = [Upload() for _ in self.grants]
        before = Snapshot.take(self.server)
        first_sent: list[Snapshot] = []

        async def go() -> None:
            task = asyncio.ensure_future(
                send_uploads(uploads, self.port, self.grants, size, tag, self.args.rate * 1e6)
            )
            # CPU counters as the first upload has sent everything: the end of the
            # window in which all of them stream (to within the 10 ms of this poll).
            while not task.done():
                await asyncio.sleep(0.01)
                if not first_sent and any(u.sent for u in uploads):
                    first_sent.append(Snapshot.take(self.server))
            task.result()

        try:
            asyncio.run(go())
        finally:
            health, posts = watching.stop()
            self.remove_stored()
        time.sleep(1.2)  # the probe writes its samples out once a second
        probed = Probed.read(self.probe_dir)
        refused = [u for u in uploads if u.status not in (200, 201)]
        if refused:
            raise RuntimeError(f"upload refused: {refused[0].status} {refused[0].response[:300]!r}")
        start, first_done = min(u.started for u in uploads), min(u.sent for u in uploads)
        end = max(u.done for u in uploads)
        self.timelines.append(timeline(tag, health, posts, probed.lag, start, end, first_done))
        return Loaded(
            streaming=phase(health, posts, probed, (start, first_done), (before, first_sent[0])),
            upload_seconds=[u.done - u.started for u in uploads],
            mb_s=len(uploads) * size / 1e6 / (max(u.sent for u in uploads) - start),
        )

    def remove_stored(self) -> None:
        """8 x 500 MiB per run: delete what the uploads stored before the next one."""
        for stored in self.storage.glob("??/*"):
            stored.unlink()
        for partial in (self.storage / ".incoming").glob("*"):
            partial.unlink()

    def run(self, n: int) -> Run:
        return Run(
            idle=self.idle_phase(),
            alone=self.loaded_phase(f"run{n}-alone", 0),
            busy=self.loaded_phase(f"run{n}-busy", self.args.post_clients),
        )


def timeline(
    tag: str,
    health: list[Sample],
    posts: list[Sample],
    lag: list[tuple[float, float]],
    start: float,
    end: float,
    streaming_end: float,
) -> list[str]:
    """Second by second: is the slowdown even, or does it come in bursts (writeback)?"""
    lines = [
        f"  {tag}: from {start:.3f} to {end:.3f} (time.monotonic())",
        "    second  POSTs  /healthz max  loop lag max",
    ]
    second = 0
    while start + second < end:
        lo, hi = start + second, start + second + 1

        def within(at: float, lo: float = lo, hi: float = hi) -> bool:
            return lo <= at < hi

        worst_health = max((ms for at, ms, _ in health if within(at)), default=0.0)
        worst_lag = max((ms for at, ms in lag if within(at)), default=0.0)
        mark = "" if hi <= streaming_end else "  (an upload has sent all)"
        lines.append(
            f"    {second:6d}  {sum(1 for at, _, st in posts if within(at) and st == 201):5d}"
            f"  {worst_health:9.1f} ms  {worst_lag:9.1f} ms{mark}"
        )
        second += 1
    return lines


def describe(name: str, p: Phase, idle: Phase | None = None) -> str:
    versus = f" = {p.posts_per_second / idle.posts_per_second:.0%} of idle" if idle else ""
    m = p.machine
    gcs = ", ".join(f"{ms:.0f}" for ms in p.full_gcs) or "none"
    lines = [
        f"  {name:<10} {p.seconds:5.1f} s  POST {p.posts_per_second:6.1f}/s ({p.posts},"
        f" {p.post_errors} errors){versus}",
        f"    /healthz  {p.health}",
        f"    loop lag  {p.loop_lag or 'not probed'}",
        f"    POST      {p.post_latency or 'no POST load'}",
        f"    full GCs  {gcs} (ms)",
        f"    CPU: server {p.server_cpu / p.seconds:.0%} of a core; both cores"
        f" {m['user']:.0%} user, {m['system']:.0%} system, {m['iowait']:.0%} iowait,"
        f" {m['idle']:.0%} idle",
    ]
    lines += [f"    in server {path:<16} {lat}" for path, lat in sorted(p.inside.items())]
    lines += [
        f"    hop {fn:<13} median ms: {q:5.1f} queued, {r:5.1f} ran, {b:5.1f} back"
        for fn, (q, r, b) in sorted(p.hops.items())
    ]
    return "\n".join(lines) + "\n"


def report_run(n: int, r: Run) -> None:
    def uploads(loaded: Loaded) -> str:
        took = ", ".join(f"{s:.1f}" for s in sorted(loaded.upload_seconds))
        return f"    uploads: {loaded.mb_s:.0f} MB/s together; each took {took} s\n"

    say(
        f"run {n}: load average {load_average()}\n"
        + describe("idle", r.idle)
        + describe("uploads", r.alone.streaming)
        + uploads(r.alone)
        + describe("both", r.busy.streaming, r.idle)
        + uploads(r.busy)
    )


def report(runs: list[Run]) -> None:
    def listed(values: list[float], unit: str = " ms") -> str:
        return ", ".join(f"{v:.1f}" for v in values) + unit

    ratios = [r.busy.streaming.posts_per_second / r.idle.posts_per_second for r in runs]
    alone = [r.alone.streaming for r in runs]
    busy = [r.busy.streaming for r in runs]
    say(
        f"\nsummary over {len(runs)} runs (while every upload was still sending):\n"
        f"  POST/s idle {listed([r.idle.posts_per_second for r in runs], '')}, during uploads"
        f" {listed([p.posts_per_second for p in busy], '')}: "
        + ", ".join(f"{x:.0%}" for x in ratios)
        + f" of idle (median {statistics.median(ratios):.0%}); target >= 70%\n"
        f"  /healthz p99 during uploads {listed([p.health.p99 for p in alone])}; target < 50 ms\n"
        f"  /healthz p99 during uploads and POST load {listed([p.health.p99 for p in busy])}\n"
        f"  loop lag p99 (max) during uploads"
        f" {listed([p.loop_lag.p99 for p in alone if p.loop_lag])}"
        f" ({listed([p.loop_lag.max for p in alone if p.loop_lag])});"
        f" with POST load {listed([p.loop_lag.p99 for p in busy if p.loop_lag])}"
        f" ({listed([p.loop_lag.max for p in busy if p.loop_lag])})"
    )


# --- set-up ------------------------------------------------------------------------------


def start_intake(port: int) -> tuple[str, str]:
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    conn.request(
        "POST", "/api/v1/intakes", body=INTAKE_BODY, headers={"Content-Type": "application/json"}
    )
    response = conn.getresponse()
    body: dict[str, Any] = json.loads(response.read())
    conn.close()
    return str(body["id"]), str(body["access_token"])


@contextmanager
def redis_queue(url: str) -> Iterator[str]:
    """A queue name nobody else uses on `url`; its messages (never consumed) go at the end."""
    name = f"bench-loop-{uuid.uuid4().hex[:8]}"
    try:
        yield name
    finally:
        client = redis.Redis.from_url(url)
        # The queue itself and kombu's binding keys for it.
        for key in client.scan_iter(match=f"*{name}*"):
            client.delete(key)
        client.close()


def check_space(work: Path, args: argparse.Namespace) -> None:
    need = args.uploads * args.size * MiB * 1.1
    free = shutil.disk_usage(work).free
    say(f"disk: {free / 2**30:.1f} GiB free under {work}, a run stores {need / 2**30:.1f} GiB")
    if free < need + 4 * 2**30:
        raise SystemExit("not enough disk space for the uploads (and 4 GiB to spare)")


def probe_env(site: Path, out: Path, args: argparse.Namespace) -> dict[str, str]:
    """Environment that makes the server load PROBE, and what the options ask of it."""
    site.mkdir()
    out.mkdir()
    (site / "sitecustomize.py").write_text(PROBE)
    paths = [str(site), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {"PYTHONPATH": os.pathsep.join(paths), "BENCH_PROBE_DIR": str(out)}
    if args.trace_hops:
        env["BENCH_TRACE_HOPS"] = "1"
    if args.sync_healthz:
        env["BENCH_SYNC_HEALTHZ"] = "1"
    if args.switch_interval:
        env["BENCH_SWITCH_INTERVAL"] = str(args.switch_interval)
    if args.thread_limit:
        env["BENCH_THREAD_LIMIT"] = str(args.thread_limit)
    if not args.gc_freeze:
        env["BENCH_NO_GC_FREEZE"] = "1"
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--uploads", type=int, default=8, help="concurrent uploads")
    parser.add_argument("--size", type=int, default=500, help="MiB per upload")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument(
        "--rate", type=float, default=0.0, help="MB/s per upload; 0: as fast as it goes"
    )
    parser.add_argument("--idle-seconds", type=float, default=20.0)
    parser.add_argument("--post-clients", type=int, default=16, help="closed-loop POST clients")
    parser.add_argument("--probe-interval", type=float, default=0.025, help="seconds")
    parser.add_argument("--port", type=int, default=8775)
    parser.add_argument(
        "--admin-url",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="where to CREATE (and later DROP) the bench database",
    )
    parser.add_argument("--broker-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--work-dir", default=str(ROOT / "var"), help="where uploads are stored")
    parser.add_argument(
        "--log-dir", default="", help="where the server's output goes (default: the work dir)"
    )
    parser.add_argument(
        "--probe",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="loop lag and GC pauses from inside the server (a sitecustomize; see PROBE)",
    )
    parser.add_argument(
        "--probe-dir",
        default="/dev/shm" if Path("/dev/shm").is_dir() else "",
        help="where the probe writes (tmpfs, so it never waits on the disk)",
    )
    parser.add_argument(
        "--trace-hops", action="store_true", help="time each sync route's thread-pool hop"
    )
    parser.add_argument(
        "--sync-healthz",
        action="store_true",
        help="before the fix: /healthz as a plain def, through the thread pool",
    )
    parser.add_argument(
        "--switch-interval", type=float, default=0.0, help="what-if: sys.setswitchinterval"
    )
    parser.add_argument(
        "--thread-limit",
        type=int,
        default=0,
        help="what-if: AnyIO's default thread pool capped at N threads (default 40)",
    )
    parser.add_argument(
        "--gc-freeze",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="--no-gc-freeze serves create_app as before the fix (no gc.freeze())",
    )
    parser.add_argument("--timeline", action="store_true", help="print each loaded second")
    args = parser.parse_args()
    Path(args.work_dir).mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="bench-loop-", dir=args.work_dir))
    check_space(work, args)
    say(f"load average before: {load_average()}")
    try:
        with (
            fresh_database(args.admin_url, prefix="bench_loop") as database_url,
            redis_queue(args.broker_url) as queue,
        ):
            env = service_env(
                work,
                database_url=database_url,
                broker_url=args.broker_url,
                TASK_QUEUE=queue,
                PUBLIC_BASE_URL=f"http://{HOST}:{args.port}",
            )
            log = Path(args.log_dir or work) / f"{work.name}-api.log"
            migrate(env, log)
            probe_dir = Path(args.probe_dir or work) / f"{work.name}-probe"
            if args.probe:
                env |= probe_env(work / "probe", probe_dir, args)
            argv = [str(BIN / "intake"), "api", "--host", HOST, "--port", str(args.port)]
            with serving(argv, env, args.port, log) as server:
                grants = [start_intake(args.port) for _ in range(args.uploads)]
                bench = Bench(args.port, server, work / "uploads", grants, probe_dir, args)
                # Imports, pools and first rows: a short upload and a few POSTs, not counted.
                asyncio.run(send_uploads([Upload()], args.port, grants[:1], MiB, "warm-up"))
                bench.remove_stored()
                for _ in range(20):
                    start_intake(args.port)
                runs = []
                for n in range(1, args.reps + 1):
                    runs.append(bench.run(n))
                    report_run(n, runs[-1])
                    if args.timeline:
                        say("\n".join(line for lines in bench.timelines[-2:] for line in lines))
                report(runs)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if args.log_dir:
            (Path(args.log_dir) / f"{work.name}-api.log").unlink(missing_ok=True)
        if args.probe_dir:
            shutil.rmtree(Path(args.probe_dir) / f"{work.name}-probe", ignore_errors=True)
    say(f"load average after: {load_average()}")


if __name__ == "__main__":
    main()
