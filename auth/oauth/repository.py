from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from auth.oauth.models import AuthorizationCode, OAuthClient


async def get_live_client(db: AsyncSession, client_pk: uuid.UUID) -> OAuthClient | None:
    client: OAuthClient | None = await db.scalar(
        select(OAuthClient).where(OAuthClient.id == client_pk, OAuthClient.revoked_at.is_(None))
    )
    return client


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


async def spend_codes_of_customer(db: AsyncSession, customer_id: uuid.UUID, *, at: datetime) -> None:
    """Mark every unused authorization code issued for the customer used: none can be redeemed any more."""
    await db.execute(
        update(AuthorizationCode)
        .where(AuthorizationCode.customer_id == customer_id, AuthorizationCode.used_at.is_(None))
        .values(used_at=at)
        .execution_options(synchronize_session=False)
    )
