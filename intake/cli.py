"""The `intake` command."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from alembic import command
from alembic.config import Config

from intake.config import get_settings
from intake.staff.models import StaffRole


def _alembic_config() -> Config:
    # Next to the package in a checkout or an editable install; else the working dir.
    for root in (Path(__file__).resolve().parent.parent, Path.cwd()):
        ini = root / "alembic.ini"
        if ini.exists():
            config = Config(str(ini))
            config.set_main_option("script_location", str(root / "migrations"))
            return config
    raise SystemExit("alembic.ini not found: run from the project directory")


def migrate() -> None:
    command.upgrade(_alembic_config(), "head")


def _prepare_var_dirs() -> None:
    settings = get_settings()
    for directory in (settings.var_dir, settings.mailbox_path, settings.storage_path):
        directory.mkdir(parents=True, exist_ok=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="intake", description="FBSS intake service")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="apply database migrations (alembic upgrade head)")
    for name, help_text in (
        ("api", "serve the HTTP API with uvicorn"),
        ("run", "migrate, then run the API, a worker and beat together (development)"),
    ):
        sub = commands.add_parser(name, help=help_text)
        sub.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        sub.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        if name == "api":
            sub.add_argument(
                "--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "1"))
            )
    commands.add_parser("sweep", help="run one sweep now: re-enqueue work a lost message left")
    staff = commands.add_parser(
        "create-staff", help="create a staff account (password from STAFF_PASSWORD or a prompt)"
    )
    staff.add_argument("--email", required=True)
    staff.add_argument("--name", required=True, help="full name")
    staff.add_argument("--role", required=True, choices=[role.value for role in StaffRole])
    args = parser.parse_args(argv)

    if args.command == "migrate":
        _prepare_var_dirs()
        migrate()
    elif args.command == "api":
        import uvicorn

        _prepare_var_dirs()
        uvicorn.run(
            "intake.main:create_served_app",
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            proxy_headers=True,
        )
    elif args.command == "run":
        from intake import supervisor

        # Children inherit the environment; make their links point at this server.
        os.environ.setdefault("PUBLIC_BASE_URL", f"http://{args.host}:{args.port}")
        get_settings.cache_clear()
        _prepare_var_dirs()
        migrate()
        return supervisor.run(get_settings(), host=args.host, port=args.port)
    elif args.command == "sweep":
        from intake.db import UnitOfWork
        from intake.sweep import sweep

        report = sweep(UnitOfWork)
        print(
            f"enqueued {report.checklists} checklists; {report.emails} emails due; "
            f"{report.reminders.queued} reminders queued, {report.reminders.stale} went stale"
        )
    elif args.command == "create-staff":
        from intake.staff.commands import create_staff

        return create_staff(email=args.email, full_name=args.name, role=StaffRole(args.role))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
