"""Every ORM model, imported in one place so Alembic sees the whole schema."""

from intake.db import Base
from intake.documents.models import Document
from intake.intakes.models import Intake, Patient, PatientAccessToken
from intake.notifications.models import OutboxEmail
from intake.routing.models import RoutingDecision

__all__ = [
    "Base",
    "Document",
    "Intake",
    "OutboxEmail",
    "Patient",
    "PatientAccessToken",
    "RoutingDecision",
]
