"""What an open checkout holds until it is paid or let go: its stock (inventory reservations under
``checkout:<id>``) and one use of its discount code (a redemption keyed by the checkout's id, which becomes the
order's id). Taken when the shopper is sent to pay, so a last unit or a last use is refused *before* payment;
given back when the checkout is superseded, abandoned, canceled or refused after payment."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from commerce.carts.errors import OutOfStock
from commerce.checkout.models import Checkout
from commerce.discounts import service as discounts_service
from commerce.inventory import repository as inventory_repository
from commerce.inventory import reservations
from commerce.inventory.errors import InsufficientStock
from commerce.inventory.service import Change
from commerce.pricing import redeem_discount
from commerce.shop import service as shop_service


def reference(checkout_id: uuid.UUID) -> str:
    return f"checkout:{checkout_id}"


def snapshot_lines(checkout: Checkout) -> list[tuple[uuid.UUID, int]]:
    return [(uuid.UUID(line["variant_id"]), int(line["quantity"])) for line in checkout.snapshot["lines"]]


async def hold_discount(db: AsyncSession, checkout: Checkout, *, now: datetime) -> None:
    """Take one use of the checkout's discount (``DiscountNotApplicable`` if its limits are reached)."""
    if checkout.discount_id is not None:
        await redeem_discount(
            db,
            discount_id=checkout.discount_id,
            order_id=checkout.id,
            customer_id=checkout.customer_id,
            email=checkout.email,
            now=now,
        )


async def hold_stock(db: AsyncSession, checkout: Checkout, *, now: datetime, deferred: list[Change]) -> None:
    """Reserve the checkout's lines if the shop reserves and they are not held already (a checkout posted again
    after its hold lapsed holds again). ``OutOfStock`` names the line short of stock."""
    shop = await shop_service.get_shop(db)
    if not shop.reserve_stock_at_checkout:
        return
    if await inventory_repository.lock_active_reservations(db, reference(checkout.id)):
        return
    until = now + timedelta(seconds=shop.checkout_reservation_ttl_seconds)
    try:
        await reservations.reserve_many(
            db, snapshot_lines(checkout), reference=reference(checkout.id), expires_at=until, deferred=deferred
        )
    except InsufficientStock as short:
        variant_id = short.extra.get("variant_id")
        lines = [line for line in checkout.snapshot["lines"] if line["variant_id"] == variant_id]
        raise OutOfStock(
            lines=[{"line_id": line["line_id"], "variant_id": line["variant_id"]} for line in lines]
        ) from short
    checkout.reserved_until = until


async def release(db: AsyncSession, checkout: Checkout, *, now: datetime, deferred: list[Change]) -> None:
    """Give back the stock and the discount use the checkout holds (nothing if it holds none)."""
    await discounts_service.release(db, order_id=checkout.id)
    await reservations.release_reference(db, reference(checkout.id), at=now, deferred=deferred)
    checkout.reserved_until = None
