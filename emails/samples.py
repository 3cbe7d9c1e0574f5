"""Sample data for every message, for the staff preview: invented, never a real patient."""

from __future__ import annotations

from emails.messages import (
    MESSAGES,
    AppointmentBooked,
    AppointmentCancelled,
    AppointmentOffer,
    AppointmentReminder,
    AppointmentRescheduled,
    IntakeReminder,
    IntakeStarted,
    MagicLinkEmail,
    Message,
    StaffAlert,
)

_BASE = "https://portal.clinic.example"

# One invented appointment: 2:00 PM in New York on a winter Tuesday, for a patient in
# London, so the previews show both clocks.
_BOOKED = AppointmentBooked(
    first_name="Alex",
    starts_at="2026-11-24T19:00:00Z",
    ends_at="2026-11-24T19:45:00Z",
    patient_timezone="Europe/London",
    clinic_timezone="America/New_York",
    modality="in_person",
    location="12 Harbour Street, Suite 4, Boston, MA 02110",
    manage_url=f"{_BASE}/appointments/sample",
    uid="appointment-00000000-0000-4000-8000-000000000000@clinic.example",
    sequence=0,
)
# The later notices about the same appointment: one uid, a growing sequence.
_SAME = _BOOKED.context()

SAMPLES: dict[str, Message] = {
    message.template: message
    for message in (
        IntakeReminder(
            first_name="Alex",
            portal_url=f"{_BASE}/resume",
            unsubscribe_url=f"{_BASE}/unsubscribe/sample-token",
        ),
        IntakeStarted(first_name="Alex", resume_url=f"{_BASE}/resume"),
        MagicLinkEmail(first_name="Alex", link_url=f"{_BASE}/auth/magic#sample", valid_minutes=10),
        StaffAlert(tier="urgent", staff_url=f"{_BASE}/staff/intakes/sample"),
        _BOOKED,
        AppointmentReminder(**_SAME, hours_before=24),
        AppointmentRescheduled(**{**_SAME, "sequence": 1}),
        AppointmentCancelled(**{**_SAME, "sequence": 2}),
        AppointmentOffer(
            first_name="Alex",
            options=[
                "Tuesday 24 November 2026, 7:00 PM GMT",
                "Wednesday 25 November 2026, 3:30 PM GMT",
                "Friday 27 November 2026, 2:00 PM GMT",
            ],
            pick_url=f"{_BASE}/appointments/offers/sample",
            expires_on="Friday 20 November 2026",
        ),
    )
}

# A new message without a sample would be missing from the preview: fail at import.
assert set(SAMPLES) == set(MESSAGES), sorted(set(MESSAGES) - set(SAMPLES))
