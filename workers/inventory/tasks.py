"""Adapters of commerce.inventory's background work."""

from __future__ import annotations

from commerce.inventory import reservations
from workers.registry import tenant_task
from workers.task import CommerceTask

EXPIRE_RESERVATIONS = "inventory.expire_reservations"
_MAX_BATCHES = 20  # bounded per run: the next beat tick continues


@tenant_task(EXPIRE_RESERVATIONS, idempotent=True)
def expire_reservations(task: CommerceTask) -> int:
    """Give back the stock of the tenant's expired reservations (fanned out by the beat to active tenants).

    One transaction per batch, at the runtime's clock; returns how many reservations expired.
    """
    tenant, now = task.tenant, task.runtime.clock()
    total = 0
    for _ in range(_MAX_BATCHES):
        expired = task.runtime.in_tenant(tenant, lambda db: reservations.expire_due(db, now=now))
        total += expired
        if expired < reservations.SWEEP_BATCH:
            break
    return total
