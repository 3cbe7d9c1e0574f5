"""Reading everything our processes leave in Redis: each command as it arrives, and what
the keys hold at a given moment. Task bodies travel base64-encoded inside kombu's JSON
envelope, so both decode them too: a marker hidden in base64 would pass a plain search.
"""

from __future__ import annotations

import base64
import binascii
import re
import threading
from dataclasses import dataclass, field

import redis

_BODY = re.compile(r'"body": ?"([A-Za-z0-9+/=]+)"')


def decoded_bodies(text: str) -> list[str]:
    """The base64 task bodies inside kombu envelopes found in `text`, decoded."""
    bodies = []
    for encoded in _BODY.findall(text):
        try:
            bodies.append(base64.b64decode(encoded, validate=True).decode("utf-8", "replace"))
        except (binascii.Error, ValueError):
            continue
    return bodies


def _text(value: object) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _read(client: redis.Redis, key: bytes) -> list[object]:
    kind = _text(client.type(key))
    if kind == "string":
        return [client.get(key)]
    if kind == "list":
        return list(client.lrange(key, 0, -1))
    if kind == "hash":
        return [part for pair in client.hgetall(key).items() for part in pair]
    if kind == "set":
        return list(client.smembers(key))
    if kind == "zset":
        return list(client.zrange(key, 0, -1))
    if kind == "stream":
        return [repr(entry) for entry in client.xrange(key) or []]
    return []


def redis_snapshot(url: str) -> list[str]:
    """Every key of the URL's database and every value it holds, as text, bodies decoded."""
    client = redis.Redis.from_url(url)
    texts: list[str] = []
    try:
        for key in client.scan_iter(count=500):
            texts.append(_text(key))
            for value in _read(client, key):
                text = _text(value)
                texts.extend([text, *decoded_bodies(text)])
    finally:
        client.close()
    return texts


@dataclass
class RedisWatch:
    """Redis MONITOR in a thread: every command sent to our database, as text."""

    url: str
    commands: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _ready: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("Redis MONITOR did not start")

    def stop(self) -> None:
        self._stop.set()
        # Any command wakes the monitor so it sees the flag; a PING is harmless.
        poke = redis.Redis.from_url(self.url)
        poke.ping()
        poke.close()
        if self._thread is not None:
            self._thread.join(10)

    def texts(self) -> list[str]:
        """The commands seen so far, each followed by the task bodies it carried."""
        return [
            part for command in list(self.commands) for part in (command, *decoded_bodies(command))
        ]

    def _run(self) -> None:
        database = redis.Redis.from_url(self.url).connection_pool.connection_kwargs.get("db", 0)
        client = redis.Redis.from_url(self.url)
        with client.monitor() as monitor:  # type: ignore[no-untyped-call]
            self._ready.set()
            while not self._stop.is_set():
                seen = monitor.next_command()
                if seen and seen["db"] == database:
                    self.commands.append(str(seen["command"]))
        client.close()
