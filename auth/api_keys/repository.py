from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.api_keys.models import ApiKey


async def get_by_hash(db: AsyncSession, secret_hash: bytes) -> ApiKey | None:
    key: ApiKey | None = await db.scalar(select(ApiKey).where(ApiKey.secret_hash == secret_hash))
    return key


async def get_live(db: AsyncSession, key_id: uuid.UUID) -> ApiKey | None:
    key: ApiKey | None = await db.scalar(select(ApiKey).where(ApiKey.id == key_id, ApiKey.revoked_at.is_(None)))
    return key


async def list_live(db: AsyncSession) -> list[ApiKey]:
    rows = await db.scalars(select(ApiKey).where(ApiKey.revoked_at.is_(None)).order_by(ApiKey.created_at, ApiKey.id))
    return list(rows)


async def count_live(db: AsyncSession) -> int:
    return await db.scalar(select(func.count()).select_from(ApiKey).where(ApiKey.revoked_at.is_(None))) or 0
