"""Database plumbing: the declarative base, engines, sessions and the unit of work."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from types import TracebackType
from typing import Any

from sqlalchemy import DateTime, Dialect, Engine, Enum, MetaData, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.types import TypeDecorator

from intake.config import get_settings
from intake.jobs import JobBuffer, JobPublisher, get_publisher

# Stable constraint names, so Alembic autogenerate and `alembic check` agree on both backends.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on every backend.

    SQLite keeps no offset, so values are normalised to UTC on the way in and marked
    UTC on the way out; a naive datetime is a bug and is refused.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:  # noqa: ARG002
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(
        self,
        value: datetime | None,
        dialect: Dialect,  # noqa: ARG002
    ) -> datetime | None:
        if value is None or value.tzinfo is UTC:
            return value
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        # PostgreSQL answers in the session's zone (ZoneInfo('Etc/UTC') at best). Same
        # instant, but comparisons across two tzinfo objects are several times slower,
        # and a server set to another zone would leak it into every value.
        return value.astimezone(UTC)


def str_enum(enum_class: type[enum.StrEnum], length: int = 32) -> Enum:
    """A VARCHAR holding the enum's values (not its names), portable across backends."""
    return Enum(
        enum_class,
        native_enum=False,
        length=length,
        validate_strings=True,
        values_callable=lambda members: [m.value for m in members],
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UtcDateTime}  # noqa: RUF012 (SQLAlchemy reads it as is)


class UuidPk:
    """Random UUID keys: ids appear in URLs, so they must not be guessable or countable."""

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)


class Timestamped:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


def _configure_sqlite(engine: Engine) -> None:
    """WAL, a busy timeout, foreign keys, and write-locking transactions.

    pysqlite opens transactions lazily and as DEFERRED, so two processes (the API and
    the worker) that both read then write can deadlock with SQLITE_BUSY that no
    busy_timeout waits out. Starting every transaction with BEGIN IMMEDIATE serialises
    writers up front, which is the right trade for the single-machine default.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_db_engine(url: str, *, pool_size: int = 5, max_overflow: int = 5) -> Engine:
    """An engine for `url`, with the SQLite settings the embedded default needs.

    The pool is per process: every uvicorn worker and every Celery worker process holds
    up to `pool_size + max_overflow` connections of its own.
    """
    # A database error's message would otherwise quote the statement's parameters (names,
    # emails, answers), and that message ends up in logs and task failure records.
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 15}, hide_parameters=True)
        _configure_sqlite(engine)
        return engine
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=pool_size,
        max_overflow=max_overflow,
        hide_parameters=True,
    )


@lru_cache
def get_engine() -> Engine:
    settings = get_settings()
    return create_db_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
    )


@lru_cache
def get_session_factory() -> sessionmaker[Session]:
    # expire_on_commit=False: responses are built from objects after the commit.
    return sessionmaker(bind=get_engine(), expire_on_commit=False)


class UnitOfWork:
    """One transaction and the jobs it wants to start.

    Used as a context manager: on success it commits once and only then publishes the
    buffered jobs, so a task never runs before the rows it needs exist. On an error it
    rolls back and drops the jobs.
    """

    def __init__(
        self,
        session_factory: Callable[[], Session] | None = None,
        publisher: JobPublisher | None = None,
    ) -> None:
        self.session = (session_factory or get_session_factory())()
        self.jobs = JobBuffer(publisher or get_publisher())
        self._undo: list[Callable[[], None]] = []
        self._after_commit: list[Callable[[], None]] = []

    def after_commit(self, action: Callable[[], None]) -> None:
        """Run `action` once the commit succeeded (e.g. delete a file the row no longer names)."""
        self._after_commit.append(action)

    def on_rollback(self, undo: Callable[[], None]) -> None:
        """Run `undo` if this unit of work does not commit (e.g. delete a stored file)."""
        self._undo.append(undo)

    def __enter__(self) -> UnitOfWork:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        committed = False
        try:
            if exc_type is None:
                self.session.commit()
                committed = True
                self.jobs.flush()
                for action in self._after_commit:
                    action()
            else:
                self.session.rollback()
        finally:
            self.session.close()
            if not committed:
                self.jobs.discard()
                for undo in reversed(self._undo):
                    undo()
