"""Interim routing rules, in force until the routing issue brings DOMAIN.md §3 (R0 to R10).

These read only what the patient reported, so every decision they make is marked
provisional, and a clinician reviews it. They are not the clinic's rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

RULESET_VERSION = "interim-1"

STRUCTURAL_FINDINGS = frozenset(
    {
        "hardware_loosening",
        "hardware_fracture",
        "implant_migration",
        "pseudarthrosis",
        "retained_fragment",
        "instability",
    }
)
DISC_FINDINGS = frozenset({"annular_tear", "high_intensity_zone", "discogenic_pain"})


@dataclass(frozen=True)
class Decision:
    queue: str
    rule_ids: list[str]
    reasons: list[str]
    provisional: bool


def decide(answers: Mapping[str, Any]) -> Decision:
    reported = answers.get("patient_reported_findings") or []
    findings = {str(f) for f in reported} if isinstance(reported, list) else set()
    structural = bool(findings & STRUCTURAL_FINDINGS)
    disc = bool(findings & DISC_FINDINGS)
    if structural and disc:
        return Decision(
            "clinician_triage", ["I1"], ["structural and disc findings both reported"], True
        )
    if structural:
        return Decision("surgical_revision", ["I2"], ["structural finding reported"], True)
    if disc:
        return Decision("regenerative", ["I3"], ["disc finding reported"], True)
    return Decision("clinician_triage", ["I4"], ["no reported finding matched a route"], True)
