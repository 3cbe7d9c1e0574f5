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
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from intake.documents.sniff import HEAD_BYTES

CHUNK_BYTES = 1024 * 1024


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


class Storage(Protocol):
    def receive(self, chunks: Iterable[bytes], *, max_bytes: int) -> ReceivedBlob: ...
    def keep(self, blob: ReceivedBlob) -> str: ...
    def discard(self, blob: ReceivedBlob) -> None: ...
    def delete(self, key: str) -> None: ...
    def path(self, key: str) -> Path: ...


class LocalStorage:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._incoming = root / ".incoming"

    def receive(self, chunks: Iterable[bytes], *, max_bytes: int) -> ReceivedBlob:
        self._incoming.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=self._incoming)
        temp_path = Path(name)
        digest = hashlib.sha256()
        size = 0
        head = b""
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks:
                    size += len(chunk)
                    if size > max_bytes:
                        raise BlobTooLarge(max_bytes)
                    if len(head) < HEAD_BYTES:
                        head += chunk[: HEAD_BYTES - len(head)]
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
        except BaseException:
            temp_path.unlink(missing_ok=True)
            raise
        return ReceivedBlob(temp_path=temp_path, sha256=digest.hexdigest(), size=size, head=head)

    def keep(self, blob: ReceivedBlob) -> str:
        name = uuid.uuid4().hex
        key = f"{name[:2]}/{name}"  # fan out so no directory grows huge
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(blob.temp_path, target)
        return key

    def discard(self, blob: ReceivedBlob) -> None:
        blob.temp_path.unlink(missing_ok=True)

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def path(self, key: str) -> Path:
        return self.root / key
