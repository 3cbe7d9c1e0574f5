"""What each staff role may do. Services call `authorize` before they act or read.

The table is the single statement of the policy: tests/staff/test_allow_table.py walks
every route with every role and compares the answers with it.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from types import MappingProxyType

from intake import audit
from intake.audit import Actor
from intake.db import UnitOfWork
from intake.errors import Forbidden
from intake.staff.models import StaffRole, StaffUser


class Permission(enum.StrEnum):
    READ_PATIENT_DATA = "read_patient_data"  # queues, intake detail, documents, emails, FHIR
    WORK_QUEUE = "work_queue"  # claim and release one's own items
    ASSIGN = "assign"  # hand an item to someone else, or take it from them
    REVIEW_DOCUMENTS = "review_documents"
    ENTER_FINDINGS = "enter_findings"
    OVERRIDE_ROUTE = "override_route"
    PREVIEW_EMAILS = "preview_emails"  # templates with sample data: no patient data
    READ_AUDIT_LOG = "read_audit_log"
    MANAGE_STAFF = "manage_staff"
    MANAGE_SCHEDULE = "manage_schedule"  # clinicians, their hours, consultation types
    BOOK_APPOINTMENTS = "book_appointments"  # book, offer, change and close appointments
    MANAGE_DEAD_LETTERS = "manage_dead_letters"  # list, re-send and close failed tasks
    VIEW_METRICS = "view_metrics"  # /metrics: counts and timings, no patient data


_COORDINATOR = StaffRole.COORDINATOR
_CLINICIAN = StaffRole.CLINICIAN
_ADMIN = StaffRole.ADMIN

# Clinical judgement (findings, overrides) is for coordinators and clinicians; admins
# run the system: accounts, the audit log, and reassigning work when someone is away.
ALLOWED: Mapping[Permission, frozenset[StaffRole]] = MappingProxyType(
    {
        Permission.READ_PATIENT_DATA: frozenset({_COORDINATOR, _CLINICIAN, _ADMIN}),
        Permission.WORK_QUEUE: frozenset({_COORDINATOR, _CLINICIAN}),
        Permission.ASSIGN: frozenset({_COORDINATOR, _ADMIN}),
        Permission.REVIEW_DOCUMENTS: frozenset({_COORDINATOR, _CLINICIAN}),
        Permission.ENTER_FINDINGS: frozenset({_COORDINATOR, _CLINICIAN}),
        Permission.OVERRIDE_ROUTE: frozenset({_COORDINATOR, _CLINICIAN}),
        Permission.PREVIEW_EMAILS: frozenset({_COORDINATOR, _CLINICIAN, _ADMIN}),
        Permission.READ_AUDIT_LOG: frozenset({_ADMIN}),
        Permission.MANAGE_STAFF: frozenset({_ADMIN}),
        Permission.MANAGE_SCHEDULE: frozenset({_COORDINATOR, _ADMIN}),
        Permission.BOOK_APPOINTMENTS: frozenset({_COORDINATOR, _CLINICIAN}),
        Permission.MANAGE_DEAD_LETTERS: frozenset({_ADMIN}),
        Permission.VIEW_METRICS: frozenset({_ADMIN}),
    }
)


def allows(user: StaffUser, permission: Permission) -> bool:
    return user.active and user.role in ALLOWED[permission]


def authorize(uow: UnitOfWork, user: StaffUser, permission: Permission) -> None:
    """Return when `user` may; otherwise record the refusal and raise a 403.

    Call it before the service changes anything: a refusal commits the unit of work at
    once, so its audit row outlives the rollback the 403 causes. (A second unit of work
    would wait forever on SQLite's write lock, which this one may hold.)
    """
    if allows(user, permission):
        return
    audit.record(
        uow,
        actor=Actor.staff(user.id),
        action="staff.access_denied",
        object_type="permission",
        object_id=permission.value,
    )
    uow.session.commit()
    raise Forbidden(f"Your role ({user.role}) may not {permission.value.replace('_', ' ')}")
