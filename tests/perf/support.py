"""A clinic's worth of rows in bulk, a recorder of the SQL our code sends, and plan reading.

The rows are written by `INSERT ... SELECT` over `generate_series`, so 100,000 intakes and
everything around them load in seconds. Ids are `md5(...)::uuid` of a name and a number:
random-looking, as the application's uuid4 keys are (so no index is accidentally ordered
like the table), yet computable, so each table can point at rows of another.
"""

from __future__ import annotations

import hashlib
import os
import traceback
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Connection, Engine, event, text

from tests.support import ROOT

INTAKES: Final = 100_000
# Fewer patients than intakes: some patients come back with a second intake.
PATIENTS: Final = 90_000
STAFF: Final = 8
CLINICIANS: Final = 12
# Each clinician's booked hours from tomorrow on; everything before is history.
FUTURE_SLOTS: Final = 40
# A day of rate-limited requests (the sweep forgets older ones), plus a few just past it.
RATE_LIMIT_HITS: Final = 30_000

# Plan trees as EXPLAIN (FORMAT JSON) gives them.
Plan = dict[str, Any]


def row_id(kind: str, n: int) -> uuid.UUID:
    """The id the loader gave row `n` of `kind`, as SQL computes it: md5('kind:n')::uuid."""
    return uuid.UUID(hashlib.md5(f"{kind}:{n}".encode()).hexdigest())


# An intake's fate is decided by n % 1000, so every stretch of the history has each kind:
#   [0, 150) draft, abandoned or in progress      [150, 155) submitted, not yet checked
#   [155, 275) awaiting information, reminders    [275, 395) awaiting, gone stale
#   [395, 397) complete, routing on its way       [397, 402) routed to urgent
#   [402, 482) routed to the three consultation queues
#   [482, 512) deferred until a recheck date      [512, 950) routed and booked (no queue)
#   [950, 1000) withdrawn
_INTAKES = """
WITH numbered AS (
    SELECT n, n % 1000 AS b,
           CAST(:now AS timestamptz) - (:intakes + 1 - n) * interval '25 minutes' AS born
    FROM generate_series(1, :intakes) AS n
), kinds AS (
    SELECT n, born,
           LEAST(born + interval '2 days', CAST(:now AS timestamptz)) AS active,
           CASE
               WHEN b < 150 THEN 'draft'
               WHEN b < 155 THEN 'submitted'
               WHEN b < 395 THEN 'awaiting_information'
               WHEN b < 397 THEN 'complete'
               WHEN b < 482 THEN 'routed'
               WHEN b < 512 THEN 'deferred'
               WHEN b < 950 THEN 'routed'
               ELSE 'withdrawn'
           END AS status,
           CASE
               WHEN b < 155 THEN NULL
               WHEN b < 275 THEN 'awaiting_information'
               WHEN b < 395 THEN 'stale'
               WHEN b < 397 THEN 'awaiting_information'
               WHEN b < 402 THEN 'urgent'
               WHEN b < 432 THEN 'regenerative'
               WHEN b < 452 THEN 'surgical_revision'
               WHEN b < 482 THEN 'clinician_triage'
               WHEN b < 512 THEN 'deferred'
           END AS queue
    FROM numbered
), claims AS (
    SELECT kinds.*, queue IS NOT NULL AND n % 50 = 0 AS claimed FROM kinds
)
INSERT INTO intakes (
    id, patient_id, status, questionnaire_version, answers, red_flag_tier, red_flag_at,
    last_patient_activity_at, submitted_at, checklist_missing, checklist_checked_at,
    checklist_dirty, queue, queued_at, priority, provisional, recheck_on, claimed_by_id,
    claimed_at, claim_touched_at, reminder_round, reminder_step, reminder_anchor_at,
    next_reminder_at, stale_at, withdrawn_at, created_at, updated_at
)
SELECT
    md5('intake:' || n)::uuid,
    md5('patient:' || ((n - 1) % :patients + 1))::uuid,
    status,
    'fbss-intake/1',
    '{}'::json,
    CASE WHEN queue = 'urgent' THEN (CASE WHEN n % 2 = 0 THEN 'emergency' ELSE 'urgent' END) END,
    CASE WHEN queue = 'urgent' THEN born END,
    active,
    CASE WHEN status <> 'draft' THEN active END,
    CASE WHEN status = 'awaiting_information' THEN '["current_mri"]'::json END,
    CASE WHEN status NOT IN ('draft', 'submitted') THEN active END,
    n % 997 = 0,
    queue,
    CASE WHEN queue IS NOT NULL THEN active END,
    CASE WHEN queue = 'urgent' THEN n % 2 ELSE 2 END,
    COALESCE(queue IN ('regenerative', 'surgical_revision', 'clinician_triage'), false)
        AND n % 3 = 0,
    CASE WHEN status = 'deferred' THEN CAST(:now AS date) + (n % 730 - 200) END,
    CASE WHEN claimed THEN md5('staff:' || (n / 50 % :staff + 1))::uuid END,
    CASE WHEN claimed THEN CAST(:now AS timestamptz) - interval '2 hours' END,
    -- Minutes since the holder last touched it: a sweep every 30 s leaves few past the
    -- 60-minute idle limit, and these are the ones it would release now.
    CASE WHEN claimed THEN CAST(:now AS timestamptz) - (n / 50 % 62) * interval '1 minute' END,
    CASE WHEN status = 'awaiting_information' THEN 1 ELSE 0 END,
    CASE WHEN queue = 'stale' THEN 4 WHEN status = 'awaiting_information' THEN n % 4 ELSE 0 END,
    CASE WHEN status = 'awaiting_information' THEN active END,
    -- Spread over the next two weeks; the sweep runs often, so only a few are due now.
    CASE WHEN status = 'awaiting_information' AND queue = 'awaiting_information'
         THEN CAST(:now AS timestamptz) - interval '30 minutes' + (n % 337) * interval '1 hour'
    END,
    CASE WHEN queue = 'stale' THEN active END,
    CASE WHEN status = 'withdrawn' THEN active END,
    born,
    active
FROM claims
"""

