"""Generated secrets (tokens, API keys, client secrets, codes) and their keyed hashes.

Every secret we hand out is ``<prefix>_<43 url-safe characters>`` (256 random bits): the prefix tells
a reader (and a secret scanner) what it is. Only a keyed hash is stored: HMAC-SHA256 under a key
derived from ``COMMERCE_AUTH__SECRET_KEY``, over the tenant id and the secret. A stolen table is
useless without the key, and a secret copied into another tenant's schema hashes differently, so
every token and key carries its tenant.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from enum import StrEnum

from core.settings import AuthSettings


class SecretKind(StrEnum):
    """The prefix of each kind of secret we issue."""

    STAFF_ACCESS = "sat"
    STAFF_REFRESH = "srt"
    OAUTH_ACCESS = "oat"
    OAUTH_REFRESH = "ort"
    AUTHORIZATION_CODE = "oac"
    CLIENT_SECRET = "cs"  # noqa: S105 # pragma: allowlist secret - a prefix
    API_KEY = "sk"  # pragma: allowlist secret - a prefix
    PUBLISHABLE_KEY = "pk"  # pragma: allowlist secret - a prefix
    ACTION = "act"
    CART = "crt"  # a guest cart's secret (``X-Cart-Secret``)


def new_secret(kind: SecretKind) -> str:
    return f"{kind.value}_{secrets.token_urlsafe(32)}"


def kind_of(secret: str) -> SecretKind | None:
    prefix, _, rest = secret.partition("_")
    try:
        return SecretKind(prefix) if rest else None
    except ValueError:
        return None


class SecretHasher:
    """Keyed hashes of generated secrets, bound to one tenant (or to the platform when tenant is None)."""

    def __init__(self, settings: AuthSettings) -> None:
        root = settings.secret_key.get_secret_value().encode()
        # A key of its own, so the token-hash key is never the JWT signing key itself.
        self._key = hmac.new(root, b"commerce/secret-hash/v1", hashlib.sha256).digest()

    def hash(self, secret: str, *, tenant_id: uuid.UUID | None) -> bytes:
        scope = tenant_id.bytes if tenant_id is not None else b"platform"
        return hmac.new(self._key, scope + b"\x00" + secret.encode(), hashlib.sha256).digest()

    def matches(self, secret: str, expected: bytes, *, tenant_id: uuid.UUID | None) -> bool:
        return hmac.compare_digest(self.hash(secret, tenant_id=tenant_id), expected)
