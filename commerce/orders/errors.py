"""Problems of orders, fulfilments and refunds."""

from __future__ import annotations

from core.errors import Conflict, Forbidden, InvalidInput, NotFound


class OrderNotFound(NotFound):
    code = "order_not_found"
    title = "The order does not exist."


class FulfillmentNotFound(NotFound):
    code = "fulfillment_not_found"
    title = "The fulfilment does not exist on this order."


class RefundNotFound(NotFound):
    code = "refund_not_found"
    title = "The refund does not exist on this order."


class OrderCanceled(Conflict):
    code = "order_canceled"
    title = "The order is canceled; it can no longer be fulfilled."


class OrderNotCancelable(Conflict):
    code = "order_not_cancelable"
    title = "The order cannot be canceled: it is already canceled, or some of it was fulfilled."


class UnknownOrderLine(InvalidInput):
    code = "unknown_order_line"
    title = "No line of this order has this id."


class FulfillmentExceedsOrder(Conflict):
    code = "fulfillment_exceeds_order"
    title = "More units than are left to fulfil on the line; nothing was fulfilled."


class NothingToFulfil(Conflict):
    code = "nothing_to_fulfil"
    title = "Every unit of the order that needs shipping is already fulfilled."


class RefundExceedsRefundable(Conflict):
    code = "refund_exceeds_refundable"
    title = "The refund is more than what is left to refund of the payment; nothing was refunded."


class RefundQuantityExceeded(Conflict):
    code = "refund_quantity_exceeded"
    title = "More units than are left to refund on the line; nothing was refunded."


class OrderNotPaid(Conflict):
    code = "order_not_paid"
    title = "The order has no succeeded payment to refund."


class InvalidOrderLink(Forbidden):
    code = "invalid_order_link"
    title = "The order link is invalid or has expired."
