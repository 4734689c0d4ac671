"""Order task adapters: each parses its message and calls one service."""

from __future__ import annotations

import uuid
from datetime import timedelta

from commerce.orders import refunds
from workers.registry import tenant_task
from workers.task import CommerceTask


# Idempotent: the Stripe refund is created with a key derived from our refund id, and a refund no longer
# pending (or already known to Stripe) is left as it is.
@tenant_task("orders.submit_refund", idempotent=True)
def submit_refund(task: CommerceTask, refund_id: str) -> str:
    """Send a pending refund to Stripe again (it was unreachable when the refund was requested)."""
    tenant, gateway = task.tenant, task.runtime.stripe
    refund = task.runtime.in_tenant(tenant, lambda db: refunds.submit_refund(db, gateway, uuid.UUID(refund_id)))
    return refund.status.value


@tenant_task("orders.resubmit_refunds", idempotent=True)
def resubmit_refunds(task: CommerceTask) -> int:
    """Beat (through the fan-out): pending refunds Stripe never acknowledged, a while after they were requested."""
    if not task.runtime.settings.stripe.enabled:
        return 0  # no Stripe, no refunds to send
    tenant, gateway = task.tenant, task.runtime.stripe
    older_than = task.runtime.clock() - timedelta(seconds=task.runtime.settings.stripe.event_retry_after_seconds)
    return task.runtime.in_tenant(
        tenant, lambda db: refunds.resubmit_unacknowledged(db, gateway, older_than=older_than)
    )
