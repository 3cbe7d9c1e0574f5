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
from upload_tools import BIN, PATIENT, ROOT, MiB, fresh_database, migrate, serving

HOST = "127.0.0.1"
SEND_BYTES = 1 * MiB  # one HTTP chunk; the server reads from its socket in smaller pieces
INTAKE_BODY = json.dumps({"patient": PATIENT, "answers": {}}).encode()


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


# --- the loop-lag probe ----------------------------------------------------------------
#
# /healthz is a sync route: its latency includes the hop through the thread pool (and
# the GIL), not only the event loop. To see the loop itself, the server is started with
# this sitecustomize on its PYTHONPATH: it adds one task to uvicorn's loop that sleeps
# 5 ms and records how late it woke. The service's code is not touched; the probe costs
# ~200 wake-ups a second. Samples are appended once a second to a file on tmpfs, so the
# probe never waits on the disk it is watching.

LAG_PROBE = """
import asyncio
import os
import time

import uvicorn.server

_PATH = os.environ["BENCH_LOOP_LAG_FILE"]
_EVERY = 0.005
if os.environ.get("BENCH_SWITCH_INTERVAL"):  # a diagnostic only: see --switch-interval
    import sys

    sys.setswitchinterval(float(os.environ["BENCH_SWITCH_INTERVAL"]))


async def _watch():
    samples = []
    flushed = time.monotonic()
    while True:
        due = time.monotonic() + _EVERY
        await asyncio.sleep(_EVERY)
        now = time.monotonic()
        samples.append(f"{now:.6f} {(now - due) * 1000:.3f}\\n")
        if now - flushed > 1.0:
            with open(_PATH, "a") as out:
                out.writelines(samples)
            samples.clear()
            flushed = now


if os.environ.get("BENCH_DIAG_PATCH"):  # TEMPORARY diagnostic hook
    exec(open(os.environ["BENCH_DIAG_PATCH"]).read())

_main_loop = uvicorn.server.Server.main_loop


async def main_loop(self):
    watcher = asyncio.ensure_future(_watch())
    try:
        await _main_loop(self)
    finally:
        watcher.cancel()


uvicorn.server.Server.main_loop = main_loop
"""


