"""The merchant's orders: list and read (``orders:read``); notes, archive, cancel, fulfil, deliver, refund
(``orders:write``). Every change takes ``If-Match`` (the order's ``version``; 412 when stale) and answers
with the order's ``ETag``."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Header, Query, Response

from api.deps import IfMatch, OrdersRead, OrdersWrite, State, TenantSession, etag, tag
from api.idempotency import HEADER, IdempotencyKeyRequired, IdempotentRoute
from api.problems import problems
from billing.errors import BillingNotConfigured, StripeRequestFailed, StripeUnavailable
from billing.payments.models import PaymentStatus, Refund
from commerce.inventory.errors import LocationInactive, OnHandWouldBeNegative, UnknownLocation
from commerce.orders import cancellation, fulfilments, refunds
from commerce.orders import service as orders_service
from commerce.orders.errors import (
    FulfillmentExceedsOrder,
    FulfillmentNotFound,
    NothingToFulfil,
    OrderCanceled,
    OrderNotCancelable,
    OrderNotFound,
    OrderNotPaid,
    RefundExceedsRefundable,
    RefundNotFound,
    RefundQuantityExceeded,
    UnknownOrderLine,
)
from commerce.orders.models import MAX_ORDER_NUMBER, Fulfillment, FulfillmentStatus, Order, OrderEvent, OrderStatus
from commerce.orders.repository import OrderFilters
from commerce.orders.schemas import (
    FulfillmentCreate,
    FulfillmentRead,
    NoteCreate,
    OrderCancel,
    OrderRead,
    OrderSummary,
    RefundCreate,
    RefundRead,
    TimelineEntryRead,
)
from core.errors import InvalidCursor, VersionMismatch
from core.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from core.validation import Text
from tenants.errors import TenantNotFound

router = APIRouter(route_class=IdempotentRoute, prefix="/orders", tags=["admin: orders"])

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
Cursor = Annotated[Text | None, Query(description="Id of the last item of the previous page.")]
_NOT_FOUND = (OrderNotFound, TenantNotFound)
_CHANGE = (*_NOT_FOUND, VersionMismatch)
# ``IdempotencyKeyRequired`` (in the route's dependencies) requires and documents the header and the idempotency
# layer replays the response; the refund also reads the key: its id derives from it (one refund per key).
IdempotencyKeyValue = Annotated[Text | None, Header(alias=HEADER, include_in_schema=False)]


async def _detail(db: TenantSession, order: Order, response: Response) -> OrderRead:
    response.headers["ETag"] = etag(order.version)
    return await orders_service.detail_of(db, order)


@router.get("", response_model=Page[OrderSummary], operation_id="orders_list", responses=problems(InvalidCursor))
async def list_orders(
    db: TenantSession,
    staff: OrdersRead,
    status: OrderStatus | None = None,
    payment_status: PaymentStatus | None = None,
    fulfillment_status: FulfillmentStatus | None = None,
    archived: Annotated[
        bool | None, Query(description="Default false (archived orders hidden); true: only archived.")
    ] = False,
    created_gte: Annotated[datetime | None, Query(description="Created at or after (RFC 3339).")] = None,
    created_lt: Annotated[datetime | None, Query(description="Created before (RFC 3339).")] = None,
    customer_id: uuid.UUID | None = None,
    email: Annotated[Text | None, Query(max_length=320, description="Exact, case-insensitive.")] = None,
    number: Annotated[int | None, Query(ge=1, le=MAX_ORDER_NUMBER)] = None,
    q: Annotated[
        Text | None,
        Query(
            max_length=200,
            description="Search: an order number (`1042` or `#1042`), an email prefix, or part of the customer's name.",
        ),
    ] = None,
    limit: Limit = DEFAULT_LIMIT,
    starting_after: Cursor = None,
) -> Page[OrderSummary]:
    """Orders, newest first, filtered by statuses, creation time, customer, email, number or a search."""
    filters = OrderFilters(
        status=status,
        payment_status=payment_status,
        fulfillment_status=fulfillment_status,
        archived=archived,
        created_gte=created_gte,
        created_lt=created_lt,
        customer_id=customer_id,
        email=email,
        number=number,
        q=q,
    )
    rows, has_more = await orders_service.list_orders(db, filters, limit=limit, starting_after=starting_after)
    return Page[OrderSummary].model_validate({"data": rows, "has_more": has_more}, from_attributes=True)


@router.get("/{order_id}", response_model=OrderRead, operation_id="orders_get", responses=problems(*_NOT_FOUND))
async def get_order(order_id: uuid.UUID, db: TenantSession, staff: OrdersRead, response: Response) -> OrderRead:
    """The whole order: lines, totals, addresses, shipping, discount, taxes, payments, refunds, fulfilments and
    its timeline."""
    return await _detail(db, await orders_service.get_order(db, order_id), response)


@router.post(
    "/{order_id}/notes",
    status_code=201,
    response_model=TimelineEntryRead,
    operation_id="orders_notes_create",
    responses=problems(*_CHANGE),
)
async def add_order_note(
    order_id: uuid.UUID, body: NoteCreate, db: TenantSession, staff: OrdersWrite, if_match: IfMatch
) -> OrderEvent:
    """A staff note on the order's timeline (`note_added`)."""
    return await orders_service.add_note(db, order_id, body, if_match=if_match, actor=staff)


@router.post(
    "/{order_id}/archive", response_model=OrderRead, operation_id="orders_archive", responses=problems(*_CHANGE)
)
async def archive_order(
    order_id: uuid.UUID, db: TenantSession, staff: OrdersWrite, if_match: IfMatch, response: Response
) -> OrderRead:
    """Hide the order from the default list (a flag; its statuses do not change)."""
    order = await orders_service.set_archived(db, order_id, archived=True, if_match=if_match, actor=staff)
    return await _detail(db, order, response)


