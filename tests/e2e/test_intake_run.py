"""`intake run` (what `make run` starts) on the embedded defaults, as a new user runs it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from email import message_from_bytes, policy
from pathlib import Path

import httpx2 as httpx
import psutil

from tests import samples
from tests.conftest import PATIENT
from tests.support import ROOT, free_port, start_process, stop_process, wait_for

# Nothing may leak in from the test run: `intake run` must work on its defaults alone.
SETTINGS_VARIABLES = (
    "DATABASE_URL",
    "BROKER_URL",
    "SMTP_URL",
    "VAR_DIR",
    "MAILBOX_DIR",
    "STORAGE_DIR",
    "TASK_QUEUE",
    "PUBLIC_BASE_URL",
    "ENVIRONMENT",
    "CLINIC_NAME",
)


def _ready(base: str, process: subprocess.Popen[bytes], log: Path) -> bool:
    assert process.poll() is None, log.read_text(errors="replace")
    try:
        return httpx.get(f"{base}/readyz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def test_run_serves_the_slice_and_ctrl_c_leaves_no_process(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    env |= {"PORT": str(port), "SWEEP_INTERVAL_SECONDS": "2"}
    log = tmp_path / "run.log"
    run = start_process(["intake", "run"], env=env, log_path=log, cwd=tmp_path)
    try:
        wait_for(lambda: _ready(base, run, log), timeout=90, what="intake run to be ready")
        banner = log.read_text()
        assert f"{base}/docs" in banner
        assert f"{base}/" in banner
        assert str(tmp_path / "var" / "mail") in banner

        # The README's three curl commands, as httpx calls.
        example = json.loads((ROOT / "examples" / "intake.json").read_text())
        created = httpx.post(f"{base}/api/v1/intakes", json=example).json()
        auth = {"Authorization": f"Bearer {created['access_token']}"}
        upload = httpx.post(
            f"{base}/api/v1/intakes/{created['id']}/documents",
            headers=auth,
            data={"kind": "operative_note"},
            files={"file": ("note.pdf", samples.pdf("run"), "application/pdf")},
        )
        assert upload.status_code == 201
        submit = httpx.post(f"{base}/api/v1/intakes/{created['id']}/submit", headers=auth)
        assert submit.status_code == 200

        mailbox = tmp_path / "var" / "mail"
        [eml] = wait_for(lambda: list(mailbox.glob("*.eml")), what="the first email in var/mail")
        reminder = message_from_bytes(eml.read_bytes(), policy=policy.default)
        assert reminder["To"] == PATIENT["email"]
        assert (tmp_path / "var" / "intake.db").exists()
        assert (tmp_path / "var" / "broker.db").exists()

        family = psutil.Process(run.pid).children(recursive=True)
        assert len(family) >= 3  # api, worker (and its pool), beat

        os.killpg(run.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        assert run.wait(timeout=60) == 0
        survivors = [p for p in family if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        assert survivors == []
    finally:
        stop_process(run)
