"""Exactly one order per paid cart, whatever arrives when: 50 concurrent retries of one checkout, the webhook
before, during and after the storefront's confirm, duplicated and reordered events; a discount's last use under
20 concurrent checkouts. Real HTTP through the app, the real SDK against the Stripe fake, the real worker."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest

from core.db import Database
from tests.fakes.stripe_server import EventEmitter, FakeStripe
from tests.fixtures.billing import CONNECT_WEBHOOK_SECRET
from tests.fixtures.checkout import Cart, Shop, count, level_of, processed

pytestmark = pytest.mark.asyncio(loop_scope="session")

CONNECT = "/hooks/stripe/connect"


@pytest.fixture
def held_events(stripe_events: EventEmitter) -> EventEmitter:
    """The fake signs Connect events for us but delivers nothing: the test posts them, when and as it wants
    (``stripe_events`` puts delivery back as it was afterwards)."""
    stripe_events.configure(connect_url="http://127.0.0.1:9/unused", connect_secret=CONNECT_WEBHOOK_SECRET, hold=True)
    return stripe_events


def intent_events(emitter: EventEmitter, intent_id: str) -> list[dict[str, Any]]:
    """The fake's payment_intent.* events of one intent, in the order they happened."""
    return [
        event
        for event in list(emitter.events.values())
        if event["type"].startswith("payment_intent.") and event["data"]["object"]["id"] == intent_id
    ]


async def deliver(http: httpx.AsyncClient, emitter: EventEmitter, event_id: str) -> None:
    body, headers = emitter.signed(event_id)
    response = await http.post(CONNECT, content=body, headers=headers)
    assert response.status_code == 200, response.text


async def order_state(database: Database, shop: Shop, cart: Cart) -> tuple[Any, ...]:
    """What the shopper and the merchant see in the end: orders, their statuses, the checkout, the ledger."""
    return (
        await count(database, shop, "SELECT count(*) FROM orders WHERE cart_id = :c", c=cart.id),
        await count(
            database, shop, "SELECT count(*) FROM orders WHERE cart_id = :c AND payment_status = 'paid'", c=cart.id
        ),
        await count(
            database, shop, "SELECT count(*) FROM checkouts WHERE cart_id = :c AND status = 'completed'", c=cart.id
        ),
        await count(
            database,
            shop,
            "SELECT count(*) FROM payments p JOIN orders o ON o.id = p.order_id "
            "WHERE o.cart_id = :c AND p.status = 'succeeded'",
            c=cart.id,
        ),
        await count(database, shop, "SELECT count(*) FROM carts WHERE id = :c AND status = 'completed'", c=cart.id),
    )


ONE_ORDER = (1, 1, 1, 1, 1)


async def test_50_concurrent_retries_make_one_intent_and_one_order(
    shop: Shop, stripe_fake: FakeStripe, database: Database, held_events: EventEmitter
) -> None:
    variant = await shop.variant(stock=3)
    cart = await shop.cart(variant)
    key = f"checkout-{uuid.uuid4()}"
    answers = await asyncio.gather(*(cart.checkout(key) for _ in range(50)))
    # A retry while the first is in flight is told so (and retries); every other one gets the same checkout.
    assert {r.status_code for r in answers} <= {200, 409}
    assert {r.json()["code"] for r in answers if r.status_code == 409} <= {"idempotency_key_in_use"}
    started = [r for r in answers if r.status_code == 200]
    assert started
    assert len({response.json()["payment_intent"]["id"] for response in started}) == 1
    assert len({response.json()["id"] for response in started}) == 1
    later = await cart.checkout(key)  # a retry after all of them: the same intent again
    assert later.status_code == 200
    assert later.json()["payment_intent"]["id"] == started[0].json()["payment_intent"]["id"]
    assert stripe_fake.intents_created(f"checkout-pi-{cart.id}-v1") == 1
    assert len(stripe_fake.payment_intents(account=shop.tenant.account_id)) == 1
    intent_id = started[0].json()["payment_intent"]["id"]

    stripe_fake.pay(intent_id)
    [succeeded] = [e for e in intent_events(held_events, intent_id) if e["type"] == "payment_intent.succeeded"]
    results = await asyncio.gather(
        *(cart.confirm() for _ in range(50)), *(deliver(shop.http, held_events, succeeded["id"]) for _ in range(10))
    )
    confirmed = [result for result in results if isinstance(result, httpx.Response)]
    assert {response.status_code for response in confirmed} == {200}  # no key: each confirm runs, one order
    assert len({response.json()["order"]["id"] for response in confirmed}) == 1
    await processed(database, [succeeded["id"]])
    assert await order_state(database, shop, cart) == ONE_ORDER
    assert await level_of(database, shop, variant) == (3, 1, 0)
    assert stripe_fake.intents_created() >= 1
    assert stripe_fake.refunds_created(f"checkout-refund-{started[0].json()['id']}") == 0


