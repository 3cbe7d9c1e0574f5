"""Double-submit CSRF tokens for the console's forms, derived from a cookie.

A form's token is an HMAC, under the server secret, of the cookie the browser holds: the
staff session token once signed in, or a random login nonce before. Another site can
neither read the HttpOnly cookie nor compute the HMAC, so it cannot forge a form. The
patient pages' tokens (intake/web/csrf.py) use a different purpose string, so a token
made for one kind of page never passes on the other.
"""

from __future__ import annotations

import hashlib
import hmac

FIELD = "csrf_token"
SESSION_PURPOSE = b"intake-staff-console-csrf\x00"
LOGIN_PURPOSE = b"intake-staff-login-csrf\x00"


def token_for(cookie_value: str, *, purpose: bytes, secret_key: str) -> str:
    digest = hmac.new(secret_key.encode(), purpose + cookie_value.encode(), hashlib.sha256)
    return digest.hexdigest()


def is_valid(submitted: str | None, expected: str) -> bool:
    if not submitted:
        return False
    return hmac.compare_digest(submitted.encode(), expected.encode())
