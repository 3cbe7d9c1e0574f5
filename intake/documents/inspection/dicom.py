"""Read one DICOM header safely and compare it with the intake (DOMAIN §5).

Values are decoded from pydicom's raw elements on purpose: pydicom's value validators
quote the offending value in a warning that `warn_and_log` also sends to the "pydicom"
logger ("Invalid value for VR UI: 'whatever the field holds'"), so converting a
malformed header through pydicom could write PHI to the logs.
"""

from __future__ import annotations

import logging
import os
import re
import struct
import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pydicom
from pydicom.charset import decode_bytes, default_encoding
from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pydicom.filebase import ReadableBuffer
from pydicom.uid import DeflatedExplicitVRLittleEndian, MediaStorageDirectoryStorage

from intake.documents.inspection.body_parts import normalise_body_part
from intake.documents.inspection.sniff import (
    DICOM_MARKER_OFFSET,
    HEAD_BYTES,
    describe,
    looks_executable,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PatientIdentity:
    first_name: str
    last_name: str
    date_of_birth: date


class UploadRefused(Exception):
    """An upload that cannot be accepted; `detail` is PHI-free and safe to show or log."""

    def __init__(self, status_code: int, detail: str) -> None:
        super().__init__(detail)
        self.status_code = status_code
        self.detail = detail


class DicomDirRefused(UploadRefused):
    """A DICOMDIR index on its own: a CD's table of contents without the images."""

    def __init__(self) -> None:
        super().__init__(
            422, "This is a DICOMDIR index without any images; upload the whole CD as a ZIP"
        )


_PREAMBLE = DICOM_MARKER_OFFSET
_UNDEFINED_LENGTH = 0xFFFFFFFF
_PIXEL_DATA_TAGS = frozenset({0x7FE00010, 0x7FE00008, 0x7FE00009})
_LONG_LENGTH_VRS = frozenset({b"OB", b"OW", b"OF", b"OD", b"OL", b"OV", b"UN"})
_META_GROUP_LENGTH_BYTES = 12  # the (0002,0000) element itself
# Larger values are skipped, not loaded: nothing we read is anywhere near this big, and
# a hostile header could otherwise put gigabytes in a private tag.
_DEFER_BYTES = 64 * 1024
_MAX_DESCRIPTION = 200
_META_PROBE_BYTES = 4096
_TRANSFER_SYNTAX_ELEMENT = b"\x02\x00\x10\x00UI"
_DEFLATED_UID = DeflatedExplicitVRLittleEndian.encode()
_ESC = 0x1B
_PN_DELIMITERS = {0x5E, 0x3D}  # '^' between components, '=' between representations

_DA = re.compile(r"\d{8}")
_UID = re.compile(r"[0-9.]{1,64}")
_CS = re.compile(r"[A-Z0-9_ ]{1,16}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_NON_WORD = re.compile(r"[\W_]+")

_TAG_STUDY_DATE, _TAG_SERIES_DATE, _TAG_ACQUISITION_DATE = 0x00080020, 0x00080021, 0x00080022
_TAG_MODALITY = 0x00080060
_TAG_STUDY_DESCRIPTION, _TAG_SERIES_DESCRIPTION = 0x00081030, 0x0008103E
_TAG_PATIENT_NAME, _TAG_BIRTH_DATE = 0x00100010, 0x00100030
_TAG_BODY_PART = 0x00180015
_TAG_STUDY_UID, _TAG_SERIES_UID = 0x0020000D, 0x0020000E
_DATE_TAGS = (_TAG_STUDY_DATE, _TAG_SERIES_DATE, _TAG_ACQUISITION_DATE)  # DOMAIN §5 fallback


@dataclass(frozen=True)
class DicomHeader:
    """What one instance contributes; patient values are already reduced to verdicts."""

    study_uid: str
    series_uid: str | None
    modality: str
    body_part: str | None
    study_date: date | None
    study_description: str | None
    name_differs: bool
    birth_date_differs: bool


def read_dicom_file(path: Path, patient: PatientIdentity) -> DicomHeader:
    """Read a single DICOM upload's header, zeroing its preamble in place first."""
    zero_preamble(path)
    with path.open("rb") as stream:
        return read_header(stream, path.stat().st_size, patient)


def zero_preamble(path: Path) -> None:
    """Overwrite a non-zero 128-byte preamble with zeros, in place (CVE-2019-11687)."""
    with path.open("r+b") as file:
        preamble = file.read(_PREAMBLE)
        if not any(preamble):
            return
        file.seek(0)
        file.write(bytes(len(preamble)))
        file.flush()
        os.fsync(file.fileno())
    # A fixed phrase such as "a Windows executable": never the bytes themselves.
    level = logging.WARNING if looks_executable(preamble) else logging.INFO
    log.log(level, "zeroed a DICOM preamble that looked like %s", describe(preamble))


def read_header(stream: ReadableBuffer, size: int, patient: PatientIdentity) -> DicomHeader:
    """Parse a Part 10 header up to the pixel data; UploadRefused(422) when it is unusable."""
    if _declares_deflate(stream):
        # pydicom inflates such a data set whole, in memory and without a limit.
        raise UploadRefused(422, "Deflate-compressed DICOM files are not accepted")
    try:
        dataset = pydicom.dcmread(stream, stop_before_pixels=True, defer_size=_DEFER_BYTES)
    except Exception as exc:  # hostile bytes can make a third-party parser raise anything
        log.info("DICOM header unreadable (%s)", type(exc).__name__)
        if isinstance(exc, InvalidDicomError):
            raise UploadRefused(422, "The file lacks the DICOM file header (DICM)") from None
        raise UploadRefused(
            422, "The DICOM header could not be read; the file may be damaged or incomplete"
        ) from None
    if dataset.file_meta.get("MediaStorageSOPClassUID") == MediaStorageDirectoryStorage:
        raise DicomDirRefused
    if _is_truncated(dataset, stream, size):
        raise UploadRefused(422, "The DICOM file is incomplete; please upload it again")
    raw = {int(e.tag): e for e in dataset.elements() if isinstance(e, RawDataElement)}
    encodings = _encodings(dataset)

    def text(tag: int) -> str | None:
        element = raw.get(tag)
        # Deferred (oversized) values stay None: nothing we need is anywhere near that big.
        return _decode(element.value, encodings) if element and element.value else None

    modality = (text(_TAG_MODALITY) or "").upper()
    if not _CS.fullmatch(modality):
        raise UploadRefused(422, "The DICOM file does not say what kind of imaging it holds")
    study_description = _clean(text(_TAG_STUDY_DESCRIPTION))
    birth_date = parse_da(text(_TAG_BIRTH_DATE))
    return DicomHeader(
        study_uid=_uid(text(_TAG_STUDY_UID)) or "",
        series_uid=_uid(text(_TAG_SERIES_UID)),
        modality=modality.strip(),
        body_part=normalise_body_part(
            text(_TAG_BODY_PART), study_description, text(_TAG_SERIES_DESCRIPTION)
        ),
        study_date=next(
            (found for tag in _DATE_TAGS if (found := parse_da(text(tag))) is not None), None
        ),
        study_description=study_description,
        name_differs=name_differs(text(_TAG_PATIENT_NAME), patient),
        birth_date_differs=birth_date is not None and birth_date != patient.date_of_birth,
    )


def parse_da(text: str | None) -> date | None:
    """A DICOM DA value (strictly YYYYMMDD) as a date; None when absent or malformed."""
    if text is None or not _DA.fullmatch(text.strip()):
        return None
    value = text.strip()
    try:
        return date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        return None


def name_differs(person_name: str | None, patient: PatientIdentity) -> bool:
    """Whether a PN value names someone else; missing components are not a difference."""
    alphabetic = (person_name or "").split("=", 1)[0]
    if "^" not in alphabetic:
        # One component: "LOVELACE" is legal, "Lovelace, Ada" and "ADA LOVELACE" are
        # common mistakes. Every word must belong to the intake's name.
        intake_words = set(_words(f"{patient.first_name} {patient.last_name}"))
        return not set(_words(alphabetic)) <= intake_words
    family, given = alphabetic.split("^")[:2]
    if _key(family) and _key(family) != _key(patient.last_name):
        return True
    if not _key(given) or _key(given) == _key(patient.first_name):
        return False
    # "Ada Augusta" in the header for "Ada" at intake (or the reverse) is the same person.
    return _words(given)[:1] != _words(patient.first_name)[:1]


def _words(text: str) -> list[str]:
    return [word for word in _NON_WORD.split(_fold(text)) if word]


def _key(text: str) -> str:
    """Compare names ignoring case, accents, spaces and punctuation ("José" == "JOSE")."""
    return "".join(char for char in _fold(text) if char.isalnum())


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()


def _encodings(dataset: Dataset) -> list[str]:
    # pydicom has already turned (0008,0005) into Python codec names while reading.
    charset = dataset.original_character_set
    encodings = [charset] if isinstance(charset, str) else list(charset)
    return encodings or [default_encoding]


def _decode(value: bytes, encodings: list[str]) -> str:
    if _ESC in value and len(encodings) > 1:  # ISO 2022 code extensions switch charsets
        text = decode_bytes(value, encodings, _PN_DELIMITERS)
    else:
        try:
            text = value.decode(encodings[0], errors="replace")
        except LookupError:  # a codec name pydicom knows but this Python lacks
            text = value.decode(default_encoding, errors="replace")
    return text.strip(" \x00")


def _uid(text: str | None) -> str | None:
    # UIDs are safe to log and store only if they really are UIDs.
    return text if text and _UID.fullmatch(text) else None


def _clean(text: str | None) -> str | None:
    cleaned = " ".join(_CONTROL.sub(" ", text).split()) if text else ""
    return cleaned[:_MAX_DESCRIPTION] or None


def _declares_deflate(stream: ReadableBuffer) -> bool:
    """Whether the file meta names the Deflated Explicit VR Little Endian transfer syntax."""
    # The file meta is always explicit VR little endian, and small.
    prefix = stream.read(_META_PROBE_BYTES)
    stream.seek(0)
    at = prefix.find(_TRANSFER_SYNTAX_ELEMENT, HEAD_BYTES)
    if at < 0:
        return False
    (length,) = struct.unpack("<H", prefix[at + 6 : at + 8])
    return prefix[at + 8 : at + 8 + length].rstrip(b"\x00 ") == _DEFLATED_UID


def _is_truncated(dataset: Dataset, stream: ReadableBuffer, size: int) -> bool:
    """Whether the file ends before the lengths its header declares."""
    group_length = dataset.file_meta.get("FileMetaInformationGroupLength")
    meta_end = (
        HEAD_BYTES + _META_GROUP_LENGTH_BYTES + group_length
        if isinstance(group_length, int)
        else None
    )
    if meta_end is not None and meta_end > size:
        return True
    elements = [e for e in dataset.elements() if isinstance(e, RawDataElement)]
    if any(e.value_tell + e.length > size for e in elements if e.length != _UNDEFINED_LENGTH):
        return True
    stopped_at = stream.tell()
    if stopped_at < size:
        return _pixel_data_truncated(dataset, stream, stopped_at, size)
    # pydicom reached the end of the file; the last element must end exactly there, not
    # leave a partial tag behind (pydicom silently treats one as the end of the data).
    last = max(dataset.elements(), key=_position, default=None)
    if last is None:
        return meta_end is not None and meta_end != size
    if not isinstance(last, RawDataElement) or last.length == _UNDEFINED_LENGTH:
        return False  # a sequence pydicom read to its delimiter; it fails on a cut one
    return last.value_tell + last.length != size


def _position(element: DataElement | RawDataElement) -> int:
    if isinstance(element, RawDataElement):
        return element.value_tell
    return element.file_tell or 0


def _pixel_data_truncated(
    dataset: Dataset, stream: ReadableBuffer, position: int, size: int
) -> bool:
    """Whether the Pixel Data element that reading stopped at runs past the end of file."""
    implicit, little = dataset.original_encoding
    endian = ">" if little is False else "<"
    stream.seek(position)
    head = stream.read(12)
    group, element = struct.unpack(f"{endian}HH", head[:4])
    if (group << 16 | element) not in _PIXEL_DATA_TAGS:
        return False
    if implicit:
        header_bytes, length_format, length_field = 8, "L", head[4:8]
    elif head[4:6] in _LONG_LENGTH_VRS:
        header_bytes, length_format, length_field = 12, "L", head[8:12]
    else:
        header_bytes, length_format, length_field = 8, "H", head[6:8]
    if len(length_field) != struct.calcsize(endian + length_format):
        return True
    length: int = struct.unpack(f"{endian}{length_format}", length_field)[0]
    # Encapsulated (compressed) pixel data has an undefined length: nothing cheap to check.
    return length != _UNDEFINED_LENGTH and position + header_bytes + length > size
