from __future__ import annotations

import uuid
from datetime import datetime
from typing import cast

from sqlalchemy import RowMapping, Table, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from auth.api_keys.models import ApiKey
from core.db import TenantReader


async def get_by_hash(db: AsyncSession, secret_hash: bytes) -> ApiKey | None:
    key: ApiKey | None = await db.scalar(select(ApiKey).where(ApiKey.secret_hash == secret_hash))
    return key


async def use_live_key(
    reader: TenantReader, secret_hash: bytes, *, now: datetime, stale_before: datetime
) -> RowMapping | None:
    """The live key's id, scopes and expiry, and ``last_used_at = now`` if it is older than ``stale_before``:
    one statement (a data-modifying CTE), so a key check on a cache miss stays one round trip.

    ``last_used_at`` is advisory, so the statement's commit does not wait for the WAL flush
    (``synchronous_commit`` off for its own implicit transaction): a crash may lose the last touch, and a
    read no longer waits for a disk flush (which held a pooled connection for the fsync under load).
    """
    keys = cast(Table, ApiKey.__table__)
    found = (
        select(keys.c.id, keys.c.scopes, keys.c.expires_at)
        .where(
            keys.c.secret_hash == secret_hash,
            keys.c.revoked_at.is_(None),
            or_(keys.c.expires_at.is_(None), keys.c.expires_at > now),
        )
        .cte("found")
    )
    touched = (
        update(keys)
        .where(keys.c.id == found.c.id, or_(keys.c.last_used_at.is_(None), keys.c.last_used_at < stale_before))
        .values(last_used_at=now)
        .returning(keys.c.id)
        .cte("touched")
    )
    return await reader.one_or_none(
        select(
            found.c.id,
            found.c.scopes,
            found.c.expires_at,
            func.set_config("synchronous_commit", "off", True).label("async_commit"),
        ).add_cte(touched)
    )


async def get_live(db: AsyncSession, key_id: uuid.UUID) -> ApiKey | None:
    key: ApiKey | None = await db.scalar(select(ApiKey).where(ApiKey.id == key_id, ApiKey.revoked_at.is_(None)))
    return key


async def list_live(db: AsyncSession) -> list[ApiKey]:
    rows = await db.scalars(select(ApiKey).where(ApiKey.revoked_at.is_(None)).order_by(ApiKey.created_at, ApiKey.id))
    return list(rows)


async def count_live(db: AsyncSession) -> int:
    return await db.scalar(select(func.count()).select_from(ApiKey).where(ApiKey.revoked_at.is_(None))) or 0
