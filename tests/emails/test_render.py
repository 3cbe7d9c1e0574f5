"""Rendering: autoescaped HTML, StrictUndefined, and nothing clinical in any message."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from jinja2 import UndefinedError

from emails.messages import MESSAGES, ClinicContact, IntakeReminder, from_context, render_message
from emails.render import render
from emails.samples import SAMPLES

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


_URL = re.compile(r"\S+://\S+")


def clinical_words_in(text: str, words: tuple[str, ...] = CLINICAL_WORDS) -> list[str]:
    """The words found outside links: a link's random token may spell "mri" by chance."""
    lowered = _URL.sub(" ", text).lower()
    return [word for word in words if word in lowered]


def _reminder(first_name: str = "Ada") -> IntakeReminder:
    return IntakeReminder(
        first_name=first_name,
        portal_url="https://portal.example/resume",
        unsubscribe_url="https://portal.example/unsubscribe/t0ken",
    )


def test_the_reminder_carries_name_clinic_links_and_phone_only() -> None:
    email = render_message(_reminder(), CLINIC)

    for body in (email.text, email.html):
        assert "Ada" in body
        assert "Northside Clinic" in body
        assert "https://portal.example/resume" in body
        assert "https://portal.example/unsubscribe/t0ken" in body
        assert "+1 555 0100" in body
        assert clinical_words_in(email.subject + body) == []


@pytest.mark.parametrize("template", sorted(MESSAGES))
def test_every_template_renders_its_sample_on_the_shared_layout(template: str) -> None:
    email = render_message(SAMPLES[template], CLINIC)

    assert email.text.startswith("Northside Clinic\n")  # base.txt's header
    assert email.html.startswith("<!doctype html>")  # base.html
    assert "Northside Clinic" in email.html
    # What the outbox stores is enough to render the same email again.
    again = from_context(template, SAMPLES[template].context())
    assert render_message(again, CLINIC) == email


def test_html_is_escaped_and_text_is_not_html() -> None:
    email = render_message(_reminder("<b>Ada</b>"), CLINIC)

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
