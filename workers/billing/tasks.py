"""Billing task adapters: each parses its message and calls one service."""

from __future__ import annotations

from billing import inbox
from billing import service as billing_service
from workers.registry import platform_task, tenant_task
from workers.task import RETRYABLE, CommerceTask


# Idempotent (a lock, the registry row and a Stripe idempotency key derived from the tenant id), so
# acknowledged late: a worker lost mid-task leaves the job queued, and the re-run finds or replays the account.
@tenant_task("billing.create_connected_account", idempotent=True)
def create_connected_account(task: CommerceTask) -> str:
    tenant, gateway = task.tenant, task.runtime.stripe
    account = task.runtime.in_tenant(tenant, lambda db: billing_service.create_connected_account(db, gateway, tenant))
    return account.account_id


@tenant_task("billing.process_event", idempotent=True)
def process_event(task: CommerceTask, event_id: str) -> str:
    tenant, gateway = task.tenant, task.runtime.stripe
    try:
        status = task.runtime.in_tenant(tenant, lambda db: inbox.process_event(db, gateway, event_id, tenant))
    except Exception as exc:
        # Visible in the inbox row whether or not Celery retries; ``failed`` once no retry follows.
        final = not isinstance(exc, RETRYABLE) or task.request.retries >= (task.max_retries or 0)
        error = f"{type(exc).__name__}: {exc}"
        task.runtime.in_public(lambda db: inbox.record_failure(db, event_id, error, final=final))
        raise
    return status.value


@platform_task("billing.retry_pending_events")
def retry_pending_events(task: CommerceTask) -> int:
    settings = task.runtime.settings.stripe
    return task.runtime.in_public(lambda db: inbox.requeue_stale_events(db, settings))
