"""Settings: embedded defaults, and secrets that refuse the default in production."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from intake.config import DEFAULT_SECRET_KEY, Settings


def test_embedded_defaults_need_no_server(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "BROKER_URL", "SMTP_URL", "VAR_DIR", "MAILBOX_DIR", "STORAGE_DIR"):
        monkeypatch.delenv(name, raising=False)

    settings = Settings()

    assert settings.database_url == "sqlite:///var/intake.db"
    assert settings.broker_url == "sqla+sqlite:///var/broker.db"
    assert settings.smtp_url == ""
    assert settings.mailbox_path == Path("var/mail")
    assert settings.storage_path == Path("var/uploads")


@pytest.mark.parametrize("environment", ["staging", "production"])
def test_outside_development_the_default_secret_is_refused(environment: str) -> None:
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(environment=environment, secret_key=DEFAULT_SECRET_KEY)
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(environment=environment, secret_key="short")


def test_production_accepts_a_real_secret() -> None:
    settings = Settings(environment="production", secret_key="x" * 48)

    assert settings.secret_key == "x" * 48


def test_an_unknown_clinic_timezone_is_refused() -> None:
    with pytest.raises(ValidationError, match="IANA"):
        Settings(clinic_timezone="Mars/Olympus")
