"""Adapters of commerce.checkout's background work."""

from __future__ import annotations

import functools

from commerce.checkout import service as checkout_service
from commerce.checkout import sweep
from workers.registry import tenant_task
from workers.task import CommerceTask

SWEEP = "checkout.sweep"
_MAX_BATCHES = 20  # bounded per run: the next beat tick continues


@tenant_task(SWEEP, idempotent=True)
def sweep_carts(task: CommerceTask) -> int:
    """Expire the tenant's idle carts and let its abandoned checkouts go (fanned out by the beat to active
    tenants); one transaction per batch of carts and per abandoned checkout. Returns how many carts expired."""
    tenant, now, runtime = task.tenant, task.runtime.clock(), task.runtime
    total = 0
    for _ in range(_MAX_BATCHES):
        expired, intents = runtime.in_tenant(tenant, functools.partial(sweep.expire_idle_carts, now=now))
        runtime.run(checkout_service.cancel_intents(runtime.stripe, intents))
        total += expired
        if expired < sweep.SWEEP_BATCH:
            break
    after = runtime.settings.checkout.abandoned_checkout_seconds
    abandoned = runtime.in_tenant(tenant, functools.partial(sweep.abandoned_checkouts, now=now, after_seconds=after))
    for checkout_id in abandoned:
        settle = functools.partial(sweep.settle_abandoned, gateway=runtime.stripe, checkout_id=checkout_id, now=now)
        runtime.in_tenant(tenant, settle)
    return total
