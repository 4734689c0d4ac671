"""Adapters of core.idempotency's background work: expired keys are deleted."""

from __future__ import annotations

from core import idempotency
from core.idempotency import PlatformIdempotencyKey, TenantIdempotencyKey
from workers.registry import platform_task, tenant_task
from workers.task import CommerceTask

SWEEP_KEYS = "idempotency.sweep_keys"
SWEEP_PLATFORM_KEYS = "idempotency.sweep_platform_keys"
_MAX_BATCHES = 20  # bounded per run: the next beat tick continues


@tenant_task(SWEEP_KEYS, idempotent=True)
def sweep_keys(task: CommerceTask) -> int:
    """Delete the tenant's expired idempotency keys (fanned out by the beat to active tenants); returns how many.

    One transaction per batch, at the runtime's clock. An expired key is already ignored by requests (it is taken
    over); the sweep only keeps the table small.
    """
    tenant, now = task.tenant, task.runtime.clock()
    total = 0
    for _ in range(_MAX_BATCHES):
        deleted = task.runtime.in_tenant(tenant, lambda db: idempotency.sweep(db, TenantIdempotencyKey, now=now))
        total += deleted
        if deleted < idempotency.SWEEP_BATCH:
            break
    return total


@platform_task(SWEEP_PLATFORM_KEYS, idempotent=True)
def sweep_platform_keys(task: CommerceTask) -> int:
    """Delete the platform surface's expired idempotency keys; returns how many."""
    now = task.runtime.clock()
    total = 0
    for _ in range(_MAX_BATCHES):
        deleted = task.runtime.in_public(lambda db: idempotency.sweep(db, PlatformIdempotencyKey, now=now))
        total += deleted
        if deleted < idempotency.SWEEP_BATCH:
            break
    return total
