"""What every credential check of a tenant needs, built once per process from the settings."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from auth.credentials import CredentialCache
from auth.customers.sessions import CustomerSessions
from auth.errors import InvalidCredentials
from auth.passwords import Passwords
from auth.secrets import SecretHasher
from core.ratelimit import LoginThrottle, LoginThrottleConfig, RateLimiter, create_rate_limiter
from core.settings import AuthSettings, Settings

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class AuthRuntime:
    settings: AuthSettings
    passwords: Passwords
    hasher: SecretHasher
    limiter: RateLimiter
    throttle: LoginThrottle
    customer_sessions: CustomerSessions
    credentials: CredentialCache

    @classmethod
    def build(cls, settings: Settings) -> AuthRuntime:
        limiter = create_rate_limiter(settings.ratelimit.redis_url)
        return cls(
            settings=settings.auth,
            passwords=Passwords(settings.auth),
            hasher=SecretHasher(settings.auth),
            limiter=limiter,
            throttle=LoginThrottle(limiter, LoginThrottleConfig.from_settings(settings.ratelimit)),
            customer_sessions=CustomerSessions(settings.auth),
            credentials=CredentialCache(
                ttl_seconds=settings.auth.credential_cache_ttl_seconds,
                max_entries=settings.auth.credential_cache_max_entries,
            ),
        )

    async def sign_in(
        self,
        who: str,
        tenant_id: uuid.UUID | None,
        *,
        account: str,
        ip: str | None,
        attempt: Callable[[], Awaitable[T | None]],
    ) -> T:
        """Run a password check under brute-force limits, per account and per client address, per tenant
        (``tenant_id`` None: accounts of the platform itself, the operators).

        ``attempt`` returns the signed-in principal, or None for wrong credentials. Every outcome costs
        the same answer (401 ``invalid_credentials``), and too many failures answer 429 with Retry-After.
        """
        scope = who if tenant_id is None else f"{who}:{tenant_id}"
        await self.throttle.check(scope=scope, account=account, ip=ip)
        result = await attempt()
        if result is None:
            await self.throttle.record_failure(scope=scope, account=account, ip=ip)
            raise InvalidCredentials()
        await self.throttle.record_success(scope=scope, account=account)
        return result

    async def close(self) -> None:
        await self.limiter.aclose()
