"""One scrape's text: this host's event metrics plus the database state."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector


def reset_multiproc_dir(directory: Path | None) -> None:
    """Empty the directory (settings.prometheus_multiproc_dir) before a server forks its
    workers, as the client requires: files left by an earlier run would add that run's
    counts to this one's."""
    if directory is None:
        return
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink(missing_ok=True)


class _ThisProcess(Collector):
    """Single-process mode: everything this process registered (with its own CPU and
    memory); only right when one process serves, as with `intake run`."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


def event_registry(directory: Path | None) -> CollectorRegistry:
    """A fresh registry per scrape, as the multiprocess docs ask: registering a
    MultiProcessCollector in the default registry would export each metric twice."""
    registry = CollectorRegistry()
    if directory is not None:
        MultiProcessCollector(registry, path=str(directory))  # type: ignore[no-untyped-call]
    else:
        registry.register(_ThisProcess())
    return registry


def render(directory: Path | None, *extra: Collector) -> bytes:
    registry = event_registry(directory)
    for collector in extra:
        registry.register(collector)
    return generate_latest(registry)
