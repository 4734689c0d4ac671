"""Merchant API keys: ``sk_`` secrets with explicit scopes for back-office integrations.

A key is shown once, at creation or roll; only its keyed hash (bound to the tenant) is stored, with
its last four characters for display. It works only on its own tenant.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from auth import keys, scopes
from auth.api_keys import repository
from auth.api_keys.errors import ApiKeyLimitReached, ApiKeyNotFound
from auth.api_keys.models import ApiKey
from auth.api_keys.schemas import ApiKeyCreate
from auth.credentials import Surface, Verified
from auth.errors import InvalidToken
from auth.principals import Principal, PrincipalKind
from auth.runtime import AuthRuntime
from auth.secrets import SecretKind, new_secret
from core.clock import utcnow
from core.db import TenantReader
from tenants.context import TenantContext

MAX_KEYS = 100
# last_used_at is for humans ("used 3 days ago"): refresh it at most this often, not on every request.
_LAST_USED_RESOLUTION = timedelta(minutes=1)


async def create_key(
    db: AsyncSession, auth: AuthRuntime, tenant: TenantContext, body: ApiKeyCreate, *, actor: Principal
) -> tuple[ApiKey, str]:
    """A new key with the scopes asked for; returns it with its secret, which is never retrievable again.

    A caller grants only scopes it holds itself: a key allowed to manage keys cannot mint a broader one.
    """
    for scope in body.scopes:
        actor.require(scope)
    if await repository.count_live(db) >= MAX_KEYS:
        raise ApiKeyLimitReached()
    secret = new_secret(SecretKind.API_KEY)
    key = ApiKey(
        name=body.name,
        scopes=body.scopes,
        expires_at=body.expires_at,
        secret_hash=auth.hasher.hash(secret, tenant_id=tenant.id),
        last_four=secret[-4:],
        created_by=actor.id if actor.kind is PrincipalKind.STAFF else None,
    )
    db.add(key)
    await db.flush()
    return key, secret


async def list_keys(db: AsyncSession) -> list[ApiKey]:
    return await repository.list_live(db)


async def roll_key(db: AsyncSession, auth: AuthRuntime, tenant: TenantContext, key_id: uuid.UUID) -> tuple[ApiKey, str]:
    """Replace the key's secret: the old secret stops working at once, the id, name and scopes stay."""
    key = await _get(db, key_id)
    return key, await keys.roll_secret(db, auth, tenant, key, SecretKind.API_KEY)


async def revoke_key(db: AsyncSession, key_id: uuid.UUID) -> None:
    await keys.revoke(db, await _get(db, key_id))


async def authenticate(reader: TenantReader, auth: AuthRuntime, tenant: TenantContext, secret: str) -> Principal:
    """The live key behind ``secret`` on this tenant; a key of another tenant hashes differently and matches nothing.

    Verified keys are cached (``auth.credentials``), so ``last_used_at`` moves when the key is looked up
    (at most once a minute, and at least once per cache lifetime of a key in use). Rolling or revoking a
    key clears the cache.
    """
    secret_hash = auth.hasher.hash(secret, tenant_id=tenant.id)

    async def load() -> Verified | None:
        now = utcnow()
        row = await repository.use_live_key(reader, secret_hash, now=now, stale_before=now - _LAST_USED_RESOLUTION)
        if row is None:
            return None
        return Principal(kind=PrincipalKind.API_KEY, id=row["id"], scopes=scopes.expand(row["scopes"])), row[
            "expires_at"
        ]

    principal = await auth.credentials.verify(tenant.id, Surface.API_KEY, secret_hash, load)
    if principal is None:
        raise InvalidToken()
    return principal


async def _get(db: AsyncSession, key_id: uuid.UUID) -> ApiKey:
    key = await repository.get_live(db, key_id)
    if key is None:
        raise ApiKeyNotFound()
    return key
