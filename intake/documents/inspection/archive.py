"""Inspect a ZIP upload (usually a CD export) in memory: limits first, then DICOM headers.

Nothing is extracted and no member name is ever used as a path. The archive is judged in
passes, cheapest first:

1. the end-of-central-directory record, before zipfile lists anything, so a directory of
   millions of entries never becomes millions of objects;
2. the central directory's declared sizes against `ArchiveLimits`, before any member is
   opened, so an honest zip bomb is refused without inflating a byte;
3. every member is streamed once through a byte counter (constant memory), which refuses
   a member producing more than it declared, and lets zipfile verify each CRC;
4. members carrying the DICM marker are re-opened and read header-only; grouping them
   into studies is the caller's job.

Pass 3 inflates the whole archive (bounded by the limits): roughly 3 s per GB on one core.
"""

from __future__ import annotations

import copy
import logging
import lzma
import os
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

from intake.documents.inspection.dicom import (
    DicomDirRefused,
    DicomHeader,
    PatientIdentity,
    UploadRefused,
    read_header,
)
from intake.documents.inspection.sniff import (
    DICOM,
    PROBE_BYTES,
    ZIP,
    looks_like_dicom_without_marker,
    sniff,
)

log = logging.getLogger(__name__)

MiB = 1024**2


@dataclass(frozen=True)
class ArchiveLimits:
    """Ceilings for one archive; exceeding any of them is a 413.

    `max_ratio` (uncompressed / compressed) is checked per member and for the archive as
    a whole. Members under `ratio_exempt_below` bytes are exempt from the per-member
    check: a small DICOM file that is mostly zero padding can compress 500:1 and is no
    threat at that size. The whole-archive check (total uncompressed / archive file size)
    still catches thousands of such members, and overlapping-entry bombs, since it
    divides by the bytes really on disk.
    """

    max_members: int = 5000
    max_total_bytes: int = 8 * 1024**3
    max_ratio: float = 200.0
    ratio_exempt_below: int = MiB


DEFAULT_LIMITS = ArchiveLimits()


@dataclass(frozen=True)
class ArchiveContents:
    """The DICOM headers found in an archive, and what was left out."""

    headers: tuple[DicomHeader, ...]
    ignored_members: tuple[str, ...]
    review_reasons: tuple[str, ...]


NESTED_ARCHIVE = "archive contains another archive, which was not opened"
UNREADABLE_DICOM = "some DICOM files in the archive could not be read"

_CORRUPT = "The archive is damaged and cannot be read; please create it again"
_BOMB = "The archive expands far more than imaging does (a possible zip bomb); not opened"
_SIZES_LIE = "The archive's size records do not match its contents; it was not opened"
_ENCRYPTED_FLAG = 0x1
_SUPPORTED_COMPRESSION = frozenset(
    {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
)
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError, OSError, ValueError)
_CHUNK = MiB
_EOCD_SEARCH_BYTES = 22 + 65535  # the record plus the longest archive comment
_MAX_ENTRY_BYTES = 1024  # per member, in the central directory: 46 + name + extras
_UNSAFE_NAME_CHARS = re.compile(r"[^A-Za-z0-9 ._()-]+")
# Operating-system clutter, not worth a line in the list of ignored members.
_CLUTTER = frozenset({"__MACOSX", ".DS_Store", "Thumbs.db", "desktop.ini"})


def read_archive(path: Path, patient: PatientIdentity, limits: ArchiveLimits) -> ArchiveContents:
    """Check a ZIP upload against `limits` and read the DICOM headers inside it."""
    _check_directory_size(path, limits)
    try:
        with zipfile.ZipFile(path) as archive:
            members = [info for info in archive.infolist() if not info.is_dir()]
            _check_declared(archive.infolist(), members, path.stat().st_size, limits)
            return _read_members(archive, members, patient, limits)
    except _ZIP_ERRORS as exc:
        log.info("ZIP archive unreadable (%s)", type(exc).__name__)
        raise UploadRefused(422, _CORRUPT) from None


def display_name(member_name: str) -> str:
    """A member name fit for display only: '/'-separated, no '..', odd characters replaced."""
    parts = (
        _UNSAFE_NAME_CHARS.sub("_", part).strip(" .") for part in re.split(r"[/\\]", member_name)
    )
    return "/".join(part for part in parts if part)[:255] or "(unnamed)"


def _check_directory_size(path: Path, limits: ArchiveLimits) -> None:
    """Refuse an oversized central directory before zipfile turns it into objects."""
    # zipfile builds a ZipInfo per entry, walking the directory by its byte size (not its
    # entry count), so a crafted directory could cost gigabytes of memory before the
    # member count is known. Names rarely exceed a few hundred bytes.
    entries, directory_bytes = _end_of_central_directory(path)
    if entries > limits.max_members or directory_bytes > limits.max_members * _MAX_ENTRY_BYTES:
        raise UploadRefused(413, _too_many(limits))


def _end_of_central_directory(path: Path) -> tuple[int, int]:
    """(entries, directory size) as the end records declare them; (0, 0) when absent."""
    with path.open("rb") as file:
        tail_start = max(0, file.seek(0, os.SEEK_END) - _EOCD_SEARCH_BYTES)
        file.seek(tail_start)
        tail = file.read()
        at = tail.rfind(b"PK\x05\x06")
        if at < 0 or len(tail) < at + 22:
            return 0, 0  # zipfile will call the archive damaged
        entries, directory_bytes = struct.unpack("<HL", tail[at + 10 : at + 16])
        locator = tail[at - 20 : at] if at >= 20 else b""
        if locator[:4] == b"PK\x06\x07":  # ZIP64: the real figures are in another record
            file.seek(struct.unpack("<Q", locator[8:16])[0])
            record = file.read(56)
            if record[:4] == b"PK\x06\x06":
                entries, directory_bytes = struct.unpack("<QQ", record[32:48])
    return entries, directory_bytes


