"""The merchant's shop settings."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from commerce.shop import repository
from commerce.shop.errors import ShopNotFound
from commerce.shop.models import ShopSettings
from commerce.shop.schemas import ShopUpdate
from core.errors import VersionMismatch


async def create_shop(db: AsyncSession, *, name: str, support_email: str | None) -> ShopSettings:
    shop = ShopSettings(name=name, support_email=support_email)
    db.add(shop)
    await db.flush()
    return shop


async def get_shop(db: AsyncSession) -> ShopSettings:
    shop = await repository.get(db)
    if shop is None:
        raise ShopNotFound()
    return shop


async def update_shop(db: AsyncSession, changes: ShopUpdate, *, if_match: int | None) -> ShopSettings:
    """Apply the given fields; with ``if_match``, refuse (412) if someone changed the shop since that version."""
    shop = await repository.get(db, for_update=True)
    if shop is None:
        raise ShopNotFound()
    if if_match is not None and shop.version != if_match:
        raise VersionMismatch(current_version=shop.version)
    for field, value in changes.model_dump(exclude_unset=True).items():
        setattr(shop, field, value)
    await db.flush()
    return shop
