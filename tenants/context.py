"""The tenant of a unit of work, as an explicit typed value."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from tenants.models import Tenant, TenantStatus


@dataclass(frozen=True, slots=True)
class TenantContext:
    """Who the request, task or command works for. Built only from the registry, never from input."""

    id: uuid.UUID
    slug: str
    schema_name: str
    status: TenantStatus

    @classmethod
    def of(cls, tenant: Tenant) -> TenantContext:
        return cls(id=tenant.id, slug=tenant.slug, schema_name=tenant.schema_name, status=tenant.status)