def _check_declared(
    entries: list[zipfile.ZipInfo],
    members: list[zipfile.ZipInfo],
    archive_bytes: int,
    limits: ArchiveLimits,
) -> None:
    if len(entries) > limits.max_members:
        raise UploadRefused(413, _too_many(limits))
    if not members:
        raise UploadRefused(422, "The archive is empty")
    if any(info.flag_bits & _ENCRYPTED_FLAG for info in members):
        raise UploadRefused(422, "The archive is password-protected; upload it without one")
    if any(info.compress_type not in _SUPPORTED_COMPRESSION for info in members):
        raise UploadRefused(422, "The archive uses an unsupported compression method")
    total = sum(info.file_size for info in members)
    if total > limits.max_total_bytes:
        raise UploadRefused(
            413, f"The archive expands to more than {_human(limits.max_total_bytes)}"
        )
    if _too_compressed(total, archive_bytes, limits):  # the whole archive, as stored on disk
        raise UploadRefused(413, _BOMB)
    if sum(info.compress_size for info in members) > archive_bytes:
        raise UploadRefused(422, _CORRUPT)  # entries overlap: never in an honest archive
    if any(_too_compressed(info.file_size, info.compress_size, limits) for info in members):
        raise UploadRefused(413, _BOMB)


def _too_compressed(expanded: int, stored: int, limits: ArchiveLimits) -> bool:
    return expanded >= limits.ratio_exempt_below and expanded > limits.max_ratio * max(stored, 1)


def _read_members(
    archive: zipfile.ZipFile,
    members: list[zipfile.ZipInfo],
    patient: PatientIdentity,
    limits: ArchiveLimits,
) -> ArchiveContents:
    budget = _ByteBudget(limits.max_total_bytes)
    headers: list[DicomHeader] = []
    ignored: list[str] = []
    reasons: list[str] = []
    for info in members:
        head = _stream_through(archive, info, budget)
        if _is_clutter(info.filename):
            continue
        kind = sniff(head)
        header = None
        if kind == DICOM:
            if PurePosixPath(info.filename).name.upper() != "DICOMDIR":
                header = _read_member_header(archive, info, patient, reasons)
        elif kind == ZIP:
            reasons.append(NESTED_ARCHIVE)  # not followed: one level of limits is enough
        elif looks_like_dicom_without_marker(head):
            reasons.append(UNREADABLE_DICOM)
        if header is None:
            ignored.append(display_name(info.filename))
        else:
            headers.append(header)
    log.info(
        "read ZIP archive: members=%d dicom=%d ignored=%d",
        len(members),
        len(headers),
        len(ignored),
    )
    return ArchiveContents(tuple(headers), tuple(ignored), tuple(dict.fromkeys(reasons)))


def _read_member_header(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, patient: PatientIdentity, reasons: list[str]
) -> DicomHeader | None:
    with archive.open(info) as member:
        try:
            return read_header(_Anonymous(member), info.file_size, patient)
        except DicomDirRefused:
            return None  # a DICOMDIR under another name: the CD's index, not an image
        except UploadRefused:
            reasons.append(UNREADABLE_DICOM)
            return None


def _stream_through(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: _ByteBudget) -> bytes:
    """Read a member to its end, counting real bytes; return its first PROBE_BYTES."""
    # zipfile cuts a member off at its declared size and then reports only a CRC mismatch.
    # With that ceiling raised by a chunk (zipfile inflates at least 4 KiB at a time),
    # asking for one byte more than declared lets a member that holds more show itself.
    # An honest member still ends at its real end, where zipfile checks the CRC.
    ceiling = copy.copy(info)
    ceiling.file_size = info.file_size + _CHUNK
    head = b""
    produced = 0
    with archive.open(ceiling) as member:
        while chunk := member.read(min(_CHUNK, info.file_size + 1 - produced)):
            produced += len(chunk)
            budget.spend(len(chunk))
            if produced > info.file_size:
                raise UploadRefused(413, _SIZES_LIE)
            head += chunk[: PROBE_BYTES - len(head)]
    return head


class _ByteBudget:
    """Counts bytes actually inflated across the archive, independent of declared sizes."""

    def __init__(self, limit: int) -> None:
        self.left = limit

    def spend(self, count: int) -> None:
        self.left -= count
        if self.left < 0:
            raise UploadRefused(413, _SIZES_LIE)


class _Anonymous:
    """A member stream without its `name`: pydicom quotes `fp.name` in warnings and logs,
    and member names often hold the patient's name."""

    def __init__(self, member: IO[bytes]) -> None:
        self._member = member

    def read(self, size: int = -1, /) -> bytes:
        return self._member.read(size)

    def seek(self, offset: int, whence: int = 0, /) -> int:
        return self._member.seek(offset, whence)

    def tell(self) -> int:
        return self._member.tell()


def _is_clutter(member_name: str) -> bool:
    return any(
        part in _CLUTTER or part.startswith("._") for part in PurePosixPath(member_name).parts
    )


def _too_many(limits: ArchiveLimits) -> str:
    return f"The archive holds more than {limits.max_members} files"


def _human(size: int) -> str:
    return f"{size / 1024**3:g} GB" if size >= 1024**3 else f"{size / MiB:g} MB"
