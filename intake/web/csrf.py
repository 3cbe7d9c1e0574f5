"""Double-submit CSRF tokens for the cookie-authenticated patient pages.

The token is an HMAC of the patient's cookie under the server secret: a page can only
carry it if it was rendered for that cookie, and another site can neither read the
HttpOnly cookie nor compute the HMAC without the secret. No server-side state is kept.
"""

from __future__ import annotations

import hashlib
import hmac

FIELD = "csrf_token"
# Domain separation: the same secret signs other things, which must never double as this.
_PURPOSE = b"intake-web-form-csrf\x00"


def token_for(patient_token: str, *, secret_key: str) -> str:
    digest = hmac.new(secret_key.encode(), _PURPOSE + patient_token.encode(), hashlib.sha256)
    return digest.hexdigest()


def is_valid(submitted: str | None, patient_token: str, *, secret_key: str) -> bool:
    if not submitted:
        return False
    expected = token_for(patient_token, secret_key=secret_key)
    return hmac.compare_digest(submitted.encode(), expected.encode())
