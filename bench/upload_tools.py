"""The pieces of bench/uploads.py: a fresh database, processes, files, RSS, the client."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import anyio
import httpx2 as httpx
import psutil
import psycopg
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
MiB = 1024 * 1024
READ_BYTES = 4 * MiB
PATIENT = {
    "first_name": "Bench",
    "last_name": "Mark",
    "email": "bench@example.com",
    "date_of_birth": "1970-01-01",
    "timezone": "UTC",
}


@contextmanager
def fresh_database(admin_url: str, prefix: str = "bench_uploads") -> Iterator[str]:
    """A new PostgreSQL database, dropped afterwards; yields its SQLAlchemy URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        url = make_url(admin_url).set(drivername="postgresql+psycopg", database=name)
        yield url.render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def service_env(work: Path, *, database_url: str, broker_url: str, **more: str) -> dict[str, str]:
    """The environment `intake` commands get in a bench: this run's database and broker,
    and every file it writes under `work`. `more` adds or overrides variables."""
    return {
        **os.environ,
        "ENVIRONMENT": "development",
        "DATABASE_URL": database_url,
        "BROKER_URL": broker_url,
        "VAR_DIR": str(work),
        "STORAGE_DIR": str(work / "uploads"),
        "MAILBOX_DIR": str(work / "mail"),
        **more,
    }


@contextmanager
def serving(argv: list[str], env: dict[str, str], port: int, log: Path) -> Iterator[psutil.Process]:
    """Run a server until the block ends; yields it once /healthz answers."""
    with log.open("ab") as out:
        server = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            raise RuntimeError(f"{argv[0]} did not come up; see {log}")
        yield psutil.Process(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)


def migrate(env: dict[str, str], log: Path) -> None:
    with log.open("ab") as out:
        subprocess.run(
            [str(BIN / "intake"), "migrate"], env=env, cwd=ROOT, check=True, stdout=out, stderr=out
        )


def make_source(path: Path, size: int) -> None:
    """Random bytes behind a PDF signature (random, so nothing compresses or dedupes)."""
    block = os.urandom(8 * MiB)
    with path.open("wb") as out:
        out.write(b"%PDF-1.4\n")
        written = 9
        while written < size:
            piece = block[: size - written]
            out.write(piece)
            written += len(piece)


def stamp(path: Path, rep: int) -> None:
    """Make each upload's bytes new, so none is answered as a duplicate."""
    with path.open("r+b") as out:
        out.write(f"%PDF-1.4\n%{rep:06d}\n".encode())


def plain_copy(source: Path, target: Path, *, fsync: bool) -> float:
    started = time.perf_counter()
    with source.open("rb") as src, target.open("wb") as dst:
        shutil.copyfileobj(src, dst, READ_BYTES)
        if fsync:  # the upload path fsyncs its temp file; this is the like-for-like copy
            dst.flush()
            os.fsync(dst.fileno())
    elapsed = time.perf_counter() - started
    target.unlink()
    return elapsed


def settle(source: Path) -> None:
    """Start each timing alike: no dirty pages left from the last one, the source cached.

    The kernel here reclaims idle page cache (kdamond), so without the read the first
    timing after a pause reads the source from disk and the next does not.
    """
    os.sync()
    with source.open("rb") as file:
        while file.read(READ_BYTES):
            pass
    time.sleep(0.2)


class RssSampler:
    """The server's peak RSS while running, sampled every 10 ms on a thread."""

    def __init__(self, process: psutil.Process) -> None:
        self._process = process
        self._stop = threading.Event()
        self.peak = process.memory_info().rss
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, self._process.memory_info().rss)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class UploadRun:
    seconds: float
    status: int
    health_ms: list[float]


async def upload(base: str, intake_id: str, token: str, source: Path) -> UploadRun:
    boundary = uuid.uuid4().hex

    async def body() -> AsyncIterator[bytes]:
        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\ncurrent_mri\r\n'
            f"--{boundary}\r\nContent-Disposition: form-data; "
            f'name="file"; filename="study.pdf"\r\n\r\n'
        ).encode()
        async with await anyio.open_file(source, "rb") as file:
            while chunk := await file.read(READ_BYTES):
                yield chunk
        yield f"\r\n--{boundary}--\r\n".encode()

    health_ms: list[float] = []
    done = anyio.Event()

    async def poll_health(client: httpx.AsyncClient) -> None:
        while not done.is_set():
            started = time.perf_counter()
            await client.get(f"{base}/healthz")
            health_ms.append((time.perf_counter() - started) * 1000)
            await anyio.sleep(0.05)

    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": f"multipart/form-data; boundary={boundary}",
    }
    async with httpx.AsyncClient(timeout=600) as client, anyio.create_task_group() as tasks:
        tasks.start_soon(poll_health, client)
        started = time.perf_counter()
        response = await client.post(
            f"{base}/api/v1/intakes/{intake_id}/documents", content=body(), headers=headers
        )
        seconds = time.perf_counter() - started
        done.set()
    if response.status_code != 201:
        raise RuntimeError(f"upload refused: {response.status_code} {response.text[:300]}")
    return UploadRun(seconds, response.status_code, health_ms)
