"""Gauges read from the database when Prometheus scrapes: the database is the truth, so
the numbers agree whichever process or host answers.

Two grouped counts per scrape (README "Metrics" has their cost): intakes per queue, and
outbox rows per status and template, which also gives the reminders sent.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import ColumnElement, and_, case, false, func, or_, select
from sqlalchemy.orm import Session

from emails.messages import AppointmentReminder, IntakeReminder
from intake.intakes.models import Intake
from intake.notifications.models import OutboxEmail, OutboxStatus
from intake.queues.placement import QUEUES

REMINDER_TEMPLATES = (IntakeReminder.template, AppointmentReminder.template)


@dataclass(frozen=True)
class QueueCounts:
    depth: int = 0
    unclaimed: int = 0
    overdue: int = 0


@dataclass(frozen=True)
class StateSnapshot:
    queues: dict[str, QueueCounts] = field(default_factory=dict)
    outbox: dict[str, int] = field(default_factory=dict)
    reminders_sent: dict[str, int] = field(default_factory=dict)


def _overdue(sla_hours: Mapping[str, float], now: datetime) -> ColumnElement[bool]:
    late = [
        and_(Intake.queue == queue, Intake.queued_at < now - timedelta(hours=hours))
        for queue, hours in sla_hours.items()
    ]
    return or_(*late) if late else false()


def read_state(session: Session, *, sla_hours: Mapping[str, float], now: datetime) -> StateSnapshot:
    """Every known queue, status and reminder template appears, with 0 when empty, so a
    series never vanishes from a dashboard when its count drops to nothing."""
    queue_rows = session.execute(
        select(
            Intake.queue,
            func.count(),
            func.count(case((Intake.claimed_by_id.is_(None), 1))),
            func.count(case((_overdue(sla_hours, now), 1))),
        )
        .where(Intake.queue.is_not(None))
        .group_by(Intake.queue)
    ).all()
    queues = {queue: QueueCounts() for queue in QUEUES}
    for queue, depth, unclaimed, overdue in queue_rows:
        if queue is not None:  # the WHERE already says so; this tells the type checker
            queues[queue] = QueueCounts(depth=depth, unclaimed=unclaimed, overdue=overdue)

    # One pass over the outbox gives both the statuses and the reminders sent.
    outbox = {status.value: 0 for status in OutboxStatus}
    reminders = dict.fromkeys(REMINDER_TEMPLATES, 0)
    for status, template, count in session.execute(
        select(OutboxEmail.status, OutboxEmail.template, func.count()).group_by(
            OutboxEmail.status, OutboxEmail.template
        )
    ):
        outbox[OutboxStatus(status).value] += count
        if status == OutboxStatus.SENT and template in reminders:
            reminders[template] += count
    return StateSnapshot(queues=queues, outbox=outbox, reminders_sent=reminders)


class StateCollector(Collector):
    """Hands one snapshot, read before the scrape renders, to the registry."""

    def __init__(self, snapshot: StateSnapshot) -> None:
        self.snapshot = snapshot

    def collect(self) -> Iterator[Metric]:
        depth = GaugeMetricFamily(
            "intake_queue_depth", "Intakes waiting in each queue.", labels=["queue"]
        )
        unclaimed = GaugeMetricFamily(
            "intake_queue_unclaimed", "Intakes in each queue nobody has claimed.", labels=["queue"]
        )
        overdue = GaugeMetricFamily(
            "intake_queue_overdue",
            "Intakes older in their queue than its QUEUE_SLA_HOURS.",
            labels=["queue"],
        )
        for queue, counts in sorted(self.snapshot.queues.items()):
            depth.add_metric([queue], counts.depth)
            unclaimed.add_metric([queue], counts.unclaimed)
            overdue.add_metric([queue], counts.overdue)
        outbox = GaugeMetricFamily(
            "intake_outbox_emails", "Outbox rows in each delivery status.", labels=["status"]
        )
        for status, count in sorted(self.snapshot.outbox.items()):
            outbox.add_metric([status], count)
        # A counter: sent rows only ever grow (until a retention purge removes old ones,
        # which Prometheus' rate() reads as a counter reset).
        reminders = CounterMetricFamily(
            "intake_reminders_sent",
            "Reminder emails delivered, by template, as the outbox records them.",
            labels=["template"],
        )
        for template, count in sorted(self.snapshot.reminders_sent.items()):
            reminders.add_metric([template], count)
        yield from (depth, unclaimed, overdue, outbox, reminders)