def read_lag(path: Path) -> list[tuple[float, float]]:
    """(time.monotonic(), ms late) per probe wake-up so far."""
    if not path.exists():
        return []
    samples = []
    for line in path.read_text().splitlines():
        at, late = line.split()
        samples.append((float(at), float(late)))
    return samples


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
            ),
            context.Process(
                target=post_intakes, args=(self.port, self.clients, self._stop, self._out)
            ),
        ]
        for proc in self._procs:
            proc.start()

    def stop(self) -> tuple[list[Sample], list[Sample]]:
        self._stop.set()
        # Read before joining: a child cannot exit while its result fills the pipe.
        first, second = self._out.get(timeout=120), self._out.get(timeout=120)
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
    run: int,
    rate: float = 0.0,
) -> None:
    block = memoryview(os.urandom(16 * MiB))
    await asyncio.gather(
        *(
            send_upload(upload, port, grant, size, f"run{run}-upload{n}", block, rate)
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
    post_latency: Latency
    health: Latency
    loop_lag: Latency | None  # how late the probe's 5 ms timer fired (None: no probe)
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
    lag: list[tuple[float, float]],
    window: tuple[float, float],
    cpu: tuple[Snapshot, Snapshot],
) -> Phase:
    start, end = window

    def inside(samples: list[Sample]) -> list[Sample]:
        return [s for s in samples if start <= s[0] <= end]

    ok = [s for s in inside(posts) if s[2] == 201]
    late = [ms for at, ms in lag if start <= at <= end]
    return Phase(
        seconds=end - start,
        posts=len(ok),
        post_errors=len(inside(posts)) - len(ok),
        post_latency=Latency.of([s[1] for s in ok]),
        health=Latency.of([s[1] for s in inside(health) if s[2] == 200]),
        loop_lag=Latency.of(late) if late else None,
        server_cpu=cpu[1].server - cpu[0].server,
        machine=machine_shares(*cpu),
    )


@dataclass
class Run:
    idle: Phase
    streaming: Phase  # every upload still sending
    whole: Phase  # until the last upload's response
    upload_seconds: list[float]
    stream_mb_s: float  # all uploads' bytes over the time from the first byte to the last


# --- the bench -----------------------------------------------------------------------------


@dataclass
class Bench:
    port: int
    server: psutil.Process
    storage: Path
    grants: list[tuple[str, str]]
    lag_file: Path
    args: argparse.Namespace
    timeline: list[str] = field(default_factory=list)  # of the last loaded phase

    def observers(self) -> Observers:
        return Observers(self.port, self.args.post_clients, self.args.probe_interval)

    def quiet(self) -> None:
        """Every phase starts from a synced disk: no writeback left over from the last."""
        os.sync()
        time.sleep(2)

    def idle_phase(self) -> Phase:
        self.quiet()
        watching = self.observers()
        time.sleep(1)  # the clients are connected and going
        before, start = Snapshot.take(self.server), time.monotonic()
        time.sleep(self.args.idle_seconds)
        end, after = time.monotonic(), Snapshot.take(self.server)
        health, posts = watching.stop()
        time.sleep(1.2)  # the probe writes its samples out once a second
        return phase(health, posts, read_lag(self.lag_file), (start, end), (before, after))

    def loaded_phase(self, run: int) -> tuple[Phase, Phase, list[Upload]]:
        self.quiet()
        watching = self.observers()
        time.sleep(1)
        size = self.args.size * MiB
        uploads = [Upload() for _ in self.grants]
        before = Snapshot.take(self.server)
        first_sent: list[Snapshot] = []

        async def go() -> None:
            task = asyncio.ensure_future(
                send_uploads(uploads, self.port, self.grants, size, run, self.args.rate * 1e6)
            )
            # CPU counters as the first upload has sent everything: the end of the
            # window in which all of them stream (to within the 10 ms of this poll).
            while not task.done():
                await asyncio.sleep(0.01)
                if not first_sent and any(u.sent for u in uploads):
                    first_sent.append(Snapshot.take(self.server))
            task.result()

        asyncio.run(go())
        after = Snapshot.take(self.server)
        health, posts = watching.stop()
        time.sleep(1.2)  # the probe writes its samples out once a second
        lag = read_lag(self.lag_file)
        refused = [u for u in uploads if u.status not in (200, 201)]
        if refused:
            raise RuntimeError(f"upload refused: {refused[0].status} {refused[0].response[:300]!r}")
        start = min(u.started for u in uploads)
        streaming = phase(
            health, posts, lag, (start, min(u.sent for u in uploads)), (before, first_sent[0])
        )
        end = max(u.done for u in uploads)
        whole = phase(health, posts, lag, (start, end), (before, after))
        self.timeline = timeline(health, posts, lag, start, end, min(u.sent for u in uploads))
        return streaming, whole, uploads

    def remove_stored(self) -> None:
        """8 x 500 MiB per run: delete what the uploads stored before the next one."""
        for stored in self.storage.glob("??/*"):
            stored.unlink()
        for partial in (self.storage / ".incoming").glob("*"):
            partial.unlink()

    def run(self, n: int) -> Run:
        idle = self.idle_phase()
        try:
            streaming, whole, uploads = self.loaded_phase(n)
        finally:
            self.remove_stored()
        total = len(uploads) * self.args.size * MiB
        span = max(u.sent for u in uploads) - min(u.started for u in uploads)
        return Run(
            idle=idle,
            streaming=streaming,
            whole=whole,
            upload_seconds=[u.done - u.started for u in uploads],
            stream_mb_s=total / 1e6 / span,
        )


def timeline(
    health: list[Sample],
    posts: list[Sample],
    lag: list[tuple[float, float]],
    start: float,
    end: float,
    streaming_end: float,
) -> list[str]:
    """Second by second: is the slowdown even, or does it come in bursts (writeback)?"""
    lines = ["    second  POSTs  /healthz max  loop lag max"]
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
    return (
        f"  {name:<10} {p.seconds:5.1f} s  POST {p.posts_per_second:6.1f}/s ({p.posts},"
        f" {p.post_errors} errors){versus}\n"
        f"    /healthz  {p.health}\n"
        f"    loop lag  {p.loop_lag or 'not probed'}\n"
        f"    POST      {p.post_latency}\n"
        f"    CPU: server {p.server_cpu / p.seconds:.0%} of a core; both cores"
        f" {m['user']:.0%} user, {m['system']:.0%} system, {m['iowait']:.0%} iowait,"
        f" {m['idle']:.0%} idle\n"
    )


def report_run(n: int, r: Run) -> None:
    say(
        f"run {n}: load average {load_average()}\n"
        + describe("idle", r.idle)
        + describe("streaming", r.streaming, r.idle)
        + describe("until done", r.whole, r.idle)
        + f"  uploads: {r.stream_mb_s:.0f} MB/s together; each took "
        + ", ".join(f"{s:.1f}" for s in sorted(r.upload_seconds))
        + " s"
    )


def report(runs: list[Run]) -> None:
    def med(values: Iterator[float]) -> float:
        return statistics.median(list(values))

    ratios = [r.streaming.posts_per_second / r.idle.posts_per_second for r in runs]
    p99s = [r.streaming.health.p99 for r in runs]
    lag99s = [r.streaming.loop_lag.p99 for r in runs if r.streaming.loop_lag]
    say(
        f"\nsummary over {len(runs)} runs (medians; the ratio per run, then its median):\n"
        f"  idle POST/s {med(r.idle.posts_per_second for r in runs):.1f}, during uploads"
        f" {med(r.streaming.posts_per_second for r in runs):.1f}: {statistics.median(ratios):.0%}"
        f" (runs: {', '.join(f'{x:.0%}' for x in ratios)}); target >= 70%\n"
        f"  /healthz p99 while streaming: {', '.join(f'{p:.1f}' for p in p99s)}"
        f" ms (worst {max(p99s):.1f}); target < 50 ms\n"
        f"  loop lag p99 while streaming: {', '.join(f'{p:.1f}' for p in lag99s)} ms"
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


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--uploads", type=int, default=8, help="concurrent uploads")
    parser.add_argument("--size", type=int, default=500, help="MiB per upload")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument(
        "--rate", type=float, default=0.0, help="MB/s per upload; 0: as fast as it goes"
    )
    parser.add_argument("--idle-seconds", type=float, default=20.0)
    parser.add_argument("--post-clients", type=int, default=4, help="closed-loop POST clients")
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
        "--lag-probe",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="time the server's event loop from inside (a sitecustomize; see LAG_PROBE)",
    )
    parser.add_argument(
        "--lag-dir",
        default="/dev/shm" if Path("/dev/shm").is_dir() else "",
        help="where the probe writes (tmpfs, so it never waits on the disk)",
    )
    parser.add_argument("--timeline", action="store_true", help="print each loaded second")
    parser.add_argument(
        "--switch-interval",
        type=float,
        default=0.0,
        help="diagnostic: the server's sys.setswitchinterval (needs the lag probe)",
    )
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
            env = {
                **os.environ,
                "ENVIRONMENT": "development",
                "DATABASE_URL": database_url,
                "BROKER_URL": args.broker_url,
                "TASK_QUEUE": queue,
                "VAR_DIR": str(work),
                "STORAGE_DIR": str(work / "uploads"),
                "MAILBOX_DIR": str(work / "mail"),
                "PUBLIC_BASE_URL": f"http://{HOST}:{args.port}",
            }
            log = Path(args.log_dir or work) / f"{work.name}-api.log"
            migrate(env, log)
            lag_file = Path(args.lag_dir or work) / f"{work.name}-lag.txt"
            if args.lag_probe:
                probe = work / "probe"
                probe.mkdir()
                (probe / "sitecustomize.py").write_text(LAG_PROBE)
                paths = [str(probe), *filter(None, [os.environ.get("PYTHONPATH")])]
                env |= {"PYTHONPATH": os.pathsep.join(paths), "BENCH_LOOP_LAG_FILE": str(lag_file)}
                if args.switch_interval:
                    env["BENCH_SWITCH_INTERVAL"] = str(args.switch_interval)
            argv = [str(BIN / "intake"), "api", "--host", HOST, "--port", str(args.port)]
            with serving(argv, env, args.port, log) as server:
                grants = [start_intake(args.port) for _ in range(args.uploads)]
                bench = Bench(args.port, server, work / "uploads", grants, lag_file, args)
                # Imports, pools and first rows: a short upload and a few POSTs, not counted.
                asyncio.run(send_uploads([Upload()], args.port, grants[:1], MiB, 0))
                bench.remove_stored()
                for _ in range(20):
                    start_intake(args.port)
                runs = []
                for n in range(1, args.reps + 1):
                    runs.append(bench.run(n))
                    report_run(n, runs[-1])
                    if args.timeline:
                        say("\n".join(bench.timeline))
                report(runs)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if args.log_dir:
            (Path(args.log_dir) / f"{work.name}-api.log").unlink(missing_ok=True)
        if args.lag_dir:
            (Path(args.lag_dir) / f"{work.name}-lag.txt").unlink(missing_ok=True)
    say(f"load average after: {load_average()}")


if __name__ == "__main__":
    main()