_PATIENTS = """
INSERT INTO patients (
    id, first_name, last_name, email, date_of_birth, timezone, phone,
    reminders_opted_out_at, created_at, updated_at
)
SELECT
    md5('patient:' || n)::uuid, 'First' || n, 'Last' || n, 'patient' || n || '@example.com',
    date '1945-01-01' + n % 20000,
    CASE WHEN n % 10 = 0 THEN 'Europe/London' ELSE 'America/New_York' END,
    NULL,
    CASE WHEN n % 40 = 0 THEN CAST(:now AS timestamptz) - interval '10 days' END,
    CAST(:now AS timestamptz) - (:patients + 1 - n) * interval '28 minutes',
    CAST(:now AS timestamptz) - (:patients + 1 - n) * interval '28 minutes'
FROM generate_series(1, :patients) AS n
"""

# One to three checklist versions for every intake the worker has looked at.
_CHECKLISTS = """
INSERT INTO checklist_results (
    id, intake_id, version, ruleset_version, items, complete, computed_at
)
SELECT
    md5('checklist:' || n || ':' || v)::uuid, md5('intake:' || n)::uuid, v, 'checklist-1',
    '[{"key": "operative_note", "required": true, "status": "satisfied"}]'::json,
    v = 1 + n % 3 AND n % 1000 >= 395,
    CAST(:now AS timestamptz) - (:intakes + 1 - n) * interval '25 minutes' + v * interval '1 hour'
FROM generate_series(1, :intakes) AS n CROSS JOIN generate_series(1, 3) AS v
WHERE n % 1000 >= 155 AND v <= 1 + n % 3
"""

# One or two decisions for every intake routing has seen.
_DECISIONS = """
INSERT INTO routing_decisions (
    id, intake_id, kind, route, queue, ruleset_version, rule_ids, reasons, missing,
    provisional, provisional_route, recheck_on, input_snapshot, trigger, decided_by_id,
    applied, created_at
)
SELECT
    md5('decision:' || n || ':' || v)::uuid, md5('intake:' || n)::uuid, 'rules',
    'clinician_triage', 'clinician_triage', 'fbss-routing/1', '["R7"]'::json,
    '["a clinician should look"]'::json, '[]'::json, false, NULL, NULL, '{}'::json,
    'checklist_complete', NULL, true,
    CAST(:now AS timestamptz) - (:intakes + 1 - n) * interval '25 minutes' + v * interval '1 hour'
FROM generate_series(1, :intakes) AS n CROSS JOIN generate_series(1, 2) AS v
WHERE n % 1000 BETWEEN 395 AND 949 AND v <= 1 + n % 2
"""

