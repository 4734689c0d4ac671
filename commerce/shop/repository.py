from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from commerce.shop.models import ShopSettings


async def get(db: AsyncSession, *, for_update: bool = False) -> ShopSettings | None:
    query = select(ShopSettings).where(ShopSettings.id == 1)
    if for_update:
        query = query.with_for_update()
    return await db.scalar(query)
