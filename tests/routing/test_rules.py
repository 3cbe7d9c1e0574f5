"""The routing rules R0 to R10 (DOMAIN.md §3): each fires, and each just misses."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from intake.routing.facts import FindingFact, FindingSource, RoutingFacts, SurgeryFact
from intake.routing.policy import RoutingPolicy
from intake.routing.rules import RULES, RULESET_VERSION, Decision, Route, decide

TODAY = date(2024, 6, 15)
REPORTED: FindingSource = "patient_reported"
CONFIRMED: FindingSource = "staff_confirmed"


def surgery(
    procedure: str = "microdiscectomy",
    on: date | None = date(2023, 6, 1),
    levels: tuple[str, ...] = ("L4-L5",),
    *,
    fused: bool = False,
    outcome: str = "never_improved",
    pain_free: int | None = None,
) -> SurgeryFact:
    return SurgeryFact(procedure, levels, levels if fused else (), on, outcome, pain_free)


def finding(
    type_: str, level: str | None = "L4-L5", source: FindingSource = CONFIRMED
) -> FindingFact:
    return FindingFact(type_, level, source)


def reported(*findings: FindingFact) -> tuple[FindingFact, ...]:
    return tuple(replace(f, source=REPORTED) for f in findings)


def fusion(on: date = date(2023, 1, 10), **kwargs: Any) -> SurgeryFact:
    return surgery("fusion", on, ("L4-L5", "L5-S1"), fused=True, **kwargs)


# A microdiscectomy a year ago with a confirmed tear at the operated disc: every R6
# criterion met, so each case below is the smallest change away from R6.
BASE = RoutingFacts(
    today=TODAY,
    red_flag_tier=None,
    missing=(),
    surgeries=(surgery(),),
    findings=(finding("annular_tear"),),
    back_pain=6,
    leg_pain=4,
    pain_months=12,
    care_episodes_since_surgery=2,
    latest_mri_on=date(2024, 3, 1),
    has_post_fusion_ct=False,
)
TEAR_REPORTED = finding("annular_tear", source=REPORTED)
TEAR_ABOVE_FUSION = finding("annular_tear", "L3-L4")
LOOSENING = finding("hardware_loosening", "L5-S1")
FUSED = (fusion(),)
DISCECTOMY_3_MONTHS_AGO = (surgery("discectomy", date(2024, 3, 15)),)
A_DAY_EARLIER = date(2024, 6, 14)


def facts(**changes: Any) -> RoutingFacts:
    return replace(BASE, **changes)


# Fusion 11 months ago, better then worse, back pain dominant, no CT: R5.
NONUNION = facts(
    surgeries=(fusion(date(2023, 7, 15), outcome="improved_then_recurred", pain_free=4),),
    findings=(),
    back_pain=7,
    leg_pain=3,
)
FUSION_12_MONTHS = (fusion(date(2023, 6, 15), outcome="improved_then_recurred", pain_free=4),)
Expected = tuple[Route, tuple[str, ...], date | None, bool]


def want(
    route: Route, *rule_ids: str, recheck: date | None = None, provisional: bool = False
) -> Expected:
    """What decide() should return: route, rule_ids, recheck_on, provisional."""
    return route, rule_ids, recheck, provisional


NO_MATCH = want("clinician_triage", "R10")

CASES = [
    pytest.param(
        facts(red_flag_tier="emergency"), want("escalate_emergency", "R0"), id="R0-emergency"
    ),
    pytest.param(
        facts(red_flag_tier="emergency", missing=("current_mri",)),
        want("escalate_emergency", "R0"),
        id="R0-before-missing",
    ),
    pytest.param(
        facts(red_flag_tier="urgent"), want("escalate_urgent", "R1"), id="R0-miss-urgent-tier-R1"
    ),
    pytest.param(
        facts(findings=(finding("infection", None, REPORTED),)),
        want("escalate_urgent", "R1", provisional=True),
        id="R1-reported-infection",
    ),
    pytest.param(
        facts(findings=(finding("tumour", "L2-L3"), TEAR_REPORTED)),
        want("escalate_urgent", "R1"),
        id="R1-confirmed-tumour",
    ),
    pytest.param(
        facts(red_flag_tier="urgent", findings=(finding("fracture", source=REPORTED),)),
        want("escalate_urgent", "R1"),
        id="R1-tier-rests-on-no-finding",
    ),
    pytest.param(
        facts(red_flag_tier="urgent", missing=("current_mri",)),
        want("escalate_urgent", "R1"),
        id="R1-before-missing",
    ),
    pytest.param(
        facts(findings=(finding("severe_disc_collapse", source=REPORTED), TEAR_REPORTED)),
        NO_MATCH,
        id="R1-miss-collapse-is-not-urgent",
    ),
    pytest.param(
        facts(missing=("current_mri",)), want("pending_info", "R2", "R6"), id="R2-missing"
    ),
    pytest.param(
        facts(missing=("current_mri",), findings=(TEAR_REPORTED,)),
        want("pending_info", "R2", "R6"),
        id="R2-rests-on-no-finding",
    ),
    pytest.param(BASE, want("regenerative", "R6"), id="R2-miss-nothing-missing"),
    pytest.param(
        facts(surgeries=FUSED, findings=(LOOSENING, TEAR_ABOVE_FUSION)),
        want("clinician_triage", "R3"),
        id="R3-loosening-and-tear-adjacent",
    ),
    pytest.param(
        facts(surgeries=FUSED, findings=reported(LOOSENING, TEAR_ABOVE_FUSION)),
        want("clinician_triage", "R3", provisional=True),
        id="R3-all-reported",
    ),
    pytest.param(
        facts(surgeries=FUSED, findings=(LOOSENING, finding("annular_tear", "L5-S1"))),
        want("surgical_revision", "R4"),
        id="R3-miss-tear-at-instrumented-R4",
    ),
    pytest.param(
        facts(surgeries=FUSED, findings=(LOOSENING, finding("annular_tear", None))),
        want("surgical_revision", "R4"),
        id="R3-miss-tear-without-level-R4",
    ),
    pytest.param(
        facts(surgeries=FUSED, findings=(finding("pseudarthrosis", source=REPORTED),)),
        want("surgical_revision", "R4", provisional=True),
        id="R4-reported-pseudarthrosis",
    ),
    pytest.param(
        facts(
            findings=(
                finding("retained_fragment", source=REPORTED),
                finding("severe_stenosis", "L3-L4"),
            )
        ),
        want("surgical_revision", "R4"),
        id="R4-one-confirmed",
    ),
    pytest.param(
        facts(
            surgeries=(surgery(on=date(2024, 6, 1)),), findings=(finding("extruded_herniation"),)
        ),
        want("surgical_revision", "R4"),
        id="R4-whatever-the-timing",
    ),
    pytest.param(
        facts(findings=(finding("severe_disc_collapse"),)),
        NO_MATCH,
        id="R4-miss-no-surgical-signal",
    ),
    pytest.param(NONUNION, want("surgical_revision", "R5"), id="R5-fusion-11-months"),
    pytest.param(
        replace(NONUNION, findings=(TEAR_ABOVE_FUSION,)),
        want("surgical_revision", "R5"),
        id="R5-before-R6-R7",
    ),
    pytest.param(
        replace(NONUNION, surgeries=FUSION_12_MONTHS), NO_MATCH, id="R5-miss-fusion-12-months"
    ),
    pytest.param(replace(NONUNION, back_pain=5, leg_pain=5), NO_MATCH, id="R5-miss-tie"),
    pytest.param(replace(NONUNION, leg_pain=None), NO_MATCH, id="R5-miss-leg-pain-unknown"),
    pytest.param(replace(NONUNION, has_post_fusion_ct=True), NO_MATCH, id="R5-miss-ct-done"),
    pytest.param(
        replace(NONUNION, surgeries=(fusion(date(2023, 7, 15)),)),
        NO_MATCH,
        id="R5-miss-never-improved",
    ),
    pytest.param(
        replace(
            NONUNION, surgeries=(replace(NONUNION.surgeries[0], procedure_type="artificial_disc"),)
        ),
        NO_MATCH,
        id="R5-miss-artificial-disc",
    ),
    pytest.param(BASE, want("regenerative", "R6"), id="R6-operated-disc-confirmed"),
    pytest.param(
        facts(findings=(TEAR_REPORTED,)),
        want("regenerative", "R6", provisional=True),
        id="R6-reported-is-provisional",
    ),
    pytest.param(
        facts(
            surgeries=FUSED,
            findings=(TEAR_ABOVE_FUSION, finding("discogenic_pain", "L3-L4", REPORTED)),
        ),
        want("regenerative", "R6"),
        id="R6-adjacent-to-fusion",
    ),
    pytest.param(
        facts(latest_mri_on=date(2023, 12, 15)),
        want("regenerative", "R6"),
        id="R6-mri-exactly-6-months",
    ),
    pytest.param(
        facts(latest_mri_on=date(2023, 12, 14)), NO_MATCH, id="R6-miss-mri-6-months-and-a-day"
    ),
    pytest.param(facts(latest_mri_on=None), NO_MATCH, id="R6-miss-no-mri"),
    pytest.param(facts(pain_months=5), NO_MATCH, id="R6-miss-pain-5-months"),
    pytest.param(facts(pain_months=None), NO_MATCH, id="R6-miss-pain-duration-unknown"),
    pytest.param(
        facts(care_episodes_since_surgery=0), NO_MATCH, id="R6-miss-no-care-since-surgery"
    ),
    pytest.param(
        facts(findings=(finding("annular_tear"), finding("severe_disc_collapse", "L3-L4"))),
        NO_MATCH,
        id="R6-miss-exclusion",
    ),
    pytest.param(
        facts(surgeries=(surgery(), surgery("laminectomy", None))),
        NO_MATCH,
        id="R6-miss-undated-surgery",
    ),
    pytest.param(
        facts(surgeries=DISCECTOMY_3_MONTHS_AGO),
        want("regenerative", "R6"),
        id="R7-miss-discectomy-exactly-3-months",
    ),
    pytest.param(
        facts(today=A_DAY_EARLIER, surgeries=DISCECTOMY_3_MONTHS_AGO),
        want("defer_recovery", "R7", recheck=date(2024, 6, 15)),
        id="R7-discectomy-3-months-minus-a-day",
    ),
    pytest.param(
        facts(
            today=date(2024, 2, 28),
            surgeries=(fusion(date(2023, 8, 31)),),
            findings=(TEAR_ABOVE_FUSION,),
        ),
        want("defer_recovery", "R7", recheck=date(2024, 2, 29)),
        id="R7-fusion-31-aug-rechecks-29-feb",
    ),
    pytest.param(
        facts(
            surgeries=(
                surgery("discectomy", date(2024, 4, 10), ("L3-L4",)),
                fusion(date(2024, 1, 20)),
            ),
            findings=reported(TEAR_ABOVE_FUSION),
        ),
        want("defer_recovery", "R7", recheck=date(2024, 7, 20), provisional=True),
        id="R7-latest-of-two-surgeries",
    ),
    pytest.param(
        facts(surgeries=(fusion(date(2024, 1, 20)),), findings=(finding("annular_tear", "L5-S1"),)),
        NO_MATCH,
        id="R7-miss-tear-at-instrumented-level",
    ),
    pytest.param(
        facts(surgeries=(surgery("discectomy", date(2024, 4, 10)), surgery("other", None))),
        NO_MATCH,
        id="R7-miss-a-surgery-undated",
    ),
    pytest.param(
        facts(findings=(finding("epidural_fibrosis"), finding("arachnoiditis", None))),
        want("clinician_triage", "R8"),
        id="R8-fibrosis-arachnoiditis",
    ),
    pytest.param(
        facts(findings=(finding("epidural_fibrosis", source=REPORTED),)),
        want("clinician_triage", "R8", provisional=True),
        id="R8-reported",
    ),
    pytest.param(
        facts(findings=(finding("epidural_fibrosis"), finding("facet_pain"))),
        NO_MATCH,
        id="R8-miss-with-facet-pain",
    ),
    pytest.param(
        facts(
            findings=(
                finding("facet_pain", source=REPORTED),
                finding("si_joint_pain", None, REPORTED),
            )
        ),
        want("clinician_triage", "R9", provisional=True),
        id="R9-facet-and-si",
    ),
    pytest.param(
        facts(findings=(finding("facet_pain"), finding("annular_tear", None))),
        NO_MATCH,
        id="R9-miss-with-levelless-tear",
    ),
    pytest.param(facts(findings=()), NO_MATCH, id="R10-no-findings"),
    pytest.param(
        facts(surgeries=(), findings=(), pain_months=None, care_episodes_since_surgery=0),
        NO_MATCH,
        id="R10-nothing-known",
    ),
]


@pytest.mark.parametrize(("case", "expected"), CASES)
def test_route(case: RoutingFacts, expected: Expected) -> None:
    decision = decide(case)
    assert (decision.route, decision.rule_ids, decision.recheck_on, decision.provisional) == (
        expected
    )
    assert decision.reasons
    assert (decision.provisional_route is None) == (decision.route != "pending_info")


@pytest.mark.parametrize(
    ("case", "rule_ids", "provisional_route"),
    [
        pytest.param(BASE, ("R2", "R6"), "regenerative", id="regenerative"),
        pytest.param(
            facts(findings=(LOOSENING,)), ("R2", "R4"), "surgical_revision", id="surgical"
        ),
        pytest.param(
            facts(today=A_DAY_EARLIER, surgeries=DISCECTOMY_3_MONTHS_AGO),
            ("R2", "R7"),
            "defer_recovery",
            id="deferred-without-a-recheck-date",
        ),
        pytest.param(facts(findings=()), ("R2", "R10"), "clinician_triage", id="no-rule"),
    ],
)
def test_pending_info_shows_the_provisional_route(
    case: RoutingFacts, rule_ids: tuple[str, ...], provisional_route: Route
) -> None:
    decision = decide(replace(case, missing=("current_mri", "operative_note")))
    assert decision.route == "pending_info"
    assert (decision.rule_ids, decision.provisional_route) == (rule_ids, provisional_route)
    assert decision.missing == ("current_mri", "operative_note")
    assert decision.recheck_on is None
    assert decision.reasons[0] == "Still missing: current_mri, operative_note"


def test_pending_info_says_when_the_provisional_route_rests_on_reports_only() -> None:
    note = "The provisional route rests on patient-reported findings only"
    assert note in decide(facts(missing=("current_mri",), findings=(TEAR_REPORTED,))).reasons
    assert note not in decide(facts(missing=("current_mri",))).reasons


def test_r10_names_an_undated_other_surgery() -> None:
    reasons = decide(facts(surgeries=(surgery("other", None),))).reasons
    assert "The other surgery date is unknown, so 6 months can't be shown" in reasons


def test_r10_names_every_unmet_regenerative_criterion() -> None:
    case = facts(
        latest_mri_on=date(2023, 10, 1),
        pain_months=4,
        care_episodes_since_surgery=0,
        findings=(finding("annular_tear"), finding("severe_disc_collapse", "L3-L4")),
    )
    reasons = decide(case).reasons
    assert reasons[0] == "No rule matched"
    assert reasons[2:] == (
        "MRI of 2023-10-01 is 8 months and 14 days old; the regenerative route needs one no "
        "older than 6 months",
        "Pain has lasted 4 months; the regenerative route needs at least 6 months",
        "0 conservative-care episode(s) since the last surgery; the regenerative route needs "
        "at least 1",
        "severe_disc_collapse at L3-L4 [staff-confirmed] excludes the regenerative route",
    )


def test_r10_names_an_unknown_surgery_date() -> None:
    reasons = decide(facts(surgeries=(surgery(on=None),))).reasons
    assert "The microdiscectomy date is unknown, so 3 months can't be shown" in reasons


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        pytest.param(
            facts(surgeries=FUSED, findings=(LOOSENING, finding("annular_tear", "L5-S1"))),
            "annular_tear at L5-S1 is at an instrumented level, not a target",
            id="instrumented",
        ),
        pytest.param(
            facts(findings=(finding("discogenic_pain", None),)),
            "discogenic_pain has no level, so it is not at a regenerative target",
            id="no-level",
        ),
        pytest.param(
            facts(findings=(finding("annular_tear", "L6-L7"),)),
            "annular_tear at 'L6-L7': not a disc segment, so not a target",
            id="not-a-segment",
        ),
    ],
)
def test_reasons_say_why_a_tear_is_not_a_target(case: RoutingFacts, expected: str) -> None:
    assert expected in decide(case).reasons


def test_reasons_cite_levels_dates_and_the_conflict() -> None:
    conflict = decide(facts(surgeries=FUSED, findings=(LOOSENING, TEAR_ABOVE_FUSION)))
    assert conflict.reasons == (
        "Conflict: surgical signal hardware_loosening at L5-S1 [staff-confirmed] and "
        "regenerative signal annular_tear at L3-L4, adjacent to hardware [staff-confirmed]; "
        "a correctable structural problem is normally reviewed first",
    )
    assert "possible pseudarthrosis, CT needed" in decide(NONUNION).reasons[0]
    deferred = decide(facts(today=A_DAY_EARLIER, surgeries=DISCECTOMY_3_MONTHS_AGO))
    assert "The discectomy on 2024-03-15 reaches 3 months on 2024-06-15" in deferred.reasons
    assert "Recheck on 2024-06-15" in deferred.reasons


def test_policy_changes_the_thresholds() -> None:
    late_fusion = facts(surgeries=(fusion(date(2023, 8, 31)),), findings=(TEAR_ABOVE_FUSION,))
    assert decide(late_fusion).route == "regenerative"
    strict = RoutingPolicy(fusion_min_months=12, procedure_mri_max_months=2)
    decision = decide(late_fusion, strict)
    assert (decision.route, decision.recheck_on) == ("defer_recovery", date(2024, 8, 31))
    assert "Also unmet today: MRI of 2024-03-01" in " ".join(decision.reasons)


def test_decide_is_deterministic() -> None:
    for param in CASES:
        case = param.values[0]
        assert isinstance(case, RoutingFacts)
        first, second = decide(case), decide(replace(case))
        assert isinstance(first, Decision)
        assert first == second


def test_rules_are_plain_data_in_order() -> None:
    assert [rule.id for rule in RULES] == [f"R{n}" for n in range(11)]
    assert all(rule.summary for rule in RULES)
    assert RULESET_VERSION == "fbss-routing/1"
