from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.publishable_keys.models import PublishableKey


async def live_key_by_hash(db: AsyncSession, secret_hash: bytes) -> tuple[uuid.UUID, list[str]] | None:
    """The id and scopes of the live key with this hash: two columns, on every storefront read."""
    row = (
        await db.execute(
            select(PublishableKey.id, PublishableKey.scopes).where(
                PublishableKey.secret_hash == secret_hash, PublishableKey.revoked_at.is_(None)
            )
        )
    ).first()
    return (row[0], row[1]) if row is not None else None


async def get_live(db: AsyncSession, key_id: uuid.UUID) -> PublishableKey | None:
    key: PublishableKey | None = await db.scalar(
        select(PublishableKey).where(PublishableKey.id == key_id, PublishableKey.revoked_at.is_(None))
    )
    return key


async def list_live(db: AsyncSession) -> list[PublishableKey]:
    rows = await db.scalars(
        select(PublishableKey)
        .where(PublishableKey.revoked_at.is_(None))
        .order_by(PublishableKey.created_at, PublishableKey.id)
    )
    return list(rows)


async def count_live(db: AsyncSession) -> int:
    return (
        await db.scalar(select(func.count()).select_from(PublishableKey).where(PublishableKey.revoked_at.is_(None)))
        or 0
    )


async def live_origins(db: AsyncSession) -> list[str]:
    rows = await db.scalars(
        select(func.unnest(PublishableKey.allowed_origins)).where(PublishableKey.revoked_at.is_(None))
    )
    return list(rows)
