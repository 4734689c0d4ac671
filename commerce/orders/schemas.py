"""Request and response bodies of orders, their fulfilments, refunds and timeline.

Amounts are integers in the minor units of the order's ``currency`` (one currency per order).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, computed_field, model_validator

from billing.payments.models import PaymentStatus, RefundStatus
from commerce.orders.models import FulfillmentStatus, OrderEventKind, OrderStatus
from core.money import MinorUnits
from core.schemas import ResourceRead
from core.validation import MultilineText, Text

Quantity = Annotated[int, Field(ge=1, le=1_000_000)]
ShortText = Annotated[Text, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]


# --- reads ---------------------------------------------------------------------------------------------


class TaxLineRead(BaseModel):
    name: str
    rate_bps: int = Field(description="The rate in basis points (2000 = 20%).")
    amount: int


class OrderLineRead(ResourceRead):
    object: str = "order_line"
    position: int
    variant_id: uuid.UUID | None
    product_id: uuid.UUID | None
    product_title: str
    variant_title: str
    sku: str | None
    requires_shipping: bool
    quantity: int
    unit_price: int
    subtotal: int
    discount_total: int
    tax_total: int
    total: int
    tax_lines: list[dict[str, Any]]
    discounts: list[dict[str, Any]]
    fulfilled_quantity: int
    refunded_quantity: int
    unshipped_refunded_quantity: int = Field(description="Refunded units that had not shipped: never to ship.")


class OrderSummary(ResourceRead):
    """An order in a list (and the snapshot of ``order.*`` events)."""

    object: str = "order"
    number: int
    email: str
    customer_id: uuid.UUID | None
    currency: str
    status: OrderStatus
    payment_status: PaymentStatus
    fulfillment_status: FulfillmentStatus
    subtotal: int
    discount_total: int
    shipping_total: int
    tax_total: int
    total: int
    version: int
    created_at: datetime
    updated_at: datetime
    canceled_at: datetime | None
    cancel_reason: str | None
    paid_at: datetime | None
    completed_at: datetime | None
    archived_at: datetime | None

    @computed_field(description="Archived orders are hidden from the default list.")  # type: ignore[prop-decorator]
    @property
    def archived(self) -> bool:
        return self.archived_at is not None


class PaymentRead(ResourceRead):
    object: str = "payment"
    payment_intent_id: str
    status: str = Field(description="The PaymentIntent's status, as Stripe names it.")
    amount: int
    currency: str
    amount_received: int
    amount_refunded: int
    application_fee_amount: int
    application_fee_refunded: int
    disputed: bool
    failure_message: str | None
    created_at: datetime


class PaymentSummary(BaseModel):
    """The order's money at a glance, over its payments and refunds."""

    received: int = Field(description="What the succeeded payments received.")
    refunded: int = Field(description="What succeeded refunds gave back.")
    refunds_pending: int = Field(description="What refunds not yet confirmed by Stripe hold.")
    refundable: int = Field(description="`received - refunded - refunds_pending`: what a refund may still take.")
    disputed: bool


class RefundLineRead(BaseModel):
    order_line_id: uuid.UUID
    quantity: int
    amount: int


class RefundRead(ResourceRead):
    object: str = "refund"
    order_id: uuid.UUID
    payment_id: uuid.UUID
    stripe_refund_id: str | None
    status: RefundStatus
    amount: int
    currency: str
    reason: str | None
    note: str | None
    lines: list[RefundLineRead]
    shipping_amount: int
    restock_location_id: uuid.UUID | None
    refund_application_fee: bool
    failure_reason: str | None
    created_at: datetime
    updated_at: datetime


class FulfillmentLineRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    order_line_id: uuid.UUID
    quantity: int


class FulfillmentRead(ResourceRead):
    object: str = "fulfillment"
    order_id: uuid.UUID
    location_id: uuid.UUID | None
    carrier: str | None
    tracking_number: str | None
    tracking_url: str | None
    delivered_at: datetime | None
    lines: list[FulfillmentLineRead]
    created_at: datetime


