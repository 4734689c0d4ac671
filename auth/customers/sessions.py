"""The shopper's sign-in at the tenant's OAuth server: a signed, expiring cookie value.

It names the customer and the tenant, and carries a fingerprint of the customer's password hash,
so a password reset ends every browser session signed in with the old password.
"""

from __future__ import annotations

import hmac
import time
import uuid
from dataclasses import dataclass

from core.settings import AuthSettings
from core.signing import SignedValues


@dataclass(frozen=True, slots=True)
class SessionClaims:
    customer_id: uuid.UUID
    fingerprint: str
    authenticated_at: int  # Unix time of the sign-in (OpenID's auth_time): max_age and prompt=login read it


class CustomerSessions:
    def __init__(self, settings: AuthSettings) -> None:
        self._values = SignedValues(settings.secret_key.get_secret_value(), "commerce/customer-session/v1")
        self._ttl = settings.customer_session_ttl_seconds

    def issue(
        self, *, customer_id: uuid.UUID, tenant_id: uuid.UUID, password_hash: str | None, now: float | None = None
    ) -> str:
        signed_in_at = time.time() if now is None else now
        claims = {
            "c": customer_id.hex,
            "t": tenant_id.hex,
            "p": self._fingerprint(password_hash),
            "a": str(int(signed_in_at)),
        }
        return self._values.sign(claims, ttl_seconds=self._ttl, now=signed_in_at)

    def read(self, value: str | None, *, tenant_id: uuid.UUID) -> SessionClaims | None:
        """The session's claims if the value is authentic, unexpired and of this tenant."""
        claims = self._values.verify(value)
        if claims is None or claims.get("t") != tenant_id.hex:
            return None
        try:
            return SessionClaims(uuid.UUID(claims["c"]), str(claims["p"]), int(claims.get("a", 0)))
        except (KeyError, ValueError, TypeError):
            return None

    def still_valid(self, fingerprint: str, password_hash: str | None) -> bool:
        return hmac.compare_digest(fingerprint, self._fingerprint(password_hash))

    def _fingerprint(self, password_hash: str | None) -> str:
        return self._values.tag(password_hash or "")[:12]
