"""Staff accounts and sessions: create, log in, authenticate a token, log out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from intake import audit
from intake.audit import SYSTEM, Actor
from intake.auth import ratelimit
from intake.config import Settings
from intake.db import UnitOfWork, utcnow
from intake.errors import (
    Conflict,
    Forbidden,
    IntakeError,
    InvalidInput,
    TooManyRequests,
    Unauthorized,
    problem,
)
from intake.security import hash_token, new_token
from intake.staff import passwords, repository
from intake.staff.models import StaffRole, StaffToken, StaffUser
from intake.staff.permissions import Permission, authorize
from intake.staff.schemas import StaffCreate

MIN_PASSWORD_LENGTH = 12
HOUR = timedelta(hours=1)
# One message for an unknown email, a wrong password and a disabled account (ASVS 6.3.8).
INVALID_CREDENTIALS = "Incorrect email or password"
INVALID_TOKEN = "Invalid or expired staff token"
STAFF_USER = "staff_user"
# How stale a session's last_used_at may get before a request writes it again.
LAST_USED_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_in: int


@dataclass(frozen=True)
class LoginRefused:
    """A refused login. The caller commits first (audit row, rate-limit hits), then raises."""

    error: IntakeError


def normalize_email(email: str) -> str:
    """Emails are matched case-insensitively, so they are stored lower-case."""
    return email.strip().lower()


def password_problem(password: str) -> str | None:
    """Why a new password is refused, or None when it is acceptable."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"must be at least {MIN_PASSWORD_LENGTH} characters"
    return None


def create_staff(uow: UnitOfWork, *, details: StaffCreate, password: str) -> StaffUser:
    """Create an active account; refuse a short password or an email already in use."""
    reason = password_problem(password)
    if reason:
        raise InvalidInput([problem(["password"], reason)])
    email = normalize_email(str(details.email))
    if repository.user_by_email(uow.session, email) is not None:
        raise Conflict("A staff account with that email already exists")
    user = StaffUser(
        email=email,
        full_name=details.full_name,
        role=details.role,
        password_hash=passwords.hash_password(password),
        active=True,
    )
    uow.session.add(user)
    uow.session.flush()
    audit.record(
        uow, actor=SYSTEM, action="staff.created", object_type=STAFF_USER, object_id=user.id
    )
    return user


def session_lifetime(settings: Settings) -> timedelta:
    """How long a fresh token lives if it is not used again."""
    return min(
        timedelta(minutes=settings.staff_token_idle_minutes),
        timedelta(hours=settings.staff_token_absolute_hours),
    )


def log_in(
    uow: UnitOfWork, *, email: str, password: str, client_ip: str, settings: Settings
) -> IssuedToken | LoginRefused:
    """Check a password and open a new session, or say why not (rate limit or 401)."""
    now = utcnow()
    address = normalize_email(email)
    limits = (
        (ratelimit.bucket("staff-login:email", address), settings.staff_logins_per_email_per_hour),
        (ratelimit.bucket("staff-login:ip", client_ip), settings.staff_logins_per_ip_per_hour),
    )
    for name, limit in limits:
        if not ratelimit.allow(uow.session, name, limit=limit, window=HOUR, now=now):
            audit.record(
                uow,
                actor=Actor.staff(None),
                action="staff.login_throttled",
                object_type=None,
                object_id=None,
            )
            return LoginRefused(
                TooManyRequests("Too many login attempts; try again later", retry_after=3600)
            )

    user = repository.user_by_email(uow.session, address)
    if user is None:
        passwords.spend_verify_time(password)
        return _refuse(uow, None)
    if not passwords.verify_password(user.password_hash, password) or not user.active:
        return _refuse(uow, user)
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)

    # A new token on every login: a session never outlives the login that made it.
    token = new_token()
    uow.session.add(
        StaffToken(user_id=user.id, token_hash=hash_token(token), created_at=now, last_used_at=now)
    )
    audit.record(
        uow,
        actor=Actor.staff(user.id),
        action="staff.login",
        object_type=STAFF_USER,
        object_id=user.id,
    )
    return IssuedToken(token=token, expires_in=int(session_lifetime(settings).total_seconds()))


def _refuse(uow: UnitOfWork, user: StaffUser | None) -> LoginRefused:
    user_id = user.id if user else None
    audit.record(
        uow,
        actor=Actor.staff(user_id),
        action="staff.login_failed",
        object_type=STAFF_USER if user_id else None,
        object_id=user_id,
    )
    return LoginRefused(Unauthorized(INVALID_CREDENTIALS))


def _is_live(grant: StaffToken, now: datetime, settings: Settings) -> bool:
    idle = timedelta(minutes=settings.staff_token_idle_minutes)
    absolute = timedelta(hours=settings.staff_token_absolute_hours)
    return (
        grant.revoked_at is None
        and now < grant.last_used_at + idle
        and now < grant.created_at + absolute
        and grant.user.active
    )


def _live_token(uow: UnitOfWork, token: str | None, settings: Settings) -> StaffToken:
    if not token:
        raise Unauthorized("Missing staff token")
    grant = repository.token_by_hash(uow.session, hash_token(token))
    if grant is None or not _is_live(grant, utcnow(), settings):
        raise Unauthorized(INVALID_TOKEN)
    return grant


def authenticate(uow: UnitOfWork, *, token: str | None, settings: Settings) -> StaffUser:
    """The active user a live token belongs to; each use restarts the idle timeout."""
    grant = _live_token(uow, token, settings)
    now = utcnow()
    # Written at most once a minute: writing on every request made each staff read an
    # UPDATE and a WAL flush, and requests sharing a session queued on the row's lock
    # (bench/api.py). The idle timeout may then end up to a minute early, never late.
    if now - grant.last_used_at >= LAST_USED_EVERY:
        grant.last_used_at = now
    return grant.user


def role_refusal(
    uow: UnitOfWork, user: StaffUser, roles: frozenset[StaffRole], *, endpoint: str | None
) -> Forbidden | None:
    """None when `user` holds one of `roles` (or none are required); else an audited 403."""
    if not roles or user.role in roles:
        return None
    audit.record(
        uow,
        actor=Actor.staff(user.id),
        action="staff.access_denied",
        object_type="endpoint" if endpoint else None,
        object_id=endpoint,
    )
    return Forbidden(f"This needs one of these roles: {', '.join(sorted(roles))}")


def log_out(uow: UnitOfWork, *, token: str | None, settings: Settings) -> None:
    """Revoke the session on the server; the token is refused from now on."""
    grant = _live_token(uow, token, settings)
    grant.revoked_at = utcnow()
    audit.record(
        uow,
        actor=Actor.staff(grant.user_id),
        action="staff.logout",
        object_type=STAFF_USER,
        object_id=grant.user_id,
    )


def list_users(uow: UnitOfWork, *, staff: StaffUser) -> list[StaffUser]:
    """Every staff account, by email (admins only)."""
    authorize(uow, staff, Permission.MANAGE_STAFF)
    return repository.all_users(uow.session)
