"""Adapters of commerce.customers' background work."""

from __future__ import annotations

import uuid

from commerce.customers import privacy
from workers.registry import tenant_task
from workers.task import CommerceTask


@tenant_task(privacy.EXPORT_JOB, idempotent=True)
def export_data(task: CommerceTask, export_id: str) -> str | None:
    """Build a customer's GDPR data export (queued by ``POST /admin/v1/customers/{id}/data-export``)."""
    tenant = task.tenant
    status = task.runtime.in_tenant(tenant, lambda db: privacy.build_export(db, uuid.UUID(export_id)))
    return status.value if status is not None else None
