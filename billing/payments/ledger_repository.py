"""Queries of the payment ledger that refunds and the fees summary need (the payment paths of checkout have
their own)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from billing.payments.models import IntentStatus, Payment, Refund, RefundStatus

# Refunds that hold part of a payment: asked for and not (yet) refused.
HOLDING = (RefundStatus.PENDING, RefundStatus.SUCCEEDED)


async def lock_payments(db: AsyncSession, order_id: uuid.UUID) -> list[Payment]:
    """The order's payments, oldest first, locked (in that order) until the transaction ends."""
    query = (
        select(Payment)
        .where(Payment.order_id == order_id)
        .order_by(Payment.created_at, Payment.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list(await db.scalars(query))


async def payments_of(db: AsyncSession, order_id: uuid.UUID) -> list[Payment]:
    query = select(Payment).where(Payment.order_id == order_id).order_by(Payment.created_at, Payment.id)
    return list(await db.scalars(query))


async def payment_by_intent(db: AsyncSession, intent_id: str) -> Payment | None:
    found: Payment | None = await db.scalar(select(Payment).where(Payment.payment_intent_id == intent_id))
    return found


async def payment_by_charge(db: AsyncSession, charge_id: str) -> Payment | None:
    found: Payment | None = await db.scalar(select(Payment).where(Payment.latest_charge == charge_id))
    return found


async def held_by_refunds(db: AsyncSession, payment_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
    """payment id -> the amount its pending and succeeded refunds hold."""
    query = (
        select(Refund.payment_id, func.sum(Refund.amount))
        .where(Refund.payment_id.in_(list(payment_ids)), Refund.status.in_(HOLDING))
        .group_by(Refund.payment_id)
    )
    return {row[0]: int(row[1]) for row in await db.execute(query)}


async def succeeded_totals(db: AsyncSession, payment_id: uuid.UUID) -> tuple[int, int]:
    """(amount of the payment's succeeded refunds, the part of it that also refunded the application fee)."""
    with_fee = case((Refund.refund_application_fee.is_(True), Refund.amount), else_=0)
    query = select(func.coalesce(func.sum(Refund.amount), 0), func.coalesce(func.sum(with_fee), 0)).where(
        Refund.payment_id == payment_id, Refund.status == RefundStatus.SUCCEEDED
    )
    row = (await db.execute(query)).one()
    return int(row[0]), int(row[1])


async def add_refund(db: AsyncSession, refund: Refund) -> None:
    db.add(refund)
    await db.flush()


async def get_refund(db: AsyncSession, refund_id: uuid.UUID, *, lock: bool = False) -> Refund | None:
    query = select(Refund).where(Refund.id == refund_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    found: Refund | None = await db.scalar(query)
    return found


async def refund_by_stripe_id(db: AsyncSession, stripe_refund_id: str) -> Refund | None:
    found: Refund | None = await db.scalar(select(Refund).where(Refund.stripe_refund_id == stripe_refund_id))
    return found


async def refunded_by_order(db: AsyncSession, order_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
    """order id -> the amount of its succeeded refunds."""
    query = (
        select(Refund.order_id, func.sum(Refund.amount))
        .where(Refund.order_id.in_(list(order_ids)), Refund.status == RefundStatus.SUCCEEDED)
        .group_by(Refund.order_id)
    )
    return {row[0]: int(row[1]) for row in await db.execute(query)}


async def refunds_of(db: AsyncSession, order_id: uuid.UUID) -> list[Refund]:
    query = select(Refund).where(Refund.order_id == order_id).order_by(Refund.created_at, Refund.id)
    return list(await db.scalars(query))


async def unsubmitted_refunds(db: AsyncSession, *, before: datetime, limit: int) -> list[uuid.UUID]:
    """Pending refunds Stripe has not acknowledged yet (the process died, or Stripe was unreachable)."""
    query = (
        select(Refund.id)
        .where(Refund.status == RefundStatus.PENDING, Refund.stripe_refund_id.is_(None), Refund.created_at < before)
        .order_by(Refund.created_at, Refund.id)
        .limit(limit)
    )
    return list(await db.scalars(query))


def fees_by_currency() -> Select[str, int, int, int, int]:
    """Per currency, over succeeded payments: currency, payments, fees, fees_refunded, received (for a reader)."""
    return (
        select(
            Payment.currency.label("currency"),
            func.count().label("payments"),
            func.coalesce(func.sum(Payment.application_fee_amount), 0).label("fees"),
            func.coalesce(func.sum(Payment.application_fee_refunded), 0).label("fees_refunded"),
            func.coalesce(func.sum(Payment.amount_received), 0).label("received"),
        )
        .where(Payment.status == IntentStatus.SUCCEEDED)
        .group_by(Payment.currency)
        .order_by(Payment.currency)
    )
