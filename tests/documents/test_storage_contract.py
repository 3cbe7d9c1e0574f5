"""The storage contract: what every backend must do, run against every backend.

Only `LocalStorage` exists today. An object-store backend adds one factory to BACKENDS
(pointed at a test bucket, e.g. a MinIO container) and inherits every test here.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from intake.documents.storage import BlobTooLarge, LocalStorage, Storage

BACKENDS: dict[str, Callable[[Path], Storage]] = {
    "local": LocalStorage,
}
BODY = b"%PDF-1.7\n" + bytes(range(256)) * 4096  # a little over 1 MiB: more than one chunk


@pytest.fixture(params=sorted(BACKENDS))
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Storage:
    return BACKENDS[request.param](tmp_path / "store")


def _chunks(body: bytes, size: int = 64 * 1024) -> list[bytes]:
    return [body[i : i + size] for i in range(0, len(body), size)]


def test_a_received_blob_is_described_exactly(storage: Storage) -> None:
    blob = storage.receive(_chunks(BODY), max_bytes=len(BODY))

    assert blob.size == len(BODY)
    assert blob.sha256 == hashlib.sha256(BODY).hexdigest()
    assert BODY.startswith(blob.head)
    assert len(blob.head) > 0
    storage.discard(blob)


def test_a_kept_blob_reads_back_byte_for_byte(storage: Storage) -> None:
    key = storage.keep(storage.receive(_chunks(BODY), max_bytes=len(BODY)))

    with storage.open(key) as stored:
        assert stored.read() == BODY


def test_keys_are_new_every_time_and_say_nothing_of_the_content(storage: Storage) -> None:
    keys = [storage.keep(storage.receive([b"same bytes"], max_bytes=100)) for _ in range(3)]

    assert len(set(keys)) == 3
    assert all(hashlib.sha256(b"same bytes").hexdigest() not in key for key in keys)


def test_too_large_a_blob_is_refused_and_leaves_nothing_to_keep(storage: Storage) -> None:
    with pytest.raises(BlobTooLarge):
        storage.receive(_chunks(BODY), max_bytes=len(BODY) - 1)


def test_a_deleted_blob_is_gone_and_deleting_twice_is_fine(storage: Storage) -> None:
    key = storage.keep(storage.receive([b"bye"], max_bytes=10))

    storage.delete(key)
    storage.delete(key)

    with pytest.raises(FileNotFoundError):
        storage.open(key)


def test_an_aborted_incoming_blob_can_be_aborted_again(storage: Storage) -> None:
    writer = storage.incoming()
    writer.write(b"half an upload")
    writer.abort()
    writer.abort()


def test_concurrent_uploads_do_not_mix(storage: Storage) -> None:
    bodies = [bytes([n]) * (300_000 + n) for n in range(8)]
    keys: dict[int, str] = {}

    def upload(n: int) -> None:
        keys[n] = storage.keep(storage.receive(_chunks(bodies[n]), max_bytes=10**6))

    threads = [threading.Thread(target=upload, args=(n,)) for n in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    for n, body in enumerate(bodies):
        with storage.open(keys[n]) as stored:
            assert stored.read() == body


def test_local_storage_leaves_no_partial_file_behind(tmp_path: Path) -> None:
    """Local only: it is the one backend whose leftovers a test can list."""
    storage = LocalStorage(tmp_path)
    with pytest.raises(BlobTooLarge):
        storage.receive(_chunks(BODY), max_bytes=1000)
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
