"""Orders after they exist: list, read, notes, archive, delivery, and the statuses derived on every change.

The rules:

* Every change of an order locks its row, checks ``If-Match`` against its ``version`` (412 on a stale one),
  bumps the version, writes a timeline entry and records an ``order.*`` event, in the request's transaction.
  Lines, fulfilments and refunds of an order change only under that lock, so two staff members acting on one
  order at once are serialised.
* ``payment_status`` is re-derived from the payment ledger (``billing.payments.status.derive``) whenever a
  payment or refund of the order changes; ``fulfillment_status`` from the lines' fulfilled quantities and the
  fulfilments' delivery (``derive_fulfillment_status``).
* ``status`` moves ``open -> completed`` once every unit that ships is fulfilled and the order is paid, and
  ``open -> canceled`` by a cancel (``cancellation.py``); archiving is a flag beside it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from auth.principals import Principal
from billing.payments import ledger_repository as payments
from billing.payments.models import IntentStatus, Payment, PaymentStatus, Refund, RefundStatus
from billing.payments.status import derive
from commerce.events import service as events
from commerce.orders import repository
from commerce.orders.errors import FulfillmentNotFound, OrderNotFound
from commerce.orders.lifecycle import add_timeline_entry
from commerce.orders.models import Fulfillment, FulfillmentStatus, Order, OrderEvent, OrderEventKind, OrderStatus
from commerce.orders.repository import OrderFilters
from commerce.orders.schemas import (
    FulfillmentRead,
    NoteCreate,
    OrderRead,
    OrderSummary,
    PaymentRead,
    PaymentSummary,
    RefundRead,
    TimelineEntryRead,
)
from core.clock import utcnow
from core.errors import VersionMismatch
from core.pagination import cursor_row, split_page

PAID = frozenset({PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED})


# --- reads ---------------------------------------------------------------------------------------------


async def list_orders(
    db: AsyncSession, filters: OrderFilters, *, limit: int, starting_after: str | None
) -> tuple[list[Order], bool]:
    after = await cursor_row(starting_after, lambda order_id: repository.get_plain(db, order_id))
    return split_page(await repository.list_orders(db, filters, limit, after=after), limit)


async def get_order(db: AsyncSession, order_id: uuid.UUID) -> Order:
    order = await repository.get(db, order_id)
    if order is None:
        raise OrderNotFound()
    return order


async def order_detail(db: AsyncSession, order_id: uuid.UUID) -> OrderRead:
    """The whole order: lines, ledger, fulfilments and timeline (one read each, in one transaction)."""
    return await detail_of(db, await get_order(db, order_id))


async def detail_of(db: AsyncSession, order: Order) -> OrderRead:
    summary = OrderSummary.model_validate(order).model_dump()
    payment_rows = await payments.payments_of(db, order.id)
    refund_rows = await payments.refunds_of(db, order.id)
    return OrderRead.model_validate(
        {
            **summary,
            **{
                field: getattr(order, field)
                for field in (
                    "prices_include_tax",
                    "tax_exempt",
                    "shipping_address",
                    "billing_address",
                    "shipping_line",
                    "discount",
                    "tax_lines",
                    "note",
                    "lines",
                )
            },
            "payment_summary": payment_summary(payment_rows, refund_rows),
            "payments": [PaymentRead.model_validate(p) for p in payment_rows],
            "refunds": [RefundRead.model_validate(r) for r in refund_rows],
            "fulfillments": [FulfillmentRead.model_validate(f) for f in await repository.fulfillments_of(db, order.id)],
            "timeline": [TimelineEntryRead.model_validate(e) for e in await repository.timeline(db, order.id)],
        },
        from_attributes=True,
    )


def payment_summary(payment_rows: Sequence[Payment], refund_rows: Sequence[Refund]) -> PaymentSummary:
    received = sum(p.amount_received for p in payment_rows if p.status is IntentStatus.SUCCEEDED)
    refunded = sum(r.amount for r in refund_rows if r.status is RefundStatus.SUCCEEDED)
    pending = sum(r.amount for r in refund_rows if r.status is RefundStatus.PENDING)
    return PaymentSummary(
        received=received,
        refunded=refunded,
        refunds_pending=pending,
        refundable=max(received - refunded - pending, 0),
        disputed=any(p.disputed for p in payment_rows),
    )


# --- changes -------------------------------------------------------------------------------------------


async def lock_order(db: AsyncSession, order_id: uuid.UUID, *, if_match: int | None = None) -> Order:
    """The order (with its lines), locked until the transaction ends; 412 if ``if_match`` is stale."""
    order = await repository.get(db, order_id, lock=True)
    if order is None:
        raise OrderNotFound()
    if if_match is not None and order.version != if_match:
        raise VersionMismatch(current_version=order.version)
    return order


async def changed(
    db: AsyncSession,
    order: Order,
    event_type: str | None,
    *,
    actor: Principal | None,
    timeline: tuple[OrderEventKind, dict[str, Any]] | None = None,
    extra_events: Sequence[tuple[str, uuid.UUID, int | None, dict[str, Any]]] = (),
) -> None:
    """Bump the order's version, write its timeline entry, then its events (last: they lock the event counter)."""
    order.version += 1
    order.updated_at = utcnow()
    await db.flush()
    if timeline is not None:
        await add_timeline_entry(db, order, timeline[0], timeline[1], actor=actor)
    for type_, resource_id, version, data in extra_events:
        await events.record(db, type=type_, resource_id=resource_id, version=version, data=data, actor=actor)
    if event_type is not None:
        await events.record(
            db, type=event_type, resource_id=order.id, version=order.version, data=snapshot(order), actor=actor
        )


