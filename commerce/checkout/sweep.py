"""The cart sweep (beat ``checkout.sweep``, per tenant): idle carts expire, and checkouts nobody paid are let go.

* An open cart past its ``expires_at`` (its idle TTL: docs/checkout.md) becomes ``expired``; its open
  checkouts are canceled (their stock and discount holds given back) and their intents canceled at Stripe.
* An open checkout older than ``abandoned_checkout_seconds`` is settled against Stripe: its intent is read
  and, if it was paid after all, finalised (an order, or a refund); otherwise canceled at Stripe, and the
  checkout with it (``finalize`` on the canceled intent). Each checkout in its own transaction.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from billing.gateway import StripeGateway
from billing.payments.models import IntentStatus
from commerce.carts import repository as carts_repository
from commerce.carts.models import CartStatus
from commerce.carts.schemas import CartRead, cart_body
from commerce.checkout import repository
from commerce.checkout import service as checkout_service
from commerce.checkout.finalize import finalize
from commerce.events import service as events
from commerce.events.schemas import NewEvent
from commerce.inventory.service import Change, log_changes

SWEEP_BATCH = 200


async def expire_idle_carts(db: AsyncSession, *, now: datetime) -> tuple[int, list[tuple[str, str]]]:
    """Expire up to ``SWEEP_BATCH`` idle carts; (how many, the intents to cancel at Stripe after the commit)."""
    carts = await carts_repository.lock_idle_carts(db, now, SWEEP_BATCH)
    intents: list[tuple[str, str]] = []
    changes: list[Change] = []
    recorded: list[NewEvent] = []
    for cart in carts:
        for checkout in await repository.open_of_cart(db, cart.id):
            await checkout_service.let_go(db, checkout, now=now, reason="cart_expired", deferred=changes)
            recorded.append(
                NewEvent("checkout.canceled", checkout.id, checkout.version, checkout_service.checkout_data(checkout))
            )
            if checkout.account_id and checkout.payment_intent_id:
                intents.append((checkout.account_id, checkout.payment_intent_id))
        cart.status = CartStatus.EXPIRED
        cart.version += 1
        await db.flush()
        lines = await carts_repository.get_cart(db, cart.id)
        data = CartRead.model_validate(cart_body(cart, lines.lines if lines else [])).model_dump(mode="json")
        recorded.append(NewEvent("cart.expired", cart.id, cart.version, data))
    await log_changes(db, changes, actor=None)
    await events.record_many(db, recorded)
    return len(carts), intents


async def abandoned_checkouts(db: AsyncSession, *, now: datetime, after_seconds: int) -> list[uuid.UUID]:
    return await repository.abandoned(db, before=now - timedelta(seconds=after_seconds), limit=SWEEP_BATCH)


async def settle_abandoned(db: AsyncSession, *, gateway: StripeGateway, checkout_id: uuid.UUID, now: datetime) -> None:
    """One abandoned checkout (see the module)."""
    checkout = await repository.get(db, checkout_id)
    if checkout is None or checkout.account_id is None:
        return
    if checkout.payment_intent_id is None:
        locked = await repository.get(db, checkout_id, lock=True)
        if locked is not None and locked.payment_intent_id is None:
            await checkout_service.cancel(db, locked, now=now, reason="abandoned")
        return
    intent = await gateway.retrieve_payment_intent(checkout.account_id, checkout.payment_intent_id)
    if intent.status not in (IntentStatus.SUCCEEDED, IntentStatus.CANCELED, IntentStatus.PROCESSING):
        intent = await gateway.cancel_payment_intent(
            checkout.account_id, intent.id, idempotency_key=f"checkout-cancel-{intent.id}"
        )
    await finalize(
        db,
        gateway,
        checkout.id,
        intent,
        source_key=f"sync:{intent.id}:{intent.status}",
        event_type="payment_intent.sync",
        now=now,
    )