# The outbox's history: the resume link every intake sent, and one more email for every
# submitted intake; long delivered, failed or cancelled.
_EMAIL_HISTORY = """
INSERT INTO outbox_emails (
    id, idempotency_key, template, context, headers, to_address, category, intake_id,
    quiet_hours_timezone, status, sensitive, attempts, interruptions, next_attempt_at,
    last_error, sent_at, created_at, updated_at
)
SELECT
    md5('email:' || n || ':' || k)::uuid, 'perf:' || n || ':' || k,
    CASE k WHEN 1 THEN 'intake_started' ELSE 'intake_reminder' END,
    '{"redacted": "after delivery"}'::json, '{}'::json,
    'patient' || ((n - 1) % :patients + 1) || '@example.com',
    CASE k WHEN 1 THEN 'transactional' ELSE 'reminder' END,
    md5('intake:' || n)::uuid, NULL,
    CASE WHEN k = 2 AND n % 300 = 0 THEN 'failed'
         WHEN k = 2 AND n % 7 = 0 THEN 'cancelled'
         ELSE 'sent' END,
    false, 1, 0, born, NULL, born, born, born
FROM (
    SELECT n, CAST(:now AS timestamptz) - (:intakes + 1 - n) * interval '25 minutes' AS born
    FROM generate_series(1, :intakes) AS n
) AS numbered CROSS JOIN generate_series(1, 2) AS k
WHERE k = 1 OR n % 1000 >= 155
"""

# What is in flight at this moment: due rows, a retry backing off, rows left in `sending`
# by a dead worker, and sign-in links never sent. The contexts render, so the dispatcher
# takes its whole path.
_EMAILS_IN_FLIGHT = """
INSERT INTO outbox_emails (
    id, idempotency_key, template, context, headers, to_address, category, intake_id,
    quiet_hours_timezone, status, sensitive, attempts, interruptions, next_attempt_at,
    last_error, sent_at, created_at, updated_at
)
SELECT
    md5('email-in-flight:' || n)::uuid, 'perf-in-flight:' || n, 'intake_reminder',
    json_build_object(
        'first_name', 'First' || n,
        'portal_url', 'http://clinic.test/resume',
        'unsubscribe_url', 'http://clinic.test/unsubscribe/x'
    ),
    '{}'::json, 'patient' || ((n - 1) % :patients + 1) || '@example.com', 'reminder',
    md5('intake:' || n)::uuid, NULL,
    CASE WHEN n % 20000 = 7 THEN 'sending' ELSE 'pending' END,
    n % 25000 = 3,
    CASE WHEN n % 20000 = 7 THEN 1 ELSE 0 END,
    CASE WHEN n % 20000 = 7 THEN n % 2 ELSE 0 END,
    CAST(:now AS timestamptz) + CASE WHEN n % 5000 = 1 THEN interval '10 minutes'
                                     ELSE interval '-1 minute' END,
    NULL, NULL,
    CAST(:now AS timestamptz) - CASE WHEN n % 25000 = 3 THEN interval '2 hours'
                                     ELSE interval '2 minutes' END,
    CAST(:now AS timestamptz) - CASE WHEN n % 20000 = 7 THEN interval '10 minutes'
                                     ELSE interval '2 minutes' END
FROM generate_series(1, :intakes) AS n
WHERE n % 2000 = 0 OR n % 5000 = 1 OR n % 20000 = 7 OR n % 25000 = 3
"""

_STAFF = """
INSERT INTO staff_users (id, email, full_name, role, password_hash, active, created_at)
SELECT md5('staff:' || k)::uuid, 'staff' || k || '@clinic.example', 'Staff ' || k,
       CASE WHEN k <= 5 THEN 'coordinator' ELSE 'clinician' END, 'not-a-hash', true,
       CAST(:now AS timestamptz) - interval '3 years'
FROM generate_series(1, :staff) AS k
"""

# Logins every five minutes for a little over the 12-hour absolute expiry.
_STAFF_TOKENS = """
INSERT INTO staff_tokens (id, user_id, token_hash, created_at, last_used_at, revoked_at)
SELECT md5('token:' || t)::uuid, md5('staff:' || (t % :staff + 1))::uuid,
       md5('token:' || t) || md5('hash:' || t),
       CAST(:now AS timestamptz) - t * interval '5 minutes',
       CAST(:now AS timestamptz) - t * interval '5 minutes', NULL
FROM generate_series(1, 160) AS t
"""

