"""Reading what is waiting on a real broker queue, whichever transport it is."""

from __future__ import annotations

from typing import Any

from kombu import Connection

from intake.config import Settings


def drain_queue(settings: Settings, *, wait: float = 1.0) -> list[tuple[str, list[Any]]]:
    """Consume every message on the settings' task queue: (task name, args) each."""
    found: list[tuple[str, list[Any]]] = []
    with Connection(settings.broker_url) as conn:
        queue = conn.SimpleQueue(settings.task_queue)
        try:
            while True:
                try:
                    message = queue.get(block=True, timeout=wait)
                except queue.Empty:
                    break
                args, _kwargs, _embed = message.decode()
                found.append((message.headers["task"], list(args)))
                message.ack()
        finally:
            queue.close()
    return found
