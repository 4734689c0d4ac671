"""Refunds in the payment ledger: how much of a payment can still be refunded, and what a refund's outcome
does to its payment's totals.

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

from sqlalchemy.ext.asyncio import AsyncSession

from billing.payments import ledger_repository as repository
from billing.payments.models import IntentStatus, Payment, Refund, RefundStatus
from billing.schemas import CurrencyFees
from core.db import TenantReader
from core.money import divide_half_even

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
