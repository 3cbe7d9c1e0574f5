"""Typed builders, one per message. Each takes only what it may show: no clinical details."""

from __future__ import annotations

from dataclasses import dataclass

from emails.render import RenderedEmail, render


@dataclass(frozen=True)
class ClinicContact:
    name: str
    phone: str


@dataclass(frozen=True)
class IntakeReminder:
    """'You have items waiting in your portal': no document names, no diagnosis."""

    first_name: str
    clinic_name: str
    clinic_phone: str
    portal_url: str


def intake_reminder(*, first_name: str, clinic: ClinicContact, portal_url: str) -> RenderedEmail:
    data = IntakeReminder(
        first_name=first_name,
        clinic_name=clinic.name,
        clinic_phone=clinic.phone,
        portal_url=portal_url,
    )
    return render("intake_reminder", f"Items waiting in your {clinic.name} portal", data)


@dataclass(frozen=True)
class IntakeStarted:
    first_name: str
    clinic_name: str
    clinic_phone: str
    resume_url: str


def intake_started(*, first_name: str, clinic: ClinicContact, resume_url: str) -> RenderedEmail:
    """Sent when an intake starts: how to come back to it later (no token in it)."""
    data = IntakeStarted(
        first_name=first_name,
        clinic_name=clinic.name,
        clinic_phone=clinic.phone,
        resume_url=resume_url,
    )
    return render("intake_started", f"Your {clinic.name} intake", data)


@dataclass(frozen=True)
class MagicLinkEmail:
    first_name: str
    clinic_name: str
    clinic_phone: str
    link_url: str
    valid_minutes: int


def magic_link(
    *, first_name: str, clinic: ClinicContact, link_url: str, valid_minutes: int
) -> RenderedEmail:
    """A single-use sign-in link."""
    data = MagicLinkEmail(
        first_name=first_name,
        clinic_name=clinic.name,
        clinic_phone=clinic.phone,
        link_url=link_url,
        valid_minutes=valid_minutes,
    )
    return render("magic_link", f"Your {clinic.name} sign-in link", data)


@dataclass(frozen=True)
class StaffAlert:
    """For the clinic's own triage mailbox: a link to the record and nothing else."""

    clinic_name: str
    clinic_phone: str
    tier: str
    staff_url: str


def staff_red_flag_alert(*, clinic: ClinicContact, tier: str, staff_url: str) -> RenderedEmail:
    data = StaffAlert(
        clinic_name=clinic.name, clinic_phone=clinic.phone, tier=tier, staff_url=staff_url
    )
    return render("staff_alert", f"[{tier.upper()}] An intake needs review", data)
