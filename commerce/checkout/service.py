"""Checkout: from a cart to a PaymentIntent on the tenant's connected account (docs/checkout.md).

The sequence, and why (the Stripe call never runs inside a transaction that holds stock, a discount or the
tenant's event log):

1. ``open_checkout`` (one transaction, committed before Stripe is called): lock the cart; an unchanged cart
   (same ``version``) that already has a checkout gets that same checkout back; otherwise the cart's older open
   checkouts are canceled (their holds released, their intents canceled after the commit), the cart is
   re-validated strictly (``commerce.carts.totals.strict_quote``: lines no longer for sale, changed prices, an
   expired discount or a rate that no longer applies are problems naming what changed), the tenant must be able
   to take charges (``billing.service.chargeable_account``: otherwise a problem and never a PaymentIntent), one
   use of the discount and the stock are held (``holds``), and the checkout row is written with the cart's
   snapshot and quote and ``checkout.created`` recorded.
2. ``attach_intent`` (a second transaction, holding only this checkout's row): create the PaymentIntent with a
   deterministic idempotency key derived from the cart id and version (``intent_key``), or read back the one
   already attached, and record it in the payment ledger. A crash between 1 and 2, or during 2, is repaired by
   posting again: step 1 finds the checkout, step 2 creates "again" under the same key and Stripe answers with
   the intent it already made. Posting concurrently is serialised by the checkout's row lock: one intent.
3. The shopper pays with Stripe.js; ``finalize`` (finalize.py) turns the paid intent into the order, reached by
   the webhook and by ``confirm``, whichever comes first.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from billing import fees
from billing import service as billing_service
from billing.errors import StripeRequestFailed, StripeUnavailable
from billing.gateway import PaymentIntentSnapshot, StripeGateway
from billing.payments import ledger
from commerce.carts import service as carts_service
from commerce.carts import totals
from commerce.carts.errors import CartClosed
from commerce.carts.models import Cart, CartStatus
from commerce.carts.service import CartCaller
from commerce.checkout import holds, repository
from commerce.checkout.errors import CartIncomplete, CheckoutAmountInvalid, CheckoutNotFound
from commerce.checkout.models import Checkout, CheckoutStatus
from commerce.checkout.schemas import CheckoutRead
from commerce.events import service as events
from commerce.inventory.service import Change, log_changes
from core.ids import new_id
from core.settings import StripeSettings

log = logging.getLogger(__name__)


def intent_key(checkout: Checkout) -> str:
    """The PaymentIntent's idempotency key: one intent per cart version, whoever asks and however often."""
    return f"checkout-pi-{checkout.cart_id}-v{checkout.cart_version}"


@dataclass
class Opened:
    checkout: Checkout
    # (connected account, intent id) of the checkouts this one superseded: canceled at Stripe after the commit.
    superseded: list[tuple[str, str]] = field(default_factory=list)


