from __future__ import annotations

import uuid
from typing import cast

from sqlalchemy import RowMapping, Table, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.publishable_keys.models import PublishableKey
from core.db import TenantReader


async def live_key_by_hash(reader: TenantReader, secret_hash: bytes) -> RowMapping | None:
    """The id and scopes of the live key with this hash: two columns, on a storefront read's cache miss."""
    keys = cast(Table, PublishableKey.__table__)
    return await reader.one_or_none(
        select(keys.c.id, keys.c.scopes).where(keys.c.secret_hash == secret_hash, keys.c.revoked_at.is_(None))
    )


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
