"""The tenant of a unit of work, as an explicit typed value."""

from __future__ import annotations

import uuid
from contextlib import AbstractAsyncContextManager
from contextvars import ContextVar
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from core.db import Database
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


# The tenant of the running Celery task (or CLI command): jobs published while it is set carry it.
# A mirror of the explicit value, for the places a value cannot be passed (Celery's publish signal).
current_tenant: ContextVar[TenantContext | None] = ContextVar("current_tenant", default=None)


def tenant_session(
    database: Database, tenant: TenantContext, *, tenant_role: bool = True
) -> AbstractAsyncContextManager[AsyncSession]:
    """A session routed to ``tenant``'s schema, running as its role; jobs it queues carry the tenant.

    ``tenant_role=False`` keeps the runtime role: only for building the schema (provisioning).
    """
    return database.scoped_session(tenant.schema_name, tenant_id=tenant.id, tenant_role=tenant_role)
