"""Queries of carts, their lines and what the catalog says about the variants in them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from commerce.carts.models import Cart, CartStatus
from commerce.catalog.models import Product, ProductStatus, Variant, VariantPrice
from commerce.pricing import weight_in_grams


async def get_cart(db: AsyncSession, cart_id: uuid.UUID, *, lock: bool = False) -> Cart | None:
    """The cart with its lines; ``lock`` takes its row lock (every change of a cart holds it)."""
    query = select(Cart).where(Cart.id == cart_id).options(selectinload(Cart.lines))
    if lock:
        query = query.with_for_update(of=Cart).execution_options(populate_existing=True)
    cart: Cart | None = await db.scalar(query)
    return cart


async def add(db: AsyncSession, cart: Cart) -> None:
    db.add(cart)
    await db.flush()


@dataclass(frozen=True, slots=True)
class VariantFacts:
    """What a cart line needs to know of its variant now: whether it is for sale and at what price."""

    variant_id: uuid.UUID
    product_id: uuid.UUID
    product_title: str
    variant_title: str
    sku: str | None
    for_sale: bool  # the product is active
    price: int | None  # in the cart's currency; None: not priced in it
    tax_class: str | None
    requires_shipping: bool
    weight_grams: int | None


async def variant_facts(
    db: AsyncSession, variant_ids: Sequence[uuid.UUID], currency: str
) -> dict[uuid.UUID, VariantFacts]:
    """The variants that still exist, by id, in one statement (a deleted one is absent)."""
    if not variant_ids:
        return {}
    query = (
        select(
            Variant.id,
            Variant.product_id,
            Product.title,
            Variant.title,
            Variant.sku,
            Product.status,
            VariantPrice.amount,
            Variant.tax_class,
            Variant.requires_shipping,
            Variant.weight,
            Variant.weight_unit,
        )
        .join(Product, Product.id == Variant.product_id)
        .outerjoin(VariantPrice, and_(VariantPrice.variant_id == Variant.id, VariantPrice.currency == currency))
        .where(Variant.id.in_(list(variant_ids)))
    )
    facts: dict[uuid.UUID, VariantFacts] = {}
    for row in await db.execute(query):
        facts[row[0]] = VariantFacts(
            variant_id=row[0],
            product_id=row[1],
            product_title=row[2],
            variant_title=row[3],
            sku=row[4],
            for_sale=row[5] is ProductStatus.ACTIVE,
            price=row[6],
            tax_class=row[7],
            requires_shipping=row[8],
            weight_grams=weight_in_grams(row[9], row[10]),
        )
    return facts


async def lock_idle_carts(db: AsyncSession, now: datetime, limit: int) -> list[Cart]:
    """Open carts past their expiry, locked; carts another sweep (or a shopper's request) holds are skipped."""
    query = (
        select(Cart)
        .where(Cart.status == CartStatus.OPEN, Cart.expires_at <= now)
        .order_by(Cart.expires_at, Cart.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(await db.scalars(query))