class TimelineEntryRead(ResourceRead):
    object: str = "order_event"
    kind: OrderEventKind
    data: dict[str, Any]
    actor_kind: str | None
    actor_id: uuid.UUID | None
    created_at: datetime


class OrderRead(OrderSummary):
    """The whole order: lines, totals, addresses, the payment ledger, fulfilments and the timeline."""

    prices_include_tax: bool
    tax_exempt: bool
    shipping_address: dict[str, Any] | None
    billing_address: dict[str, Any] | None
    shipping_line: dict[str, Any] | None
    discount: dict[str, Any] | None
    tax_lines: list[dict[str, Any]]
    note: str = Field(description="The shopper's note at checkout.")
    lines: list[OrderLineRead]
    payment_summary: PaymentSummary
    payments: list[PaymentRead]
    refunds: list[RefundRead]
    fulfillments: list[FulfillmentRead]
    timeline: list[TimelineEntryRead] = Field(description="Oldest first.")


class StorefrontOrderRead(ResourceRead):
    """What the shopper sees of their order: no payment ledger, no merchant notes."""

    object: str = "order"
    number: int
    email: str
    currency: str
    status: OrderStatus
    payment_status: PaymentStatus
    fulfillment_status: FulfillmentStatus
    subtotal: int
    discount_total: int
    shipping_total: int
    tax_total: int
    total: int
    shipping_address: dict[str, Any] | None
    billing_address: dict[str, Any] | None
    shipping_line: dict[str, Any] | None
    discount: dict[str, Any] | None
    tax_lines: list[dict[str, Any]]
    lines: list[OrderLineRead]
    fulfillments: list[FulfillmentRead]
    refunded_total: int = Field(description="What was refunded so far (succeeded refunds).")
    created_at: datetime
    canceled_at: datetime | None


# --- writes --------------------------------------------------------------------------------------------


class NoteCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Annotated[MultilineText, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]


class OrderCancel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Literal["customer", "fraud", "inventory", "declined", "other"] = "other"


class LineQuantity(BaseModel):
    model_config = ConfigDict(extra="forbid")

    order_line_id: uuid.UUID
    quantity: Quantity


class FulfillmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    location_id: uuid.UUID = Field(description="The location the units ship from (its `on_hand` goes down).")
    lines: list[LineQuantity] | None = Field(
        default=None, max_length=500, description="Omitted: every unit still to fulfil of every line that ships."
    )
    carrier: ShortText | None = Field(default=None, max_length=100)
    tracking_number: ShortText | None = None
    tracking_url: Annotated[Text, StringConstraints(max_length=2048, pattern=r"^https?://\S+$")] | None = None
    notify_customer: bool = Field(default=True, description="Mail the shopper a shipping confirmation.")


class RefundCreate(BaseModel):
    """Either ``amount``, or ``lines`` (each line's share of its total) plus an optional ``shipping_amount``."""

    model_config = ConfigDict(extra="forbid")

    amount: Annotated[MinorUnits, Field(gt=0)] | None = None
    lines: list[LineQuantity] | None = Field(default=None, min_length=1, max_length=500)
    shipping_amount: MinorUnits = 0
    reason: Literal["duplicate", "fraudulent", "requested_by_customer", "other"] | None = None
    note: Annotated[Text, StringConstraints(strip_whitespace=True, max_length=1000)] | None = None
    restock_location_id: uuid.UUID | None = Field(
        default=None, description="Put the refunded lines' units back on hand at this location."
    )

    @model_validator(mode="after")
    def _amount_or_lines(self) -> RefundCreate:
        if (self.amount is None) == (self.lines is None and self.shipping_amount == 0):
            raise ValueError("give either amount, or lines and/or shipping_amount")
        if self.restock_location_id is not None and self.lines is None:
            raise ValueError("restock_location_id needs lines (which units go back on hand)")
        return self
