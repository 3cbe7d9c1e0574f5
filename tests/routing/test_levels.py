"""DOMAIN.md §3 level logic: instrumented segments, their neighbours, regenerative targets."""

from __future__ import annotations

from datetime import date

import pytest

from intake.routing.facts import SurgeryFact
from intake.routing.levels import adjacent_levels, instrumented, is_regenerative_target


def operated(procedure: str, *levels: str, fused: bool = True) -> SurgeryFact:
    return SurgeryFact(procedure, levels, levels if fused else (), date(2023, 1, 10), None, None)


def fused(*levels: str) -> SurgeryFact:
    return operated("fusion", *levels)


DISCECTOMY = operated("discectomy", "L4-L5", fused=False)


def test_instrumented_is_the_union_over_surgeries() -> None:
    surgeries = [DISCECTOMY, fused("L4-L5", "L5-S1"), operated("artificial_disc", "C5-C6")]
    assert instrumented(surgeries) == {"L4-L5", "L5-S1", "C5-C6"}
    assert instrumented([DISCECTOMY]) == frozenset()
    assert instrumented([]) == frozenset()


@pytest.mark.parametrize(
    ("surgeries", "expected"),
    [
        pytest.param([fused("L4-L5")], {"L3-L4", "L5-S1"}, id="one-level"),
        pytest.param([fused("L2-L3", "L3-L4", "L4-L5")], {"L1-L2", "L5-S1"}, id="three-levels"),
        pytest.param([fused("L4-L5", "L5-S1")], {"L3-L4"}, id="block-at-the-bottom"),
        pytest.param([fused("C2-C3")], {"C3-C4"}, id="block-at-the-top"),
        pytest.param(
            [fused("C5-C6"), fused("L4-L5")],
            {"C4-C5", "C6-C7", "L3-L4", "L5-S1"},
            id="two-separate-blocks",
        ),
        pytest.param(
            [fused("L2-L3", "L4-L5")], {"L1-L2", "L3-L4", "L5-S1"}, id="blocks-one-disc-apart"
        ),
        pytest.param([fused("L4-L5"), fused("L5-S1")], {"L3-L4"}, id="two-surgeries-one-block"),
        pytest.param([fused("C7-T1", "T1-T2")], {"C6-C7", "T2-T3"}, id="across-the-junction"),
        pytest.param([DISCECTOMY], set(), id="no-hardware"),
        pytest.param([fused("L6-L7")], set(), id="not-a-segment"),
    ],
)
def test_adjacent_levels(surgeries: list[SurgeryFact], expected: set[str]) -> None:
    assert adjacent_levels(surgeries) == expected


@pytest.mark.parametrize(
    ("level", "surgeries", "target"),
    [
        pytest.param("L4-L5", [DISCECTOMY], True, id="operated-disc-after-discectomy"),
        pytest.param("L4-L5", [operated("laminectomy", "L4-L5", fused=False)], True, id="lamin"),
        pytest.param("L4-L5", [fused("L4-L5", "L5-S1")], False, id="instrumented"),
        pytest.param("L3-L4", [fused("L4-L5", "L5-S1")], True, id="adjacent-to-fusion"),
        pytest.param("L1-L2", [fused("L4-L5")], True, id="remote-from-fusion"),
        pytest.param("C5-C6", [operated("artificial_disc", "C5-C6")], False, id="disc-prosthesis"),
        pytest.param("L4-L5", [DISCECTOMY, fused("L4-L5")], False, id="later-fused"),
        pytest.param("L4-L5", [], True, id="no-surgery"),
        pytest.param("L6-L7", [], False, id="not-a-segment"),
        pytest.param("", [], False, id="empty"),
    ],
)
def test_is_regenerative_target(level: str, surgeries: list[SurgeryFact], target: bool) -> None:
    assert is_regenerative_target(level, surgeries) is target
