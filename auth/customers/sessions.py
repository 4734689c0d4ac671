"""The shopper's sign-in at the tenant's OAuth server: a signed, expiring cookie value.

It names the customer and the tenant, and carries a fingerprint of the customer's password hash,
so a password reset ends every browser session signed in with the old password.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import uuid

from core.settings import AuthSettings


class CustomerSessions:
    def __init__(self, settings: AuthSettings) -> None:
        root = settings.secret_key.get_secret_value().encode()
        self._key = hmac.new(root, b"commerce/customer-session/v1", hashlib.sha256).digest()
        self._ttl = settings.customer_session_ttl_seconds

    def issue(self, *, customer_id: uuid.UUID, tenant_id: uuid.UUID, password_hash: str | None) -> str:
        payload = f"{customer_id.hex}.{tenant_id.hex}.{int(time.time()) + self._ttl}.{self._fingerprint(password_hash)}"
        return f"{payload}.{self._sign(payload)}"

    def read(self, value: str | None, *, tenant_id: uuid.UUID) -> tuple[uuid.UUID, str] | None:
        """(customer id, password fingerprint) if the value is authentic, unexpired and of this tenant."""
        if not value or value.count(".") != 4:
            return None
        payload, signature = value.rsplit(".", 1)
        if not hmac.compare_digest(signature, self._sign(payload)):
            return None
        customer, tenant, expires, fingerprint = payload.split(".")
        if tenant != tenant_id.hex or not expires.isdigit() or int(expires) < time.time():
            return None
        return uuid.UUID(customer), fingerprint

    def still_valid(self, fingerprint: str, password_hash: str | None) -> bool:
        return hmac.compare_digest(fingerprint, self._fingerprint(password_hash))

    def _fingerprint(self, password_hash: str | None) -> str:
        return self._sign(password_hash or "")[:12]

    def _sign(self, payload: str) -> str:
        digest = hmac.new(self._key, payload.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
