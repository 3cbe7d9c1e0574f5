"""docker-compose.yml: the production shape runs the entry points `make run` uses."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from intake import processes
from tests.support import ROOT

COMPOSE = ROOT / "docker-compose.yml"


@pytest.fixture(scope="module")
def services() -> dict[str, dict[str, Any]]:
    document = yaml.safe_load(COMPOSE.read_text())
    found: dict[str, dict[str, Any]] = document["services"]
    return found


def test_the_stack_has_every_service(services: dict[str, dict[str, Any]]) -> None:
    assert set(services) == {
        "postgres",
        "redis",
        "migrate",
        "proxy",
        "api",
        "worker",
        "beat",
        "mailpit",
        "flower",
    }


def test_services_run_the_same_commands_as_make_run(services: dict[str, dict[str, Any]]) -> None:
    assert services["migrate"]["command"] == processes.migrate_command()
    assert services["api"]["command"] == processes.api_command("0.0.0.0", 8000)
    assert services["worker"]["command"] == processes.worker_command()
    assert services["beat"]["command"] == processes.beat_command(Path("/data/celerybeat-schedule"))


def test_backing_services_and_the_api_report_health(services: dict[str, dict[str, Any]]) -> None:
    for name in ("postgres", "redis", "mailpit", "api", "worker"):
        assert services[name]["healthcheck"]["test"], name
    assert "/readyz" in " ".join(services["api"]["healthcheck"]["test"])


def test_api_and_worker_wait_for_healthy_dependencies(
    services: dict[str, dict[str, Any]],
) -> None:
    for name in ("api", "worker"):
        depends = services[name]["depends_on"]
        assert depends["postgres"]["condition"] == "service_healthy", name
        assert depends["redis"]["condition"] == "service_healthy", name
        assert depends["migrate"]["condition"] == "service_completed_successfully", name


def test_api_and_worker_replicas_can_be_added(services: dict[str, dict[str, Any]]) -> None:
    """`--scale api=3 --scale worker=4` needs no fixed names and no host port per replica."""
    for name in ("api", "worker"):
        assert "container_name" not in services[name], name
        assert "ports" not in services[name], name
    assert services["api"]["expose"] == ["8000"]
    assert services["proxy"]["ports"] == ["8000:8000"]


def test_the_proxy_spreads_requests_over_every_api_replica(
    services: dict[str, dict[str, Any]],
) -> None:
    mount = services["proxy"]["volumes"][0]
    source, target = mount.split(":")[:2]
    assert target == "/etc/caddy/Caddyfile"
    caddyfile = (ROOT / source).read_text()
    # Re-resolved A records of the service name: replicas join and leave the rotation.
    assert "dynamic a api 8000" in caddyfile
    assert "lb_policy round_robin" in caddyfile


def test_every_app_process_shares_the_uploads_volume(services: dict[str, dict[str, Any]]) -> None:
    for name in ("api", "worker", "beat", "migrate"):
        assert "appdata:/data" in services[name]["volumes"], name
        assert services[name]["environment"]["STORAGE_DIR"] == "/data/uploads", name


def test_one_beat_and_the_api_trusts_only_its_proxy_for_client_addresses(
    services: dict[str, dict[str, Any]],
) -> None:
    assert "deploy" not in services["beat"]  # no replicas: one scheduler (README "Scaling")
    assert services["api"]["environment"]["FORWARDED_ALLOW_IPS"] == "*"
    assert "ports" not in services["api"]  # so nothing but the proxy can set that header


def test_redis_never_evicts_queued_tasks(services: dict[str, dict[str, Any]]) -> None:
    command = services["redis"]["command"]
    assert command[command.index("--maxmemory-policy") + 1] == "noeviction"


def test_app_services_run_in_production_mode(services: dict[str, dict[str, Any]]) -> None:
    for name in ("migrate", "api", "worker", "beat"):
        environment = services[name]["environment"]
        assert environment["ENVIRONMENT"] == "production", name
        assert environment["BROKER_URL"].startswith("redis://"), name
        assert environment["DATABASE_URL"].startswith("postgresql+psycopg://"), name


def _compose_config(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("docker-compose")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("docker-compose is not installed (.ci/run installs it)")
        pytest.skip("docker-compose is not installed (apt-get install docker-compose)")
    return subprocess.run(
        [binary, "-f", str(COMPOSE), "config", "-q"],
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_docker_compose_accepts_the_file() -> None:
    result = _compose_config({"SECRET_KEY": "x" * 40, "FLOWER_BASIC_AUTH": "ops:secret"})

    assert result.returncode == 0, result.stderr


def test_docker_compose_refuses_to_start_without_a_secret() -> None:
    result = _compose_config({})

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


# --- metrics and Flower (README "Metrics") ---------------------------------------------


def test_flower_watches_the_workers_app_behind_auth_on_loopback_only(
    services: dict[str, dict[str, Any]],
) -> None:
    flower = services["flower"]
    worker_app = processes.worker_command()[:3]  # celery -A workers.celery_app
    assert flower["command"][:4] == [*worker_app, "flower"]
    assert flower["environment"]["FLOWER_BASIC_AUTH"].startswith("${FLOWER_BASIC_AUTH:?")
    assert flower["environment"]["BROKER_URL"] == services["worker"]["environment"]["BROKER_URL"]
    assert flower["ports"] == ["127.0.0.1:5555:5555"]
    assert "PROMETHEUS_MULTIPROC_DIR" not in flower["environment"]  # Flower's own metrics


def test_docker_compose_refuses_to_start_flower_without_a_password() -> None:
    result = _compose_config({"SECRET_KEY": "x" * 40})

    assert result.returncode != 0
    assert "FLOWER_BASIC_AUTH" in result.stderr


def test_the_image_installs_flower() -> None:
    assert "pip install -e '.[ops]'" in (ROOT / "Dockerfile").read_text()


def test_api_and_worker_count_metrics_across_their_processes(
    services: dict[str, dict[str, Any]],
) -> None:
    for name in ("api", "worker"):
        assert services[name]["environment"]["PROMETHEUS_MULTIPROC_DIR"], name
    worker = services["worker"]
    port = worker["environment"]["WORKER_METRICS_PORT"]
    assert worker["expose"] == [port]  # on the compose network, never on the host
    assert worker["environment"]["WORKER_METRICS_ADDRESS"] == "0.0.0.0"
    assert services["api"]["environment"]["METRICS_TOKEN"] == "${METRICS_TOKEN:-}"