@router.post(
    "/{order_id}/unarchive", response_model=OrderRead, operation_id="orders_unarchive", responses=problems(*_CHANGE)
)
async def unarchive_order(
    order_id: uuid.UUID, db: TenantSession, staff: OrdersWrite, if_match: IfMatch, response: Response
) -> OrderRead:
    order = await orders_service.set_archived(db, order_id, archived=False, if_match=if_match, actor=staff)
    return await _detail(db, order, response)


@router.post(
    "/{order_id}/cancel",
    response_model=OrderRead,
    operation_id="orders_cancel",
    responses=problems(*_CHANGE, OrderNotCancelable, BillingNotConfigured),
)
async def cancel_order(
    order_id: uuid.UUID,
    body: OrderCancel,
    db: TenantSession,
    staff: OrdersWrite,
    state: State,
    if_match: IfMatch,
    response: Response,
) -> OrderRead:
    """Cancel an order nothing of which is fulfilled: its stock is released, what was paid is refunded and a
    payment still open is voided at Stripe. The refunds appear on the order (pending until Stripe confirms)."""
    done = await cancellation.cancel_order(
        db,
        order_id,
        body,
        if_match=if_match,
        actor=staff,
        stripe_configured=state.stripe is not None,
        refund_application_fee=state.settings.stripe.refund_application_fee,
    )
    # The cancel and its pending refunds commit before Stripe is called: no lock is held while it answers.
    await db.commit()
    order = await cancellation.settle(db, state.stripe, done)
    return await _detail(db, order, response)


@router.post(
    "/{order_id}/fulfillments",
    status_code=201,
    response_model=FulfillmentRead,
    operation_id="orders_fulfillments_create",
    responses=problems(
        *_CHANGE,
        OrderCanceled,
        UnknownOrderLine,
        FulfillmentExceedsOrder,
        NothingToFulfil,
        UnknownLocation,
        LocationInactive,
        OnHandWouldBeNegative,
    ),
)
async def fulfil_order(
    order_id: uuid.UUID,
    body: FulfillmentCreate,
    db: TenantSession,
    staff: OrdersWrite,
    if_match: IfMatch,
    response: Response,
) -> Fulfillment:
    """Ship some or all lines from a location (its `on_hand` and the order's `committed` go down), with the
    carrier's tracking; the shopper gets a shipping confirmation unless `notify_customer` is false. The
    response's `ETag` is the order's new version."""
    fulfillment = await fulfilments.fulfil(db, order_id, body, if_match=if_match, actor=staff)
    order = await orders_service.get_order(db, order_id)
    tag(response, order)
    return fulfillment


@router.post(
    "/{order_id}/fulfillments/{fulfillment_id}/deliver",
    response_model=OrderRead,
    operation_id="orders_fulfillments_deliver",
    responses=problems(*_CHANGE, FulfillmentNotFound),
)
async def mark_fulfillment_delivered(
    order_id: uuid.UUID,
    fulfillment_id: uuid.UUID,
    db: TenantSession,
    staff: OrdersWrite,
    if_match: IfMatch,
    response: Response,
) -> OrderRead:
    """The carrier delivered this fulfilment; the order is `delivered` once all of it is fulfilled and delivered."""
    order = await orders_service.mark_delivered(db, order_id, fulfillment_id, if_match=if_match, actor=staff)
    return await _detail(db, order, response)


@router.post(
    "/{order_id}/refunds",
    status_code=201,
    response_model=RefundRead,
    operation_id="orders_refunds_create",
    dependencies=[IdempotencyKeyRequired],
    responses=problems(
        *_CHANGE,
        OrderNotPaid,
        RefundExceedsRefundable,
        RefundQuantityExceeded,
        UnknownOrderLine,
        BillingNotConfigured,
        StripeUnavailable,
        StripeRequestFailed,
    ),
)
async def refund_order(
    order_id: uuid.UUID,
    body: RefundCreate,
    db: TenantSession,
    staff: OrdersWrite,
    state: State,
    if_match: IfMatch,
    idempotency_key: IdempotencyKeyValue = None,
) -> Refund:
    """Refund an amount, or lines (each unit's share of its line's total) plus an optional shipping amount, on the
    payment's connected account. Never more than what was paid, whatever runs concurrently: the refund is held
    `pending` first, then sent to Stripe; Stripe refusing it makes it `failed` (its amount is refundable again).
    Its final status also follows Stripe's webhooks. `Idempotency-Key` is required."""
    assert idempotency_key is not None  # IdempotencyKeyRequired refused the request without it
    if state.stripe is None:
        raise BillingNotConfigured()
    refund = await refunds.request_refund(
        db,
        order_id,
        body,
        idempotency_key=idempotency_key,
        refund_application_fee=state.settings.stripe.refund_application_fee,
        if_match=if_match,
        actor=staff,
    )
    # The pending refund (which holds its amount) commits before Stripe is called: no lock is held meanwhile.
    await db.commit()
    return await refunds.submit_refund(db, state.stripe, refund.id)


@router.get(
    "/{order_id}/refunds/{refund_id}",
    response_model=RefundRead,
    operation_id="orders_refunds_get",
    responses=problems(*_NOT_FOUND, RefundNotFound),
)
async def get_refund(order_id: uuid.UUID, refund_id: uuid.UUID, db: TenantSession, staff: OrdersRead) -> Refund:
    return await refunds.get_refund(db, order_id, refund_id)
