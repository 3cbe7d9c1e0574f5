"""The interim rules: pure, provisional, and each one reachable."""

from __future__ import annotations

from typing import Any

import pytest

from intake.routing.interim import decide


@pytest.mark.parametrize(
    ("answers", "queue", "rule"),
    [
        (
            {"patient_reported_findings": ["hardware_loosening", "annular_tear"]},
            "clinician_triage",
            "I1",
        ),
        ({"patient_reported_findings": ["pseudarthrosis"]}, "surgical_revision", "I2"),
        ({"patient_reported_findings": ["annular_tear"]}, "regenerative", "I3"),
        ({"patient_reported_findings": ["facet_pain"]}, "clinician_triage", "I4"),
        ({}, "clinician_triage", "I4"),
        ({"patient_reported_findings": "annular_tear"}, "clinician_triage", "I4"),
    ],
)
def test_each_rule(answers: dict[str, Any], queue: str, rule: str) -> None:
    decision = decide(answers)

    assert (decision.queue, decision.rule_ids) == (queue, [rule])
    assert decision.provisional is True
    assert decision.reasons
