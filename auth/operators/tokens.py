"""Short-lived signed bearer tokens (JWT, HS256) for platform operators.

Tenant credentials (staff, storefronts, shoppers) are opaque tokens instead (``auth.grants``): they are
looked up on every request anyway, to honour revocation at once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

import jwt

from auth.errors import InvalidToken
from core.clock import utcnow
from core.settings import AuthSettings

_ALGORITHM = "HS256"


class Audience(StrEnum):
    PLATFORM = "platform"


@dataclass(frozen=True, slots=True)
class IssuedToken:
    access_token: str
    expires_in: int
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret


@dataclass(frozen=True, slots=True)
class TokenClaims:
    subject: uuid.UUID
    audience: Audience
    tenant_id: uuid.UUID | None
    raw: dict[str, Any]


class TokenSigner:
    def __init__(self, settings: AuthSettings) -> None:
        self._key = settings.secret_key.get_secret_value()
        self._issuer = settings.issuer
        self._ttl = {
            Audience.PLATFORM: settings.platform_token_ttl_seconds,
        }

    def issue(
        self, *, subject: uuid.UUID, audience: Audience, tenant_id: uuid.UUID | None = None, **claims: Any
    ) -> IssuedToken:
        now = utcnow()
        ttl = self._ttl[audience]
        payload: dict[str, Any] = {
            "iss": self._issuer,
            "aud": audience.value,
            "sub": str(subject),
            "iat": now,
            "exp": now + timedelta(seconds=ttl),
            "jti": uuid.uuid4().hex,
            **claims,
        }
        if tenant_id is not None:
            payload["tid"] = str(tenant_id)
        return IssuedToken(access_token=jwt.encode(payload, self._key, algorithm=_ALGORITHM), expires_in=ttl)

    def verify(self, token: str, *, audience: Audience) -> TokenClaims:
        try:
            payload = jwt.decode(
                token,
                self._key,
                algorithms=[_ALGORITHM],
                audience=audience.value,
                issuer=self._issuer,
                options={"require": ["exp", "iat", "sub", "aud", "iss"]},
            )
            tenant = payload.get("tid")
            return TokenClaims(
                subject=uuid.UUID(payload["sub"]),
                audience=audience,
                tenant_id=uuid.UUID(tenant) if tenant else None,
                raw=payload,
            )
        except (jwt.InvalidTokenError, ValueError) as exc:
            raise InvalidToken() from exc