_RATE_LIMIT_HITS = """
INSERT INTO rate_limit_hits (id, bucket, created_at)
SELECT md5('hit:' || h)::uuid, 'magic-link:ip:' || md5('ip:' || h % 5000),
       CAST(:now AS timestamptz) - h * (interval '1 day' / :hits)
FROM generate_series(1, :hits + 40) AS h
"""

_CLINICIANS = """
INSERT INTO clinicians (id, display_name, staff_user_id, offers, active, created_at, updated_at)
SELECT md5('clinician:' || c)::uuid, 'Clinician ' || c, NULL,
       '["regenerative", "surgical_revision", "clinician_triage"]'::json, c < :clinicians,
       CAST(:now AS timestamptz) - interval '3 years', CAST(:now AS timestamptz)
FROM generate_series(1, :clinicians) AS c
"""

# Monday to Friday, 09:00-12:30 and 13:30-17:00 clinic time.
_WEEKLY_HOURS = """
INSERT INTO clinician_weekly_hours (id, clinician_id, weekday, starts, ends)
SELECT md5('hours:' || c || ':' || d || ':' || half)::uuid, md5('clinician:' || c)::uuid, d,
       CASE half WHEN 0 THEN time '09:00' ELSE time '13:30' END,
       CASE half WHEN 0 THEN time '12:30' ELSE time '17:00' END
FROM generate_series(1, :clinicians) AS c, generate_series(0, 4) AS d,
     generate_series(0, 1) AS half
"""

# A day off or extra hours every ten days, from ten months back to three months ahead.
_EXCEPTIONS = """
INSERT INTO clinician_exceptions (
    id, clinician_id, kind, starts_at, ends_at, note, created_at, updated_at
)
SELECT md5('exception:' || c || ':' || e)::uuid, md5('clinician:' || c)::uuid,
       CASE WHEN e % 5 = 0 THEN 'extra' ELSE 'unavailable' END,
       date_trunc('day', CAST(:now AS timestamptz)) + (e * 10 - 300 + c) * interval '1 day',
       date_trunc('day', CAST(:now AS timestamptz)) + (e * 10 - 299 + c) * interval '1 day',
       NULL, CAST(:now AS timestamptz), CAST(:now AS timestamptz)
FROM generate_series(1, :clinicians) AS c, generate_series(0, 39) AS e
"""

# One appointment per booked intake, on each clinician's grid of hourly slots (eight a
# day), so no two active ones of a clinician overlap. The last FUTURE_SLOTS of each
# clinician are from tomorrow on; the rest is history: mostly completed, some cancelled or
# no-shows, and a tenth never closed by staff (still `confirmed`, holding old time).
_APPOINTMENTS = """
WITH booked AS (
    SELECT n, row_number() OVER (ORDER BY n) - 1 AS r
    FROM generate_series(1, :intakes) AS n
    WHERE n % 1000 BETWEEN 512 AND 949
), slotted AS (
    SELECT n, r, r % :clinicians + 1 AS c,
           r / :clinicians - (max(r) OVER () / :clinicians - :future_slots) - 1 AS slot
    FROM booked
), timed AS (
    SELECT slotted.*,
           date_trunc('day', CAST(:now AS timestamptz))
             + (floor(slot / 8.0) + CASE WHEN slot >= 0 THEN 1 ELSE 0 END) * interval '1 day'
             + (9 + slot - floor(slot / 8.0) * 8) * interval '1 hour' AS starts_at
    FROM slotted
)
INSERT INTO appointments (
    id, intake_id, clinician_id, consultation_type, modality, starts_at, ends_at, status,
    sequence, booked_by_id, confirmed_at, cancelled_at, cancel_reason, reminded_72h_at,
    reminded_24h_at, created_at, updated_at
)
SELECT
    md5('appointment:' || n)::uuid, md5('intake:' || n)::uuid, md5('clinician:' || c)::uuid,
    'clinician_triage', 'video', starts_at, starts_at + interval '45 minutes',
    CASE WHEN slot >= 0 THEN (CASE WHEN n % 2 = 0 THEN 'booked' ELSE 'confirmed' END)
         WHEN r % 20 = 0 THEN 'cancelled'
         WHEN r % 20 = 1 THEN 'no_show'
         WHEN r % 20 IN (2, 3) THEN 'confirmed'
         ELSE 'completed' END,
    0, md5('staff:1')::uuid, NULL, NULL, NULL,
    CASE WHEN slot >= 0 AND n % 2 = 0 THEN CAST(:now AS timestamptz) END,
    NULL,
    starts_at - interval '20 days', starts_at - interval '20 days'
FROM timed
"""

