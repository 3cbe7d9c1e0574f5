"""Chains of requests along the OpenAPI links: start an intake, then use what it returned.

The patient token of an intake the chain started is kept and used for that intake's
patient routes, so the steps after "start" get past authentication and reach the
services; staff routes use the coordinator, who holds most permissions.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any

import hypothesis
from hypothesis import HealthCheck
from hypothesis.errors import Flaky
from schemathesis import Response
from schemathesis.checks import CheckFunction
from schemathesis.generation.stateful.state_machine import APIStateMachine
from schemathesis.openapi import from_asgi

from tests.fuzz.conftest import Target
from tests.fuzz.runner import CHECKS, DERANDOMIZE, Request, scheme_of
from tests.fuzz.world import PATIENT, World

START = "POST /api/v1/intakes"
MAX_ROUNDS = 50


@dataclass
class Journal:
    scenarios: int = 0
    steps: list[str] = field(default_factory=list)  # "<operation> <status>"
    failures: list[str] = field(default_factory=list)


def run_chains(target: Target, *, scenarios: int, steps_each: int) -> Journal:
    """Run `scenarios` chains at least, against the live database.

    The database outlives each chain, so Hypothesis's replays meet different answers and
    may call its own generation flaky; like the schemathesis engine, we then start a new
    round. Check failures are written down rather than raised, so no replay hides them.
    """
    journal = Journal()
    machine = _state_machine(target, journal)
    settings = hypothesis.settings(
        max_examples=scenarios,
        stateful_step_count=steps_each,
        deadline=None,
        database=None,
        derandomize=DERANDOMIZE,
        suppress_health_check=list(HealthCheck),
    )
    for _ in range(MAX_ROUNDS):
        with contextlib.suppress(Flaky):
            machine.run(settings=settings)
        if journal.scenarios >= scenarios:
            break
    return journal


def _state_machine(target: Target, journal: Journal) -> type[APIStateMachine]:
    base = from_asgi("/openapi.json", target.app).as_state_machine()
    world = target.world

    class Chain(base):  # type: ignore[misc,valid-type]
        def setup(self) -> None:
            journal.scenarios += 1
            self.patients: dict[str, dict[str, str]] = {}  # intake id -> its bearer header

        def get_call_kwargs(self, case: Request) -> dict[str, Any]:
            return {"headers": _headers(world, self.patients, case)}

        def after_call(self, response: Response, case: Request) -> None:
            journal.steps.append(f"{case.operation.label} {response.status_code}")
            if case.operation.label == START and response.status_code == 201:
                body = response.json()
                self.patients[body["id"]] = {"Authorization": f"Bearer {body['access_token']}"}

        def validate_response(
            self,
            response: Response,
            case: Request,
            additional_checks: list[CheckFunction] | None = None,
            **kwargs: Any,
        ) -> None:
            try:
                case.validate_response(response, checks=CHECKS)
            except (AssertionError, BaseExceptionGroup) as exc:
                journal.failures.append(f"{case.operation.label}\n{exc}")

    return Chain


def _headers(world: World, patients: dict[str, dict[str, str]], case: Request) -> dict[str, str]:
    scheme = scheme_of(case.operation)
    if scheme == "HTTPBearer":
        own = patients.get(str((case.path_parameters or {}).get("intake_id")))
        return dict(own) if own else world.headers(PATIENT)
    if scheme == "StaffToken":
        return world.headers("coordinator")
    return {}
