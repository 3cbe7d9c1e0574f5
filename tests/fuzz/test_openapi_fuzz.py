"""Generated requests to every operation in /openapi.json: no 5xx, every answer documented.

`FUZZ_CASES` (300 by default) requests spread over the operations, and `FUZZ_SCENARIOS`
(5 by default) chains along the OpenAPI links. README.md, "Fuzzing", has the full run.
"""

from __future__ import annotations

import os

import schemathesis
from schemathesis.core.result import Ok

from tests.fuzz.conftest import Target
from tests.fuzz.runner import TOTAL_CASES, Operation, Tally, budget, fuzz
from tests.fuzz.stateful import run_chains

SCENARIOS = int(os.environ.get("FUZZ_SCENARIOS", "5"))

# They change the world for every later case (the intake is gone, a token is revoked).
LAST = ("POST /api/v1/intakes/{intake_id}/withdraw", "POST /api/v1/staff/logout")


def operations(target: Target) -> list[Operation]:
    schema = schemathesis.openapi.from_asgi("/openapi.json", target.app)
    found = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result.err()  # a broken schema is a failure too
        found.append(result.ok())
    return sorted(found, key=lambda operation: operation.label in LAST)


# First: the other test revokes tokens at its end.
def test_linked_sequences_answer_as_documented(target: Target) -> None:
    journal = run_chains(target, scenarios=SCENARIOS, steps_each=10)
    followed = [step for step in journal.steps if step.split()[-1].startswith("2")]
    print(  # noqa: T201
        f"{journal.scenarios} chains, {len(journal.steps)} steps, {len(followed)} answered 2xx"
    )
    assert journal.steps, "the state machine made no request"
    assert journal.failures == [], "\n\n".join(journal.failures)


def test_every_operation_answers_generated_requests_as_documented(target: Target) -> None:
    found = operations(target)
    assert len(found) > 50, "the schema lost its operations"
    cases = budget(found, TOTAL_CASES)
    tally = Tally()
    for operation in found:
        fuzz(operation, target.world, examples=cases[operation.label], tally=tally)
    print(f"fuzzed {len(found)} operations with {tally.cases} cases")  # noqa: T201
    assert tally.failures == [], "\n\n".join(tally.failures)
