"""The log format: one JSON object per line, the bound context, and redaction."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import structlog

from intake.logs import REDACTED, formatter
from tests.support import ROOT


@pytest.fixture
def captured() -> Iterator[tuple[str, io.StringIO]]:
    """A logger of its own that writes JSON into a buffer, away from the root logger."""
    name = "tests.observability.sample"
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter("json"))
    logger = logging.getLogger(name)
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield name, stream
    logger.removeHandler(handler)
    logger.propagate = True
    structlog.contextvars.clear_contextvars()


def _lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_stdlib_record_is_one_json_line_with_the_bound_request_id(
    captured: tuple[str, io.StringIO],
) -> None:
    name, stream = captured
    with structlog.contextvars.bound_contextvars(request_id="req-12345678"):
        logging.getLogger(name).info("email %s sent (attempt %d)", "e-1", 2)
    [line] = _lines(stream)
    assert line["event"] == "email e-1 sent (attempt 2)"
    assert (line["level"], line["logger"], line["request_id"]) == ("info", name, "req-12345678")
    stamped = datetime.fromisoformat(line["timestamp"])
    assert stamped.utcoffset() == UTC.utcoffset(None)


def test_phi_keys_and_email_addresses_are_masked(captured: tuple[str, io.StringIO]) -> None:
    name, stream = captured
    structlog.stdlib.get_logger(name).info(
        "refused for ada@example.com",
        email="ada@example.com",
        first_name="Ada",
        details={"phone": "+44 20 7946 0000", "kind": "operative_note"},
        attempts=3,
    )
    try:
        raise ValueError("no mailbox <ada@example.com>")
    except ValueError:
        logging.getLogger(name).exception("delivery failed")
    first, second = _lines(stream)
    assert first["event"] == f"refused for {REDACTED}"
    assert (first["email"], first["first_name"]) == (REDACTED, REDACTED)
    assert first["details"] == {"phone": REDACTED, "kind": "operative_note"}
    assert first["attempts"] == 3
    assert "ValueError" in second["exception"]
    assert "ada@example.com" not in stream.getvalue()


def test_a_configured_process_writes_json_and_holds_the_noisy_loggers() -> None:
    script = """
import logging
from intake.config import Settings
from intake.logs import configure_logging
configure_logging(Settings(log_format="json", log_level="DEBUG"))
logging.getLogger("intake.anything").debug("kept")
logging.getLogger("sqlalchemy.engine.Engine").info("SELECT with parameters")
logging.getLogger("uvicorn.access").info("GET /auth/magic?token=secret")
print("not a log line")
"""
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    events = [json.loads(line)["event"] for line in done.stderr.splitlines()]
    assert events == ["kept"]


def test_console_tracebacks_leave_out_the_frames_locals() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter("console"))
    logger = logging.getLogger("tests.observability.console")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        last_name = "Lovelace"
        raise RuntimeError(f"{len(last_name)} letters")
    except RuntimeError:
        logger.exception("failed")
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    assert "RuntimeError: 8 letters" in stream.getvalue()
    assert "Lovelace" not in stream.getvalue()
