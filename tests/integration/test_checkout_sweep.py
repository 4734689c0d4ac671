"""The cart sweep on the real worker at an injected clock (never a sleep): idle carts expire and give back what
their checkouts held; an abandoned checkout's intent is canceled, and one paid after all becomes its order."""

from __future__ import annotations

from datetime import timedelta

import pytest
from celery import Celery

from core.clock import utcnow
from core.db import Database
from tests.fakes.stripe_server import FakeStripe
from tests.fixtures.checkout import Shop, count, level_of
from tests.fixtures.workers import TIMEOUT, context_of, send
from workers.checkout.tasks import SWEEP
from workers.task import runtime_of

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def _sweep(worker: Celery, database: Database, shop: Shop, *, after: timedelta) -> int:
    runtime = runtime_of(worker)
    now = utcnow()
    runtime.clock = lambda: now + after
    try:
        expired: int = send(worker, SWEEP, await context_of(database, shop.tenant.handle)).get(timeout=TIMEOUT)
    finally:
        runtime.clock = utcnow
    return expired


async def test_idle_carts_expire_and_give_back_their_holds(
    shop: Shop, stripe_fake: FakeStripe, database: Database, celery_worker: Celery
) -> None:
    variant = await shop.variant(stock=4)
    idle = await shop.cart(variant, quantity=3)
    started = await idle.checkout()
    intent_id = started.json()["payment_intent"]["id"]
    assert await level_of(database, shop, variant) == (4, 0, 3)

    assert await _sweep(celery_worker, database, shop, after=timedelta(days=1)) == 0  # a guest cart lives 7 days
    assert await count(database, shop, "SELECT count(*) FROM carts WHERE id = :c AND status = 'open'", c=idle.id) == 1

    assert await _sweep(celery_worker, database, shop, after=timedelta(days=8)) >= 1
    assert (
        await count(database, shop, "SELECT count(*) FROM carts WHERE id = :c AND status = 'expired'", c=idle.id) == 1
    )
    assert await level_of(database, shop, variant) == (4, 0, 0)
    assert stripe_fake.payment_intent(intent_id)["status"] == "canceled"
    closed = await shop.http.post(f"{idle.path}/lines", json={"variant_id": variant}, headers=idle.headers)
    assert closed.json()["code"] == "cart_closed"


async def test_an_abandoned_checkout_paid_after_all_becomes_its_order(
    shop: Shop, stripe_fake: FakeStripe, database: Database, celery_worker: Celery
) -> None:
    variant = await shop.variant(stock=4)
    paid_late = await shop.cart(variant)
    never_paid = await shop.cart(variant)
    paid_intent = (await paid_late.checkout()).json()["payment_intent"]["id"]
    unpaid_intent = (await never_paid.checkout()).json()["payment_intent"]["id"]
    stripe_fake.pay(paid_intent)  # nobody confirmed, no webhook reached us

    await _sweep(celery_worker, database, shop, after=timedelta(days=2))  # past the one-day abandonment

    assert await count(database, shop, "SELECT count(*) FROM orders WHERE cart_id = :c", c=paid_late.id) == 1
    assert stripe_fake.payment_intent(unpaid_intent)["status"] == "canceled"
    checkout = await count(
        database, shop, "SELECT count(*) FROM checkouts WHERE cart_id = :c AND status = 'canceled'", c=never_paid.id
    )
    assert checkout == 1
    assert await level_of(database, shop, variant) == (4, 1, 0)
    # The canceled intent is final: checking the cart out again makes a new one.
    again = await never_paid.checkout()
    assert again.status_code == 200, again.text
    assert again.json()["payment_intent"]["id"] != unpaid_intent
