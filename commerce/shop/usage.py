"""Tenant usage snapshots, for plans and billing: collected per tenant by a periodic job."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from auth.staff import service as staff_service
from tenants import service as tenants_service
from tenants.context import TenantContext


async def collect_usage(db: AsyncSession, tenant: TenantContext) -> int:
    """Count what the plan limits (active staff so far) and record it in the registry. Idempotent."""
    active_staff = await staff_service.count_active(db)
    await tenants_service.record_usage(db, tenant.id, active_staff_count=active_staff)
    return active_staff
