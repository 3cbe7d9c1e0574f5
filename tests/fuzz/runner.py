"""Generated requests against one operation, each checked against the documented schema."""

from __future__ import annotations

import os
import traceback
from dataclasses import dataclass, field
from typing import Any

import hypothesis
from hypothesis import HealthCheck, Phase
from hypothesis import strategies as st
from schemathesis import APIOperation, Case, GenerationMode
from schemathesis.checks import CheckFunction, not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.fuzz.world import ANONYMOUS, PATIENT, STAFF, World

Operation = APIOperation[Any, Any, Any, Any]
Request = Case[Any]

CHECKS: list[CheckFunction] = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]

# `make test` runs a few hundred; `FUZZ_CASES=2000` (or more) is the full run.
TOTAL_CASES = int(os.environ.get("FUZZ_CASES", "300"))
# The bounded run in `make test` draws the same cases every time, so CI's verdict on a
# commit never depends on luck; a full run (FUZZ_CASES set) explores afresh each time.
DERANDOMIZE = "FUZZ_CASES" not in os.environ

# Who calls, by the operation's security scheme: mostly the caller it is meant for, so
# requests get past authentication, and now and then a stranger, who must be refused.
CALLERS = {
    "HTTPBearer": (PATIENT, PATIENT, PATIENT, *STAFF, ANONYMOUS),
    "StaffToken": (*STAFF, *STAFF, PATIENT, ANONYMOUS),
    None: (ANONYMOUS, ANONYMOUS, PATIENT, STAFF[0]),
}


@dataclass
class Tally:
    cases: int = 0
    failures: list[str] = field(default_factory=list)


def scheme_of(operation: Operation) -> str | None:
    """The operation's security scheme, if it names one."""
    security = operation.definition.raw.get("security") or [{}]
    return next(iter(security[0]), None)


def callers_for(operation: Operation) -> tuple[str, ...]:
    return CALLERS.get(scheme_of(operation), CALLERS[None])


NO_INPUT_CASES = 3  # an operation without input has only a handful of distinct requests


def takes_input(operation: Operation) -> bool:
    raw = operation.definition.raw
    return bool(raw.get("parameters") or raw.get("requestBody"))


def budget(operations: list[Operation], total: int) -> dict[str, int]:
    """Cases per operation, so that `total` is close to the number of requests really sent."""
    fed = [operation for operation in operations if takes_input(operation)]
    rest = total - NO_INPUT_CASES * (len(operations) - len(fed))
    share = max(-(-rest // max(len(fed), 1)), 2)  # rounded up: at least `total` in all
    return {
        operation.label: share if takes_input(operation) else NO_INPUT_CASES
        for operation in operations
    }


def cases_for(operation: Operation) -> st.SearchStrategy[Request]:
    """Valid requests, and requests that break the schema on purpose (they must get a 4xx)."""
    return st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )


def fuzz(operation: Operation, world: World, *, examples: int, tally: Tally) -> None:
    """Run `examples` generated cases; a failure is recorded (shrunk), not raised."""

    @hypothesis.settings(
        max_examples=examples,
        deadline=None,  # never judge by wall-clock speed on a shared machine
        database=None,
        derandomize=DERANDOMIZE,
        suppress_health_check=list(HealthCheck),
        phases=(Phase.explicit, Phase.generate, Phase.shrink),
    )
    @hypothesis.given(
        case=cases_for(operation),
        caller=st.sampled_from(callers_for(operation)),
        real_ids=st.booleans(),
    )
    def one(case: Request, caller: str, real_ids: bool) -> None:
        tally.cases += 1
        if real_ids:
            for name in case.path_parameters or {}:
                if name in world.path_values:
                    case.path_parameters[name] = world.path_values[name]
        response = case.call(headers=world.headers(caller))
        case.validate_response(response, checks=CHECKS)

    try:
        one()
    # Check failures arrive as an exception group of AssertionErrors; every operation runs
    # even when an earlier one failed, so one run lists them all.
    except (AssertionError, BaseExceptionGroup) as exc:  # a check failed: its text says how
        tally.failures.append(f"{operation.label}\n{exc}")
    except Exception as exc:  # the app raised through the transport: where matters
        tally.failures.append(f"{operation.label}\n{''.join(traceback.format_exception(exc))}")
