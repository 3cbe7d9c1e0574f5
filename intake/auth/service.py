"""Passwordless access for patients: magic links, single-use and short-lived."""

from __future__ import annotations

from datetime import timedelta

from emails.messages import MagicLinkEmail
from intake.auth import ratelimit, repository
from intake.auth.models import MagicLink
from intake.config import Settings
from intake.db import UnitOfWork, utcnow
from intake.errors import TooManyRequests, Unauthorized
from intake.intakes.service import issue_patient_token
from intake.notifications.service import queue_email
from intake.security import hash_token, new_token

HOUR = timedelta(hours=1)


def magic_link_url(settings: Settings, token: str) -> str:
    """Built from PUBLIC_BASE_URL, never from the request's Host header."""
    return f"{settings.public_base_url.rstrip('/')}/auth/magic?token={token}"


def request_magic_link(uow: UnitOfWork, *, email: str, client_ip: str, settings: Settings) -> None:
    """Email a sign-in link if `email` has an intake. The caller learns nothing either way."""
    now = utcnow()
    address = email.strip().lower()
    limits = (
        (ratelimit.bucket("magic-link:email", address), settings.magic_links_per_email_per_hour),
        (ratelimit.bucket("magic-link:ip", client_ip), settings.magic_links_per_ip_per_hour),
    )
    for name, limit in limits:
        if not ratelimit.allow(uow.session, name, limit=limit, window=HOUR, now=now):
            raise TooManyRequests("Too many sign-in requests; try again later", retry_after=3600)
    intake = repository.latest_intake_for_email(uow.session, address)
    if intake is None:
        return
    token = new_token()
    link = MagicLink(
        intake_id=intake.id,
        token_hash=hash_token(token),
        expires_at=now + timedelta(minutes=settings.magic_link_ttl_minutes),
    )
    uow.session.add(link)
    uow.session.flush()
    queue_email(
        uow,
        key=f"magic-link:{link.id}",
        to=intake.patient.email,
        intake_id=intake.id,
        sensitive=True,
        message=MagicLinkEmail(
            first_name=intake.patient.first_name,
            link_url=magic_link_url(settings, token),
            valid_minutes=settings.magic_link_ttl_minutes,
        ),
    )


def link_is_usable(uow: UnitOfWork, token: str) -> bool:
    """Whether a link can still be used; looking does not use it up."""
    return repository.is_usable(uow.session, hash_token(token), utcnow())


def consume_magic_link(uow: UnitOfWork, *, token: str, settings: Settings) -> tuple[str, str]:
    """Use up a link; return (intake id, a new patient token). Reuse or expiry is a 401."""
    intake_id = repository.consume(uow.session, hash_token(token), utcnow())
    if intake_id is None:
        raise Unauthorized("This sign-in link is invalid, used or expired")
    access = issue_patient_token(
        uow, intake_id=intake_id, ttl=timedelta(hours=settings.magic_session_ttl_hours)
    )
    return str(intake_id), access
