"""Spinal disc segments, cranial to caudal, and the region each belongs to."""

from __future__ import annotations

from typing import Literal, TypeAlias, get_args

Region: TypeAlias = Literal["cervical", "thoracic", "lumbar"]
REGIONS: tuple[Region, ...] = get_args(Region)

# Literal (not an Enum) so the JSON string is the value everywhere: answers, models, FHIR.
Segment: TypeAlias = Literal[
    "C2-C3", "C3-C4", "C4-C5", "C5-C6", "C6-C7", "C7-T1",
    "T1-T2", "T2-T3", "T3-T4", "T4-T5", "T5-T6", "T6-T7",
    "T7-T8", "T8-T9", "T9-T10", "T10-T11", "T11-T12", "T12-L1",
    "L1-L2", "L2-L3", "L3-L4", "L4-L5", "L5-S1",
]  # fmt: skip
SEGMENTS: tuple[Segment, ...] = get_args(Segment)

_INDEX: dict[str, int] = {segment: index for index, segment in enumerate(SEGMENTS)}
# A junctional segment belongs to the region of its upper vertebra: C7-T1 is cervical,
# T12-L1 thoracic, L5-S1 lumbar (the answers spec says so).
_REGION_BY_LETTER: dict[str, Region] = {"C": "cervical", "T": "thoracic", "L": "lumbar"}


def is_segment(value: object) -> bool:
    """True when `value` is one of SEGMENTS."""
    return isinstance(value, str) and value in _INDEX


def _index(segment: str) -> int:
    try:
        return _INDEX[segment]
    except KeyError:
        raise ValueError(f"not a disc segment: {segment!r}") from None


def region_of(segment: str) -> Region:
    """The region a segment belongs to; ValueError for anything not in SEGMENTS."""
    _index(segment)
    return _REGION_BY_LETTER[segment[0]]


def adjacent(segment: str) -> tuple[Segment | None, Segment | None]:
    """The segments directly above and below `segment` (None past either end of the list)."""
    index = _index(segment)
    above = SEGMENTS[index - 1] if index > 0 else None
    below = SEGMENTS[index + 1] if index + 1 < len(SEGMENTS) else None
    return above, below
