"""DOMAIN.md §3 level logic: which disc segments carry hardware, border it, or can be treated.

Pure functions over segment strings. A string that is not one of SEGMENTS (a typing slip in
a staff entry) is never a target and has no neighbours, rather than an error.
"""

from __future__ import annotations

from collections.abc import Iterable

from intake.questionnaire.segments import adjacent, is_segment
from intake.routing.facts import SurgeryFact


def instrumented(surgeries: Iterable[SurgeryFact]) -> frozenset[str]:
    """Every segment with screws, cages, plates or a disc prosthesis, over all surgeries."""
    return frozenset(level for surgery in surgeries for level in surgery.instrumented_levels)


def adjacent_levels(surgeries: Iterable[SurgeryFact]) -> frozenset[str]:
    """The segment directly above and directly below each contiguous instrumented block.

    Two blocks one free segment apart share that segment as a neighbour; a block at either
    end of the spine has a neighbour on one side only.
    """
    fixed = instrumented(surgeries)
    # The free neighbours of every instrumented segment are exactly the blocks' ends.
    return frozenset(
        neighbour
        for level in fixed
        if is_segment(level)
        for neighbour in adjacent(level)
        if neighbour is not None and neighbour not in fixed
    )


def is_regenerative_target(level: str, surgeries: Iterable[SurgeryFact]) -> bool:
    """A disc segment without hardware; the operated disc after a discectomy or laminectomy
    counts ("unrepaired annular tears at the operated level")."""
    return is_segment(level) and level not in instrumented(surgeries)