# What a draft can leave behind, so the retention purge (intake/lifecycle/purge.py) deletes
# from tables as large as a clinic's: a document and a patient token per intake, a magic
# link per fifth, an offer per booked intake and a finding per routed one.
_INTAKE_CHILDREN = (
    """
INSERT INTO documents (
    id, intake_id, kind, sha256, size_bytes, media_type, storage_key, original_filename,
    created_at, studies, ignored_members, review_reasons, review_status
)
SELECT md5('document:' || n)::uuid, md5('intake:' || n)::uuid, 'operative_note',
       md5('sha:' || n) || md5('sha2:' || n), 1000, 'application/pdf',
       substr(md5('document:' || n), 1, 2) || '/' || md5('document:' || n), 'note.pdf',
       CAST(:now AS timestamptz), '[]', '[]', '[]', 'pending'
FROM generate_series(1, :intakes) AS n
""",
    """
INSERT INTO patient_access_tokens (id, intake_id, token_hash, created_at, expires_at)
SELECT md5('token:' || n)::uuid, md5('intake:' || n)::uuid, md5('token:' || n) || md5(''),
       CAST(:now AS timestamptz), CAST(:now AS timestamptz) + interval '30 days'
FROM generate_series(1, :intakes) AS n
""",
    """
INSERT INTO magic_links (id, intake_id, token_hash, created_at, expires_at)
SELECT md5('link:' || n)::uuid, md5('intake:' || n)::uuid, md5('link:' || n) || md5(''),
       CAST(:now AS timestamptz), CAST(:now AS timestamptz) + interval '10 minutes'
FROM generate_series(1, :intakes) AS n WHERE n % 5 = 0
""",
    """
INSERT INTO slot_offers (
    id, intake_id, slot_ids, status, expires_at, offered_by_id, appointment_id,
    created_at, updated_at
)
SELECT md5('offer:' || n)::uuid, md5('intake:' || n)::uuid, '[]', 'taken',
       CAST(:now AS timestamptz), md5('staff:1')::uuid, md5('appointment:' || n)::uuid,
       CAST(:now AS timestamptz), CAST(:now AS timestamptz)
FROM generate_series(1, :intakes) AS n WHERE n % 1000 BETWEEN 512 AND 949
""",
    """
INSERT INTO confirmed_findings (
    id, intake_id, type, present, document_id, entered_by_id, created_at
)
SELECT md5('finding:' || n)::uuid, md5('intake:' || n)::uuid, 'hardware_failure', true,
       md5('document:' || n)::uuid, md5('staff:1')::uuid, CAST(:now AS timestamptz)
FROM generate_series(1, :intakes) AS n WHERE n % 1000 BETWEEN 402 AND 949
""",
)

LOADERS: Final = (
    _STAFF,
    _STAFF_TOKENS,
    _PATIENTS,
    _INTAKES,
    _CHECKLISTS,
    _DECISIONS,
    _EMAIL_HISTORY,
    _EMAILS_IN_FLIGHT,
    _RATE_LIMIT_HITS,
    _CLINICIANS,
    _WEEKLY_HOURS,
    _EXCEPTIONS,
    _APPOINTMENTS,
    *_INTAKE_CHILDREN,
)


def load(engine: Engine, now: datetime) -> None:
    """Fill a migrated, empty database, then VACUUM ANALYZE it.

    ANALYZE gives the planner the statistics production would have; VACUUM sets the
    visibility map that autovacuum keeps, without which PostgreSQL never chooses an
    index-only scan.
    """
    values = {
        "now": now,
        "intakes": INTAKES,
        "patients": PATIENTS,
        "staff": STAFF,
        "clinicians": CLINICIANS,
        "future_slots": FUTURE_SLOTS,
        "hits": RATE_LIMIT_HITS,
    }
    with engine.begin() as conn:
        for statement in LOADERS:
            conn.execute(text(statement), values)  # each binds the names it uses
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")


