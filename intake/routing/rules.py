"""DOMAIN.md §3 routing rules R0 to R10: a pure, deterministic function of RoutingFacts.

Each rule is plain data: an id, its route, a summary, and a small test that either matches,
with its reasons and the findings it rests on, or does not. The rules run in order and the
first match decides. R2 (information missing) is the one exception: it decides
pending_info, and the rules after it still run so staff can see where the case is heading.
The system only sorts cases into review queues; every route ends with a clinician.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal, TypeAlias

from intake.checklist.policy import describe_age
from intake.questionnaire import REGENERATIVE_SIGNAL_FINDINGS, SURGICAL_SIGNAL_FINDINGS
from intake.routing.facts import FindingFact, RoutingFacts, SurgeryFact
from intake.routing.levels import adjacent_levels, instrumented, is_regenerative_target
from intake.routing.policy import DEFAULT_POLICY, RoutingPolicy, add_months

# Stored with every decision. Change it whenever a rule, or a policy default, changes meaning.
RULESET_VERSION = "fbss-routing/1"

Route: TypeAlias = Literal[
    "escalate_emergency",
    "escalate_urgent",
    "pending_info",
    "regenerative",
    "surgical_revision",
    "clinician_triage",
    "defer_recovery",
]

URGENT_FINDINGS = frozenset({"infection", "tumour", "fracture"})
# The R6 exclusions [Pauza 2024]. Most are also surgical signals or urgent findings, which
# earlier rules catch first; they stay listed so R6 does not depend on the rule order.
# "Purely facet or SI pain" cannot hold beside a tear finding, so it needs no entry: R9.
R6_EXCLUSIONS = frozenset(
    {
        "tumour",
        "fracture",
        "severe_stenosis",
        "instability",
        "spondylolisthesis_above_grade_2",
        "extruded_herniation",
        "severe_disc_collapse",
        "infection",
    }
)
PAIN_MANAGEMENT_FINDINGS = frozenset({"epidural_fibrosis", "arachnoiditis"})
FACET_SI_FINDINGS = frozenset({"facet_pain", "si_joint_pain"})


@dataclass(frozen=True)
class Decision:
    route: Route
    rule_ids: tuple[str, ...]  # the deciding rule; for pending_info, then the provisional one
    reasons: tuple[str, ...]  # for a clinician: levels and dates, never a name
    missing: tuple[str, ...]
    recheck_on: date | None  # defer_recovery only
    provisional: bool  # rests on findings, and only on patient-reported ones
    provisional_route: Route | None  # pending_info only; shown to staff only


@dataclass(frozen=True)
class Context:
    """The facts, with what several rules derive from them worked out once."""

    facts: RoutingFacts
    policy: RoutingPolicy
    surgical: tuple[FindingFact, ...]  # S_* findings
    targets: tuple[FindingFact, ...]  # regenerative signals at a regenerative target
    off_target: tuple[FindingFact, ...]  # regenerative signals with no level, or at hardware
    adjacent: frozenset[str]  # the segments bordering hardware, named in reasons

    @classmethod
    def of(cls, facts: RoutingFacts, policy: RoutingPolicy) -> Context:
        signals = [f for f in facts.findings if f.type in REGENERATIVE_SIGNAL_FINDINGS]
        on_target = [f for f in signals if _at_target(f, facts)]
        return cls(
            facts=facts,
            policy=policy,
            surgical=tuple(f for f in facts.findings if f.type in SURGICAL_SIGNAL_FINDINGS),
            targets=tuple(on_target),
            off_target=tuple(f for f in signals if f not in on_target),
            adjacent=adjacent_levels(facts.surgeries),
        )


def _at_target(finding: FindingFact, facts: RoutingFacts) -> bool:
    return finding.level is not None and is_regenerative_target(finding.level, facts.surgeries)


@dataclass(frozen=True)
class Match:
    """A rule's verdict: why it fired, what findings it rests on, when to look again."""

    reasons: tuple[str, ...]
    rests_on: tuple[FindingFact, ...] = ()
    recheck_on: date | None = None


@dataclass(frozen=True)
class Rule:
    id: str
    route: Route
    summary: str
    test: Callable[[Context], Match | None]


def _describe(finding: FindingFact, ctx: Context | None = None) -> str:
    where = f" at {finding.level}" if finding.level else ", level not given"
    if ctx and finding.level in ctx.adjacent:
        where += ", adjacent to hardware"
    return f"{finding.type}{where} [{finding.source.replace('_', '-')}]"


def _listed(findings: Sequence[FindingFact], ctx: Context | None = None) -> str:
    return "; ".join(_describe(f, ctx) for f in findings)


def _off_target_notes(ctx: Context) -> tuple[str, ...]:
    """Why a tear or discogenic finding did not count as a regenerative signal."""
    fixed = instrumented(ctx.facts.surgeries)
    notes = []
    for f in ctx.off_target:
        if f.level is None:
            notes.append(f"{f.type} has no level, so it is not at a regenerative target")
        elif f.level in fixed:
            notes.append(f"{f.type} at {f.level} is at an instrumented level, not a target")
        else:
            notes.append(f"{f.type} at {f.level!r}: not a disc segment, so not a target")
    return tuple(notes)


