"""Helpers shared by the tests: real services, waiting, and process control."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import TypeVar

import pytest
from alembic import command
from alembic.config import Config
from fastapi.testclient import TestClient

from intake import db, jobs
from intake.config import get_settings

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
T = TypeVar("T")


def unavailable(service: str, reason: str) -> None:
    """Skip on a developer machine without the service; fail loudly in CI."""
    message = f"{service} is not reachable: {reason}"
    if os.environ.get("CI"):
        pytest.fail(f"{message} (CI must have it)")
    pytest.skip(message)


def alembic_config(database_url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.attributes["database_url"] = database_url
    config.attributes["configure_logging"] = False
    return config


def migrate(database_url: str) -> None:
    command.upgrade(alembic_config(database_url), "head")


def reset_caches() -> None:
    """Forget cached settings, engines and publishers after the environment changed."""
    if db.get_engine.cache_info().currsize:
        db.get_engine().dispose()
    for cached in (get_settings, db.get_engine, db.get_session_factory, jobs.get_publisher):
        cached.cache_clear()


def wait_for(check: Callable[[], T | None], *, timeout: float = 45, what: str = "condition") -> T:
    """Poll until `check` returns something truthy; fail with `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"timed out after {timeout}s waiting for {what}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def parse_email(raw: bytes) -> EmailMessage:
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def start_process(
    argv: list[str], *, env: dict[str, str], log_path: Path, cwd: Path | None = None
) -> subprocess.Popen[bytes]:
    with log_path.open("ab") as log:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [str(VENV_BIN / argv[0]), *argv[1:]],
            env=env,
            cwd=cwd or ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop_process(process: subprocess.Popen[bytes], *, grace: float = 15) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


_FORM_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def form_token(client: TestClient, page: str) -> str:
    """The CSRF token in the form on `page`, loaded as a browser would (setting its cookie)."""
    match = _FORM_TOKEN.search(client.get(page).text)
    assert match, f"no CSRF field on {page}"
    return match.group(1)
