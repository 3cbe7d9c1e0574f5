"""Upload throughput and server memory against a plain file copy, in one run.

Starts the service with its production entry point (`intake api`, uvicorn) on a fresh
PostgreSQL database migrated by `intake migrate`, streams each file size through
`POST /api/v1/intakes/{id}/documents` with an async httpx client (chunked, no
Content-Length), and copies the same file with `shutil.copyfileobj` on the same disk.
While each upload runs it samples the server's RSS (psutil) and times `GET /healthz`.

Each repetition times, back to back and from a synced disk: the plain copy, the copy
with fsync (the upload fsyncs too), the same client streaming to a server that only
drains the body (bench/drain_app.py: what HTTP alone costs here), and the upload.
Ratios are taken per repetition, then the median, so load from elsewhere on the
machine hits both sides of a ratio alike.

    .venv/bin/python bench/uploads.py --sizes 256 1024 --reps 3

Not a test: pytest never collects bench/. Figures and the machine go in bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import anyio
import httpx2 as httpx
import psutil
from upload_tools import (
    BIN,
    PATIENT,
    ROOT,
    MiB,
    RssSampler,
    fresh_database,
    make_source,
    migrate,
    plain_copy,
    service_env,
    serving,
    settle,
    stamp,
    upload,
)


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


@dataclass
class Target:
    """A server to upload to: the real API, or the drain."""

    base: str
    process: psutil.Process
    intake_id: str = "00000000-0000-0000-0000-000000000000"
    token: str = "none"

    def send(self, source: Path) -> tuple[float, list[float]]:
        result = anyio.run(upload, self.base, self.intake_id, self.token, source)
        return result.seconds, result.health_ms


@dataclass
class Figures:
    copy: list[float] = field(default_factory=list)
    synced: list[float] = field(default_factory=list)
    drain: list[float] = field(default_factory=list)
    upload: list[float] = field(default_factory=list)
    rss_growth_mib: list[float] = field(default_factory=list)
    health_ms: list[float] = field(default_factory=list)


def measure(api: Target, drain: Target, work: Path, size_mib: int, reps: int) -> Figures:
    source = work / f"source-{size_mib}.pdf"
    make_source(source, size_mib * MiB)
    figures = Figures()
    for rep in range(reps):
        stamp(source, size_mib * 1000 + rep)  # new bytes: never answered as a duplicate
        settle(source)
        figures.copy.append(plain_copy(source, work / "copy.bin", fsync=False))
        settle(source)
        figures.synced.append(plain_copy(source, work / "copy.bin", fsync=True))
        settle(source)
        figures.drain.append(drain.send(source)[0])
        settle(source)
        idle = api.process.memory_info().rss
        with RssSampler(api.process) as rss:
            seconds, health_ms = api.send(source)
        figures.upload.append(seconds)
        figures.rss_growth_mib.append((rss.peak - idle) / MiB)
        figures.health_ms.extend(health_ms)
        # Like the copy's target, the stored file goes before the next timing.
        for stored in (work / "uploads").glob("??/*"):
            stored.unlink()
    source.unlink()
    return figures


def report(size_mib: int, f: Figures) -> None:
    def rate(seconds: list[float]) -> float:
        return size_mib * MiB / 1e6 / statistics.median(seconds)

    def ratio(upload: list[float], baseline: list[float]) -> float:
        return statistics.median(b / u for u, b in zip(upload, baseline, strict=True))

    health = sorted(f.health_ms)
    say(
        f"{size_mib} MiB, {len(f.upload)} runs (medians):\n"
        f"  copyfileobj       {rate(f.copy):7.1f} MB/s\n"
        f"  copyfileobj+fsync {rate(f.synced):7.1f} MB/s\n"
        f"  HTTP drain        {rate(f.drain):7.1f} MB/s\n"
        f"  upload            {rate(f.upload):7.1f} MB/s   each run: "
        + ", ".join(f"{size_mib * MiB / 1e6 / s:.0f}" for s in f.upload)
        + f"\n  upload/copy {ratio(f.upload, f.copy):.0%}, upload/copy+fsync"
        f" {ratio(f.upload, f.synced):.0%}, upload/drain {ratio(f.upload, f.drain):.0%}\n"
        f"  peak server RSS above idle: {max(f.rss_growth_mib):.1f} MiB (worst run)\n"
        f"  GET /healthz during uploads: p50 {statistics.median(health):.1f} ms,"
        f" p99 {health[int(len(health) * 0.99)]:.1f} ms, max {health[-1]:.1f} ms"
        f" ({len(health)} probes)"
    )


def run(args: argparse.Namespace) -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-uploads-", dir=args.work_dir))
    api_url, drain_url = (f"http://127.0.0.1:{p}" for p in (args.port, args.port + 1))
    uvicorn = [str(BIN / "uvicorn"), "--app-dir", str(ROOT / "bench"), "drain_app:app"]
    say(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    try:
        with fresh_database(args.admin_url) as database_url:
            env = service_env(
                work,
                database_url=database_url,
                broker_url=args.broker_url or f"sqla+sqlite:///{work / 'broker.db'}",
                PUBLIC_BASE_URL=api_url,
                MAX_UPLOAD_BYTES=str(max(args.sizes) * MiB + MiB),
            )
            migrate(env, work / "api.log")
            api_argv = [str(BIN / "intake"), "api", "--host", "127.0.0.1", "--port", str(args.port)]
            drain_argv = [*uvicorn, "--port", str(args.port + 1), "--log-level", "warning"]
            with (
                serving(api_argv, env, args.port, work / "api.log") as api_process,
                serving(drain_argv, env, args.port + 1, work / "drain.log") as drain_process,
            ):
                started = httpx.post(
                    f"{api_url}/api/v1/intakes", json={"patient": PATIENT, "answers": {}}
                ).json()
                api = Target(api_url, api_process, started["id"], started["access_token"])
                drain = Target(drain_url, drain_process)
                warm = work / "warm.pdf"
                make_source(warm, MiB)
                api.send(warm)  # imports, pools, first rows: not part of any figure
                for size_mib in args.sizes:
                    report(size_mib, measure(api, drain, work, size_mib, args.reps))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    say(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 1024], help="MiB")
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--port", type=int, default=8765, help="and the next one, for the drain")
    parser.add_argument(
        "--admin-url",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="where to CREATE (and later DROP) the bench database",
    )
    parser.add_argument("--broker-url", default="", help="default: the embedded SQLite broker")
    parser.add_argument("--work-dir", default=str(ROOT / "var"), help="storage and copies")
    args = parser.parse_args()
    Path(args.work_dir).mkdir(parents=True, exist_ok=True)
    run(args)


if __name__ == "__main__":
    main()
