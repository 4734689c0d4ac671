"""The merchant's shop settings."""

from __future__ import annotations

from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from commerce.shop import repository
from commerce.shop.errors import ShopNotFound
from commerce.shop.models import ShopSettings
from commerce.shop.schemas import ShopUpdate
from core.clock import utcnow
from core.db import TenantReader
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


async def read_shop(reader: TenantReader) -> RowMapping:
    """The shop as the API shows it (the hot read: one statement, no transaction)."""
    shop = await repository.read(reader)
    if shop is None:
        raise ShopNotFound()
    return shop


async def update_shop(db: AsyncSession, changes: ShopUpdate, *, if_match: int | None) -> RowMapping:
    """Apply the given fields; with ``if_match``, refuse (412) if someone changed the shop since that version.

    One statement (``UPDATE ... WHERE version = ... RETURNING``): the row lock it takes serialises
    concurrent updates, and the second of two with the same ``If-Match`` finds the version moved.
    """
    values = changes.model_dump(exclude_unset=True)
    if values:
        shop = await repository.update_if_version(db, values, if_match=if_match, now=utcnow())
    else:
        shop = await repository.read_in(db)
        if shop is not None and if_match is not None and shop["version"] != if_match:
            shop = None
    if shop is not None:
        return shop
    current = await repository.read_in(db)
    if current is None:
        raise ShopNotFound()
    raise VersionMismatch(current_version=current["version"])
