"""Settings, read from the environment only, with embedded defaults for a fresh machine."""

from __future__ import annotations

from datetime import time
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from intake.routing.policy import RoutingPolicy

DEFAULT_SECRET_KEY = "dev-only-secret-change-me"
# Document kinds that carry imaging, which may be a whole study of several GB.
IMAGING_KINDS = frozenset({"preop_imaging", "postop_imaging", "current_mri"})


class Settings(BaseSettings):
    """Every knob of the service. Names match the environment variables (case-insensitive)."""

    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore")

    # Anything but development must bring its own SECRET_KEY.
    environment: Literal["development", "staging", "production"] = "development"
    # Where var/ lives: the SQLite file, the embedded broker, the mailbox and uploads.
    var_dir: Path = Path("var")
    # Logs go to stderr: one JSON object per line, or pretty lines for a developer's
    # terminal. Unset means console in development and JSON everywhere else.
    log_format: Literal["json", "console"] | None = None
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    database_url: str = ""
    # PostgreSQL connections each process may hold (see create_db_engine).
    db_pool_size: int = Field(default=5, ge=1, le=100)
    db_max_overflow: int = Field(default=5, ge=0, le=100)
    broker_url: str = ""
    # smtp://host:port (or smtps:// for implicit TLS). Empty means the file mailbox.
    smtp_url: str = ""
    mail_from: str = "Northside Clinic <no-reply@clinic.example>"
    mailbox_dir: Path | None = None
    storage_dir: Path | None = None

    public_base_url: str = "http://127.0.0.1:8000"
    secret_key: str = DEFAULT_SECRET_KEY

    # Emails carry this name, so the default names no specialty (DOMAIN.md §6).
    clinic_name: str = "Northside Clinic"
    clinic_phone: str = "+1 555 0100"
    clinic_timezone: str = "America/New_York"

    # Celery: the queue our tasks travel on. Tests give each run its own.
    task_queue: str = "intake"
    # How often beat asks for a sweep (seconds). The sweep re-finds lost work.
    sweep_interval_seconds: float = Field(default=30.0, gt=0)
    # A task whose worker dies mid-run is requeued (acks_late + reject_on_worker_lost);
    # after this many starts without an outcome it is dead-lettered, not run again.
    task_max_deliveries: int = Field(default=3, ge=1, le=100)
    # Override the bounded retries of transient database errors (workers/base.py);
    # tests shorten them. Empty: 5 retries, backoff capped at MAX_RETRY_DELAY_SECONDS.
    task_max_retries: int | None = Field(default=None, ge=0, le=20)
    task_retry_backoff_max_seconds: int | None = Field(default=None, ge=0)
    # Where red-flag alerts go: a staff mailbox, never a patient.
    staff_alert_email: str = "triage@clinic.example"

    # How long the token handed out at the start of an intake lets the patient back in.
    patient_token_ttl_hours: int = Field(default=72, gt=0)
    # A magic link is single-use and short-lived (ASVS 6.5.5: at most 10 minutes)...
    magic_link_ttl_minutes: int = Field(default=10, gt=0, le=60)
    # ...and the session it opens lasts this long.
    magic_session_ttl_hours: int = Field(default=12, gt=0)
    # Magic-link requests allowed per hour, per email address and per client address.
    magic_links_per_email_per_hour: int = Field(default=5, gt=0)
    magic_links_per_ip_per_hour: int = Field(default=30, gt=0)
    # Staff sessions (ASVS 7.3.1/7.3.2): a token dies after this long unused...
    staff_token_idle_minutes: int = Field(default=30, gt=0)
    # ...and this long after login, however busy it is.
    staff_token_absolute_hours: int = Field(default=12, gt=0)
    # Staff login attempts allowed per hour, per email address and per client address.
    staff_logins_per_email_per_hour: int = Field(default=10, gt=0)
    staff_logins_per_ip_per_hour: int = Field(default=100, gt=0)
    # Upload caps. No upload may exceed max_upload_bytes; imaging kinds default to it,
    # other kinds to document_upload_bytes, and upload_limits overrides single kinds
    # (e.g. UPLOAD_LIMITS='{"operative_note": 20000000}').
    max_upload_bytes: int = Field(default=2 * 1024**3, gt=0)
    document_upload_bytes: int = Field(default=100 * 1024**2, gt=0)
    upload_limits: dict[str, int] = Field(default_factory=dict)
    # Every other request body (JSON, urlencoded forms) is refused with a 413 past this many
    # bytes, counted as they arrive (intake/http/body_limits.py); answers are a few KB.
    max_json_body_bytes: int = Field(default=1024**2, gt=0)
    # A client that sends no body bytes for this long gets a 408 and a closed connection,
    # so a slowloris body cannot hold a worker (uvicorn has no such timeout of its own).
    request_body_timeout_seconds: float = Field(default=30.0, gt=0)
    # `intake api` answers 431 past this many bytes of request line and headers, and 408 to
    # headers still incomplete after this long (intake/http/protocol.py; uvicorn has neither).
    max_request_header_bytes: int = Field(default=64 * 1024, gt=0)
    request_header_timeout_seconds: float = Field(default=20.0, gt=0)

    # POLICY: reminders go this many days after the patient's last activity while an
    # intake awaits information; after the last one the intake is stale. Fractions of a
    # day are allowed (tests run the cadence in seconds).
    reminder_cadence_days: list[float] = Field(default_factory=lambda: [1.0, 3.0, 7.0, 14.0])
    # No reminder arrives between these hours of the patient's own day; one that falls
    # due then is held to the end of the window. Equal values turn quiet hours off.
    quiet_hours_start: time = time(21, 0)
    quiet_hours_end: time = time(8, 0)
    # Outbox delivery. A row stays `sending` this long before the sweep decides its
    # worker died and sends it again; keep it well above the SMTP timeout (15 s).
    outbox_sending_lease_seconds: float = Field(default=300.0, gt=0)
    # Transient SMTP failures retry with exponential backoff and jitter from the base
    # up to the cap, at most outbox_max_attempts times (about 14 hours by default).
    outbox_retry_base_seconds: float = Field(default=30.0, gt=0)
    outbox_retry_cap_seconds: float = Field(default=3600.0, gt=0)
    outbox_max_attempts: int = Field(default=20, gt=0)

    # POLICY routing thresholds (DOMAIN.md §3); intake/routing/policy.py checks them.
    # Months after surgery before the regenerative route: decompression, then fusion or disc
    # prosthesis (6 to 12); a fusion younger than the window may still be a non-union.
    routing_decompression_min_months: int = 3
    routing_fusion_min_months: int = 6
    routing_nonunion_window_months: int = 12
    # The regenerative route needs an MRI this recent, pain this old, and this much care.
    routing_procedure_mri_max_months: int = 6
    routing_chronic_pain_min_months: int = 6
    routing_min_conservative_episodes: int = 1
    # POLICY: hours an item may wait in each queue before the console flags it overdue.
    queue_sla_hours: dict[str, float] = Field(
        default_factory=lambda: {
            "urgent": 4.0,
            "clinician_triage": 72.0,
            "surgical_revision": 120.0,
            "regenerative": 120.0,
            "stale": 48.0,
            "awaiting_information": 336.0,
            "deferred": 24.0,
        }
    )
    # A claim nobody has touched for this long goes back to the queue at the next sweep.
    claim_idle_minutes: float = Field(default=60.0, gt=0)

    # Metrics (intake/metrics, README "Metrics"). A Prometheus scraper presents this as
    # its bearer token; empty: only staff allowed to view metrics may scrape /metrics.
    metrics_token: str = ""
    # Where each process of a multi-process server (uvicorn workers, Celery's prefork
    # pool) writes its metric samples so one scrape sums them all. prometheus_client reads
    # the same variable itself, at import, so it must be in the environment, not a file.
    prometheus_multiproc_dir: Path | None = None
    # The Celery worker serves its pool's metrics here (unset: no metrics server).
    worker_metrics_port: int | None = Field(default=None, ge=1, le=65535)
    worker_metrics_address: str = "127.0.0.1"
    # POLICY: a draft (or a draft withdrawn before submission) with no patient activity
    # for this many days is abandoned; the sweep purges it with its files (intake/lifecycle).
    retention_draft_days: float = Field(default=90.0, gt=0)

    # Scheduling. Where in-person consultations happen (emails and calendar files say it).
    clinic_address: str = "1 Clinic Way, Suite 200"
    # The earliest a slot may start, counted from now: the clinic needs time to prepare.
    booking_min_notice_hours: float = Field(default=2.0, ge=0)
    # POLICY: patients confirm, cancel or reschedule up to this long before the start;
    # after that they call the clinic.
    appointment_change_cutoff_hours: float = Field(default=24.0, ge=0)
    # How long a patient has to pick one of the slots a coordinator offered.
    slot_offer_ttl_hours: float = Field(default=72.0, gt=0)
    # The widest window one slot search may cover.
    slot_search_max_days: int = Field(default=62, gt=0, le=366)

    @field_validator("reminder_cadence_days")
    @classmethod
    def _increasing_cadence(cls, value: list[float]) -> list[float]:
        if not value or any(d <= 0 for d in value) or value != sorted(set(value)):
            raise ValueError("reminder_cadence_days must be positive and strictly increasing")
        return value

    @model_validator(mode="after")
    def _valid_routing_policy(self) -> Settings:
        self.routing_policy()  # raises ValueError naming the bad threshold
        return self

    @field_validator("queue_sla_hours")
    @classmethod
    def _known_queues(cls, value: dict[str, float]) -> dict[str, float]:
        if any(hours <= 0 for hours in value.values()):
            raise ValueError("queue_sla_hours must be positive")
        return value

    @field_validator("clinic_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA timezone {value!r}") from exc
        return value

    @model_validator(mode="after")
    def _fill_embedded_defaults(self) -> Settings:
        var = self.var_dir
        if not self.database_url:
            self.database_url = f"sqlite:///{var / 'intake.db'}"
        if not self.broker_url:
            self.broker_url = f"sqla+sqlite:///{var / 'broker.db'}"
        if self.mailbox_dir is None:
            self.mailbox_dir = var / "mail"
        if self.storage_dir is None:
            self.storage_dir = var / "uploads"
        weak_secret = self.secret_key == DEFAULT_SECRET_KEY or len(self.secret_key) < 32
        if self.metrics_token and len(self.metrics_token) < 32:
            raise ValueError("METRICS_TOKEN must be at least 32 characters when set")
        if self.environment != "development" and weak_secret:
            raise ValueError(
                "SECRET_KEY must be set to a random value of at least 32 characters "
                "outside development"
            )
        return self

    @property
    def mailbox_path(self) -> Path:
        assert self.mailbox_dir is not None  # filled by the validator
        return self.mailbox_dir

    @property
    def storage_path(self) -> Path:
        assert self.storage_dir is not None  # filled by the validator
        return self.storage_dir

    def upload_limit(self, kind: str) -> int:
        """The byte cap for one document kind; never above max_upload_bytes."""
        default = self.max_upload_bytes if kind in IMAGING_KINDS else self.document_upload_bytes
        return min(self.upload_limits.get(kind, default), self.max_upload_bytes)

    def routing_policy(self) -> RoutingPolicy:
        # Imported here: config loads before everything, and the policy is a leaf module.
        from intake.routing.policy import RoutingPolicy

        return RoutingPolicy(
            decompression_min_months=self.routing_decompression_min_months,
            fusion_min_months=self.routing_fusion_min_months,
            nonunion_window_months=self.routing_nonunion_window_months,
            procedure_mri_max_months=self.routing_procedure_mri_max_months,
            chronic_pain_min_months=self.routing_chronic_pain_min_months,
            min_conservative_episodes=self.routing_min_conservative_episodes,
        )

    @property
    def resolved_log_format(self) -> Literal["json", "console"]:
        if self.log_format is not None:
            return self.log_format
        return "console" if self.environment == "development" else "json"

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_log_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @property
    def uses_redis(self) -> bool:
        return self.broker_url.startswith(("redis://", "rediss://"))


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings; tests clear the cache after changing the environment."""
    return Settings()
