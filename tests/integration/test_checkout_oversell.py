"""200 shoppers, 10 units: real concurrency over HTTP (asyncio.gather through the app, one PostgreSQL), the real
SDK against the Stripe fake. Exactly 10 paid orders; stock consistent and never negative; every other shopper is
refused before paying (stock held at checkout) or, when the shop does not hold stock, refunded in full; nobody
is left charged without an order."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from core.db import Database
from tests.fakes.stripe_server import FakeStripe
from tests.fixtures.checkout import Cart, Shop, count, level_of

pytestmark = pytest.mark.asyncio(loop_scope="session")

SHOPPERS = 200
STOCK = 10


async def _carts(shop: Shop, variant: str) -> list[Cart]:
    carts: list[Cart] = []
    for start in range(0, SHOPPERS, 25):
        carts += await asyncio.gather(*(shop.cart(variant) for _ in range(start, min(start + 25, SHOPPERS))))
    return carts


def _codes(responses: list[httpx.Response]) -> dict[Any, int]:
    seen: dict[Any, int] = {}
    for response in responses:
        key = response.status_code if response.status_code == 200 else (response.status_code, response.json()["code"])
        seen[key] = seen.get(key, 0) + 1
    return seen


async def _nobody_charged_without_an_order(shop: Shop, stripe_fake: FakeStripe, database: Database) -> tuple[int, int]:
    """Every succeeded intent of the shop has an order or a full refund: (orders, refunds)."""
    orders = refunds = 0
    refunded_intents = {refund["payment_intent"]: refund["amount"] for refund in stripe_fake.state.refunds.values()}
    for intent in stripe_fake.payment_intents(account=shop.tenant.account_id):
        if intent["status"] != "succeeded":
            continue
        checkout_id = intent["metadata"]["checkout_id"]
        has_order = await count(database, shop, "SELECT count(*) FROM orders WHERE checkout_id = :c", c=checkout_id)
        if has_order:
            orders += 1
            assert intent["id"] not in refunded_intents
        else:
            assert refunded_intents.get(intent["id"]) == intent["amount"], intent["id"]
            refunds += 1
    return orders, refunds


async def test_200_checkouts_for_10_units_hold_stock_and_refuse_the_rest_before_payment(
    shop: Shop, stripe_fake: FakeStripe, database: Database
) -> None:
    variant = await shop.variant(stock=STOCK)
    carts = await _carts(shop, variant)

    started = await asyncio.gather(*(cart.checkout() for cart in carts))
    assert _codes(started) == {200: STOCK, (409, "out_of_stock"): SHOPPERS - STOCK}
    assert await level_of(database, shop, variant) == (STOCK, 0, STOCK)
    intents = [response.json()["payment_intent"]["id"] for response in started if response.status_code == 200]
    assert len(set(intents)) == STOCK
    assert len(stripe_fake.payment_intents(account=shop.tenant.account_id)) == STOCK  # none for the refused

    for intent in intents:  # every shopper who got an intent pays it (Stripe.js)
        stripe_fake.pay(intent)
    confirmed = await asyncio.gather(*(cart.confirm() for cart in carts))
    assert _codes(confirmed) == {200: STOCK, (404, "checkout_not_found"): SHOPPERS - STOCK}

    assert await count(database, shop, "SELECT count(*) FROM orders") == STOCK
    assert await count(database, shop, "SELECT count(*) FROM orders WHERE payment_status = 'paid'") == STOCK
    assert await level_of(database, shop, variant) == (STOCK, STOCK, 0)
    assert await count(database, shop, "SELECT count(*) FROM inventory_levels WHERE available < 0") == 0
    assert await _nobody_charged_without_an_order(shop, stripe_fake, database) == (STOCK, 0)


async def test_without_holds_the_last_unit_sold_twice_is_one_order_and_one_refund_each(
    shop: Shop, stripe_fake: FakeStripe, database: Database
) -> None:
    changed = await shop.http.patch("/admin/v1/shop", json={"reserve_stock_at_checkout": False}, headers=shop.admin)
    assert changed.status_code == 200, changed.text
    variant = await shop.variant(stock=STOCK)
    carts = await _carts(shop, variant)

    started = await asyncio.gather(*(cart.checkout() for cart in carts))
    assert _codes(started) == {200: SHOPPERS}  # nothing held: everyone is sent to pay
    assert await level_of(database, shop, variant) == (STOCK, 0, 0)
    for response in started:
        stripe_fake.pay(response.json()["payment_intent"]["id"])

    confirmed = await asyncio.gather(*(cart.confirm() for cart in carts))
    assert _codes(confirmed) == {200: STOCK, (409, "checkout_refunded"): SHOPPERS - STOCK}
    assert {r.json()["reason"] for r in confirmed if r.status_code == 409} == {"out_of_stock"}

    assert await count(database, shop, "SELECT count(*) FROM orders") == STOCK
    assert await level_of(database, shop, variant) == (STOCK, STOCK, 0)
    assert await count(database, shop, "SELECT count(*) FROM inventory_levels WHERE available < 0") == 0
    assert await _nobody_charged_without_an_order(shop, stripe_fake, database) == (STOCK, SHOPPERS - STOCK)
    refunded = await count(database, shop, "SELECT count(*) FROM checkouts WHERE status = 'refunded'")
    assert refunded == SHOPPERS - STOCK
