"""The interim rules: pure, provisional, and each one reachable."""

from __future__ import annotations

from typing import Any

import pytest

from intake.routing.interim import decide


def _findings(*names: str) -> dict[str, Any]:
    return {"reported_findings": [{"finding": name, "level": None} for name in names]}


@pytest.mark.parametrize(
    ("answers", "queue", "rule"),
    [
        (
            _findings("hardware_loosening", "annular_tear"),
            "clinician_triage",
            "I1",
        ),
        (_findings("pseudarthrosis"), "surgical_revision", "I2"),
        (_findings("annular_tear"), "regenerative", "I3"),
        (_findings("facet_pain"), "clinician_triage", "I4"),
        ({}, "clinician_triage", "I4"),
        ({"reported_findings": "annular_tear"}, "clinician_triage", "I4"),
    ],
)
def test_each_rule(answers: dict[str, Any], queue: str, rule: str) -> None:
    decision = decide(answers)

    assert (decision.queue, decision.rule_ids) == (queue, [rule])
    assert decision.provisional is True
    assert decision.reasons


@pytest.mark.parametrize("tier", ["emergency", "urgent"])
def test_a_red_flag_bypasses_every_other_rule(tier: str) -> None:
    decision = decide(_findings("annular_tear"), red_flag_tier=tier)

    assert (decision.queue, decision.rule_ids) == ("urgent", ["I0"])
