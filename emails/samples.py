"""Sample data for every message, for the staff preview: invented, never a real patient."""

from __future__ import annotations

from emails.messages import (
    MESSAGES,
    IntakeReminder,
    IntakeStarted,
    MagicLinkEmail,
    Message,
    StaffAlert,
)

_BASE = "https://portal.clinic.example"

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
    )
}

# A new message without a sample would be missing from the preview: fail at import.
assert set(SAMPLES) == set(MESSAGES), sorted(set(MESSAGES) - set(SAMPLES))
