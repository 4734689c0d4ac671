"""Task adapters: each parses its message and calls one service."""

from __future__ import annotations

import random
from typing import Any

from commerce.shop import usage
from core.jobs import Job
from tenants import service as tenants_service
from tenants.ddl import TenantMigrations
from workers.registry import platform_task, tenant_task
from workers.task import CommerceTask


@platform_task("tenants.fan_out")
def fan_out(task: CommerceTask, task_name: str, kwargs: dict[str, Any] | None = None) -> int:
    """Queue ``task_name`` once for every active tenant at head, in batches spread over time with jitter.

    One beat entry per periodic job points here; the spread keeps thousands of tenants from hitting the
    database (and third parties) in the same second.
    """
    settings = task.runtime.settings.celery
    migrations = TenantMigrations()
    tenant_ids = task.runtime.in_public(lambda db: tenants_service.tenants_for_periodic_jobs(db, migrations))
    dispatcher = task.publisher
    for index, tenant_id in enumerate(tenant_ids):
        batch = index // settings.fan_out_batch_size
        delay = batch * settings.fan_out_batch_interval_seconds + random.uniform(0, settings.fan_out_jitter_seconds)  # noqa: S311
        dispatcher.dispatch(Job(name=task_name, kwargs=kwargs or {}, tenant_id=tenant_id, countdown=delay or None))
    return len(tenant_ids)


@tenant_task("tenants.collect_usage", idempotent=True)
def collect_usage(task: CommerceTask) -> int:
    tenant = task.tenant
    return task.runtime.in_tenant(tenant, lambda db: usage.collect_usage(db, tenant))
