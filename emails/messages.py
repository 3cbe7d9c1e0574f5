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
