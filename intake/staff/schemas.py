"""Staff API shapes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from intake.staff.models import StaffRole, StaffUser


class StaffCreate(BaseModel):
    """A new account's details; the password travels separately and is never echoed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    email: EmailStr
    full_name: str = Field(min_length=1, max_length=200)
    role: StaffRole


class StaffUserOut(BaseModel):
    id: uuid.UUID
    email: str
    full_name: str
    role: StaffRole
    active: bool
    created_at: datetime

    @classmethod
    def of(cls, user: StaffUser) -> StaffUserOut:
        return cls(
            id=user.id,
            email=user.email,
            full_name=user.full_name,
            role=user.role,
            active=user.active,
            created_at=user.created_at,
        )


class TokenOut(BaseModel):
    """RFC 6749 §5.1. `expires_in` is the idle timeout: each use extends it."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
