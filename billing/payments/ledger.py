"""Recording what Stripe says about a PaymentIntent: the ``payments`` mirror and the append-only
``payment_events`` (models.py). Used by checkout (the intent it created, then each read of it: the webhook's
re-fetch or the storefront's confirm). Idempotent: a fact already recorded (same ``source_key``) is not
recorded again, and the mirror always takes the latest read of the intent (re-fetched, so never stale)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from billing.gateway import PaymentIntentSnapshot, RefundSnapshot
from billing.payments.models import IntentStatus, Payment, PaymentEvent
from core.ids import new_id


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
