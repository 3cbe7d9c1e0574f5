"""The staff bearer token and the `require_staff(*roles)` dependency."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from intake.db import UnitOfWork
from intake.deps import SettingsDep
from intake.staff import service
from intake.staff.models import StaffRole, StaffUser

# auto_error=False: a missing token is our own 401, in our error shape.
staff_bearer = OAuth2PasswordBearer(
    tokenUrl="/api/v1/staff/token", scheme_name="StaffToken", auto_error=False
)
StaffTokenDep = Annotated[str | None, Depends(staff_bearer)]


def require_staff(*roles: StaffRole) -> Callable[..., StaffUser]:
    """A dependency for the signed-in staff user: 401 without a live token, 403 off-role."""
    allowed = frozenset(roles)  # none given: any staff role will do

    def current_staff(request: Request, token: StaffTokenDep, settings: SettingsDep) -> StaffUser:
        # FastAPI puts the matched route in the scope; its name says what was refused.
        endpoint = getattr(request.scope.get("route"), "name", None)
        # A unit of work of its own: the sliding expiry and a refusal's audit row are
        # kept even when the route itself fails and rolls back.
        with UnitOfWork() as uow:
            user = service.authenticate(uow, token=token, settings=settings)
            refusal = service.role_refusal(uow, user, allowed, endpoint=endpoint)
        if refusal is not None:
            raise refusal
        return user

    return current_staff


StaffDep = Annotated[StaffUser, Depends(require_staff())]
AdminDep = Annotated[StaffUser, Depends(require_staff(StaffRole.ADMIN))]
