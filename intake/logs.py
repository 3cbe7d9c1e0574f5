"""Logging for every process: one JSON object per line on stderr, with the request id.

structlog and the standard library share one pipeline: our `logging.getLogger` calls,
uvicorn, Celery and SQLAlchemy all come out in the same shape (timestamp, level, logger,
event, and request_id / task_id / task_name when bound). `configure_logging` is called
once per process by its entry point; in-process tests leave logging to pytest.

The guarantee that logs carry no PHI is that the code never logs it (ids only);
`redact_phi` is a second line, for keys and addresses that slip through anyway.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

from intake.config import Settings

REDACTED = "[redacted]"
# Keys whose values describe a patient, wherever they appear in an event.
PHI_KEYS = frozenset(
    {
        "address",
        "answers",
        "body",
        "date_of_birth",
        "dob",
        "email",
        "filename",
        "first_name",
        "full_name",
        "last_name",
        "name",
        "patient",
        "phone",
        "recipient",
        "text",
        "to",
        "to_address",
    }
)
# An email address anywhere in a value, e.g. inside a third-party exception message.
_EMAIL = re.compile(r"[^\s@<>()\"',;:]+@[^\s@<>()\"',;:]+\.[A-Za-z]{2,}")
# Loggers held at WARNING whatever LOG_LEVEL says. At INFO SQLAlchemy's engine logs each
# statement with its parameters (names, emails, answers); it starts at WARNING by itself,
# and this keeps it there. uvicorn's access line holds the raw path and query string
# (link tokens); `intake api` turns it off, and this covers any other way of serving.
_PINNED_LEVELS = {"sqlalchemy.engine": logging.WARNING, "uvicorn.access": logging.WARNING}
# The key a task message carries the request id under (see `trace_headers`).
REQUEST_ID_HEADER = "request_id"


def _scrub(value: object) -> object:
    if isinstance(value, str):
        return _EMAIL.sub(REDACTED, value)
    if isinstance(value, Mapping):
        return {key: REDACTED if key in PHI_KEYS else _scrub(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(item) for item in value]
    return value


def redact_phi(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """Mask PHI-named keys and email addresses in every field of an event."""
    for key, value in list(event_dict.items()):
        event_dict[key] = REDACTED if key in PHI_KEYS else _scrub(value)
    return event_dict


def _shared_processors() -> list[Processor]:
    """What every event gets, from structlog or from a stdlib logger."""
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
    ]


def _route_structlog_to_stdlib() -> None:
    """structlog loggers hand their events to the stdlib logger of the same name, so one
    set of handlers (ours in a process, pytest's in a test) sees everything."""
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_shared_processors(),
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def formatter(log_format: str) -> structlog.stdlib.ProcessorFormatter:
    """Render an event as JSON, or as a pretty line; redaction runs on the final fields,
    after a traceback became text."""
    rendering: list[Processor]
    if log_format == "json":
        rendering = [
            structlog.processors.format_exc_info,
            redact_phi,
            structlog.processors.JSONRenderer(),
        ]
    else:
        # Plain tracebacks: the rich ones print every frame's locals, patients included.
        console = structlog.dev.ConsoleRenderer(
            colors=sys.stderr.isatty(), exception_formatter=structlog.dev.plain_traceback
        )
        rendering = [redact_phi, console]
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_shared_processors(),
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *rendering],
    )


def configure_logging(settings: Settings) -> None:
    """Send every logger in this process to stderr in the configured format. Idempotent."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(settings.resolved_log_format))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    logging.captureWarnings(True)  # warnings too, as lines of the same shape
    for name, level in _PINNED_LEVELS.items():
        logging.getLogger(name).setLevel(max(level, root.level))


def current_request_id() -> str | None:
    value = structlog.contextvars.get_contextvars().get("request_id")
    return value if isinstance(value, str) else None


def trace_headers() -> dict[str, str]:
    """Message headers that carry the current request id into the tasks it causes.
    Headers, not arguments: task arguments are ids of records, nothing else."""
    request_id = current_request_id()
    return {REQUEST_ID_HEADER: request_id} if request_id else {}


_route_structlog_to_stdlib()
