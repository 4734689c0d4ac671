"""What every long-lived key (API keys, publishable keys) shares: rolling its secret and revoking it.

Both end the old secret at once, in every process: the change announces itself to the credential caches.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from auth.credentials import credentials_changed
from auth.runtime import AuthRuntime
from auth.secrets import SecretKind, new_secret
from core.clock import utcnow
from tenants.context import TenantContext


class StoredKey(Protocol):
    secret_hash: bytes
    last_four: str
    revoked_at: datetime | None


async def roll_secret(
    db: AsyncSession, auth: AuthRuntime, tenant: TenantContext, key: StoredKey, kind: SecretKind
) -> str:
    """Give ``key`` a new secret (returned, in clear, once); the old one stops working."""
    secret = new_secret(kind)
    key.secret_hash = auth.hasher.hash(secret, tenant_id=tenant.id)
    key.last_four = secret[-4:]
    await db.flush()
    await credentials_changed(db)
    return secret


async def revoke(db: AsyncSession, key: StoredKey) -> None:
    key.revoked_at = utcnow()
    await db.flush()
    await credentials_changed(db)
