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


def reported_findings(answers: Mapping[str, Any]) -> set[str]:
    """The finding names the patient reported, ignoring anything malformed."""
    reported = answers.get("reported_findings") or []
    if not isinstance(reported, list):
        return set()
    return {
        str(item["finding"]) for item in reported if isinstance(item, dict) and item.get("finding")
    }


def decide(answers: Mapping[str, Any], *, red_flag_tier: str | None = None) -> Decision:
    if red_flag_tier:
        # Red flags bypass routing altogether (DOMAIN.md §2).
        return Decision("urgent", ["I0"], [f"{red_flag_tier} red flag answered"], True)
    findings = reported_findings(answers)
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
