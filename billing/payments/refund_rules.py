"""The payment ledger: the ``payments`` mirror of each PaymentIntent, the append-only ``payment_events``,
and refunds (models.py).

Intents (used by checkout): the payment row of the intent it created, then each read of it (the webhook's
re-fetch or the storefront's confirm). Idempotent: a fact already recorded (same ``source_key``) is not
recorded again, and the mirror always takes the latest read of the intent (re-fetched, so never stale).

Refunds (used by orders):

* A payment's refundable amount is ``amount_received`` minus what its **pending and succeeded** refunds hold.
  A refund is inserted ``pending`` only while its payment row is locked and that amount covers it, so
  concurrent requests never promise more than was received; a refund that fails frees its amount.
* ``payments.amount_refunded`` and ``application_fee_refunded`` are recomputed from the succeeded refunds
  (never incremented), so applying one outcome twice, or outcomes out of order, gives the same totals.
  A refund made with ``refund_application_fee`` returns the fee in proportion to the amount, as Stripe does
  (half-even, on the total refunded with the fee, as the fake and core.money do).
* Stripe is called with an idempotency key derived from our refund id: a retry (ours, the SDK's, a replayed
  request) never makes a second Stripe refund.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from billing.gateway import PaymentIntentSnapshot, RefundSnapshot
from billing.payments import ledger_repository as repository
from billing.payments.models import IntentStatus, Payment, PaymentEvent, Refund, RefundStatus
from billing.schemas import CurrencyFees
from core.db import TenantReader
from core.ids import new_id
from core.money import divide_half_even


async def get_payment(db: AsyncSession, intent_id: str, *, lock: bool = False) -> Payment | None:
    query = select(Payment).where(Payment.payment_intent_id == intent_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    payment: Payment | None = await db.scalar(query)
    return payment


async def record_intent(
    db: AsyncSession,
    snapshot: PaymentIntentSnapshot,
    *,
    account: str,
    checkout_id: uuid.UUID,
    cart_id: uuid.UUID,
) -> Payment:
    """The payment row of a newly created intent (once: a replayed creation finds the row)."""
    await db.execute(
        pg_insert(Payment)
        .values(
            id=new_id(),
            checkout_id=checkout_id,
            cart_id=cart_id,
            stripe_account=account,
            payment_intent_id=snapshot.id,
            status=IntentStatus(snapshot.status),
            amount=snapshot.amount,
            currency=snapshot.currency,
            amount_received=snapshot.amount_received,
            amount_refunded=0,
            application_fee_amount=snapshot.application_fee_amount or 0,
            application_fee_refunded=0,
            version=1,
        )
        .on_conflict_do_nothing(index_elements=["payment_intent_id"])
    )
    payment = await get_payment(db, snapshot.id)
    assert payment is not None
    return payment


async def apply_intent(
    db: AsyncSession,
    payment: Payment,
    snapshot: PaymentIntentSnapshot,
    *,
    source_key: str,
    event_type: str,
    occurred_at: datetime | None = None,
) -> bool:
    """Mirror the intent as read now on the (locked) payment, and append the fact unless ``source_key`` is already
    recorded; True if it was new."""
    payment.status = IntentStatus(snapshot.status)
    payment.amount_received = snapshot.amount_received
    payment.latest_charge = snapshot.latest_charge
    payment.application_fee_amount = snapshot.application_fee_amount or payment.application_fee_amount
    if snapshot.status == IntentStatus.REQUIRES_PAYMENT_METHOD and snapshot.last_payment_error:
        payment.failure_message = snapshot.last_payment_error
    payment.version += 1
    await db.flush()
    return await _append(
        db,
        payment,
        source_key=source_key,
        event_type=event_type,
        amount=snapshot.amount_received or snapshot.amount,
        data={"status": snapshot.status, "last_payment_error": snapshot.last_payment_error},
        occurred_at=occurred_at,
    )


async def record_refund(db: AsyncSession, payment: Payment, refund: RefundSnapshot, *, reason: str) -> bool:
    """A refund checkout itself made (the payment could not become an order): a ledger fact, and the refunded
    amount once Stripe says it succeeded."""
    new = await _append(
        db,
        payment,
        source_key=f"refund:{refund.id}",
        event_type="checkout.refunded",
        amount=refund.amount,
        data={"refund_id": refund.id, "status": refund.status, "reason": reason},
        occurred_at=None,
    )
    if new and refund.status == "succeeded":
        payment.amount_refunded = min(payment.amount_received, payment.amount_refunded + refund.amount)
        payment.version += 1
        await db.flush()
    return new


async def _append(
    db: AsyncSession,
    payment: Payment,
    *,
    source_key: str,
    event_type: str,
    amount: int | None,
    data: dict[str, Any],
    occurred_at: datetime | None,
) -> bool:
    inserted = await db.scalar(
        pg_insert(PaymentEvent)
        .values(
            id=new_id(),
            payment_id=payment.id,
            source_key=source_key,
            type=event_type,
            amount=amount,
            data=data,
            occurred_at=occurred_at,
        )
        .on_conflict_do_nothing(index_elements=["source_key"])
        .returning(PaymentEvent.id)
    )
    return inserted is not None


# Stripe's refund statuses -> ours (``requires_action``: Stripe waits for the customer's details; still pending).
_STRIPE_STATUSES = {
    "pending": RefundStatus.PENDING,
    "requires_action": RefundStatus.PENDING,
    "succeeded": RefundStatus.SUCCEEDED,
    "failed": RefundStatus.FAILED,
    "canceled": RefundStatus.CANCELED,
}


def refund_status(stripe_status: str) -> RefundStatus:
    return _STRIPE_STATUSES.get(stripe_status, RefundStatus.PENDING)


def stripe_refund_key(refund_id: uuid.UUID) -> str:
    """The Stripe idempotency key of our refund: the same refund is one Stripe refund, however often sent."""
    return f"refund-{refund_id}"


def refundable(payment: Payment, held: int) -> int:
    """What is left to refund of a payment, given what its pending and succeeded refunds ``held``."""
    if payment.status is not IntentStatus.SUCCEEDED:
        return 0
    return max(payment.amount_received - held, 0)


async def refundable_amounts(db: AsyncSession, payments: Sequence[Payment]) -> dict[uuid.UUID, int]:
    held = await repository.held_by_refunds(db, [payment.id for payment in payments])
    return {payment.id: refundable(payment, held.get(payment.id, 0)) for payment in payments}


def choose_payment(payments: Sequence[Payment], left: dict[uuid.UUID, int], amount: int) -> Payment | None:
    """The oldest payment that can cover ``amount`` alone (a Stripe refund belongs to one PaymentIntent)."""
    for payment in payments:
        if left.get(payment.id, 0) >= amount:
            return payment
    return None


async def record_outcome(
    db: AsyncSession,
    refund: Refund,
    payment: Payment,
    *,
    status: RefundStatus,
    stripe_refund_id: str | None = None,
    failure_reason: str | None = None,
) -> RefundStatus:
    """Set the refund's status as Stripe reports it and recompute its payment's refunded totals; returns the
    status it had before. The caller holds the payment's row lock."""
    previous = refund.status
    refund.status = status
    if stripe_refund_id is not None:
        refund.stripe_refund_id = stripe_refund_id
    if status in (RefundStatus.FAILED, RefundStatus.CANCELED):
        refund.failure_reason = (failure_reason or refund.failure_reason or status.value)[:255]
    await db.flush()
    if previous is not status:
        await recompute_payment(db, payment)
    return previous


async def recompute_payment(db: AsyncSession, payment: Payment) -> None:
    refunded, with_fee = await repository.succeeded_totals(db, payment.id)
    payment.amount_refunded = min(refunded, payment.amount_received)
    fee = payment.application_fee_amount
    if payment.amount_received > 0 and fee > 0:
        payment.application_fee_refunded = min(fee, divide_half_even(fee * with_fee, payment.amount_received))
    else:
        payment.application_fee_refunded = 0
    payment.version += 1
    await db.flush()


async def fees_collected(reader: TenantReader) -> list[CurrencyFees]:
    """The platform's application fees from one tenant's ledger, per currency: the fees of succeeded payments
    minus the fees refunded with refunds (one statement, one snapshot)."""
    return [
        CurrencyFees(
            currency=row["currency"],
            payments=int(row["payments"]),
            amount_received=int(row["received"]),
            application_fees=int(row["fees"]),
            application_fees_refunded=int(row["fees_refunded"]),
            net=int(row["fees"]) - int(row["fees_refunded"]),
        )
        for row in await reader.all(repository.fees_by_currency())
    ]
