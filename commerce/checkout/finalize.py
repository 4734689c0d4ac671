"""``finalize``: the one locked path from a paid PaymentIntent to exactly one order.

Reached by the Connect webhook (``payment_intent.*``, the intent re-fetched from Stripe: events arrive late,
twice and out of order) and by the storefront's ``POST .../checkout/confirm`` (the intent retrieved), whichever
comes first. Both lock the cart, then the checkout, then its payment row, so they run one after the other; the
second finds the work done and returns it. What it does with the intent as Stripe reports it now:

* every read is a fact in the payment ledger (``payment_events``, unique on the Stripe event id or
  ``sync:<intent>:<status>``), and the ``payments`` row mirrors the intent;
* ``succeeded``: the order is placed from the checkout's snapshot (lines, tax lines, discount, shipping line,
  addresses, totals; the order's id is the checkout's), the stock held for it moves to ``committed`` (or is taken
  from what is available if the hold lapsed), the discount use held at checkout becomes the order's, the cart is
  completed, ``order_placed``/``order_paid`` run and ``checkout.completed``, ``order.created``, ``order.paid`` are
  recorded. If the order cannot be placed (the stock is gone, the discount's last use is gone, the cart was
  already ordered through another checkout, the amount differs), nobody keeps a payment without an order: the
  payment is refunded in full at once (a deterministic key: a retry refunds once) and the checkout is
  ``refunded`` with the reason;
* ``requires_payment_method`` after a decline: the holds are given back (posting checkout again takes them
  again before another attempt);
* ``canceled``: the checkout is canceled and the cart's ``version`` moves on, so checking out again makes a new
  intent.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from billing.gateway import PaymentIntentSnapshot, StripeGateway
from billing.payments import ledger
from billing.payments.models import IntentStatus, Payment
from billing.payments.status import derive
from commerce.carts import repository as carts_repository
from commerce.carts.models import Cart, CartStatus
from commerce.carts.service import CartCaller
from commerce.checkout import holds, repository
from commerce.checkout import service as checkout_service
from commerce.checkout.errors import CheckoutRefunded, PaymentNotCompleted
from commerce.checkout.models import Checkout, CheckoutStatus
from commerce.discounts.errors import DiscountNotApplicable
from commerce.events import service as events
from commerce.events.schemas import NewEvent
from commerce.inventory import reservations
from commerce.inventory.errors import InsufficientStock
from commerce.inventory.service import Change, log_changes
from commerce.orders import lifecycle
from commerce.orders.models import Order, OrderLine, OrderStatus

log = logging.getLogger(__name__)


class _CartAlreadyOrdered(Exception):
    pass


async def confirm(
    db: AsyncSession,
    gateway: StripeGateway,
    cart_id: uuid.UUID,
    caller: CartCaller,
    checkout_id: uuid.UUID | None,
    *,
    now: datetime,
) -> tuple[Checkout, PaymentIntentSnapshot]:
    """The storefront's synchronous path: read the intent from Stripe and finalise. ``checkout_refunded`` if
    the payment could not become an order, ``payment_not_completed`` while it has not succeeded (either keeps
    what was recorded)."""
    checkout = await checkout_service.find_for_confirm(db, cart_id, caller, checkout_id)
    assert checkout.account_id is not None
    assert checkout.payment_intent_id is not None
    found, account, intent_id = checkout.id, checkout.account_id, checkout.payment_intent_id
    await (
        db.commit()
    )  # only reads so far (and the request's idempotency claim): no connection held while Stripe answers
    intent = await gateway.retrieve_payment_intent(account, intent_id)
    checkout = await finalize(
        db,
        gateway,
        found,
        intent,
        source_key=f"sync:{intent.id}:{intent.status}",
        event_type="payment_intent.sync",
        now=now,
    )
    if checkout.status is CheckoutStatus.REFUNDED:
        raise CheckoutRefunded(reason=checkout.failure_code, refund_id=checkout.refund_id)
    if checkout.status is not CheckoutStatus.COMPLETED:
        raise PaymentNotCompleted(payment_status=intent.status, checkout_status=checkout.status.value)
    return checkout, intent


async def finalize(
    db: AsyncSession,
    gateway: StripeGateway,
    checkout_id: uuid.UUID,
    intent: PaymentIntentSnapshot,
    *,
    source_key: str,
    event_type: str,
    now: datetime,
) -> Checkout:
    """Apply the intent as read now to its checkout (see the module); returns the checkout as it ends up."""
    found = await repository.get(db, checkout_id)
    if found is None:
        raise LookupError(f"no checkout {checkout_id}")
    cart = await carts_repository.get_cart(db, found.cart_id, lock=True)
    checkout = await repository.get(db, checkout_id, lock=True)
    assert cart is not None
    assert checkout is not None
    assert checkout.account_id is not None
    if checkout.payment_intent_id is None:  # the intent was made, but step 2's commit was lost: adopt it
        checkout.payment_intent_id = intent.id
    payment = await ledger.get_payment(db, intent.id, lock=True)
    if payment is None:
        payment = await ledger.record_intent(
            db, intent, account=checkout.account_id, checkout_id=checkout.id, cart_id=checkout.cart_id
        )
        payment = await ledger.get_payment(db, intent.id, lock=True)
        assert payment is not None
    await ledger.apply_intent(db, payment, intent, source_key=source_key, event_type=event_type)

    if intent.status == IntentStatus.SUCCEEDED:
        if checkout.status in (CheckoutStatus.COMPLETED, CheckoutStatus.REFUNDED):
            return checkout  # the other path got here first
        await _complete(db, gateway, cart, checkout, payment, intent, now=now)
    elif intent.status == IntentStatus.CANCELED and checkout.status is CheckoutStatus.OPEN:
        await checkout_service.cancel(db, checkout, now=now, reason=intent.cancellation_reason or "canceled")
        if cart.status is CartStatus.OPEN and cart.version == checkout.cart_version:
            cart.version += 1  # a new checkout of this cart needs a new intent (the canceled one is final)
    elif (
        intent.status == IntentStatus.REQUIRES_PAYMENT_METHOD
        and intent.last_payment_error
        and checkout.status is CheckoutStatus.OPEN
        and checkout.reserved_until is not None
    ):
        changes: list[Change] = []
        await holds.release(db, checkout, now=now, deferred=changes)
        await log_changes(db, changes, actor=None)
    await db.flush()
    return checkout


async def _complete(
    db: AsyncSession,
    gateway: StripeGateway,
    cart: Cart,
    checkout: Checkout,
    payment: Payment,
    intent: PaymentIntentSnapshot,
    *,
    now: datetime,
) -> None:
    failure: str | None = None
    if intent.amount_received != checkout.amount or intent.currency != checkout.currency:
        failure = "amount_mismatch"
        log.error("paid amount differs from the checkout", extra={"checkout_id": str(checkout.id)})
    else:
        try:
            async with db.begin_nested():
                await _place_order(db, cart, checkout, payment, now=now)
            return
        except InsufficientStock:
            failure = "out_of_stock"
        except DiscountNotApplicable:
            failure = "discount_unavailable"
        except (_CartAlreadyOrdered, IntegrityError):
            failure = "cart_already_ordered"
    await _refund(db, gateway, checkout, payment, intent, reason=failure, now=now)


async def _place_order(db: AsyncSession, cart: Cart, checkout: Checkout, payment: Payment, *, now: datetime) -> None:
    if cart.order_id is not None:
        raise _CartAlreadyOrdered()
    await holds.hold_discount(db, checkout, now=now)  # already the order's if held at checkout: a no-op then
    changes: list[Change] = []
    # The cart's other open checkouts (this one was superseded, then paid all the same) let go of what they hold;
    # should one of their intents be paid too, its finalize finds the cart ordered and refunds it. Before the
    # stock moves: discounts are locked before stock levels on every path.
    others = [other for other in await repository.open_of_cart(db, cart.id) if other.id != checkout.id]
    for other in others:
        await checkout_service.let_go(db, other, now=now, reason="cart_ordered", deferred=changes)
    await reservations.commit(
        db, holds.snapshot_lines(checkout), reference=holds.reference(checkout.id), at=now, deferred=changes
    )
    order = _order_of(checkout, now=now)
    db.add(order)
    await db.flush()
    payment.order_id = order.id
    order.payment_status = derive([payment])
    cart.status, cart.order_id, cart.completed_at = CartStatus.COMPLETED, order.id, now
    cart.version += 1
    checkout.status, checkout.order_id, checkout.completed_at = CheckoutStatus.COMPLETED, order.id, now
    checkout.reserved_until = None
    checkout.version += 1
    await db.flush()
    await lifecycle.order_placed(db, order)
    await lifecycle.order_paid(db, order, payment)
    await log_changes(db, changes, actor=None)
    order_data = _order_data(order)
    await events.record_many(
        db,
        [
            NewEvent("checkout.completed", checkout.id, checkout.version, checkout_service.checkout_data(checkout)),
            NewEvent("order.created", order.id, order.version, order_data),
            NewEvent("order.paid", order.id, order.version, order_data),
            *(
                NewEvent("checkout.canceled", other.id, other.version, checkout_service.checkout_data(other))
                for other in others
            ),
        ],
    )


def _order_of(checkout: Checkout, *, now: datetime) -> Order:
    snapshot, quote = checkout.snapshot, checkout.quote
    totals_by_line = {entry["key"]: entry for entry in quote.get("lines", [])}
    discount = quote.get("discount")
    lines = []
    for position, line in enumerate(snapshot["lines"], start=1):
        totals = totals_by_line.get(line["line_id"], {})
        subtotal = line["unit_price"] * line["quantity"]
        share = totals.get("discount", 0)
        lines.append(
            OrderLine(
                position=position,
                variant_id=uuid.UUID(line["variant_id"]),
                product_id=uuid.UUID(line["product_id"]),
                product_title=line["title"],
                variant_title=line["variant_title"],
                sku=line["sku"],
                requires_shipping=line["requires_shipping"],
                quantity=line["quantity"],
                unit_price=line["unit_price"],
                subtotal=totals.get("subtotal", subtotal),
                discount_total=share,
                tax_total=totals.get("tax", 0),
                total=totals.get("total", subtotal),
                tax_lines=totals.get("tax_lines", []),
                discounts=[{**discount, "amount": share}] if discount and share else [],
                fulfilled_quantity=0,
                refunded_quantity=0,
            )
        )
    return Order(
        id=checkout.id,
        cart_id=checkout.cart_id,
        checkout_id=checkout.id,
        customer_id=checkout.customer_id,
        email=checkout.email or "",
        currency=checkout.currency,
        status=OrderStatus.OPEN,
        prices_include_tax=bool(quote.get("prices_include_tax")),
        tax_exempt=bool(quote.get("tax_exempt")),
        subtotal=quote["subtotal"],
        discount_total=quote["discount_total"],
        shipping_total=quote["shipping_total"],
        tax_total=quote["tax_total"],
        total=quote["total"],
        shipping_address=snapshot.get("shipping_address"),
        billing_address=snapshot.get("billing_address"),
        shipping_line=quote.get("shipping"),
        discount=discount,
        tax_lines=quote.get("tax_lines", []),
        paid_at=now,
        version=1,
        lines=lines,
    )


def _order_data(order: Order) -> dict[str, Any]:
    return {
        "id": str(order.id),
        "number": order.number,
        "cart_id": str(order.cart_id),
        "status": order.status.value,
        "payment_status": order.payment_status.value,
        "currency": order.currency,
        "total": order.total,
        "email": order.email,
    }


async def _refund(
    db: AsyncSession,
    gateway: StripeGateway,
    checkout: Checkout,
    payment: Payment,
    intent: PaymentIntentSnapshot,
    *,
    reason: str,
    now: datetime,
) -> None:
    """The payment could not become an order: refund all of it (our fee too) before anything else is written,
    while only this cart's rows are locked; then give the holds back and record why."""
    assert checkout.account_id is not None
    refund = await gateway.create_refund(
        checkout.account_id,
        payment_intent=intent.id,
        amount=intent.amount_received,
        refund_application_fee=True,
        reason="requested_by_customer",
        metadata={"checkout_id": str(checkout.id), "reason": reason},
        idempotency_key=f"checkout-refund-{checkout.id}",
    )
    changes: list[Change] = []
    await holds.release(db, checkout, now=now, deferred=changes)
    checkout.status, checkout.failure_code, checkout.refund_id = CheckoutStatus.REFUNDED, reason, refund.id
    checkout.version += 1
    await db.flush()
    await ledger.record_refund(db, payment, refund, reason=reason)
    await log_changes(db, changes, actor=None)
    await events.record(
        db,
        type="checkout.refunded",
        resource_id=checkout.id,
        version=checkout.version,
        data=checkout_service.checkout_data(checkout),
    )
    log.warning("paid checkout refunded", extra={"checkout_id": str(checkout.id), "reason": reason})
