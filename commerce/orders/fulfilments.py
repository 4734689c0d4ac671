"""Fulfilling an order: some or all of its lines ship from one location, with the carrier's tracking.

Under the order's lock: each line's ``fulfilled_quantity`` grows by what ships (never past what is still to
ship, ``OrderLine.to_fulfil``: 409 ``fulfillment_exceeds_order``), stock leaves the building (``commerce.inventory.commitments.ship``: ``on_hand``
down at the location, ``committed`` down where the order holds it), the fulfilment status is re-derived, the
timeline says ``fulfilled``, ``order.fulfilled`` is recorded, and the shipping confirmation is queued.
A canceled order is not fulfilled (409 ``order_canceled``).
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from auth.principals import Principal
from commerce.inventory import commitments
from commerce.orders import repository
from commerce.orders import service as orders
from commerce.orders.errors import FulfillmentExceedsOrder, NothingToFulfil, OrderCanceled, UnknownOrderLine
from commerce.orders.models import Fulfillment, FulfillmentLine, OrderEventKind, OrderStatus
from commerce.orders.schemas import FulfillmentCreate, FulfillmentRead
from core import jobs

SEND_SHIPPING_CONFIRMATION = "mail.send_shipping_confirmation"


async def fulfil(
    db: AsyncSession, order_id: uuid.UUID, body: FulfillmentCreate, *, if_match: int | None, actor: Principal
) -> Fulfillment:
    order = await orders.lock_order(db, order_id, if_match=if_match)
    if order.status is OrderStatus.CANCELED:
        raise OrderCanceled()
    lines = {line.id: line for line in order.lines}
    if body.lines is None:
        wanted = {line.id: line.to_fulfil for line in order.lines if line.requires_shipping and line.to_fulfil}
        if not wanted:
            raise NothingToFulfil()
    else:
        wanted = {}
        for item in body.lines:
            if item.order_line_id not in lines:
                raise UnknownOrderLine(order_line_id=str(item.order_line_id))
            wanted[item.order_line_id] = wanted.get(item.order_line_id, 0) + item.quantity
    for line_id, quantity in wanted.items():
        line = lines[line_id]
        if quantity > line.to_fulfil:
            raise FulfillmentExceedsOrder(order_line_id=str(line_id), remaining=line.to_fulfil, requested=quantity)
        line.fulfilled_quantity += quantity
    fulfillment = Fulfillment(
        order_id=order.id,
        location_id=body.location_id,
        carrier=body.carrier,
        tracking_number=body.tracking_number,
        tracking_url=body.tracking_url,
    )
    fulfillment.lines = [
        FulfillmentLine(order_line_id=line_id, quantity=quantity) for line_id, quantity in wanted.items()
    ]
    await repository.add(db, fulfillment)
    units = [
        commitments.Units(variant_id=variant_id, quantity=quantity)
        for line_id, quantity in wanted.items()
        if (variant_id := lines[line_id].variant_id) is not None
    ]
    await commitments.ship(
        db,
        body.location_id,
        units,
        references=commitments.order_references(order.id, order.checkout_id),
        actor=actor,
    )
    order.fulfillment_status = orders.derive_fulfillment_status(order, await repository.fulfillments_of(db, order.id))
    orders.complete_if_done(order)
    if body.notify_customer:
        jobs.enqueue(db, SEND_SHIPPING_CONFIRMATION, order_id=str(order.id), fulfillment_id=str(fulfillment.id))
    await orders.changed(
        db,
        order,
        "order.fulfilled",
        actor=actor,
        timeline=(
            OrderEventKind.FULFILLED,
            {
                "fulfillment_id": str(fulfillment.id),
                "lines": [{"order_line_id": str(k), "quantity": v} for k, v in wanted.items()],
                "tracking_number": body.tracking_number,
            },
        ),
        extra_events=[
            (
                "fulfillment.created",
                fulfillment.id,
                None,
                FulfillmentRead.model_validate(fulfillment).model_dump(mode="json"),
            )
        ],
    )
    return fulfillment