def _emergency(ctx: Context) -> Match | None:
    if ctx.facts.red_flag_tier != "emergency":
        return None
    return Match(("Emergency red flag answered: automated routing stops",))


def _urgent(ctx: Context) -> Match | None:
    tier = ctx.facts.red_flag_tier == "urgent"
    found = tuple(f for f in ctx.facts.findings if f.type in URGENT_FINDINGS)
    if not (tier or found):
        return None
    reasons = [f"{_describe(f)} needs same-day review" for f in found]
    if tier:
        reasons.insert(0, "Urgent red flag answered")
    # An urgent red-flag answer escalates on its own, whatever the findings' source.
    return Match(tuple(reasons), rests_on=() if tier else found)


def _missing(ctx: Context) -> Match | None:
    missing = ctx.facts.missing
    return Match((f"Still missing: {', '.join(missing)}",)) if missing else None


def _conflict(ctx: Context) -> Match | None:
    if not (ctx.surgical and ctx.targets):
        return None
    reason = (
        f"Conflict: surgical signal {_listed(ctx.surgical)} and regenerative signal "
        f"{_listed(ctx.targets, ctx)}; a correctable structural problem is normally "
        "reviewed first"
    )
    return Match((reason,), rests_on=ctx.surgical + ctx.targets)


def _surgical(ctx: Context) -> Match | None:
    if not ctx.surgical:
        return None
    reasons = (f"Surgical signal: {_listed(ctx.surgical)}", *_off_target_notes(ctx))
    return Match(reasons, rests_on=ctx.surgical)


def _possible_nonunion(ctx: Context) -> Match | None:
    facts, window = ctx.facts, ctx.policy.nonunion_window_months
    back, leg = facts.back_pain, facts.leg_pain
    # A tie, or an unknown score, is not axial dominance.
    if facts.has_post_fusion_ct or back is None or leg is None or back <= leg:
        return None
    for s in facts.surgeries:
        recent = s.performed_on is not None and facts.today < add_months(s.performed_on, window)
        if (
            s.procedure_type == "fusion"
            and recent
            and s.outcome_pattern == "improved_then_recurred"
        ):
            reason = (
                f"Fusion on {s.performed_on} is under {window} months old, pain improved then "
                f"recurred, back pain {back} exceeds leg pain {leg}, and there is no "
                "post-fusion CT: possible pseudarthrosis, CT needed"
            )
            return Match((reason, *_off_target_notes(ctx)))
    return None


def _surgery_name(surgery: SurgeryFact) -> str:
    return "other surgery" if surgery.procedure_type == "other" else surgery.procedure_type


def _recovery_unmet(ctx: Context) -> tuple[str, ...]:
    """Each surgery whose minimum recovery time is not shown to have passed."""
    unmet = []
    for s in ctx.facts.surgeries:
        months = ctx.policy.min_months_after(s.procedure_type)
        if s.performed_on is None:
            unmet.append(
                f"The {_surgery_name(s)} date is unknown, so {months} months can't be shown"
            )
        elif ctx.facts.today < (due := add_months(s.performed_on, months)):
            unmet.append(
                f"The {_surgery_name(s)} on {s.performed_on} reaches {months} months on {due}"
            )
    return tuple(unmet)


def _recheck_on(ctx: Context) -> date | None:
    """When every surgery's recovery time will have passed; None if a date is unknown."""
    ends = [
        add_months(s.performed_on, ctx.policy.min_months_after(s.procedure_type))
        for s in ctx.facts.surgeries
        if s.performed_on is not None
    ]
    return max(ends) if ends and len(ends) == len(ctx.facts.surgeries) else None


def _other_r6_unmet(ctx: Context) -> tuple[str, ...]:
    """Every R6 criterion other than recovery time that the facts do not meet."""
    facts, policy = ctx.facts, ctx.policy
    unmet = []
    mri, mri_months = facts.latest_mri_on, policy.procedure_mri_max_months
    if mri is None:
        unmet.append(
            f"No MRI date; the regenerative route needs one at most {mri_months} months old"
        )
    elif mri < add_months(facts.today, -mri_months):
        unmet.append(
            f"MRI of {mri} is {describe_age(mri, facts.today)} old; the regenerative route "
            f"needs one no older than {mri_months} months"
        )
    pain, pain_min = facts.pain_months, policy.chronic_pain_min_months
    if pain is None or pain < pain_min:
        lasted = "an unknown time" if pain is None else f"{pain} months"
        unmet.append(
            f"Pain has lasted {lasted}; the regenerative route needs at least {pain_min} months"
        )
    care, care_min = facts.care_episodes_since_surgery, policy.min_conservative_episodes
    if care < care_min:
        unmet.append(
            f"{care} conservative-care episode(s) since the last surgery; the regenerative "
            f"route needs at least {care_min}"
        )
    unmet += [
        f"{_describe(f)} excludes the regenerative route"
        for f in facts.findings
        if f.type in R6_EXCLUSIONS
    ]
    return tuple(unmet)