@pytest.mark.parametrize("when", ["before", "during", "after"])
async def test_the_webhook_before_during_or_after_confirm_makes_one_order(
    shop: Shop, stripe_fake: FakeStripe, database: Database, held_events: EventEmitter, when: str
) -> None:
    variant = await shop.variant(stock=2)
    cart = await shop.cart(variant)
    intent_id = (await cart.checkout()).json()["payment_intent"]["id"]
    stripe_fake.pay(intent_id)
    [succeeded] = [e for e in intent_events(held_events, intent_id) if e["type"] == "payment_intent.succeeded"]

    if when == "before":
        await deliver(shop.http, held_events, succeeded["id"])
        await processed(database, [succeeded["id"]])
        assert await order_state(database, shop, cart) == ONE_ORDER  # the webhook alone placed it
        confirmed = await cart.confirm()
    elif when == "during":
        confirmed, _ = await asyncio.gather(cart.confirm(), deliver(shop.http, held_events, succeeded["id"]))
        await processed(database, [succeeded["id"]])
    else:
        confirmed = await cart.confirm()
        await deliver(shop.http, held_events, succeeded["id"])
        await processed(database, [succeeded["id"]])
    assert confirmed.status_code == 200, confirmed.text
    assert await order_state(database, shop, cart) == ONE_ORDER
    assert await level_of(database, shop, variant) == (2, 1, 0)
    sources = await count(
        database,
        shop,
        "SELECT count(*) FROM payment_events e JOIN payments p ON p.id = e.payment_id "
        "WHERE p.payment_intent_id = :i AND e.source_key = :s",
        i=intent_id,
        s=succeeded["id"],
    )
    assert sources == 1  # the webhook's fact, recorded once


async def _declined_then_paid(
    shop: Shop, stripe_fake: FakeStripe, emitter: EventEmitter
) -> tuple[Cart, str, list[str]]:
    variant = await shop.variant(stock=5)
    cart = await shop.cart(variant)
    intent_id = (await cart.checkout()).json()["payment_intent"]["id"]
    stripe_fake.pay(intent_id, "card_declined")
    stripe_fake.pay(intent_id)
    events = [e["id"] for e in intent_events(emitter, intent_id) if e["type"] != "payment_intent.created"]
    assert [emitter.events[e]["type"] for e in events] == ["payment_intent.payment_failed", "payment_intent.succeeded"]
    return cart, variant, events


async def test_duplicated_and_reordered_events_end_in_the_same_state(
    shop: Shop, stripe_fake: FakeStripe, database: Database, held_events: EventEmitter
) -> None:
    in_order, in_order_variant, in_order_events = await _declined_then_paid(shop, stripe_fake, held_events)
    for event_id in in_order_events:
        await deliver(shop.http, held_events, event_id)
        await processed(database, [event_id])

    reordered, reordered_variant, reordered_events = await _declined_then_paid(shop, stripe_fake, held_events)
    # The success first, then the stale decline, each delivered twice (two of them at once).
    for event_id in reversed(reordered_events):
        await asyncio.gather(deliver(shop.http, held_events, event_id), deliver(shop.http, held_events, event_id))
        await processed(database, [event_id])

    assert await order_state(database, shop, in_order) == ONE_ORDER
    assert await order_state(database, shop, reordered) == ONE_ORDER
    # The late decline released nothing: the sold unit stays committed, nothing else is held.
    assert await level_of(database, shop, in_order_variant) == (5, 1, 0)
    assert await level_of(database, shop, reordered_variant) == (5, 1, 0)
    confirmed = await reordered.confirm()
    assert confirmed.status_code == 200


async def test_a_discount_with_one_use_left_is_redeemed_once_among_20_concurrent_checkouts(
    shop: Shop, stripe_fake: FakeStripe, database: Database
) -> None:
    code = f"ONCE{uuid.uuid4().hex[:6].upper()}"
    created = await shop.http.post(
        "/admin/v1/discounts",
        json={"code": code, "kind": "percentage", "percentage_bps": 1000, "usage_limit": 1},
        headers=shop.admin,
    )
    assert created.status_code == 201, created.text
    variant = await shop.variant(stock=None, prices={"EUR": 10000})
    carts = [await shop.cart(variant) for _ in range(20)]
    for cart in carts:
        applied = await shop.http.put(f"{cart.path}/discount", json={"code": code}, headers=cart.headers)
        assert applied.status_code == 200, applied.text
        assert applied.json()["totals"]["total"] == 9000

    started = await asyncio.gather(*(cart.checkout() for cart in carts))
    ok = [response for response in started if response.status_code == 200]
    refused = [response.json() for response in started if response.status_code != 200]
    assert len(ok) == 1
    assert ok[0].json()["amount"] == 9000  # with the discount, never a silent full price
    assert {(problem["status"], problem["code"], problem["reason"]) for problem in refused} == {
        (409, "discount_not_applicable", "usage_limit_reached")
    }
    stripe_fake.pay(ok[0].json()["payment_intent"]["id"])
    winner = next(cart for cart, response in zip(carts, started, strict=True) if response.status_code == 200)
    assert (await winner.confirm()).status_code == 200
    assert await count(database, shop, "SELECT count(*) FROM discount_redemptions") == 1
    assert await count(database, shop, "SELECT times_used FROM discounts WHERE code = :c", c=code) == 1
    assert await count(database, shop, "SELECT count(*) FROM orders WHERE discount_total = 1000") == 1
