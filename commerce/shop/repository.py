from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import RowMapping, Select, Table, case, literal, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from commerce.shop.models import ShopSettings
from core.db import TenantReader

_shop = cast(Table, ShopSettings.__table__)
# What ShopRead shows (StorefrontShopRead shows a subset): the hot read selects these and nothing else.
_READ_COLUMNS = (
    _shop.c.name,
    _shop.c.default_currency,
    _shop.c.timezone,
    _shop.c.support_email,
    _shop.c.show_inventory_quantities,
    _shop.c.prices_include_tax,
    _shop.c.version,
    _shop.c.updated_at,
)


async def get(db: AsyncSession, *, for_update: bool = False) -> ShopSettings | None:
    query = select(ShopSettings).where(ShopSettings.id == 1)
    if for_update:
        query = query.with_for_update()
    return await db.scalar(query)


async def prices_include_tax(db: AsyncSession) -> bool:
    """Whether the shop's prices include tax (False for a shop without settings)."""
    return bool(await db.scalar(select(_shop.c.prices_include_tax).where(_shop.c.id == 1)))


def _read() -> Select[Any]:
    return select(*_READ_COLUMNS).where(_shop.c.id == 1)


async def read(reader: TenantReader) -> RowMapping | None:
    """The shop as the API shows it: one statement, only the columns shown, no ORM."""
    return await reader.one_or_none(_read())


async def read_in(db: AsyncSession) -> RowMapping | None:
    """The same, inside the session's transaction."""
    row: RowMapping | None = (await db.execute(_read())).mappings().one_or_none()
    return row


async def update_if_version(
    db: AsyncSession, values: dict[str, Any], *, if_match: int | None, now: datetime
) -> RowMapping | None:
    """Apply ``values`` in one statement and return the shop as shown; None if there is no shop or, with
    ``if_match``, its version differs. ``version`` and ``updated_at`` move only if a value actually changes."""
    changed = tuple_(*(_shop.c[name] for name in values)).is_distinct_from(
        tuple_(*(literal(value, _shop.c[name].type) for name, value in values.items()))
    )
    query = update(_shop).where(_shop.c.id == 1)
    if if_match is not None:
        query = query.where(_shop.c.version == if_match)
    query = query.values(
        **values,
        version=_shop.c.version + case((changed, 1), else_=0),
        updated_at=case((changed, now), else_=_shop.c.updated_at),
    ).returning(*_READ_COLUMNS)
    row: RowMapping | None = (await db.execute(query)).mappings().one_or_none()
    return row
