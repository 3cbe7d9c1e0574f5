"""`intake run`: migrations, then the API, a worker and beat under one Ctrl-C."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

from intake import processes
from intake.config import Settings

STOP_GRACE_SECONDS = 10
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child: get SIGTERM if the supervisor itself is killed (Linux only)."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _resolve(argv: list[str]) -> list[str]:
    """Run console scripts from this interpreter's environment, whatever PATH says."""
    local = Path(sys.executable).parent / argv[0]
    return [str(local) if local.exists() else argv[0], *argv[1:]]


class Supervisor:
    def __init__(self, commands: dict[str, list[str]]) -> None:
        self.commands = commands
        self.children: dict[str, subprocess.Popen[bytes]] = {}
        self._stopping = False

    def start(self) -> None:
        for name, argv in self.commands.items():
            # Each child leads its own process group, so stopping it also stops its
            # own children (Celery's pool, uvicorn's workers).
            self.children[name] = subprocess.Popen(
                _resolve(argv), start_new_session=True, preexec_fn=_die_with_parent
            )

    def wait(self) -> int:
        """Block until Ctrl-C / SIGTERM or until a child dies; then stop them all."""

        def _request_stop(_signum: int, _frame: FrameType | None) -> None:
            self._stopping = True

        signal.signal(signal.SIGINT, _request_stop)
        signal.signal(signal.SIGTERM, _request_stop)
        exit_code = 0
        while not self._stopping:
            for name, child in self.children.items():
                if child.poll() is not None:
                    print(
                        f"intake run: {name} exited with {child.returncode}; stopping", flush=True
                    )
                    exit_code = 1
                    self._stopping = True
            time.sleep(0.2)
        self.stop()
        return exit_code

    def stop(self) -> None:
        # SIGTERM to each leader only: Celery then finishes its running tasks and
        # stops its own pool, and uvicorn its own workers.
        for child in self.children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for child in self.children.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            # Kill what is left of the group, including grandchildren.
            _signal_group(child, signal.SIGKILL)
            child.wait()


def _signal_group(child: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(child.pid, sig)


def banner(settings: Settings) -> str:
    base = settings.public_base_url.rstrip("/")
    return "\n".join(
        [
            "",
            f"{settings.clinic_name} intake is running",
            f"  API docs:            {base}/docs",
            f"  Patient start page:  {base}/",
            f"  Staff console:       {base}/staff  (first: intake create-staff)",
            f"  Mailbox folder:      {settings.mailbox_path.resolve()}",
            f"  Database:            {settings.database_url}",
            "Press Ctrl-C to stop.",
            "",
        ]
    )


def run(settings: Settings, *, host: str, port: int) -> int:
    commands = {
        "api": processes.api_command(host, port),
        "worker": processes.worker_command(),
        "beat": processes.beat_command(settings.var_dir / "celerybeat-schedule"),
    }
    supervisor = Supervisor(commands)
    supervisor.start()
    print(banner(settings), flush=True)
    return supervisor.wait()
