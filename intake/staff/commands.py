"""`intake create-staff`: make an account from a terminal or a provisioning script."""

from __future__ import annotations

import getpass
import os
import sys

from pydantic import ValidationError

from intake.db import UnitOfWork
from intake.errors import IntakeError
from intake.staff import service
from intake.staff.models import StaffRole
from intake.staff.schemas import StaffCreate

PASSWORD_VARIABLE = "STAFF_PASSWORD"


def _fail(message: str, code: int = 2) -> int:
    sys.stderr.write(f"create-staff: {message}\n")
    return code


def _read_password() -> str | None:
    """From STAFF_PASSWORD for scripts; otherwise typed, unseen and twice."""
    from_environment = os.environ.get(PASSWORD_VARIABLE)
    if from_environment is not None:
        return from_environment
    password = getpass.getpass("Password: ")
    if getpass.getpass("Repeat password: ") != password:
        return None
    return password


def create_staff(*, email: str, full_name: str, role: StaffRole) -> int:
    """Create a staff account and return an exit status; the password is never echoed."""
    try:
        details = StaffCreate(email=email, full_name=full_name, role=role)
    except ValidationError as exc:
        return _fail("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()))
    password = _read_password()
    if password is None:
        return _fail("the passwords differ")
    reason = service.password_problem(password)
    if reason:
        return _fail(f"the password {reason}")
    try:
        with UnitOfWork() as uow:
            user = service.create_staff(uow, details=details, password=password)
    except IntakeError as exc:
        return _fail(str(exc), code=1)
    sys.stdout.write(f"created {user.role} account {user.id} for {user.email}\n")
    return 0
