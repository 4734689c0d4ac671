"""The shopper's sign-in at the tenant's OAuth server: a signed, expiring cookie value.

It names the customer and the tenant, and carries a fingerprint of the customer's password hash,
so a password reset ends every browser session signed in with the old password.
"""

from __future__ import annotations

import hmac
import uuid

from core.settings import AuthSettings
from core.signing import SignedValues


class CustomerSessions:
    def __init__(self, settings: AuthSettings) -> None:
        self._values = SignedValues(settings.secret_key.get_secret_value(), "commerce/customer-session/v1")
        self._ttl = settings.customer_session_ttl_seconds

    def issue(self, *, customer_id: uuid.UUID, tenant_id: uuid.UUID, password_hash: str | None) -> str:
        claims = {"c": customer_id.hex, "t": tenant_id.hex, "p": self._fingerprint(password_hash)}
        return self._values.sign(claims, ttl_seconds=self._ttl)

    def read(self, value: str | None, *, tenant_id: uuid.UUID) -> tuple[uuid.UUID, str] | None:
        """(customer id, password fingerprint) if the value is authentic, unexpired and of this tenant."""
        claims = self._values.verify(value)
        if claims is None or claims.get("t") != tenant_id.hex:
            return None
        try:
            return uuid.UUID(claims["c"]), str(claims["p"])
        except (KeyError, ValueError, TypeError):
            return None

    def still_valid(self, fingerprint: str, password_hash: str | None) -> bool:
        return hmac.compare_digest(fingerprint, self._fingerprint(password_hash))

    def _fingerprint(self, password_hash: str | None) -> str:
        return self._values.tag(password_hash or "")[:12]