def _regenerative(ctx: Context) -> Match | None:
    if not ctx.targets or _recovery_unmet(ctx) or _other_r6_unmet(ctx):
        return None
    reason = f"Regenerative signal {_listed(ctx.targets, ctx)}; every regenerative criterion is met"
    return Match((reason,), rests_on=ctx.targets)


def _still_recovering(ctx: Context) -> Match | None:
    waiting, recheck = _recovery_unmet(ctx), _recheck_on(ctx)
    if not (ctx.targets and waiting and recheck):
        return None
    reasons = (
        f"Regenerative signal {_listed(ctx.targets, ctx)}, but recovery time has not passed",
        *waiting,
        f"Recheck on {recheck}",
        *(f"Also unmet today: {unmet}" for unmet in _other_r6_unmet(ctx)),
    )
    return Match(reasons, rests_on=ctx.targets, recheck_on=recheck)


def _only(types: frozenset[str], reason: str) -> Callable[[Context], Match | None]:
    """A test that matches when there are findings and every one is of these types."""

    def test(ctx: Context) -> Match | None:
        findings = ctx.facts.findings
        if not findings or any(f.type not in types for f in findings):
            return None
        return Match((f"{reason}; the only findings: {_listed(findings)}",), rests_on=findings)

    return test


def _no_match(ctx: Context) -> Match:
    reasons = ["No rule matched", *_off_target_notes(ctx)]
    if ctx.targets:
        reasons.append(f"Regenerative signal {_listed(ctx.targets, ctx)}, but:")
        reasons += [*_recovery_unmet(ctx), *_other_r6_unmet(ctx)]
    return Match(tuple(reasons))


RULES: tuple[Rule, ...] = (
    Rule("R0", "escalate_emergency", "An emergency red flag", _emergency),
    Rule("R1", "escalate_urgent", "An urgent red flag, or infection, tumour or fracture", _urgent),
    Rule("R2", "pending_info", "A required answer or document is missing or stale", _missing),
    Rule("R3", "clinician_triage", "Surgical and regenerative signals conflict", _conflict),
    Rule("R4", "surgical_revision", "A surgical signal, whatever the timing", _surgical),
    Rule(
        "R5", "surgical_revision", "Recent fusion, recurred axial pain, no CT", _possible_nonunion
    ),
    Rule(
        "R6", "regenerative", "Regenerative signal at a target, every criterion met", _regenerative
    ),
    Rule(
        "R7",
        "defer_recovery",
        "Regenerative signal, recovery time not yet passed",
        _still_recovering,
    ),
    Rule(
        "R8",
        "clinician_triage",
        "Only fibrosis or arachnoiditis",
        _only(PAIN_MANAGEMENT_FINDINGS, "Pain management / SCS evaluation"),
    ),
    Rule(
        "R9",
        "clinician_triage",
        "Only facet or SI pain",
        _only(FACET_SI_FINDINGS, "Facet/SI-directed care"),
    ),
    Rule("R10", "clinician_triage", "Anything else", _no_match),
)


def _first_match(rules: Sequence[Rule], ctx: Context) -> tuple[Rule, Match]:
    for rule in rules:
        match = rule.test(ctx)
        if match is not None:
            return rule, match
    raise AssertionError("R10 matches every case")  # pragma: no cover


def _provisional(rests_on: Sequence[FindingFact]) -> bool:
    return bool(rests_on) and all(f.source == "patient_reported" for f in rests_on)


def decide(facts: RoutingFacts, policy: RoutingPolicy = DEFAULT_POLICY) -> Decision:
    """The route for these facts under this policy, with the rule ids and reasons behind it."""
    ctx = Context.of(facts, policy)
    rule, match = _first_match(RULES, ctx)
    if rule.route != "pending_info":
        return Decision(
            route=rule.route,
            rule_ids=(rule.id,),
            reasons=match.reasons,
            missing=facts.missing,
            recheck_on=match.recheck_on,
            provisional=_provisional(match.rests_on),
            provisional_route=None,
        )
    later, then = _first_match(RULES[RULES.index(rule) + 1 :], ctx)
    reasons = [*match.reasons, *(f"Provisionally {later.route}: {r}" for r in then.reasons)]
    if _provisional(then.rests_on):
        reasons.append("The provisional route rests on patient-reported findings only")
    return Decision(
        route="pending_info",
        rule_ids=(rule.id, later.id),
        reasons=tuple(reasons),
        missing=facts.missing,
        recheck_on=None,
        # Waiting for information rests on no finding; the provisional route is staff-only.
        provisional=False,
        provisional_route=later.route,
    )
