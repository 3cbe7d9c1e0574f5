"""No PHI in the logs, the task messages or Redis (shared/RELIABILITY.md, item 9).

Every patient field carries a marker, and the whole flow runs for real: `intake api` in
its own process, a Celery worker on Redis, PostgreSQL and an SMTP server on loopback.
The logs run at DEBUG, in JSON. What is searched: both processes' log files, every
command sent to Redis (MONITOR), every message the worker published (a before_task_publish
tap), and every key and value in Redis mid-flow and at the end. The emails themselves greet
the patient by first name by design; they are not searched.

So that the test can fail, it also checks what must be there: the flow's request ids in
the API's and the worker's lines, and the intake id in the task messages.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest

from intake import processes, tasknames
from intake.http.request_id import HEADER
from tests import samples
from tests.conftest import SmtpSink, apply_env, complete_answers, service_env, wipe_database
from tests.live_api import LiveApi, live_api_process
from tests.observability.capture import RedisWatch, decoded_bodies, redis_snapshot
from tests.observability.tapped_worker import TAP_ENV
from tests.queues.support import EVERYTHING, RECENT
from tests.staff.support import PASSWORD, make_staff
from tests.support import start_process, stop_process, wait_for

DATE_OF_BIRTH = "1931-02-03"  # a date nothing else in the flow has
UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass(frozen=True)
class Markers:
    """Unique values to put in patient fields; any of them showing up is a leak."""

    run: str

    @classmethod
    def new(cls) -> Markers:
        return cls(run=uuid.uuid4().hex[:10])

    def __call__(self, field: str) -> str:
        return f"phimark-{self.run}-{field}"

    @property
    def prefix(self) -> str:
        return self("")

    @property
    def email(self) -> str:
        return f"{self('email')}@example.com"


@dataclass
class Flow:
    intake_id: str
    start_request_id: str
    submit_request_id: str
    magic_token: str
    snapshots: list[list[str]]


@dataclass
class Stack:
    api: LiveApi
    workdir: Path
    redis_url: str
    smtp: SmtpSink


def _worker_command(name: str) -> list[str]:
    command = processes.worker_command()
    command[command.index(processes.CELERY_APP)] = "tests.observability.tapped_worker"
    return [*command, "--concurrency=1", "-n", f"{name}@%h"]


@pytest.fixture
def stack(
    postgresql_database: str,
    redis_url: str,
    smtp: SmtpSink,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[Stack, RedisWatch]]:
    env = service_env(
        database_url=postgresql_database,
        smtp_url=smtp.url,
        var_dir=tmp_path,
        broker_url=redis_url,
        queue_prefix="phi",
    )
    env |= {"LOG_FORMAT": "json", "LOG_LEVEL": "DEBUG", TAP_ENV: str(tmp_path / "tasks.jsonl")}
    apply_env(monkeypatch, env)  # this process makes the staff account
    watch = RedisWatch(redis_url)
    watch.start()
    worker_log = tmp_path / "worker.log"
    worker = start_process(
        _worker_command(uuid.uuid4().hex[:8]), env={**os.environ, **env}, log_path=worker_log
    )
    try:
        wait_for(
            lambda: worker_log.exists() and "ready." in worker_log.read_text(errors="replace"),
            timeout=60,
            what="the worker to be ready",
        )
        # The API's own address goes into its links; the worker's emails keep the test one.
        api_env = {key: value for key, value in env.items() if key != "PUBLIC_BASE_URL"}
        with live_api_process(
            database_url=postgresql_database, smtp_url=smtp.url, var_dir=tmp_path, env=api_env
        ) as api:
            yield Stack(api, tmp_path, redis_url, smtp), watch
    finally:
        stop_process(worker)
        watch.stop()
        wipe_database(postgresql_database)


def _patient(marks: Markers) -> dict[str, str]:
    return {
        "first_name": marks("first"),
        "last_name": marks("last"),
        "email": marks.email,
        "phone": marks("phone"),
        "date_of_birth": DATE_OF_BIRTH,
        "timezone": "Europe/London",
    }


def _answers(marks: Markers) -> dict[str, Any]:
    """A complete answer set with a marker in every free-text answer."""
    answers = complete_answers()
    surgery = answers["surgeries"][0]
    surgery["surgeon"], surgery["facility"] = marks("surgeon"), marks("facility")
    medication = answers["medications"][0]
    medication["name"], medication["drug_class"] = marks("medication"), marks("drug-class")
    return answers


def _ok(response: httpx.Response, status: int = 200) -> httpx.Response:
    assert response.status_code == status, response.text
    return response


def _run_flow(stack: Stack, marks: Markers) -> Flow:
    base, snapshots = stack.api.base, []
    http = httpx.Client(base_url=base, timeout=30)
    # Refused input holding markers: a 422 must not log what it refused.
    refused = {"patient": {**_patient(marks), "email": f"{marks('bad-email')}@"}}
    _ok(http.post("/api/v1/intakes", json=refused), 422)

    started = _ok(http.post("/api/v1/intakes", json={"patient": _patient(marks)}), 201)
    intake_id, token = started.json()["id"], started.json()["access_token"]
    patient = {"Authorization": f"Bearer {token}"}
    _ok(
        http.patch(
            f"/api/v1/intakes/{intake_id}", json={"answers": _answers(marks)}, headers=patient
        )
    )
    # A query string with markers, and a request id header no one should log as it is.
    odd = {**patient, HEADER: f"{marks('request-id')} <b>"}
    query = {"email": marks.email, "q": marks("query")}
    echoed = _ok(http.get(f"/api/v1/intakes/{intake_id}", params=query, headers=odd))
    assert marks.prefix not in echoed.headers[HEADER]
    for kind in EVERYTHING:
        dated = {"report_date": RECENT} if kind in ("current_mri", "postop_imaging") else {}
        upload = (f"{marks('file-' + kind)}.pdf", samples.pdf(kind), "application/pdf")
        _ok(
            http.post(
                f"/api/v1/intakes/{intake_id}/documents",
                headers=patient,
                data={"kind": kind, **dated},
                files={"file": upload},
            ),
            201,
        )
    snapshots.append(redis_snapshot(stack.redis_url))

    submit_request_id = f"phi-submit-{uuid.uuid4().hex}"
    submitted = _ok(
        http.post(
            f"/api/v1/intakes/{intake_id}/submit",
            headers={**patient, HEADER: submit_request_id},
        )
    )
    assert submitted.headers[HEADER] == submit_request_id
    snapshots.append(redis_snapshot(stack.redis_url))
    wait_for(
        lambda: (
            http.get(f"/api/v1/intakes/{intake_id}", headers=patient).json()["status"] == "routed"
        ),
        timeout=60,
        what="the worker to route the intake",
    )

    _ok(http.post("/api/v1/auth/magic-links", json={"email": marks.email}), 202)
    magic_token = wait_for(lambda: _magic_token(stack.smtp, marks.email), what="the sign-in link")
    _ok(http.get("/auth/magic", params={"token": magic_token}))
    _ok(http.post("/api/v1/auth/magic-links/consume", json={"token": magic_token}))

    staff = make_staff(email=f"staff-{marks.run}@clinic.example")
    login = _ok(
        http.post("/api/v1/staff/token", data={"username": staff.email, "password": PASSWORD})
    )
    staff_auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
    _ok(http.get(f"/fhir/QuestionnaireResponse/{intake_id}", headers=staff_auth))
    _ok(http.get(f"/api/v1/intakes/{intake_id}/checklist", headers=staff_auth))
    snapshots.append(redis_snapshot(stack.redis_url))
    http.close()
    return Flow(intake_id, started.headers[HEADER], submit_request_id, magic_token, snapshots)


def _magic_token(smtp: SmtpSink, address: str) -> str | None:
    for message in smtp.received():
        body = message.get_body(("plain",))
        text = body.get_content() if message["To"] == address and body is not None else ""
        found = re.search(r"/auth/magic\?token=([\w-]+)", text)
        if found:
            return found.group(1)
    return None


def _log_lines(path: Path) -> list[dict[str, Any]]:
    lines = path.read_text(errors="replace").splitlines()
    return [json.loads(line) for line in lines if line.startswith("{")]


def _leaks(sources: dict[str, list[str]], secrets: list[str]) -> list[str]:
    found = []
    for where, texts in sources.items():
        for text in texts:
            found += [
                f"{secret!r} in {where}: {text[:300]!r}"
                for secret in secrets
                if secret in text.lower()
            ]
    return found


def test_no_phi_in_logs_task_messages_or_redis(stack: tuple[Stack, RedisWatch]) -> None:
    live, watch = stack
    marks = Markers.new()
    flow = _run_flow(live, marks)
    # Let the worker finish what the last requests caused before reading everything.
    wait_for(lambda: _sent_emails(live.smtp, marks.email) >= 2, what="the emails to be sent")

    api_log, worker_log = live.workdir / "api.log", live.workdir / "worker.log"
    tapped = (live.workdir / "tasks.jsonl").read_text().splitlines()
    sources = {
        "the API log": api_log.read_text(errors="replace").splitlines(),
        "the worker log": worker_log.read_text(errors="replace").splitlines(),
        "a task the worker published": tapped,
        "a Redis command": watch.texts(),
        **{f"Redis snapshot {n}": snapshot for n, snapshot in enumerate(flow.snapshots)},
        "Redis at the end": redis_snapshot(live.redis_url),
    }
    assert _leaks(sources, [marks.prefix, DATE_OF_BIRTH, flow.magic_token.lower()]) == []

    # The same sources do hold what they should, so the search above looked somewhere.
    api_lines, worker_lines = _log_lines(api_log), _log_lines(worker_log)
    [submit_line] = [
        line
        for line in api_lines
        if line.get("request_id") == flow.submit_request_id and line["logger"] == "intake.access"
    ]
    assert submit_line["path"] == "/api/v1/intakes/{intake_id}/submit"
    assert (submit_line["method"], submit_line["status"]) == ("POST", 200)
    assert {"timestamp", "level", "event", "duration_ms"} <= submit_line.keys()
    worker_tasks = {(line.get("request_id"), line.get("task_name")) for line in worker_lines}
    assert (flow.start_request_id, tasknames.DISPATCH_EMAIL) in worker_tasks
    assert (flow.submit_request_id, tasknames.EVALUATE_CHECKLIST) in worker_tasks
    # Routing is enqueued by whichever checklist pass found the intake complete (the
    # submit's or a late upload's): it carries on that pass's id, which a request began.
    requests = {line["request_id"] for line in api_lines if line["logger"] == "intake.access"}
    checklist_ids = {rid for rid, name in worker_tasks if name == tasknames.EVALUATE_CHECKLIST}
    [route_id] = {rid for rid, name in worker_tasks if name == tasknames.ROUTE_INTAKE}
    assert route_id in checklist_ids & requests

    messages = [json.loads(line) for line in tapped]
    routing = [m for m in messages if m["headers"]["task"] == tasknames.ROUTE_INTAKE]
    assert [m["headers"]["request_id"] for m in routing] == [route_id]
    for message in messages:
        args, kwargs, _ = message["body"]
        assert kwargs == {}
        assert all(UUID_TEXT.fullmatch(arg) for arg in args), args
    sent_by_api = [body for text in watch.commands for body in decoded_bodies(text)]
    assert any(flow.intake_id in body for body in sent_by_api)
    assert any(flow.submit_request_id in text for text in watch.commands)


def _sent_emails(smtp: SmtpSink, address: str) -> int:
    return sum(1 for message in smtp.received() if message["To"] == address)
