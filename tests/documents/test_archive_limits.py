"""Hostile archives: bombs, lying sizes, too many members, encryption, damage (413/422)."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path
from typing import Any, Literal

import pytest

from intake.documents.inspection import (
    DEFAULT_LIMITS,
    ArchiveLimits,
    UploadRefused,
    inspect_file,
)
from tests.documents.dicom_factory import (
    PATIENT,
    MiB,
    crc_of,
    duplicate_central_entry,
    make_dicom,
    make_study_zip,
    make_zip,
    patch_zip_entry,
    set_declared_entries,
    write_upload,
    zeros_zip,
)


def refusal(tmp_path: Path, data: bytes, limits: ArchiveLimits = DEFAULT_LIMITS) -> UploadRefused:
    upload = write_upload(tmp_path, data, "upload.zip")
    with pytest.raises(UploadRefused) as refused:
        inspect_file(upload, patient=PATIENT, limits=limits)
    return refused.value


@pytest.fixture
def no_member_opened(monkeypatch: pytest.MonkeyPatch) -> None:
    """Proves a refusal came from the central directory alone: opening a member fails."""

    original = zipfile.ZipFile.open

    def reading_forbidden(
        self: zipfile.ZipFile, name: Any, mode: Literal["r", "w"] = "r", **kwargs: Any
    ) -> Any:
        assert mode != "r", "a member was opened for reading"
        return original(self, name, mode, **kwargs)  # tests still build archives

    monkeypatch.setattr(zipfile.ZipFile, "open", reading_forbidden)


@pytest.fixture
def inflated_bytes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts every byte zipfile hands out while inflating members."""
    counted = [0]
    original = zipfile.ZipExtFile.read

    def counting(self: zipfile.ZipExtFile, n: int | None = -1) -> bytes:
        data = original(self, n)
        counted[0] += len(data)
        return data

    monkeypatch.setattr(zipfile.ZipExtFile, "read", counting)
    return counted


@pytest.mark.usefixtures("no_member_opened")
def test_a_zip_bomb_is_refused_from_its_declared_sizes(tmp_path: Path) -> None:
    refused = refusal(tmp_path, zeros_zip(50 * MiB))

    assert refused.status_code == 413


@pytest.mark.usefixtures("no_member_opened")
def test_a_bomb_hidden_among_ordinary_files_is_refused(tmp_path: Path) -> None:
    # Enough incompressible bytes that the archive as a whole stays under the ratio.
    data = make_zip([("noise.bin", os.urandom(200 * 1024)), ("I0001", bytes(20 * MiB))])
    assert len(data) * ArchiveLimits().max_ratio > 20 * MiB

    assert refusal(tmp_path, data).status_code == 413


@pytest.mark.usefixtures("no_member_opened")
def test_many_small_zero_members_are_refused_as_a_whole(tmp_path: Path) -> None:
    # Each member is under the per-member exemption; the archive as a whole is not.
    refused = refusal(tmp_path, zeros_zip(512 * 1024, members=200))

    assert refused.status_code == 413


@pytest.mark.usefixtures("no_member_opened")
def test_overlapping_entries_are_refused(tmp_path: Path) -> None:
    # Hundreds of directory entries sharing one compressed member (Fifield's bomb).
    refused = refusal(tmp_path, duplicate_central_entry(zeros_zip(MiB - 1), copies=300))

    assert refused.status_code == 413


def test_overlapping_entries_that_are_no_bomb_are_corrupt(tmp_path: Path) -> None:
    refused = refusal(tmp_path, duplicate_central_entry(make_zip([("a", os.urandom(65536))]), 3))

    assert refused.status_code == 422


@pytest.mark.usefixtures("no_member_opened")
def test_too_many_members_is_refused(tmp_path: Path) -> None:
    data = make_zip((f"I{index:04}", b"x") for index in range(6))

    refused = refusal(tmp_path, data, ArchiveLimits(max_members=5))

    assert (refused.status_code, refused.detail) == (413, "The archive holds more than 5 files")


def _forbid_listing(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("zipfile listed the archive")

    monkeypatch.setattr(zipfile.ZipFile, "__init__", forbidden)


def test_a_zip64_archive_of_too_many_members_is_refused_before_listing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The classic end record tops out at 65535; only the ZIP64 record has the real count.
    data = make_zip(((f"{index}", b"") for index in range(65536)), compression=zipfile.ZIP_STORED)
    _forbid_listing(monkeypatch)

    assert refusal(tmp_path, data, ArchiveLimits(max_members=65535)).status_code == 413


def test_a_huge_directory_behind_a_small_count_is_refused_before_listing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # zipfile walks the directory by its byte size, so the end record's count can lie.
    data = make_zip((f"{index:04}{'x' * 2000}", b"") for index in range(20))
    data = set_declared_entries(data, 1)
    _forbid_listing(monkeypatch)

    refused = refusal(tmp_path, data, ArchiveLimits(max_members=10))

    assert (refused.status_code, refused.detail) == (413, "The archive holds more than 10 files")


@pytest.mark.usefixtures("no_member_opened")
def test_too_many_bytes_in_total_is_refused(tmp_path: Path) -> None:
    refused = refusal(tmp_path, make_study_zip(), ArchiveLimits(max_total_bytes=5000))

    assert refused.status_code == 413


def test_a_member_larger_than_declared_is_refused_once_it_says_so(
    tmp_path: Path, inflated_bytes: list[int]
) -> None:
    # 50 MB of zeros whose headers claim 1000 bytes (with the CRC of those 1000 bytes),
    # so the declared sizes pass every limit.
    data = patch_zip_entry(zeros_zip(50 * MiB), 0, file_size=1000, crc=crc_of(bytes(1000)))

    refused = refusal(tmp_path, data)

    assert refused.status_code == 413
    assert inflated_bytes[0] <= 1001


def test_an_encrypted_member_is_refused(tmp_path: Path) -> None:
    data = patch_zip_entry(make_study_zip(), 3, flag_bits=0x1)

    refused = refusal(tmp_path, data)

    assert (refused.status_code, refused.detail) == (
        422,
        "The archive is password-protected; upload it without one",
    )


def test_an_unsupported_compression_method_is_refused(tmp_path: Path) -> None:
    data = patch_zip_entry(make_study_zip(), 1, compress_type=9)  # Deflate64

    assert refusal(tmp_path, data).status_code == 422


def _flip_a_data_byte(data: bytes) -> bytes:
    damaged = bytearray(data)
    damaged[len(data) // 2] ^= 0xFF
    return bytes(damaged)


@pytest.mark.parametrize(
    "data",
    [
        b"PK\x03\x04" + os.urandom(200),
        make_study_zip()[:3000],
        _flip_a_data_byte(make_zip([("I0001", make_dicom())], compression=zipfile.ZIP_STORED)),
        _flip_a_data_byte(make_zip([("I0001", os.urandom(4096))])),
        b"PK\x05\x06" + bytes(18),
    ],
    ids=["garbage", "cut short", "bad crc", "bad deflate", "empty"],
)
def test_damaged_or_empty_archives_are_refused(tmp_path: Path, data: bytes) -> None:
    assert refusal(tmp_path, data).status_code == 422
