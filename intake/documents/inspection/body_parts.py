"""Normalise a DICOM body part to a DICOM Annex L code (DOMAIN §5).

BodyPartExamined is often missing or free text ("L SPINE", "Lumbar"), so descriptions
are searched too. A spine region always wins over a non-spine one named alongside it
("MRI PELVIS AND LUMBAR SPINE" is a lumbar study for this clinic).
"""

from __future__ import annotations

import re

GENERIC_SPINE = "SPINE"
SPINE_CODES = frozenset(
    {"CSPINE", "CTSPINE", "TSPINE", "TLSPINE", "LSPINE", "LSSPINE", "SSPINE", "SACRUM", "COCCYX"}
    | {GENERIC_SPINE}
)
# Annex L codes outside the spine that show up in spine-clinic uploads: recognised so a
# knee MRI is reported as "not the spine" rather than "not recognised".
OTHER_CODES = frozenset(
    {
        "HEAD", "BRAIN", "SKULL", "CHEST", "ABDOMEN", "PELVIS", "HIP", "KNEE", "SHOULDER",
        "ELBOW", "WRIST", "HAND", "ANKLE", "FOOT", "BREAST", "HEART", "EXTREMITY", "WHOLEBODY",
    }
)  # fmt: skip

# Spellings seen in the wild, already squashed (uppercase, no spaces, '-' or '_').
# German scanner defaults (HWS/BWS/LWS) are common on imported CDs.
_SYNONYMS = {
    "CERVICAL": "CSPINE",
    "CERVICALSPINE": "CSPINE",
    "NECK": "CSPINE",
    "HWS": "CSPINE",
    "CERVICOTHORACIC": "CTSPINE",
    "THORACIC": "TSPINE",
    "THORACICSPINE": "TSPINE",
    "DORSAL": "TSPINE",
    "DORSALSPINE": "TSPINE",
    "DSPINE": "TSPINE",
    "BWS": "TSPINE",
    "THORACOLUMBAR": "TLSPINE",
    "LUMBAR": "LSPINE",
    "LUMBARSPINE": "LSPINE",
    "LUMBOSACRAL": "LSPINE",
    "LUMBOSACRALSPINE": "LSPINE",
    "LWS": "LSPINE",
    "SACRAL": "SSPINE",
    "SACRALSPINE": "SSPINE",
    "COCCYGEAL": "COCCYX",
    "WHOLESPINE": GENERIC_SPINE,
    "TOTALSPINE": GENERIC_SPINE,
    "SPINAL": GENERIC_SPINE,
}
_SQUASHED = re.compile(r"[\s_-]+")
_WORD = re.compile(r"[A-Z0-9]+")
# Words that name the modality: never glued to the next word, or "CT SPINE" (a CT of the
# spine) would read as CTSPINE (the cervicothoracic spine).
_MODALITY_WORDS = frozenset({"CT", "MR", "MRI", "XR", "CR", "DX", "RF", "NM", "PET", "XRAY"})
_LONGEST_PHRASE = 3


def normalise_body_part(*candidates: str | None) -> str | None:
    """The body part named by the first candidate that names one, as a code; else None."""
    for text in candidates:
        if text and (code := _code_in(text)) is not None:
            return code
    return None


def is_spine(code: str) -> bool:
    """Whether a normalised body part code is a spine region."""
    return code in SPINE_CODES


def _lookup(squashed: str) -> str | None:
    if squashed in SPINE_CODES or squashed in OTHER_CODES:
        return squashed
    return _SYNONYMS.get(squashed)


def _code_in(text: str) -> str | None:
    upper = text.upper()
    words = _WORD.findall(upper)
    if not _MODALITY_WORDS & set(words):
        exact = _lookup(_SQUASHED.sub("", upper))
        if exact is not None:
            return exact
    found = _codes_in_words(words)
    spine = {code for code in found if is_spine(code)}
    if spine:
        specific = spine - {GENERIC_SPINE}
        # Two regions at once ("C-SPINE AND L-SPINE") is a spine study with no single region.
        return specific.pop() if len(specific) == 1 else GENERIC_SPINE
    return found[0] if found else None


def _codes_in_words(words: list[str]) -> list[str]:
    """Codes named in `words`, matching the longest phrase first ("T L SPINE" is TLSPINE)."""
    found: list[str] = []
    start = 0
    while start < len(words):
        for length in range(_LONGEST_PHRASE, 0, -1):
            phrase = words[start : start + length]
            if len(phrase) < length or (length > 1 and _MODALITY_WORDS & set(phrase)):
                continue
            if (code := _lookup("".join(phrase))) is not None:
                found.append(code)
                start += length
                break
        else:
            start += 1
    return found