async def open_checkout(
    db: AsyncSession,
    cart_id: uuid.UUID,
    caller: CartCaller,
    settings: StripeSettings,
    *,
    now: datetime,
) -> Opened:
    """Step 1 of the module's sequence."""
    cart = await carts_service.get_cart(db, cart_id, caller, lock=True)
    if cart.status is CartStatus.COMPLETED:
        done = await repository.latest_with_intent(db, cart.id)
        if done is not None:
            return Opened(done)
    if cart.status is not CartStatus.OPEN:
        raise CartClosed(status=cart.status.value)
    existing = await repository.for_version(db, cart.id, cart.version)
    changes: list[Change] = []
    if existing is not None:
        if existing.status is CheckoutStatus.OPEN:
            # Held again if the hold lapsed (it expired, or a declined payment gave it back).
            await holds.hold_stock(db, existing, now=now, deferred=changes)
            await log_changes(db, changes, actor=None)
        return Opened(existing)
    canceled = await repository.open_of_cart(db, cart.id)
    if not cart.lines:
        raise CartIncomplete(missing=["lines"])
    quote, facts = await totals.strict_quote(db, cart, now=now)
    missing = [] if cart.email else ["email"]
    if totals.requires_shipping(cart, facts):
        missing += [
            name
            for name, value in (("shipping_address", cart.shipping_address), ("shipping_rate", cart.shipping_rate_id))
            if value is None
        ]
    if missing:
        raise CartIncomplete(missing=missing)
    if quote.total <= 0:
        raise CheckoutAmountInvalid(total=quote.total)
    account = await billing_service.chargeable_account(db, caller.tenant_id)
    plan = await billing_service.tenant_plan(db, caller.tenant_id)
    checkout = Checkout(
        id=new_id(),
        cart_id=cart.id,
        cart_version=cart.version,
        status=CheckoutStatus.OPEN,
        currency=quote.currency,
        amount=quote.total,
        application_fee_amount=fees.application_fee(settings, plan, quote.total, quote.currency),
        snapshot=_snapshot(cart, facts),
        quote=cart.quote,
        customer_id=cart.customer_id,
        email=cart.email,
        discount_id=quote.discount.id if quote.discount is not None else None,
        account_id=account.account_id,
        version=1,
    )
    db.add(checkout)
    await db.flush()
    # Lock order everywhere: cart -> checkout -> discount -> stock levels -> the event log. The older checkouts
    # give their holds back first (the new one may need the very same units).
    for old in canceled:
        await let_go(db, old, now=now, reason="superseded", deferred=changes)
    await holds.hold_discount(db, checkout, now=now)
    await holds.hold_stock(db, checkout, now=now, deferred=changes)
    await db.flush()
    await log_changes(db, changes, actor=None)
    for old in canceled:
        await _record(db, "canceled", old)
    await _record(db, "created", checkout, caller=caller)
    superseded = [
        (old.account_id, old.payment_intent_id) for old in canceled if old.account_id and old.payment_intent_id
    ]
    return Opened(checkout, superseded)


def _snapshot(cart: Cart, facts: dict[uuid.UUID, Any]) -> dict[str, Any]:
    return {
        "lines": [
            {
                "line_id": str(line.id),
                "variant_id": str(line.variant_id),
                "product_id": str(line.product_id),
                "title": line.title,
                "variant_title": line.variant_title,
                "sku": line.sku,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "requires_shipping": facts[line.variant_id].requires_shipping,
            }
            for line in cart.lines
        ],
        "email": cart.email,
        "customer_id": str(cart.customer_id) if cart.customer_id else None,
        "shipping_address": cart.shipping_address,
        "billing_address": cart.billing_address,
        "shipping_rate_id": str(cart.shipping_rate_id) if cart.shipping_rate_id else None,
        "discount_code": cart.discount_code,
    }


async def let_go(db: AsyncSession, checkout: Checkout, *, now: datetime, reason: str, deferred: list[Change]) -> None:
    """Release the checkout's holds and cancel it; the caller logs ``deferred`` and records the event."""
    await holds.release(db, checkout, now=now, deferred=deferred)
    checkout.status = CheckoutStatus.CANCELED
    checkout.failure_code = reason
    checkout.version += 1
    await db.flush()


async def cancel(db: AsyncSession, checkout: Checkout, *, now: datetime, reason: str) -> None:
    """An open checkout is let go (abandoned, its intent canceled): its holds are released, it is ``canceled``."""
    changes: list[Change] = []
    await let_go(db, checkout, now=now, reason=reason, deferred=changes)
    await log_changes(db, changes, actor=None)
    await _record(db, "canceled", checkout)


