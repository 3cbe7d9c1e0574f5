"""Recognise a file by its leading bytes; the filename and Content-Type are never trusted.

Supersedes `intake.documents.sniff` (same `sniff` contract) and adds `describe`, which
names what a refused file looks like so the 415 message can say more than "no".
"""

from __future__ import annotations

import codecs

# DICOM Part 10: a 128-byte preamble, then the "DICM" marker.
DICOM_MARKER_OFFSET = 128
DICOM_MARKER = b"DICM"
HEAD_BYTES = DICOM_MARKER_OFFSET + len(DICOM_MARKER)
# Enough to see a file meta element after a damaged marker.
PROBE_BYTES = HEAD_BYTES + 8

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
DICOM = "application/dicom"
ZIP = "application/zip"

ALLOWED_DESCRIPTION = "PDF, JPEG, PNG, DICOM or ZIP"

ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")  # a local file header; an empty archive

_ALLOWED_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", PDF),
    (b"\xff\xd8\xff", JPEG),
    (b"\x89PNG\r\n\x1a\n", PNG),
    *((signature, ZIP) for signature in ZIP_SIGNATURES),
)

_ALLOWED_DESCRIPTIONS = {
    PDF: "a PDF document",
    JPEG: "a JPEG image",
    PNG: "a PNG image",
    DICOM: "a DICOM file",
    ZIP: "a ZIP archive",
}

# Common things people upload by mistake (or on purpose), by their leading bytes.
_EXECUTABLES: tuple[tuple[bytes, str], ...] = (
    (b"MZ", "a Windows executable"),
    (b"\x7fELF", "an ELF executable"),
    (b"\xcf\xfa\xed\xfe", "a macOS executable"),
    (b"\xce\xfa\xed\xfe", "a macOS executable"),
    (b"\xca\xfe\xba\xbe", "a macOS executable"),
    (b"#!", "a script"),
)
_OTHER_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    *_EXECUTABLES,
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "a legacy Microsoft Office document"),
    (b"{\\rtf", "an RTF document"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"\x1f\x8b", "a gzip archive"),
)
_HTML_STARTS = (b"<!doctype html", b"<html", b"<head", b"<body")
_TEXT_CONTROL_BYTES = frozenset(range(32)) - {0x09, 0x0A, 0x0C, 0x0D}


def sniff(head: bytes) -> str | None:
    """The media type of a file starting with `head`, or None if it is not one we accept."""
    # The DICOM marker is checked first: the preamble before it may look like anything
    # (that is the CVE-2019-11687 polyglot), and inspection zeroes it.
    if head[DICOM_MARKER_OFFSET:HEAD_BYTES] == DICOM_MARKER:
        return DICOM
    for signature, media_type in _ALLOWED_SIGNATURES:
        if head.startswith(signature):
            return media_type
    return None


def describe(head: bytes) -> str:
    """What a file starting with `head` looks like, as a phrase for a refusal message."""
    if not head:
        return "an empty file"
    allowed = sniff(head)
    if allowed is not None:
        return _ALLOWED_DESCRIPTIONS[allowed]
    for signature, description in _OTHER_SIGNATURES:
        if head.startswith(signature):
            return description
    if looks_like_dicom_without_marker(head):
        return "a DICOM file without its standard header"
    if head.startswith(b"BM") and head[6:10] == b"\x00\x00\x00\x00":  # "BM", size, reserved
        return "a BMP image"
    if head[8:12] == b"WEBP" and head.startswith(b"RIFF"):
        return "a WebP image"
    if head[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1"):
        return "a HEIC image"
    return _describe_text(head)


def _describe_text(head: bytes) -> str:
    text = _as_text(head)
    if text is None:
        return "an unrecognised file"
    start = text.lstrip().lower().encode()
    if start.startswith(_HTML_STARTS):
        return "an HTML page"
    if start.startswith(b"<?xml") or start.startswith(b"<svg"):
        return "an XML document"
    return "a plain text file"


def _as_text(head: bytes) -> str | None:
    """`head` as text when it is UTF-8 without control characters, else None."""
    # An incremental decoder tolerates a character cut in half at the end of `head`.
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    try:
        text = decoder.decode(head, final=False)
    except UnicodeDecodeError:
        return None
    if any(ord(char) in _TEXT_CONTROL_BYTES for char in text):
        return None
    return text


def looks_executable(head: bytes) -> bool:
    """Whether `head` starts like a program (PE, ELF, Mach-O or a script)."""
    return head.startswith(tuple(signature for signature, _ in _EXECUTABLES))


def looks_like_dicom_without_marker(head: bytes) -> bool:
    """Whether `head` holds a DICOM data set whose preamble or DICM marker is missing."""
    # Either the data set starts at byte 0 (written without the Part 10 header), or the
    # 132 bytes are there but the marker is damaged and the file meta follows at 132.
    return _starts_like_data_set(head) or _starts_like_data_set(head[HEAD_BYTES:])


def _starts_like_data_set(data: bytes) -> bool:
    # The first element is in group 0002 (file meta) or 0008 (identification), little
    # endian, with a small element number, then an explicit VR or a small implicit length.
    if len(data) < 8 or data[:2] not in (b"\x02\x00", b"\x08\x00") or data[3] != 0:
        return False
    return (data[4:6].isalpha() and data[4:6].isupper()) or data[6:8] == b"\x00\x00"
