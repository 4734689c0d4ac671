"""An order made by checkout (cart -> PaymentIntent -> paid -> confirm), then fulfilled, refunded and mailed:
the stock checkout committed is what fulfilment ships and refunds release."""

from __future__ import annotations

import uuid

import pytest
from celery import Celery

from core.db import Database
from tests.fakes.stripe_server import FakeStripe
from tests.fixtures.checkout import Shop, level_of

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_a_checked_out_order_ships_refunds_and_keeps_stock_consistent(
    shop: Shop, stripe_fake: FakeStripe, database: Database, celery_worker: Celery
) -> None:
    variant = await shop.variant(stock=5)  # (no shipping: the cart needs no address or rate)
    cart = await shop.cart(variant, quantity=3)
    started = await cart.checkout()
    assert started.status_code == 200, started.text
    stripe_fake.pay(started.json()["payment_intent"]["id"])
    confirmed = await cart.confirm()
    assert confirmed.status_code == 200, confirmed.text
    order_id = confirmed.json()["order"]["id"]
    assert await level_of(database, shop, variant) == (5, 3, 0)

    detail = (await shop.http.get(f"/admin/v1/orders/{order_id}", headers=shop.admin)).json()
    assert (detail["payment_status"], detail["fulfillment_status"]) == ("paid", "unfulfilled")
    assert [e["kind"] for e in detail["timeline"]][:2] == ["placed", "paid"]
    line_id = detail["lines"][0]["id"]
    levels = await shop.http.get(f"/admin/v1/inventory-levels?variant_id={variant}", headers=shop.admin)
    location = levels.json()["data"][0]["location_id"]

    shipped = await shop.http.post(
        f"/admin/v1/orders/{order_id}/fulfillments",
        json={"location_id": location, "lines": [{"order_line_id": line_id, "quantity": 2}]},
        headers=shop.admin,
    )
    assert shipped.status_code == 201, shipped.text
    assert await level_of(database, shop, variant) == (3, 1, 0)
    refunded = await shop.http.post(
        f"/admin/v1/orders/{order_id}/refunds",
        json={"lines": [{"order_line_id": line_id, "quantity": 1}]},
        headers={**shop.admin, "idempotency-key": str(uuid.uuid4())},
    )
    assert refunded.status_code == 201, refunded.text
    assert refunded.json()["status"] == "succeeded"
    assert await level_of(database, shop, variant) == (3, 0, 0)  # the unshipped unit's promise released
    detail = (await shop.http.get(f"/admin/v1/orders/{order_id}", headers=shop.admin)).json()
    assert detail["payment_status"] == "partially_refunded"
    assert detail["lines"][0]["unshipped_refunded_quantity"] == 1
