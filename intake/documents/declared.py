"""What the client said a file is (its name and Content-Type) against what it is.

The bytes decide the type; the declaration is only checked. A file whose name or type
claims one accepted type while its bytes are another (a PDF sent as image/png, a ZIP
renamed .dcm) is refused: ASVS 5.2.2 asks that content and extension agree.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from intake.documents.inspection import describe

_BY_EXTENSION = {
    ".pdf": "application/pdf",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".dcm": "application/dicom",
    ".dicom": "application/dicom",
    ".zip": "application/zip",
}
_BY_CONTENT_TYPE = {
    "application/pdf": "application/pdf",
    "image/jpeg": "image/jpeg",
    "image/jpg": "image/jpeg",
    "image/png": "image/png",
    "application/dicom": "application/dicom",
    "application/zip": "application/zip",
    "application/x-zip-compressed": "application/zip",
}
_NAMES = {
    "application/pdf": "a PDF",
    "image/jpeg": "a JPEG image",
    "image/png": "a PNG image",
    "application/dicom": "a DICOM file",
    "application/zip": "a ZIP archive",
}


def declared_types(filename: str | None, content_type: str | None) -> set[str]:
    """The accepted types the name and the Content-Type claim; generic claims say nothing."""
    claims: set[str] = set()
    if filename:
        suffix = PurePosixPath(filename.replace("\\", "/")).suffix.lower()
        if suffix in _BY_EXTENSION:
            claims.add(_BY_EXTENSION[suffix])
    if content_type:
        media_type = content_type.split(";", 1)[0].strip().lower()
        if media_type in _BY_CONTENT_TYPE:
            claims.add(_BY_CONTENT_TYPE[media_type])
    return claims


def mismatch(
    *, filename: str | None, content_type: str | None, found: str | None, head: bytes
) -> str | None:
    """A PHI-free refusal message when a claim disagrees with the bytes, else None."""
    if found is None:
        return None  # not an accepted type at all: the inspection refuses it
    wrong = sorted(claim for claim in declared_types(filename, content_type) if claim != found)
    if not wrong:
        return None
    return (
        f"This file was sent as {_NAMES[wrong[0]]}, but its content is {describe(head)}. "
        "Check that you chose the right file, or upload it under its real type."
    )
