"""Queries of checkouts."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from commerce.checkout.models import Checkout, CheckoutStatus
from commerce.orders.models import Order


async def get(db: AsyncSession, checkout_id: uuid.UUID, *, lock: bool = False) -> Checkout | None:
    query = select(Checkout).where(Checkout.id == checkout_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    checkout: Checkout | None = await db.scalar(query)
    return checkout


async def for_version(db: AsyncSession, cart_id: uuid.UUID, cart_version: int) -> Checkout | None:
    checkout: Checkout | None = await db.scalar(
        select(Checkout).where(Checkout.cart_id == cart_id, Checkout.cart_version == cart_version)
    )
    return checkout


async def latest_with_intent(db: AsyncSession, cart_id: uuid.UUID) -> Checkout | None:
    query = (
        select(Checkout)
        .where(Checkout.cart_id == cart_id, Checkout.payment_intent_id.is_not(None))
        .order_by(Checkout.cart_version.desc())
        .limit(1)
    )
    checkout: Checkout | None = await db.scalar(query)
    return checkout


async def by_intent(db: AsyncSession, intent_id: str) -> Checkout | None:
    checkout: Checkout | None = await db.scalar(select(Checkout).where(Checkout.payment_intent_id == intent_id))
    return checkout


async def open_of_cart(db: AsyncSession, cart_id: uuid.UUID) -> list[Checkout]:
    """The cart's checkouts still awaiting payment, locked."""
    query = (
        select(Checkout)
        .where(Checkout.cart_id == cart_id, Checkout.status == CheckoutStatus.OPEN)
        .order_by(Checkout.cart_version)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list(await db.scalars(query))


async def abandoned(db: AsyncSession, *, before: datetime, limit: int) -> list[uuid.UUID]:
    """Open checkouts created before ``before`` (their hold ran out): the sweep's candidates."""
    query = (
        select(Checkout.id)
        .where(Checkout.status == CheckoutStatus.OPEN, Checkout.created_at < before)
        .order_by(Checkout.created_at)
        .limit(limit)
    )
    return list(await db.scalars(query))


async def order_number(db: AsyncSession, order_id: uuid.UUID) -> int | None:
    number: int | None = await db.scalar(select(Order.number).where(Order.id == order_id))
    return number
