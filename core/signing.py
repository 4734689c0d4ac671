"""Short signed values handed to browsers (a shopper's session cookie, a Stripe onboarding state).

Each purpose signs with a key of its own, derived from the root secret, so a value signed for one
purpose never verifies as another. Values carry their expiry and are tamper-proof, not secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any


class SignedValues:
    def __init__(self, secret_key: str, purpose: str) -> None:
        self._key = hmac.new(secret_key.encode(), purpose.encode(), hashlib.sha256).digest()

    def sign(self, claims: dict[str, str], *, ttl_seconds: float, now: float | None = None) -> str:
        expires = int((time.time() if now is None else now) + ttl_seconds)
        body = _b64(json.dumps({**claims, "exp": expires}, separators=(",", ":")).encode())
        return f"{body}.{self.tag(body)}"

    def verify(self, value: str | None, *, now: float | None = None) -> dict[str, Any] | None:
        """The claims (with ``exp``) of an authentic, unexpired value; None otherwise."""
        body, _, mac = (value or "").partition(".")
        if not mac or not hmac.compare_digest(mac, self.tag(body)):
            return None
        try:
            claims = json.loads(_unb64(body))
            expires = int(claims["exp"])
        except (ValueError, KeyError, TypeError):
            return None
        if not isinstance(claims, dict) or expires < (time.time() if now is None else now):
            return None
        return claims

    def tag(self, data: str) -> str:
        """The keyed MAC of ``data`` (url-safe base64)."""
        return _b64(hmac.new(self._key, data.encode(), hashlib.sha256).digest())


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
