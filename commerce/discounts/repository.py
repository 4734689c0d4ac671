"""Queries of discounts and redemptions. ``times_used`` moves only through ``take_use`` (one conditional
``UPDATE``: atomic, and its row lock serialises the redemptions of one discount until commit)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from commerce.catalog.models import Collection, CollectionProduct
from commerce.discounts.models import Discount, DiscountRedemption
from core.ids import new_id


async def get_by_code(db: AsyncSession, code: str) -> Discount | None:
    found: Discount | None = await db.scalar(select(Discount).where(func.lower(Discount.code) == code.lower()))
    return found


async def existing_collection_ids(db: AsyncSession, collection_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    return set(await db.scalars(select(Collection.id).where(Collection.id.in_(list(collection_ids)))))


async def collection_product_ids(db: AsyncSession, collection_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    query = select(CollectionProduct.product_id).where(CollectionProduct.collection_id.in_(list(collection_ids)))
    return set(await db.scalars(query))


async def claim_order(
    db: AsyncSession,
    *,
    discount_id: uuid.UUID,
    order_id: uuid.UUID,
    customer_id: uuid.UUID | None,
    email: str | None,
    now: datetime,
) -> bool:
    """Insert the order's redemption; False if the order already has one (a replayed finalize)."""
    statement = (
        pg_insert(DiscountRedemption)
        .values(
            id=new_id(),
            discount_id=discount_id,
            order_id=order_id,
            customer_id=customer_id,
            email=email,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["order_id"])
        .returning(DiscountRedemption.id)
    )
    return (await db.scalar(statement)) is not None


async def take_use(db: AsyncSession, discount_id: uuid.UUID) -> tuple[bool, int | None]:
    """Add one use where the total limit allows it: (taken, the discount's per-customer limit). Not taken if
    the limit is reached."""
    statement = (
        update(Discount)
        .where(
            Discount.id == discount_id, or_(Discount.usage_limit.is_(None), Discount.times_used < Discount.usage_limit)
        )
        # Not a merchant's edit: neither version nor updated_at moves, so an admin's If-Match stays valid.
        .values(times_used=Discount.times_used + 1)
        .returning(Discount.per_customer_limit)
    )
    row = (await db.execute(statement)).one_or_none()
    return (False, None) if row is None else (True, row[0])


async def customer_uses(
    db: AsyncSession,
    discount_id: uuid.UUID,
    *,
    customer_id: uuid.UUID | None,
    email: str | None,
    excluding_order: uuid.UUID | None = None,
) -> int:
    """Redemptions of the discount by the customer (by id), or by the guest (by lower-case email)."""
    query = select(func.count()).select_from(DiscountRedemption).where(DiscountRedemption.discount_id == discount_id)
    if customer_id is not None:
        query = query.where(DiscountRedemption.customer_id == customer_id)
    elif email is not None:
        query = query.where(DiscountRedemption.email == email.lower())
    else:
        return 0
    if excluding_order is not None:
        query = query.where(DiscountRedemption.order_id != excluding_order)
    return int(await db.scalar(query) or 0)