def snapshot(order: Order) -> dict[str, Any]:
    return OrderSummary.model_validate(order).model_dump(mode="json")


async def add_note(
    db: AsyncSession, order_id: uuid.UUID, body: NoteCreate, *, if_match: int | None, actor: Principal
) -> OrderEvent:
    """A staff note on the timeline (``note_added``); the order's version moves, so concurrent edits see it."""
    order = await lock_order(db, order_id, if_match=if_match)
    order.version += 1
    order.updated_at = utcnow()
    await db.flush()
    entry = await add_timeline_entry(db, order, OrderEventKind.NOTE_ADDED, {"note": body.note}, actor=actor)
    await events.record(
        db, type="order.updated", resource_id=order.id, version=order.version, data=snapshot(order), actor=actor
    )
    return entry


async def set_archived(
    db: AsyncSession, order_id: uuid.UUID, *, archived: bool, if_match: int | None, actor: Principal
) -> Order:
    """Archive (hide from the default list) or unarchive; doing what is already done changes nothing."""
    order = await lock_order(db, order_id, if_match=if_match)
    if (order.archived_at is not None) == archived:
        return order
    order.archived_at = utcnow() if archived else None
    kind = OrderEventKind.ARCHIVED if archived else OrderEventKind.UNARCHIVED
    await changed(db, order, f"order.{kind.value}", actor=actor, timeline=(kind, {}))
    return order


async def mark_delivered(
    db: AsyncSession, order_id: uuid.UUID, fulfillment_id: uuid.UUID, *, if_match: int | None, actor: Principal
) -> Order:
    """The carrier delivered a fulfilment; once every unit is fulfilled and delivered, the order is ``delivered``."""
    order = await lock_order(db, order_id, if_match=if_match)
    fulfillment = await repository.get_fulfillment(db, order.id, fulfillment_id)
    if fulfillment is None:
        raise FulfillmentNotFound()
    if fulfillment.delivered_at is not None:
        return order
    fulfillment.delivered_at = utcnow()
    await db.flush()
    order.fulfillment_status = derive_fulfillment_status(order, await repository.fulfillments_of(db, order.id))
    await changed(
        db,
        order,
        "order.delivered",
        actor=actor,
        timeline=(OrderEventKind.DELIVERED, {"fulfillment_id": str(fulfillment.id)}),
    )
    return order


# --- derived statuses ----------------------------------------------------------------------------------


def derive_fulfillment_status(order: Order, fulfillments: Sequence[Fulfillment]) -> FulfillmentStatus:
    """Over the lines that ship: none fulfilled -> unfulfilled; nothing left to ship (``OrderLine.to_fulfil``) ->
    fulfilled, or delivered once every fulfilment is; otherwise partially fulfilled."""
    shipping = [line for line in order.lines if line.requires_shipping]
    if not any(line.fulfilled_quantity for line in shipping):
        return FulfillmentStatus.UNFULFILLED
    if any(line.to_fulfil for line in shipping):
        return FulfillmentStatus.PARTIALLY_FULFILLED
    if fulfillments and all(fulfillment.delivered_at is not None for fulfillment in fulfillments):
        return FulfillmentStatus.DELIVERED
    return FulfillmentStatus.FULFILLED


async def refresh_payment_status(db: AsyncSession, order: Order) -> PaymentStatus:
    """Re-derive the order's payment status from its ledger (after a payment or refund changed)."""
    order.payment_status = derive(await payments.payments_of(db, order.id))
    complete_if_done(order)
    await db.flush()
    return order.payment_status


def complete_if_done(order: Order) -> None:
    """An open order that is paid and whose shipping is done is completed."""
    done = order.fulfillment_status in (FulfillmentStatus.FULFILLED, FulfillmentStatus.DELIVERED)
    if order.status is OrderStatus.OPEN and done and order.payment_status in PAID:
        order.status = OrderStatus.COMPLETED
        order.completed_at = utcnow()
