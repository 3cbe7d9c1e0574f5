"""The attributes every cookie of ours carries, decided once."""

from __future__ import annotations

from typing import Final, Literal

from intake.config import Settings

# Lax, not Strict: a patient who follows the link in our email arrives by a top-level GET
# from another site, and Strict would withhold the session there and show the sign-in page
# to someone who is signed in. Lax still keeps the cookie off cross-site POSTs, frames and
# subresource requests; the forms' CSRF tokens are the defence for the rest.
SAME_SITE: Final[Literal["lax"]] = "lax"


def secure_cookies(settings: Settings) -> bool:
    """Secure everywhere but development, and there too when served over HTTPS.

    Staging and production sit behind TLS even when PUBLIC_BASE_URL was mistyped as http,
    and a session cookie sent once in clear text is lost for good.
    """
    return settings.environment != "development" or settings.public_base_url.startswith("https://")
