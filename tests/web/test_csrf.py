"""The CSRF token of the patient pages (the pages' use of it: test_pages.py)."""

from __future__ import annotations

from intake.web import csrf


def test_csrf_tokens_belong_to_one_cookie_and_one_secret() -> None:
    token = csrf.token_for("cookie-a", secret_key="s" * 32)

    assert csrf.is_valid(token, "cookie-a", secret_key="s" * 32)
    assert not csrf.is_valid(token, "cookie-b", secret_key="s" * 32)
    assert not csrf.is_valid(token, "cookie-a", secret_key="t" * 32)
    assert not csrf.is_valid("", "cookie-a", secret_key="s" * 32)
    assert not csrf.is_valid(None, "cookie-a", secret_key="s" * 32)
