"""Merchant API keys: ``sk_`` secrets with explicit scopes for back-office integrations.

A key is shown once, at creation or roll; only its keyed hash (bound to the tenant) is stored, with
its last four characters for display. It works only on its own tenant.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from auth import scopes
from auth.api_keys import repository
from auth.api_keys.errors import ApiKeyLimitReached, ApiKeyNotFound
from auth.api_keys.models import ApiKey
from auth.api_keys.schemas import ApiKeyCreate
from auth.errors import InvalidToken
from auth.principals import Principal, PrincipalKind
from auth.secrets import SecretKind, new_secret
from auth.services import AuthServices
from core.clock import utcnow
from tenants.context import TenantContext

MAX_KEYS = 100
# last_used_at is for humans ("used 3 days ago"): refresh it at most this often, not on every request.
_LAST_USED_RESOLUTION = timedelta(minutes=1)


async def create_key(
    db: AsyncSession, auth: AuthServices, tenant: TenantContext, body: ApiKeyCreate, *, actor: Principal
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


async def roll_key(
    db: AsyncSession, auth: AuthServices, tenant: TenantContext, key_id: uuid.UUID
) -> tuple[ApiKey, str]:
    """Replace the key's secret: the old secret stops working at once, the id, name and scopes stay."""
    key = await _get(db, key_id)
    secret = new_secret(SecretKind.API_KEY)
    key.secret_hash = auth.hasher.hash(secret, tenant_id=tenant.id)
    key.last_four = secret[-4:]
    await db.flush()
    return key, secret


async def revoke_key(db: AsyncSession, key_id: uuid.UUID) -> None:
    key = await _get(db, key_id)
    key.revoked_at = utcnow()
    await db.flush()


async def authenticate(db: AsyncSession, auth: AuthServices, tenant: TenantContext, secret: str) -> Principal:
    """The live key behind ``secret`` on this tenant; a key of another tenant hashes differently and matches nothing."""
    key = await repository.get_by_hash(db, auth.hasher.hash(secret, tenant_id=tenant.id))
    now = utcnow()
    if key is None or key.revoked_at is not None or (key.expires_at is not None and key.expires_at <= now):
        raise InvalidToken()
    if key.last_used_at is None or now - key.last_used_at > _LAST_USED_RESOLUTION:
        key.last_used_at = now
    return Principal(kind=PrincipalKind.API_KEY, id=key.id, scopes=scopes.expand(key.scopes))


async def _get(db: AsyncSession, key_id: uuid.UUID) -> ApiKey:
    key = await repository.get_live(db, key_id)
    if key is None:
        raise ApiKeyNotFound()
    return key
