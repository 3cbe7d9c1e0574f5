"""`intake create-staff`: a usable account from a script or a prompt; weak input refused."""

from __future__ import annotations

import getpass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from intake import cli
from intake.db import UnitOfWork
from intake.staff.models import StaffUser
from tests.staff.support import login

ARGS = ["create-staff", "--email", "Admin@Clinic.example", "--name", "Avery Admin"]
GOOD_PASSWORD = "a long enough passphrase"


def _accounts() -> int:
    with UnitOfWork() as uow:
        return uow.session.scalar(select(func.count()).select_from(StaffUser)) or 0


def test_create_staff_makes_an_account_that_can_log_in(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("STAFF_PASSWORD", GOOD_PASSWORD)

    assert cli.main([*ARGS, "--role", "admin"]) == 0

    assert GOOD_PASSWORD not in capsys.readouterr().out
    response = login(client, "admin@clinic.example", GOOD_PASSWORD)
    assert response.status_code == 200
    auth = {"Authorization": f"Bearer {response.json()['access_token']}"}
    me = client.get("/api/v1/staff/me", headers=auth).json()
    assert (me["email"], me["full_name"], me["role"]) == (
        "admin@clinic.example",
        "Avery Admin",
        "admin",
    )


def test_create_staff_refuses_a_short_password(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("STAFF_PASSWORD", "elevenchars")

    assert cli.main([*ARGS, "--role", "admin"]) != 0

    assert "at least 12 characters" in capsys.readouterr().err
    assert _accounts() == 0


def test_create_staff_refuses_an_email_already_in_use(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STAFF_PASSWORD", GOOD_PASSWORD)
    assert cli.main([*ARGS, "--role", "clinician"]) == 0

    assert cli.main([*ARGS, "--role", "admin"]) != 0
    assert _accounts() == 1


def test_create_staff_refuses_a_bad_email_or_role(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STAFF_PASSWORD", GOOD_PASSWORD)

    assert cli.main(["create-staff", "--email", "nope", "--name", "N", "--role", "admin"]) != 0
    with pytest.raises(SystemExit):
        cli.main([*ARGS, "--role", "superuser"])
    assert _accounts() == 0


def test_create_staff_asks_twice_when_no_password_is_in_the_environment(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("STAFF_PASSWORD", raising=False)
    typed = iter([GOOD_PASSWORD, "a different passphrase"])
    monkeypatch.setattr(getpass, "getpass", lambda _prompt: next(typed))

    assert cli.main([*ARGS, "--role", "admin"]) != 0
    assert _accounts() == 0

    monkeypatch.setattr(getpass, "getpass", lambda _prompt: GOOD_PASSWORD)
    assert cli.main([*ARGS, "--role", "admin"]) == 0
    assert login(client, "admin@clinic.example", GOOD_PASSWORD).status_code == 200
