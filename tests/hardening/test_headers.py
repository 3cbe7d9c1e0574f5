"""Security headers on every page and on JSON, from the one middleware."""

from __future__ import annotations

import re

import httpx2
import pytest
from fastapi.testclient import TestClient

from intake.config import Settings
from intake.http.security_headers import PAGE_POLICY
from tests.conftest import PATIENT, start_intake
from tests.console.support import console_as
from tests.support import ROOT, form_token

ANONYMOUS_PAGES = ["/", "/resume", "/auth/magic?token=nothing", "/staff/login", "/unsubscribe/x.y"]


def _directives(policy: str) -> dict[str, list[str]]:
    parts = (part.split() for part in policy.split(";") if part.strip())
    return {words[0]: words[1:] for words in parts}


def assert_page_headers(response: httpx2.Response) -> None:
    """No inline script and no framing under every policy sent, plus the two plain headers."""
    url = response.request.url
    assert response.headers["content-type"].startswith("text/html"), url
    assert response.headers["x-content-type-options"] == "nosniff", url
    assert response.headers["referrer-policy"] == "no-referrer", url
    policies = [_directives(p) for p in response.headers.get_list("content-security-policy")]
    assert policies, url
    # Browsers enforce every policy: one that forbids a thing is enough to forbid it.
    assert any(p.get("frame-ancestors") == ["'none'"] for p in policies), url
    for_scripts = [p.get("script-src", p.get("default-src")) for p in policies]
    assert any(sources is not None for sources in for_scripts), url
    for sources in for_scripts:
        assert sources is None or "'unsafe-inline'" not in sources, url


def test_anonymous_pages_send_the_headers(client: TestClient) -> None:
    for page in ANONYMOUS_PAGES:
        assert_page_headers(client.get(page))


def test_a_patients_pages_send_the_headers(client: TestClient) -> None:
    client.post("/start", data={**PATIENT, "csrf_token": form_token(client, "/")})
    for page in ("/intake", "/intake/about", "/intake/documents", "/intake/review"):
        assert_page_headers(client.get(page))


def test_console_pages_send_the_headers_and_keep_their_stricter_policy(
    client: TestClient, settings: Settings
) -> None:
    console = console_as(client)
    started = start_intake(client)
    for page in ("/staff", "/staff/queues/urgent", "/staff/calendar"):
        response = console.client.get(page)
        assert_page_headers(response)
    calendar = console.client.get("/staff/calendar")
    # The calendar's own policy (default-src 'none') is still there, beside ours.
    assert any(
        "default-src 'none'" in p for p in calendar.headers.get_list("content-security-policy")
    )
    assert_page_headers(console.client.get(f"/staff/intakes/{started.id}"))


def test_error_pages_send_the_headers_too(client: TestClient) -> None:
    assert_page_headers(client.get("/appointment/not-a-link"))
    assert_page_headers(client.post("/start", data={"first_name": "x"}))  # CSRF refusal


@pytest.mark.parametrize(
    "url", ["/healthz", "/api/v1/intakes/00000000-0000-0000-0000-000000000000", "/openapi.json"]
)
def test_json_answers_are_not_sniffed(client: TestClient, url: str) -> None:
    response = client.get(url)

    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" not in response.headers


def test_the_page_policy_allows_script_from_this_site_only() -> None:
    policy = _directives(PAGE_POLICY)

    assert policy["script-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]


def test_no_template_has_inline_script_or_event_handlers() -> None:
    """The policy would block them, so a page that used one would quietly break."""
    inline_script = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
    handler = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
    javascript_url = re.compile(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", re.I)
    offenders = []
    for template in sorted((ROOT / "intake").glob("**/templates/*.html")):
        text = template.read_text()
        for pattern in (inline_script, handler, javascript_url):
            if pattern.search(text):
                offenders.append(f"{template.relative_to(ROOT)}: {pattern.pattern}")
    assert offenders == []


def test_the_start_page_script_is_served_from_this_site(client: TestClient) -> None:
    page = client.get("/").text
    assert '<script src="/assets/timezone.js"' in page

    script = client.get("/assets/timezone.js")

    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert script.headers["x-content-type-options"] == "nosniff"
    assert "resolvedOptions().timeZone" in script.text
    assert client.get("/assets/..%2Fpyproject.toml").status_code == 404
    assert client.get("/assets/start.html").status_code == 404
