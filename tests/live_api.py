"""`intake api` (uvicorn) in its own process, for tests that need a real socket or browser."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx2 as httpx

from intake import processes
from tests.conftest import PATIENT, StartedIntake, service_env
from tests.support import free_port, start_process, stop_process, wait_for


@dataclass(frozen=True)
class LiveApi:
    base: str
    port: int
    pid: int
    storage: Path

    def start_intake(self, email: str = "ada@example.com") -> StartedIntake:
        body = {"patient": {**PATIENT, "email": email}, "answers": {}}
        response = httpx.post(f"{self.base}/api/v1/intakes", json=body, timeout=30)
        assert response.status_code == 201, response.text
        return StartedIntake(id=response.json()["id"], token=response.json()["access_token"])

    def documents(self, started: StartedIntake) -> list[object]:
        response = httpx.get(
            f"{self.base}/api/v1/intakes/{started.id}/documents", headers=started.auth, timeout=30
        )
        listed: list[object] = response.json()
        return listed


@contextmanager
def live_api_process(
    *,
    database_url: str,
    smtp_url: str,
    var_dir: Path,
    env: dict[str, str] | None = None,
    queue_prefix: str = "live",
) -> Iterator[LiveApi]:
    """The production entry point on a free port, with `env` on top of the test settings."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = service_env(
        database_url=database_url, smtp_url=smtp_url, var_dir=var_dir, queue_prefix=queue_prefix
    )
    api = start_process(
        processes.api_command("127.0.0.1", port),
        env={**os.environ, **settings, "PUBLIC_BASE_URL": base, **(env or {})},
        log_path=var_dir / "api.log",
    )

    def up() -> bool:
        try:
            return httpx.get(f"{base}/healthz", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_for(up, timeout=60, what="the API process")
        yield LiveApi(base=base, port=port, pid=api.pid, storage=var_dir / "uploads")
    finally:
        stop_process(api)
