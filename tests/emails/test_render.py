"""Rendering: autoescaped HTML, StrictUndefined, and nothing clinical in any message."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from jinja2 import UndefinedError

from emails.messages import ClinicContact, intake_reminder
from emails.render import render

CLINIC = ClinicContact(name="Northside Clinic", phone="+1 555 0100")
# Words that would tell a reader of the mailbox why this person is a patient.
CLINICAL_WORDS = (
    "mri",
    "operative",
    "surgery",
    "surgical",
    "spine",
    "spinal",
    "fusion",
    "disc",
    "conservative",
    "imaging",
    "pain",
    "regenerative",
    "revision",
    "diagnos",
)


def test_the_reminder_carries_name_clinic_link_and_phone_only() -> None:
    email = intake_reminder(first_name="Ada", clinic=CLINIC, portal_url="https://portal.example/")

    for body in (email.text, email.html):
        assert "Ada" in body
        assert "Northside Clinic" in body
        assert "https://portal.example/" in body
        assert "+1 555 0100" in body
        lowered = (email.subject + body).lower()
        assert [w for w in CLINICAL_WORDS if w in lowered] == []


def test_html_is_escaped_and_text_is_not_html() -> None:
    email = intake_reminder(first_name="<b>Ada</b>", clinic=CLINIC, portal_url="https://p/")

    assert "<b>Ada</b>" not in email.html
    assert "&lt;b&gt;Ada&lt;/b&gt;" in email.html
    assert "<b>Ada</b>" in email.text
    assert "<p>" not in email.text


@dataclass(frozen=True)
class _MissingField:
    first_name: str


def test_a_missing_field_fails_instead_of_sending_a_gap() -> None:
    with pytest.raises(UndefinedError):
        render("intake_reminder", "subject", _MissingField(first_name="Ada"), CLINIC)
