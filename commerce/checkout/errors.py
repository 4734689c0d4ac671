"""Checkout problems. Refusals before payment name what to fix; after payment, a refusal means a refund."""

from __future__ import annotations

from core.errors import Conflict, NotFound


class CartIncomplete(Conflict):
    """``missing``: what the cart still needs (``lines``, ``email``, ``shipping_address``, ``shipping_rate``)."""

    code = "cart_incomplete"
    title = "The cart cannot be checked out yet: see `missing` for what it needs."


class CheckoutAmountInvalid(Conflict):
    code = "checkout_amount_invalid"
    title = "The cart's total must be more than zero to be paid."


class CheckoutNotFound(NotFound):
    code = "checkout_not_found"
    title = "The cart has no checkout to confirm; check it out first."


class PaymentNotCompleted(Conflict):
    """``payment_status``: the PaymentIntent's status (``requires_payment_method`` after a decline, ...). What was
    learnt is kept (the payment ledger)."""

    code = "payment_not_completed"
    title = "The payment has not succeeded (yet); no order was placed."
    keeps_changes = True


class CheckoutRefunded(Conflict):
    """``reason``: ``out_of_stock``, ``discount_unavailable``, ``cart_already_ordered`` or ``amount_mismatch``;
    ``refund_id``: the Stripe refund. The refund is kept."""

    code = "checkout_refunded"
    title = "The payment succeeded but the order could not be placed; the payment was refunded in full."
    keeps_changes = True
