from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import RowMapping, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.grants.models import Holder, Token
from auth.oauth.models import AuthorizationCode, OAuthClient
from core.db import TenantReader


async def get_live_client(db: AsyncSession, client_pk: uuid.UUID) -> OAuthClient | None:
    client: OAuthClient | None = await db.scalar(
        select(OAuthClient).where(OAuthClient.id == client_pk, OAuthClient.revoked_at.is_(None))
    )
    return client


async def get_live_storefront_credential(
    reader: TenantReader, access_hash: bytes, *, now: datetime
) -> RowMapping | None:
    """The live OAuth access token of a live client (a shopper's or the client's own), in one statement:
    holder, customer, client, scope, family and expiry (every storefront request on a cache miss asks)."""
    tokens, clients = Token.__table__, OAuthClient.__table__
    return await reader.one_or_none(
        select(
            tokens.c.holder,
            tokens.c.customer_id,
            tokens.c.client_id,
            tokens.c.scope,
            tokens.c.family_id,
            tokens.c.access_expires_at,
        )
        .join_from(tokens, clients, clients.c.id == tokens.c.client_id)
        .where(
            tokens.c.access_token_hash == access_hash,
            tokens.c.holder != Holder.STAFF.value,
            tokens.c.revoked_at.is_(None),
            tokens.c.access_expires_at > now,
            clients.c.revoked_at.is_(None),
        )
    )


async def get_live_client_by_client_id(db: AsyncSession, client_id: str) -> OAuthClient | None:
    client: OAuthClient | None = await db.scalar(
        select(OAuthClient).where(OAuthClient.client_id == client_id, OAuthClient.revoked_at.is_(None))
    )
    return client


async def list_live_clients(db: AsyncSession) -> list[OAuthClient]:
    rows = await db.scalars(
        select(OAuthClient).where(OAuthClient.revoked_at.is_(None)).order_by(OAuthClient.created_at, OAuthClient.id)
    )
    return list(rows)


async def count_live_clients(db: AsyncSession) -> int:
    return await db.scalar(select(func.count()).select_from(OAuthClient).where(OAuthClient.revoked_at.is_(None))) or 0


async def get_code_by_hash(db: AsyncSession, code_hash: bytes) -> AuthorizationCode | None:
    # Locked: two concurrent redemptions of one code serialise, and the second sees it used (replay).
    code: AuthorizationCode | None = await db.scalar(
        select(AuthorizationCode).where(AuthorizationCode.code_hash == code_hash).with_for_update()
    )
    return code
