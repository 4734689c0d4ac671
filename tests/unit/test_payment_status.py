"""An order's payment status is derived from its payments in one place (billing.payments.status.derive)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from billing.payments.models import IntentStatus, PaymentStatus
from billing.payments.status import derive

S = IntentStatus


@dataclass(frozen=True)
class Row:
    status: IntentStatus
    amount_received: int = 0
    amount_refunded: int = 0
    failure_message: str | None = None


@pytest.mark.parametrize(
    ("payments", "expected"),
    [
        ([], PaymentStatus.UNPAID),
        ([Row(S.REQUIRES_PAYMENT_METHOD)], PaymentStatus.PENDING),
        ([Row(S.PROCESSING)], PaymentStatus.PENDING),
        ([Row(S.REQUIRES_PAYMENT_METHOD, failure_message="card_declined")], PaymentStatus.FAILED),
        ([Row(S.CANCELED)], PaymentStatus.VOIDED),
        ([Row(S.CANCELED), Row(S.REQUIRES_ACTION)], PaymentStatus.PENDING),
        ([Row(S.SUCCEEDED, 1000)], PaymentStatus.PAID),
        ([Row(S.SUCCEEDED, 1000, 1)], PaymentStatus.PARTIALLY_REFUNDED),
        ([Row(S.SUCCEEDED, 1000, 1000)], PaymentStatus.REFUNDED),
        # money received wins over a failed or canceled earlier attempt
        (
            [Row(S.CANCELED), Row(S.REQUIRES_PAYMENT_METHOD, failure_message="x"), Row(S.SUCCEEDED, 500)],
            PaymentStatus.PAID,
        ),
        # refunds count across the succeeded payments
        ([Row(S.SUCCEEDED, 500, 500), Row(S.SUCCEEDED, 300)], PaymentStatus.PARTIALLY_REFUNDED),
        ([Row(S.SUCCEEDED, 500, 500), Row(S.SUCCEEDED, 300, 300)], PaymentStatus.REFUNDED),
    ],
)
def test_payment_status_is_derived_from_the_ledger(payments: list[Row], expected: PaymentStatus) -> None:
    assert derive(payments) is expected
