"""Order task adapters: each parses its message and calls one service."""

from __future__ import annotations

import uuid

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
