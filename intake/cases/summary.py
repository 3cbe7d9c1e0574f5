"""The case in plain sentences, one line per fact: the consult packet's narrative."""

from __future__ import annotations

from intake.cases.schemas import CaseView, DecisionView, SurgeryView


def _label(code: str) -> str:
    text = code.replace("_", " ")
    return text[:1].upper() + text[1:]


def decision_line(decision: DecisionView) -> str:
    """ "2024-05-15 override by Casey: Surgical revision; rules OVERRIDE; CT shows ..."."""
    who = f" by {decision.decided_by_name}" if decision.decided_by_name else ""
    provisional = " (provisional)" if decision.provisional else ""
    held = "" if decision.applied else " [not applied: an override held]"
    return (
        f"{decision.created_at.date().isoformat()} {decision.kind}{who}: "
        f"{_label(decision.route)}{provisional}{held}; rules {', '.join(decision.rule_ids)}; "
        f"{' '.join(decision.reasons)}"
    )


def routing_lines(case: CaseView) -> list[str]:
    current = case.current_decision
    lines = [f"Current route: {decision_line(current)}" if current else "Not routed yet"]
    if case.red_flag_tier:
        triggers = ", ".join(_label(t) for t in case.red_flag_triggers) or "answered earlier"
        lines.append(f"Red flags: {case.red_flag_tier} ({triggers})")
    earlier = [d for d in case.routing if current is None or d.id != current.id]
    return lines + [f"Earlier: {decision_line(d)}" for d in earlier]


def finding_lines(case: CaseView) -> list[str]:
    return [
        f"{_label(f.type)}{' at ' + f.level if f.level else ''}: "
        f"{'present' if f.present else 'ruled out'} ({f.source.replace('_', ' ')})"
        for f in case.findings
    ]


def score_lines(case: CaseView) -> list[str]:
    scores, lines = case.scores, []
    if scores.odi_percent is not None:
        lines.append(f"ODI {scores.odi_percent:.1f}% ({scores.odi_band})")
    if scores.ndi_raw is not None:
        lines.append(f"NDI {scores.ndi_raw:.1f}/50 ({scores.ndi_band})")
    if scores.nrs_back_or_neck is not None:
        lines.append(f"Pain NRS back or neck {scores.nrs_back_or_neck}/10")
    if scores.nrs_leg_or_arm is not None:
        lines.append(f"Pain NRS leg or arm {scores.nrs_leg_or_arm}/10")
    return lines


def _surgery_line(surgery: SurgeryView) -> str:
    levels = ", ".join(surgery.levels) or "levels not given"
    if surgery.instrumented_levels:
        levels += f" (instrumented {', '.join(surgery.instrumented_levels)})"
    what = _label(surgery.procedure_type or "other")
    outcome = _label(surgery.outcome_pattern or "outcome not given")
    return f"{surgery.surgery_date or 'undated'} {what} {levels}: {outcome}"


def surgery_lines(case: CaseView) -> list[str]:
    return [_surgery_line(surgery) for surgery in case.surgeries]
