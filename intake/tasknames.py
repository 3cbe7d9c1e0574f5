"""The stable names of Celery tasks.

`intake` enqueues by these names and never imports `workers`; `workers` registers its
tasks under them. Renaming one strands every message already in a queue, so don't.
"""

EVALUATE_CHECKLIST = "intake.checklist.evaluate"
DISPATCH_EMAIL = "intake.outbox.dispatch"
ROUTE_INTAKE = "intake.routing.route"
SWEEP = "intake.sweep"
