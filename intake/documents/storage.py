"""Blob storage behind a small interface; local disk by default.

Nothing under the root is named after user input: keys are random UUIDs. A blob is
written to a temporary file while it is hashed and counted, and only renamed into
place once it is complete and accepted.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import uuid
from collections.abc import Iterable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from intake.documents.sniff import HEAD_BYTES

CHUNK_BYTES = 1024 * 1024
Bytes = bytes | bytearray | memoryview


def read_chunks(source: BinaryIO) -> Iterator[bytes]:
    """A file object as 1 MiB chunks, so no upload is ever held whole in memory."""
    while chunk := source.read(CHUNK_BYTES):
        yield chunk


class BlobTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"larger than {limit} bytes")
        self.limit = limit


@dataclass(frozen=True)
class ReceivedBlob:
    """A complete upload in a temporary file, not yet stored."""

    temp_path: Path
    sha256: str
    size: int
    head: bytes


class IncomingWriter(Protocol):
    """A blob being received: written in order, then finished or aborted exactly once."""

    @property
    def size(self) -> int: ...
    def write(self, data: Bytes) -> None: ...
    def finish(self) -> ReceivedBlob: ...
    def abort(self) -> None: ...


class Storage(Protocol):
    """Where kept blobs live. Uploads always arrive in a local temporary file (they are
    hashed, sniffed and inspected there); only `keep` onwards differs per backend.

    An object store (S3 and the like) is one more class with these methods: `keep`
    uploads the temporary file under a new key and removes it, `open` streams it back,
    `delete` removes it. tests/documents/test_storage_contract.py is the contract; add
    the new class to its list of backends and it runs against it.
    """

    def incoming(self) -> IncomingWriter: ...
    def receive(self, chunks: Iterable[bytes], *, max_bytes: int) -> ReceivedBlob: ...
    def keep(self, blob: ReceivedBlob) -> str:
        """Store a finished blob under a new key that says nothing about its content."""
        ...

    def discard(self, blob: ReceivedBlob) -> None: ...
    def delete(self, key: str) -> None:
        """Remove a kept blob; a key already gone is not an error."""
        ...

    def open(self, key: str) -> BinaryIO:
        """The kept blob for reading; FileNotFoundError when there is none."""
        ...


class IncomingFile:
    """A temporary file that hashes (SHA-256) and counts what is written as it goes.

    Its methods block on disk I/O; async callers run them in a worker thread. Until
    `finish` returns, the only file this creates is removed again by `abort`.
    """

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=directory)
        self.temp_path = Path(name)
        self._out = os.fdopen(fd, "wb")
        self._digest = hashlib.sha256()
        self._head = bytearray()
        self._size = 0

    @property
    def size(self) -> int:
        return self._size

    def write(self, data: Bytes) -> None:
        if len(self._head) < HEAD_BYTES:
            self._head += data[: HEAD_BYTES - len(self._head)]
        # hashlib releases the GIL for buffers this size, so this overlaps the event loop.
        self._digest.update(data)
        self._out.write(data)
        self._size += len(data)

    def finish(self) -> ReceivedBlob:
        """Flush to disk (a kept blob must survive a crash) and describe what arrived."""
        try:
            self._out.flush()
            os.fsync(self._out.fileno())
            self._out.close()
        except BaseException:
            self.abort()
            raise
        return ReceivedBlob(
            temp_path=self.temp_path,
            sha256=self._digest.hexdigest(),
            size=self._size,
            head=bytes(self._head),
        )

    def abort(self) -> None:
        """Close and delete the partial file; safe to call more than once."""
        try:
            # Closing flushes what is buffered, which fails again on a full disk; the
            # file is being thrown away, so that error must not hide the first one.
            with suppress(OSError):
                self._out.close()
        finally:
            self.temp_path.unlink(missing_ok=True)


class LocalStorage:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._incoming = root / ".incoming"

    def incoming(self) -> IncomingFile:
        """A new temporary file under the storage root (same disk: keeping is a rename)."""
        return IncomingFile(self._incoming)

    def receive(self, chunks: Iterable[bytes], *, max_bytes: int) -> ReceivedBlob:
        writer = self.incoming()
        try:
            for chunk in chunks:
                if writer.size + len(chunk) > max_bytes:
                    raise BlobTooLarge(max_bytes)
                writer.write(chunk)
        except BaseException:
            writer.abort()
            raise
        return writer.finish()

    def keep(self, blob: ReceivedBlob) -> str:
        name = uuid.uuid4().hex
        key = f"{name[:2]}/{name}"  # fan out so no directory grows huge
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(blob.temp_path, target)
        return key

    def discard(self, blob: ReceivedBlob) -> None:
        blob.temp_path.unlink(missing_ok=True)

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def open(self, key: str) -> BinaryIO:
        return self._path(key).open("rb")

    def _path(self, key: str) -> Path:
        return self.root / key
