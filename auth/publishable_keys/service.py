"""Publishable keys: ``pk_`` keys a merchant embeds in a storefront's web pages.

A publishable key is not a secret in the usual sense (anyone who views the page can read it), so it grants
only what any visitor may see: the public catalog (``storefront:catalog``). It is still stored as a keyed
hash bound to the tenant, so it works on its own shop only, and revoking it stops it at once. Browser pages
on its ``allowed_origins`` may call the storefront API with it (CORS).
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from auth import keys, scopes
from auth.credentials import Surface, Verified
from auth.errors import InvalidToken
from auth.principals import Principal, PrincipalKind
from auth.publishable_keys import repository
from auth.publishable_keys.errors import PublishableKeyLimitReached, PublishableKeyNotFound
from auth.publishable_keys.models import PublishableKey
from auth.publishable_keys.schemas import PublishableKeyCreate
from auth.runtime import AuthRuntime
from auth.secrets import SecretKind, new_secret
from core.db import TenantReader
from tenants.context import TenantContext

MAX_KEYS = 50


async def create_key(
    db: AsyncSession,
    auth: AuthRuntime,
    tenant: TenantContext,
    body: PublishableKeyCreate,
    *,
    actor: Principal | None,
) -> tuple[PublishableKey, str]:
    """A new key; returns it with the key itself, which is never retrievable again (roll it to get a new one)."""
    if await repository.count_live(db) >= MAX_KEYS:
        raise PublishableKeyLimitReached()
    secret = new_secret(SecretKind.PUBLISHABLE_KEY)
    key = PublishableKey(
        name=body.name,
        scopes=sorted(scopes.PUBLISHABLE_KEY_SCOPES),
        allowed_origins=list(dict.fromkeys(body.allowed_origins)),
        secret_hash=auth.hasher.hash(secret, tenant_id=tenant.id),
        last_four=secret[-4:],
        created_by=actor.id if actor is not None and actor.kind is PrincipalKind.STAFF else None,
    )
    db.add(key)
    await db.flush()
    return key, secret


async def list_keys(db: AsyncSession) -> list[PublishableKey]:
    return await repository.list_live(db)


async def roll_key(
    db: AsyncSession, auth: AuthRuntime, tenant: TenantContext, key_id: uuid.UUID
) -> tuple[PublishableKey, str]:
    """Replace the key: the old one stops working at once; id, name and origins stay."""
    key = await _get(db, key_id)
    return key, await keys.roll_secret(db, auth, tenant, key, SecretKind.PUBLISHABLE_KEY)


async def revoke_key(db: AsyncSession, key_id: uuid.UUID) -> None:
    await keys.revoke(db, await _get(db, key_id))


async def authenticate(reader: TenantReader, auth: AuthRuntime, tenant: TenantContext, secret: str) -> Principal:
    """The live key behind ``secret`` on this tenant (a key of another tenant hashes differently: no match).

    Nothing is written on use: a storefront read stays a read. Verified keys are cached
    (``auth.credentials``); rolling or revoking a key clears the cache.
    """
    secret_hash = auth.hasher.hash(secret, tenant_id=tenant.id)

    async def load() -> Verified | None:
        row = await repository.live_key_by_hash(reader, secret_hash)
        if row is None:
            return None
        return Principal(kind=PrincipalKind.PUBLISHABLE_KEY, id=row["id"], scopes=frozenset(row["scopes"])), None

    principal = await auth.credentials.verify(tenant.id, Surface.PUBLISHABLE_KEY, secret_hash, load)
    if principal is None:
        raise InvalidToken()
    return principal


async def browser_origins(db: AsyncSession) -> frozenset[str]:
    """The origins the tenant's live publishable keys allow (CORS)."""
    return frozenset(await repository.live_origins(db))


async def _get(db: AsyncSession, key_id: uuid.UUID) -> PublishableKey:
    key = await repository.get_live(db, key_id)
    if key is None:
        raise PublishableKeyNotFound()
    return key
