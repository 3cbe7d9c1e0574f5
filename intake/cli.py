"""The `intake` command."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from alembic import command
from alembic.config import Config

from intake.config import get_settings
from intake.logs import configure_logging
from intake.staff.models import StaffRole


def _alembic_config() -> Config:
    # Next to the package in a checkout or an editable install; else the working dir.
    for root in (Path(__file__).resolve().parent.parent, Path.cwd()):
        ini = root / "alembic.ini"
        if ini.exists():
            config = Config(str(ini))
            config.set_main_option("script_location", str(root / "migrations"))
            # Our own logging is set up already; alembic.ini's would replace it.
            config.attributes["configure_logging"] = False
            return config
    raise SystemExit("alembic.ini not found: run from the project directory")


def migrate() -> None:
    command.upgrade(_alembic_config(), "head")


def _prepare_var_dirs() -> None:
    settings = get_settings()
    for directory in (settings.var_dir, settings.mailbox_path, settings.storage_path):
        directory.mkdir(parents=True, exist_ok=True)


def _lifecycle(command: str, directory: Path | None) -> int:
    """Backup, restore and verify; exit status 1, with the reason, when they fail."""
    from intake.lifecycle import backup

    settings = get_settings()
    try:
        if command == "backup" and directory is not None:
            manifest = backup.backup(settings.database_url, settings.storage_path, directory)
            print(f"backed up the database and {len(manifest['uploads']['files'])} files")
        elif command == "restore" and directory is not None:
            manifest = backup.restore(directory, settings.database_url, settings.storage_path)
            print(f"restored the database and {len(manifest['uploads']['files'])} files")
    except backup.BackupError as exc:
        print(f"{command} failed: {exc}")
        return 1
    # A restore is only done once every document reads back as it was stored.
    report = backup.verify(settings.database_url, settings.storage_path)
    print(
        f"verified {report.documents} documents: {len(report.missing)} missing, "
        f"{len(report.mismatched)} not matching their SHA-256"
    )
    for document_id in report.missing:
        print(f"missing: document {document_id}")
    for document_id in report.mismatched:
        print(f"sha256 mismatch: document {document_id}")
    return 0 if report.ok else 1


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
    for name, help_text in (
        ("backup", "back up the database and the uploads into DIR, with a manifest"),
        ("restore", "restore a backup from DIR into the configured (empty) database and folder"),
    ):
        commands.add_parser(name, help=help_text).add_argument("directory", type=Path)
    commands.add_parser("verify", help="check every document's file against its stored SHA-256")
    staff = commands.add_parser(
        "create-staff", help="create a staff account (password from STAFF_PASSWORD or a prompt)"
    )
    staff.add_argument("--email", required=True)
    staff.add_argument("--name", required=True, help="full name")
    staff.add_argument("--role", required=True, choices=[role.value for role in StaffRole])
    args = parser.parse_args(argv)
    configure_logging(get_settings())

    if args.command == "migrate":
        _prepare_var_dirs()
        migrate()
    elif args.command == "api":
        import uvicorn

        from intake.metrics.exposition import reset_multiproc_dir

        _prepare_var_dirs()
        reset_multiproc_dir(get_settings().prometheus_multiproc_dir)  # before workers fork
        uvicorn.run(
            "intake.main:create_served_app",
            factory=True,
            http="intake.http.protocol:GuardedHttpToolsProtocol",  # header size and time limits
            host=args.host,
            port=args.port,
            workers=args.workers,
            proxy_headers=True,
            # Logging is ours (intake.logs): uvicorn's records go to the root logger, and
            # its access line, which prints the raw path and query string (link tokens),
            # gives way to the request-id middleware's line with the route template.
            log_config=None,
            access_log=False,
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
            f"{report.reminders.queued} reminders queued, {report.reminders.stale} went stale; "
            f"purged {report.purged} abandoned drafts"
        )
    elif args.command in ("backup", "restore", "verify"):
        return _lifecycle(args.command, getattr(args, "directory", None))
    elif args.command == "create-staff":
        from intake.staff.commands import create_staff

        return create_staff(email=args.email, full_name=args.name, role=StaffRole(args.role))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
