"""Typed builders, one per message. Each takes only what it may show: no clinical details."""

from __future__ import annotations

from dataclasses import dataclass

from emails.render import ClinicContact, RenderedEmail, render

__all__ = [
    "ClinicContact",
    "intake_reminder",
    "intake_started",
    "magic_link",
    "staff_red_flag_alert",
]


@dataclass(frozen=True)
class IntakeReminder:
    """'You have items waiting in your portal': no document names, no diagnosis."""

    first_name: str
    portal_url: str


def intake_reminder(*, first_name: str, clinic: ClinicContact, portal_url: str) -> RenderedEmail:
    subject = f"Items waiting in your {clinic.name} portal"
    return render("intake_reminder", subject, IntakeReminder(first_name, portal_url), clinic)


@dataclass(frozen=True)
class IntakeStarted:
    first_name: str
    resume_url: str


def intake_started(*, first_name: str, clinic: ClinicContact, resume_url: str) -> RenderedEmail:
    """Sent when an intake starts: how to come back to it later (no token in it)."""
    subject = f"Your {clinic.name} intake"
    return render("intake_started", subject, IntakeStarted(first_name, resume_url), clinic)


@dataclass(frozen=True)
class MagicLinkEmail:
    first_name: str
    link_url: str
    valid_minutes: int


def magic_link(
    *, first_name: str, clinic: ClinicContact, link_url: str, valid_minutes: int
) -> RenderedEmail:
    """A single-use sign-in link."""
    data = MagicLinkEmail(first_name, link_url, valid_minutes)
    return render("magic_link", f"Your {clinic.name} sign-in link", data, clinic)


@dataclass(frozen=True)
class StaffAlert:
    """For the clinic's own triage mailbox: a link to the record and nothing else."""

    tier: str
    staff_url: str


def staff_red_flag_alert(*, clinic: ClinicContact, tier: str, staff_url: str) -> RenderedEmail:
    subject = f"[{tier.upper()}] An intake needs review"
    return render("staff_alert", subject, StaffAlert(tier, staff_url), clinic)
