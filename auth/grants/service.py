"""Opaque bearer tokens of a tenant: issue, look up, rotate, revoke.

One store for the three holders (staff, shoppers through a storefront, storefront clients), so
rotation, reuse detection and revocation are written once. Tokens are opaque rather than JWTs
(RFC 9068): every request looks the token up anyway (to see revocation, deactivation and logout at
once), so a signature would add a key to rotate and buy nothing. The token's row lives in its
tenant's schema and its hash is keyed with the tenant id: on another tenant it matches nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from auth.credentials import credentials_changed
from auth.errors import InvalidRefreshToken, RefreshTokenReused
from auth.grants import repository
from auth.grants.models import Holder, Token
from auth.secrets import SecretHasher, SecretKind, new_secret
from core.clock import utcnow
from core.ids import new_id

_PREFIXES = {
    Holder.STAFF: (SecretKind.STAFF_ACCESS, SecretKind.STAFF_REFRESH),
    Holder.CUSTOMER: (SecretKind.OAUTH_ACCESS, SecretKind.OAUTH_REFRESH),
    Holder.CLIENT: (SecretKind.OAUTH_ACCESS, SecretKind.OAUTH_REFRESH),
}


@dataclass(frozen=True, slots=True)
class IssuedTokens:
    token: Token
    access_token: str
    expires_in: int
    refresh_token: str | None


@dataclass(frozen=True, slots=True)
class TokenHolder:
    holder: Holder
    staff_id: uuid.UUID | None = None
    customer_id: uuid.UUID | None = None
    client_id: uuid.UUID | None = None


async def issue(
    db: AsyncSession,
    hasher: SecretHasher,
    tenant_id: uuid.UUID,
    holder: TokenHolder,
    *,
    scope: str,
    access_ttl_seconds: int,
    refresh_ttl_seconds: int | None,
    rotated_from: Token | None = None,
    authorization_code_id: uuid.UUID | None = None,
) -> IssuedTokens:
    """A new access token (and refresh token when ``refresh_ttl_seconds``), generated and stored."""
    access_token, refresh_token = new_token_pair(holder.holder, with_refresh=bool(refresh_ttl_seconds))
    token = await store(
        db,
        hasher,
        tenant_id,
        holder,
        access_token=access_token,
        refresh_token=refresh_token,
        scope=scope,
        access_ttl_seconds=access_ttl_seconds,
        refresh_ttl_seconds=refresh_ttl_seconds,
        rotated_from=rotated_from,
        authorization_code_id=authorization_code_id,
    )
    return IssuedTokens(token, access_token, access_ttl_seconds, refresh_token)


def new_token_pair(holder: Holder, *, with_refresh: bool) -> tuple[str, str | None]:
    access_kind, refresh_kind = _PREFIXES[holder]
    return new_secret(access_kind), new_secret(refresh_kind) if with_refresh else None


async def store(
    db: AsyncSession,
    hasher: SecretHasher,
    tenant_id: uuid.UUID,
    holder: TokenHolder,
    *,
    access_token: str,
    refresh_token: str | None,
    scope: str,
    access_ttl_seconds: int,
    refresh_ttl_seconds: int | None,
    rotated_from: Token | None = None,
    authorization_code_id: uuid.UUID | None = None,
) -> Token:
    """Record generated tokens by their keyed hashes.

    In a new family, or, when rotating, in the family of ``rotated_from``, whose refresh deadline it
    keeps: rotation never extends a sign-in.
    """
    now = utcnow()
    refresh_expires_at = now + timedelta(seconds=refresh_ttl_seconds) if refresh_token and refresh_ttl_seconds else None
    if rotated_from is not None and rotated_from.refresh_expires_at is not None and refresh_expires_at is not None:
        refresh_expires_at = min(refresh_expires_at, rotated_from.refresh_expires_at)
    token = Token(
        family_id=rotated_from.family_id if rotated_from else new_id(),
        holder=holder.holder,
        staff_id=holder.staff_id,
        customer_id=holder.customer_id,
        client_id=holder.client_id,
        authorization_code_id=authorization_code_id or (rotated_from.authorization_code_id if rotated_from else None),
        scope=scope,
        access_token_hash=hasher.hash(access_token, tenant_id=tenant_id),
        access_expires_at=now + timedelta(seconds=access_ttl_seconds),
        refresh_token_hash=hasher.hash(refresh_token, tenant_id=tenant_id) if refresh_token else None,
        refresh_expires_at=refresh_expires_at,
    )
    db.add(token)
    await db.flush()
    return token


async def find_by_secret(db: AsyncSession, hasher: SecretHasher, tenant_id: uuid.UUID, secret: str) -> Token | None:
    """The token row behind an access or a refresh token, whatever its state (revocation, introspection)."""
    secret_hash = hasher.hash(secret, tenant_id=tenant_id)
    return await repository.get_by_access_hash(db, secret_hash) or await repository.get_by_refresh_hash(db, secret_hash)


async def find_refresh(
    db: AsyncSession, hasher: SecretHasher, tenant_id: uuid.UUID, refresh_token: str
) -> Token | None:
    """The token row behind a refresh token, whatever its state, locked for the rotation that follows."""
    return await repository.get_by_refresh_hash(db, hasher.hash(refresh_token, tenant_id=tenant_id), lock=True)


async def spend_refresh(
    db: AsyncSession, hasher: SecretHasher, tenant_id: uuid.UUID, refresh_token: str, *, holders: frozenset[Holder]
) -> Token:
    """The token row behind a refresh token that may be exchanged now, for one of ``holders``.

    A rotated refresh token presented again is reuse (RFC 9700 §4.14.2): its whole family is revoked and
    ``RefreshTokenReused`` raised, which keeps that revocation even though the request fails. Anything
    else unusable is ``InvalidRefreshToken``. The caller issues the new pair and marks this one rotated.
    """
    token = await find_refresh(db, hasher, tenant_id, refresh_token)
    if token is None or token.holder not in holders:
        raise InvalidRefreshToken()
    if is_reuse(token):
        await revoke_family(db, token.family_id)
        raise RefreshTokenReused()
    if not is_refresh_usable(token):
        raise InvalidRefreshToken()
    return token


def is_refresh_usable(token: Token) -> bool:
    """A refresh token may be exchanged once, before it expires, while its family stands."""
    return (
        token.revoked_at is None
        and token.rotated_at is None
        and token.refresh_expires_at is not None
        and token.refresh_expires_at > utcnow()
    )


def is_reuse(token: Token) -> bool:
    """A refresh token presented after it was rotated: someone holds a copy. RFC 9700 §4.14.2."""
    return token.rotated_at is not None


async def mark_rotated(db: AsyncSession, token: Token) -> None:
    """The refresh token was exchanged: it is spent, and the access token it came with ends too."""
    now = utcnow()
    token.rotated_at = now
    token.access_expires_at = min(token.access_expires_at, now)
    await db.flush()
    await credentials_changed(db)


async def revoke_family(db: AsyncSession, family_id: uuid.UUID) -> int:
    return await _revoke(db, repository.family_condition(family_id))


async def revoke_issued_by_code(db: AsyncSession, authorization_code_id: uuid.UUID) -> int:
    """Everything an authorization code led to, through every refresh since (code replay)."""
    return await _revoke(db, Token.authorization_code_id == authorization_code_id)


async def revoke_held_by_staff(db: AsyncSession, staff_id: uuid.UUID) -> int:
    return await _revoke(db, Token.staff_id == staff_id)


async def revoke_held_by_client(db: AsyncSession, client_id: uuid.UUID) -> int:
    return await _revoke(db, Token.client_id == client_id)


async def revoke_held_by_customer(db: AsyncSession, customer_id: uuid.UUID) -> int:
    return await _revoke(db, Token.customer_id == customer_id)


async def _revoke(db: AsyncSession, condition: object) -> int:
    """Revoke the families matching ``condition``; cached access tokens of the tenant are forgotten everywhere."""
    revoked = await repository.revoke_families(db, condition, at=utcnow())
    if revoked:
        await credentials_changed(db)
    return revoked
