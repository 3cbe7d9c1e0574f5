"""Every ORM model, imported in one place so Alembic sees the whole schema."""

from intake.audit import AuditEvent
from intake.auth.models import MagicLink, RateLimitHit
from intake.checklist.models import ChecklistRecord
from intake.db import Base
from intake.deadletters.models import DeadLetter, TaskDelivery
from intake.documents.models import Document
from intake.intakes.models import Intake, Patient, PatientAccessToken
from intake.notifications.models import OutboxEmail
from intake.routing.models import ConfirmedFinding, RoutingDecision
from intake.scheduling.models import (
    Appointment,
    AvailabilityException,
    Clinician,
    ConsultationType,
    SlotOffer,
    WeeklyHours,
)
from intake.staff.models import StaffToken, StaffUser

__all__ = [
    "Appointment",
    "AuditEvent",
    "AvailabilityException",
    "Base",
    "ChecklistRecord",
    "Clinician",
    "ConfirmedFinding",
    "ConsultationType",
    "DeadLetter",
    "Document",
    "Intake",
    "MagicLink",
    "OutboxEmail",
    "Patient",
    "PatientAccessToken",
    "RateLimitHit",
    "RoutingDecision",
    "SlotOffer",
    "StaffToken",
    "StaffUser",
    "TaskDelivery",
    "WeeklyHours",
]