async def attach_intent(
    db: AsyncSession, gateway: StripeGateway, checkout_id: uuid.UUID, *, tenant_id: uuid.UUID
) -> tuple[Checkout, PaymentIntentSnapshot | None]:
    """Step 2 of the module's sequence: the checkout (row-locked) and its PaymentIntent as Stripe has it now."""
    checkout = await repository.get(db, checkout_id, lock=True)
    if checkout is None:
        raise CheckoutNotFound()
    assert checkout.account_id is not None
    if checkout.payment_intent_id is not None:
        return checkout, await gateway.retrieve_payment_intent(checkout.account_id, checkout.payment_intent_id)
    if checkout.status is not CheckoutStatus.OPEN:
        return checkout, None
    snapshot = await gateway.create_payment_intent(
        checkout.account_id,
        amount=checkout.amount,
        currency=checkout.currency,
        application_fee_amount=checkout.application_fee_amount,
        metadata={"tenant_id": str(tenant_id), "cart_id": str(checkout.cart_id), "checkout_id": str(checkout.id)},
        idempotency_key=intent_key(checkout),
    )
    checkout.payment_intent_id = snapshot.id
    await db.flush()
    await ledger.record_intent(
        db, snapshot, account=checkout.account_id, checkout_id=checkout.id, cart_id=checkout.cart_id
    )
    return checkout, snapshot


async def cancel_intents(gateway: StripeGateway, intents: list[tuple[str, str]]) -> None:
    """Best effort, after the commit: an intent that cannot be canceled (already paid: its webhook finalises it, and
    refunds it if the cart was ordered meanwhile) or Stripe being down is logged; the sweep tries again."""
    for account, intent_id in intents:
        try:
            await gateway.cancel_payment_intent(account, intent_id, idempotency_key=f"checkout-cancel-{intent_id}")
        except (StripeUnavailable, StripeRequestFailed) as problem:
            log.warning("payment intent not canceled", extra={"payment_intent": intent_id, "error": problem.code})


async def find_for_confirm(
    db: AsyncSession, cart_id: uuid.UUID, caller: CartCaller, checkout_id: uuid.UUID | None
) -> Checkout:
    """The caller's checkout to confirm: the one named, or the cart's latest with an intent."""
    cart = await carts_service.get_cart(db, cart_id, caller)
    checkout = (
        await repository.get(db, checkout_id)
        if checkout_id is not None
        else await repository.latest_with_intent(db, cart.id)
    )
    if checkout is None or checkout.cart_id != cart.id or checkout.payment_intent_id is None:
        raise CheckoutNotFound()
    return checkout


async def read(db: AsyncSession, checkout: Checkout, intent: PaymentIntentSnapshot | None) -> CheckoutRead:
    order = None
    if checkout.order_id is not None:
        number = await repository.order_number(db, checkout.order_id)
        order = {"id": checkout.order_id, "number": number}
    quote: dict[str, Any] = checkout.quote
    return CheckoutRead.model_validate(
        {
            "id": checkout.id,
            "cart_id": checkout.cart_id,
            "cart_version": checkout.cart_version,
            "status": checkout.status.value,
            "amount": checkout.amount,
            "currency": checkout.currency,
            "totals": {
                name: quote.get(name, 0)
                for name in ("subtotal", "discount_total", "shipping_total", "tax_total", "total")
            },
            "payment_intent": None
            if intent is None
            else {
                "id": intent.id,
                "client_secret": intent.client_secret,
                "status": intent.status,
                "stripe_account": checkout.account_id,
            },
            "order": order,
            "failure_code": checkout.failure_code,
            "reserved_until": checkout.reserved_until,
            "created_at": checkout.created_at,
        }
    )


def checkout_data(checkout: Checkout) -> dict[str, Any]:
    return {
        "id": str(checkout.id),
        "cart_id": str(checkout.cart_id),
        "cart_version": checkout.cart_version,
        "status": checkout.status.value,
        "amount": checkout.amount,
        "currency": checkout.currency,
        "payment_intent_id": checkout.payment_intent_id,
        "order_id": str(checkout.order_id) if checkout.order_id else None,
        "failure_code": checkout.failure_code,
        "refund_id": checkout.refund_id,
    }


async def _record(db: AsyncSession, kind: str, checkout: Checkout, *, caller: CartCaller | None = None) -> None:
    await events.record(
        db,
        type=f"checkout.{kind}",
        resource_id=checkout.id,
        version=checkout.version,
        data=checkout_data(checkout),
        actor=caller.principal if caller is not None else None,
    )
