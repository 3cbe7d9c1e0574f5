"""Backup and restore: the database and the uploads folder, with a manifest of SHA-256s.

A backup directory holds:
  manifest.json      what was taken, when, and the SHA-256 of every file in it
  database.dump      `pg_dump -Fc` (PostgreSQL), or database.sqlite3 (SQLite backup API)
  uploads.tar        every stored document under its storage key (plain tar: scans and
                     PDFs do not compress)

The database is taken first, then the files. Stored files are never rewritten (keys are
random), so a file added after the dump is an orphan in the backup and harmless; a file
purged in between would be missing, and `verify` after a restore names it.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import tarfile
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import make_url, select
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from intake.db import create_db_engine, utcnow
from intake.documents.models import Document
from intake.documents.storage import CHUNK_BYTES

MANIFEST = "manifest.json"
PG_DUMP = "database.dump"
SQLITE_COPY = "database.sqlite3"
UPLOADS = "uploads.tar"
FORMAT = "fbss-intake-backup/1"


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why (no PHI in it)."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while chunk := source.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq URI without the password, and an environment that carries it (so it
    never shows in the process list)."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(args: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{args[0]} failed ({result.returncode}): {result.stderr.strip()}")


def _stored_files(root: Path) -> Iterator[tuple[str, Path]]:
    """(storage key, path) of every kept blob; half-received uploads are not kept ones."""
    for path in sorted(root.rglob("*")):
        key = path.relative_to(root).as_posix()
        if path.is_file() and not key.startswith(".incoming/"):
            yield key, path


def backup(database_url: str, storage_dir: Path, target: Path) -> dict[str, Any]:
    """Write a backup of the database and the uploads into `target` (new or empty)."""
    target.mkdir(parents=True, exist_ok=True)
    if any(target.iterdir()):
        raise BackupError(f"{target} is not empty: a backup goes into a folder of its own")
    url = make_url(database_url)
    started = utcnow()
    if url.get_backend_name() == "postgresql":
        dump = target / PG_DUMP
        dsn, env = _libpq(url)
        _run(["pg_dump", "--format=custom", "--no-owner", f"--file={dump}", dsn], env)
    elif url.get_backend_name() == "sqlite" and url.database:
        dump = target / SQLITE_COPY
        # The backup API copies a consistent snapshot while the service keeps writing.
        with closing(sqlite3.connect(url.database)) as live, closing(sqlite3.connect(dump)) as copy:
            live.backup(copy)
    else:
        raise BackupError(f"cannot back up a {url.get_backend_name()} database")
    files: dict[str, str] = {}
    with tarfile.open(target / UPLOADS, "w") as archive:
        for key, path in _stored_files(storage_dir):
            archive.add(path, arcname=key, recursive=False)
            files[key] = sha256_of(path)
    manifest = {
        "format": FORMAT,
        "started_at": started.isoformat(),
        "finished_at": utcnow().isoformat(),
        "database": {
            "backend": url.get_backend_name(),
            "file": dump.name,
            "sha256": sha256_of(dump),
        },
        "uploads": {"file": UPLOADS, "sha256": sha256_of(target / UPLOADS), "files": files},
    }
    (target / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True))
    return manifest


def _checked_manifest(source: Path) -> dict[str, Any]:
    """The manifest, once every file it names matches its SHA-256."""
    try:
        manifest: dict[str, Any] = json.loads((source / MANIFEST).read_text())
    except FileNotFoundError as exc:
        raise BackupError(f"{source} holds no {MANIFEST}") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r}")
    for part in ("database", "uploads"):
        path = source / manifest[part]["file"]
        if not path.is_file() or sha256_of(path) != manifest[part]["sha256"]:
            raise BackupError(f"{path.name} is missing or does not match the manifest")
    return manifest


def restore(source: Path, database_url: str, storage_dir: Path) -> dict[str, Any]:
    """Restore a backup into an EMPTY database and an empty uploads folder."""
    manifest = _checked_manifest(source)
    url = make_url(database_url)
    backend = url.get_backend_name()
    if backend != manifest["database"]["backend"]:
        raise BackupError(f"the backup is of {manifest['database']['backend']}, not {backend}")
    if storage_dir.exists() and any(storage_dir.iterdir()):
        raise BackupError(f"{storage_dir} is not empty: restore into a fresh folder")
    dump = source / manifest["database"]["file"]
    if backend == "postgresql":
        dsn, env = _libpq(url)
        _run(["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={dsn}", str(dump)], env)
    else:
        if not url.database or Path(url.database).exists():
            raise BackupError("restore SQLite into a database file that does not exist yet")
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(dump)) as copy, closing(sqlite3.connect(url.database)) as new:
            copy.backup(new)
    storage_dir.mkdir(parents=True, exist_ok=True)
    with tarfile.open(source / UPLOADS, "r") as archive:
        # The "data" filter refuses absolute paths, links out of the folder and devices.
        archive.extractall(storage_dir, filter="data")
    for key, expected in manifest["uploads"]["files"].items():
        if sha256_of(storage_dir / key) != expected:
            raise BackupError(f"restored file {key} does not match the manifest")
    return manifest


@dataclass
class Verification:
    """Every document row checked against its stored file."""

    documents: int = 0
    missing: list[str] = field(default_factory=list)  # document ids
    mismatched: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.missing and not self.mismatched


def verify(database_url: str, storage_dir: Path) -> Verification:
    """Recompute the SHA-256 of every document's file and compare it with its row."""
    engine = create_db_engine(database_url)
    report = Verification()
    try:
        with Session(engine) as session:
            rows = session.execute(
                select(Document.id, Document.storage_key, Document.sha256).order_by(Document.id)
            )
            for document_id, key, expected in rows:
                report.documents += 1
                path = storage_dir / key
                if not path.is_file():
                    report.missing.append(str(document_id))
                elif sha256_of(path) != expected:
                    report.mismatched.append(str(document_id))
    finally:
        engine.dispose()
    return report