def row_counts(engine: Engine) -> dict[str, int]:
    """Rows per table, counted (a fraction of a second here)."""
    with engine.connect() as conn:
        tables = conn.scalars(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
        return {
            table: int(conn.scalar(text(f'SELECT count(*) FROM "{table}"')) or 0)
            for table in tables.all()
        }


# --- recording the SQL our code sends ----------------------------------------------------

_INTAKE_DIR = f"{ROOT / 'intake'}{os.sep}"
_PLANNABLE = frozenset({"SELECT", "INSERT", "UPDATE", "DELETE", "WITH"})


@dataclass(frozen=True)
class Statement:
    """One statement as the driver received it, and where it came from."""

    area: str  # queues, sweep, slot search
    call: str  # what the test called, e.g. "list_items(stale, claimed=mine)"
    origin: str  # the innermost function of ours on the stack, e.g. "intake/x.py:due"
    sql: str
    params: Mapping[str, Any]


def _origin() -> str:
    """The innermost frame in intake/: the query's function, or the commit that flushed."""
    for frame, _ in traceback.walk_stack(None):
        path = frame.f_code.co_filename
        if path.startswith(_INTAKE_DIR):
            return f"{path[len(str(ROOT)) + 1 :]}:{frame.f_code.co_name}"
    return "tests"


@dataclass
class Recorder:
    """Keeps each distinct statement per call, with the parameters it first ran with."""

    statements: list[Statement] = field(default_factory=list)
    _label: tuple[str, str] | None = None
    _seen: set[tuple[str, str, str]] = field(default_factory=set)

    @contextmanager
    def recording(self, area: str, call: str) -> Iterator[None]:
        self._label = (area, call)
        try:
            yield
        finally:
            self._label = None

    def attach(self, engine: Engine) -> None:
        event.listen(engine, "before_cursor_execute", self._on_execute)

    def detach(self, engine: Engine) -> None:
        event.remove(engine, "before_cursor_execute", self._on_execute)

    def _on_execute(
        self,
        conn: Connection,
        cursor: Any,
        statement: str,
        parameters: Any,
        context: Any,
        executemany: bool,
    ) -> None:
        if self._label is None or statement.split(None, 1)[0].upper() not in _PLANNABLE:
            return
        area, call = self._label
        key = (area, call, statement)
        if key in self._seen:
            return
        self._seen.add(key)
        # An executemany repeats one statement, so its first parameter set plans like any;
        # a batch of SQLAlchemy's "insertmanyvalues" arrives as one set already.
        params = (
            parameters[0] if executemany and not isinstance(parameters, Mapping) else parameters
        )
        self.statements.append(Statement(area, call, _origin(), statement, dict(params or {})))


# --- reading plans -----------------------------------------------------------------------


def explain(conn: Connection, statement: Statement) -> Plan:
    """The plan PostgreSQL makes for the statement with the values it was sent with.

    Through the same driver and the same parameters, so the values reach the planner as
    they did when the code ran (psycopg binds them server-side). EXPLAIN without ANALYZE
    runs nothing, INSERT and UPDATE included.
    """
    result = conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement.sql, statement.params)
    document = result.scalar_one()
    plan: Plan = document[0]["Plan"]
    return plan


def nodes(plan: Plan) -> Iterator[Plan]:
    yield plan
    for child in plan.get("Plans", []):
        yield from nodes(child)


def sequential_scans(plan: Plan) -> list[str]:
    """Tables the plan reads whole, at any depth (subplans and CTEs are children too)."""
    return [node["Relation Name"] for node in nodes(plan) if node["Node Type"] == "Seq Scan"]


def tables_read(plan: Plan) -> set[str]:
    return {
        node["Relation Name"]
        for node in nodes(plan)
        if "Scan" in node["Node Type"] and "Relation Name" in node
    }


def outline(plan: Plan) -> str:
    """The plan's reads in one line, e.g. 'Index Scan ix_intakes_x on intakes'."""
    parts: list[str] = []
    for node in nodes(plan):
        index, table = node.get("Index Name"), node.get("Relation Name")
        if index is None and table is None:
            continue
        part = " ".join(str(p) for p in (node["Node Type"], index, table and f"on {table}") if p)
        if part not in parts:  # a bitmap OR of fifty probes of one index is one read
            parts.append(part)
    return "; ".join(parts)
