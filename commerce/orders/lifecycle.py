"""What happens to an order when a payment path changes it: the calls checkout's ``finalize`` and the
payment webhooks make, in the order's transaction. Each writes the order's timeline; ``order_placed`` also
queues the order confirmation mail (``mail.send_order_confirmation``, sent by a worker after the commit)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from auth.principals import Principal
from billing.payments.models import Payment
from commerce.orders.models import Order, OrderEvent, OrderEventKind
from core import jobs

SEND_ORDER_CONFIRMATION = "mail.send_order_confirmation"


async def add_timeline_entry(
    db: AsyncSession,
    order: Order,
    kind: OrderEventKind,
    data: dict[str, Any] | None = None,
    *,
    actor: Principal | None = None,
) -> OrderEvent:
    entry = OrderEvent(
        order_id=order.id,
        kind=kind,
        data=data or {},
        actor_kind=actor.kind.value if actor is not None else None,
        actor_id=actor.id if actor is not None else None,
    )
    db.add(entry)
    await db.flush()
    return entry


async def order_placed(db: AsyncSession, order: Order, *, actor: Principal | None = None) -> None:
    """The order was just created from its cart (by whichever path finalised it first): the timeline says so and
    the shopper's confirmation (with the signed link to the order) is queued in the same transaction."""
    await add_timeline_entry(db, order, OrderEventKind.PLACED, {"number": order.number}, actor=actor)
    jobs.enqueue(db, SEND_ORDER_CONFIRMATION, order_id=str(order.id))


async def order_paid(db: AsyncSession, order: Order, payment: Payment) -> None:
    """A payment of the order succeeded (its ledger row is up to date)."""
    await add_timeline_entry(
        db,
        order,
        OrderEventKind.PAID,
        {"payment_id": str(payment.id), "amount": payment.amount_received, "currency": payment.currency},
    )
