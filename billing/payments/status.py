"""An order's payment status, derived from its payments (one per PaymentIntent) in one place."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from billing.payments.models import IntentStatus, PaymentStatus

_PENDING = frozenset(
    {
        IntentStatus.REQUIRES_CONFIRMATION,
        IntentStatus.REQUIRES_ACTION,
        IntentStatus.PROCESSING,
        IntentStatus.REQUIRES_CAPTURE,
    }
)


class PaymentFacts(Protocol):
    @property
    def status(self) -> IntentStatus: ...
    @property
    def amount_received(self) -> int: ...
    @property
    def amount_refunded(self) -> int: ...
    @property
    def failure_message(self) -> str | None: ...


def derive(payments: Iterable[PaymentFacts]) -> PaymentStatus:
    """Money received wins over everything else: any succeeded payment makes the order paid, partially
    refunded or refunded by what was received and refunded across payments. Otherwise the most advanced
    attempt tells: one in flight is pending; only canceled ones is voided; a declined one is failed."""
    rows = list(payments)
    received = sum(row.amount_received for row in rows if row.status is IntentStatus.SUCCEEDED)
    if received > 0:
        refunded = sum(row.amount_refunded for row in rows if row.status is IntentStatus.SUCCEEDED)
        if refunded >= received:
            return PaymentStatus.REFUNDED
        return PaymentStatus.PARTIALLY_REFUNDED if refunded > 0 else PaymentStatus.PAID
    if not rows:
        return PaymentStatus.UNPAID
    if any(row.status in _PENDING for row in rows):
        return PaymentStatus.PENDING
    if all(row.status is IntentStatus.CANCELED for row in rows):
        return PaymentStatus.VOIDED
    if any(row.failure_message for row in rows):
        return PaymentStatus.FAILED
    return PaymentStatus.PENDING  # created, waiting for the shopper's payment method
