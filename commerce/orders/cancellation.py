"""Canceling an order: only while nothing of it is fulfilled (409 ``order_not_cancelable`` otherwise).

Like a refund, in two units of work so no lock is held while Stripe answers:

1. ``cancel_order`` (the request's transaction): under the order's lock, ``status`` becomes ``canceled``, the
   stock the order still holds is released (``committed`` down, a ledger row per level), every succeeded
   payment's refundable amount becomes a pending refund (through the refund path's rules, so a refund racing
   the cancel can never make the total exceed what was paid), the payments not yet succeeded are marked to be
   voided, and ``canceled`` / ``order.canceled`` are written.
2. ``settle`` (after that commit): submit those refunds (``refunds.submit_refund``) and cancel the
   PaymentIntents still open at Stripe (idempotency key derived from the payment), recording what Stripe says.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from auth.principals import Principal
from billing.errors import BillingNotConfigured, StripeRequestFailed, StripeUnavailable
from billing.gateway import StripeGateway
from billing.payments import ledger_repository as payments_repository
from billing.payments import refund_rules
from billing.payments.models import IntentStatus, Payment, Refund, RefundStatus
from commerce.inventory import commitments
from commerce.orders import refunds
from commerce.orders import service as orders
from commerce.orders.errors import OrderNotCancelable
from commerce.orders.models import Order, OrderEventKind, OrderStatus
from commerce.orders.schemas import OrderCancel
from core.clock import utcnow

log = logging.getLogger(__name__)

# Intents that may still take money: cancel them at Stripe (``requires_capture`` releases the authorisation).
VOIDABLE = frozenset(
    {
        IntentStatus.REQUIRES_PAYMENT_METHOD,
        IntentStatus.REQUIRES_CONFIRMATION,
        IntentStatus.REQUIRES_ACTION,
        IntentStatus.REQUIRES_CAPTURE,
        IntentStatus.PROCESSING,
    }
)


@dataclass
class Cancellation:
    order_id: uuid.UUID
    refund_ids: list[uuid.UUID] = field(default_factory=list)
    void_payment_ids: list[uuid.UUID] = field(default_factory=list)


def void_key(payment_id: uuid.UUID) -> str:
    return f"void-{payment_id}"


async def cancel_order(
    db: AsyncSession,
    order_id: uuid.UUID,
    body: OrderCancel,
    *,
    if_match: int | None,
    actor: Principal,
    stripe_configured: bool,
    refund_application_fee: bool,
) -> Cancellation:
    """Phase 1 (see the module)."""
    order = await orders.lock_order(db, order_id, if_match=if_match)
    if order.status is OrderStatus.CANCELED or any(line.fulfilled_quantity for line in order.lines):
        raise OrderNotCancelable(status=order.status.value, fulfillment_status=order.fulfillment_status.value)
    payments = await payments_repository.lock_payments(db, order.id)
    left = await refund_rules.refundable_amounts(db, payments)
    to_refund = [payment for payment in payments if left[payment.id] > 0]
    to_void = [payment for payment in payments if payment.status in VOIDABLE]
    if (to_refund or to_void) and not stripe_configured:
        raise BillingNotConfigured()
    cancellation = Cancellation(order_id=order.id)
    for payment in to_refund:
        refund = _cancel_refund(order, payment, left[payment.id], actor, refund_application_fee)
        await payments_repository.add_refund(db, refund)
        cancellation.refund_ids.append(refund.id)
    cancellation.void_payment_ids = [payment.id for payment in to_void]
    released = await commitments.release(
        db, references=commitments.order_references(order.id, order.checkout_id), actor=actor
    )
    order.status = OrderStatus.CANCELED
    order.canceled_at = utcnow()
    order.cancel_reason = body.reason
    await orders.changed(
        db,
        order,
        "order.canceled",
        actor=actor,
        timeline=(
            OrderEventKind.CANCELED,
            {
                "reason": body.reason,
                "units_released": released,
                "refund_ids": [str(refund_id) for refund_id in cancellation.refund_ids],
            },
        ),
    )
    return cancellation


def _cancel_refund(
    order: Order, payment: Payment, amount: int, actor: Principal, refund_application_fee: bool
) -> Refund:
    return Refund(
        id=uuid.uuid5(payment.id, f"cancel:{order.id}"),  # one cancel refund per payment, however often retried
        order_id=order.id,
        payment_id=payment.id,
        status=RefundStatus.PENDING,
        amount=amount,
        currency=payment.currency,
        reason="requested_by_customer",
        note="Order canceled",
        refund_application_fee=refund_application_fee,
        actor_kind=actor.kind.value,
        actor_id=actor.id,
    )


async def settle(db: AsyncSession, gateway: StripeGateway | None, cancellation: Cancellation) -> Order:
    """Phase 2 (see the module): returns the order as it now stands."""
    for refund_id in cancellation.refund_ids:
        await refunds.submit_refund(db, gateway, refund_id)
    for payment_id in cancellation.void_payment_ids:
        await _void(db, gateway, payment_id)
    return await orders.get_order(db, cancellation.order_id)


async def _void(db: AsyncSession, gateway: StripeGateway | None, payment_id: uuid.UUID) -> None:
    payment = await db.get(Payment, payment_id)
    if gateway is None or payment is None or payment.status not in VOIDABLE:
        return
    try:
        snapshot = await gateway.cancel_payment_intent(
            payment.stripe_account, payment.payment_intent_id, idempotency_key=void_key(payment.id)
        )
    except (StripeRequestFailed, StripeUnavailable):
        # Paid meanwhile, or Stripe is away: the intent's own webhook brings the truth (a payment succeeding on a
        # canceled order is refunded by the payment path).
        log.warning("payment intent not voided", extra={"payment_id": str(payment.id)}, exc_info=True)
        return
    order = await orders.lock_order(db, payment.order_id) if payment.order_id else None
    locked = await payments_repository.lock_payments(db, payment.order_id) if payment.order_id else [payment]
    payment = next(p for p in locked if p.id == payment_id)
    if snapshot.status == IntentStatus.CANCELED.value and payment.status is not IntentStatus.SUCCEEDED:
        payment.status = IntentStatus.CANCELED
        payment.version += 1
        await db.flush()
    if order is not None:
        await orders.refresh_payment_status(db, order)
