from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import Row, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.pagination import after_row
from tenants.models import Tenant, TenantDomain, TenantStatus


async def get(db: AsyncSession, tenant_id: uuid.UUID, *, for_update: bool = False) -> Tenant | None:
    query = select(Tenant).where(Tenant.id == tenant_id)
    if for_update:
        query = query.with_for_update()
    return await db.scalar(query)


async def get_by_slug(db: AsyncSession, slug: str) -> Tenant | None:
    return await db.scalar(select(Tenant).where(Tenant.slug == slug))


async def get_by_host(db: AsyncSession, host: str) -> Tenant | None:
    return await db.scalar(
        select(Tenant).join(TenantDomain, TenantDomain.tenant_id == Tenant.id).where(TenantDomain.host == host)
    )


async def list_page(db: AsyncSession, limit: int, *, after: Tenant | None, status: TenantStatus | None) -> list[Tenant]:
    """``limit + 1`` tenants in creation order (ties broken by id), after the ``after`` tenant if given."""
    query = select(Tenant).order_by(Tenant.created_at, Tenant.id).limit(limit + 1)
    if status is not None:
        query = query.where(Tenant.status == status)
    if after is not None:
        query = query.where(after_row(Tenant.created_at, Tenant.id, after))
    return list((await db.scalars(query)).all())


async def get_domain(db: AsyncSession, tenant_id: uuid.UUID, host: str) -> TenantDomain | None:
    return await db.scalar(select(TenantDomain).where(TenantDomain.tenant_id == tenant_id, TenantDomain.host == host))


async def list_domains(db: AsyncSession, tenant_id: uuid.UUID) -> list[TenantDomain]:
    query = select(TenantDomain).where(TenantDomain.tenant_id == tenant_id).order_by(TenantDomain.host)
    return list((await db.scalars(query)).all())


async def count_by_revision(db: AsyncSession) -> Sequence[Row[str | None, int]]:
    """How many tenants with a schema sit at each revision (for the fleet summary)."""
    query = (
        select(Tenant.schema_revision, func.count())
        .where(Tenant.has_schema())
        .group_by(Tenant.schema_revision)
        .order_by(func.count().desc())
    )
    return (await db.execute(query)).all()


async def list_active_at(db: AsyncSession, revision: str) -> list[uuid.UUID]:
    """Ids of active tenants whose schema is at ``revision`` (periodic jobs skip the others)."""
    query = (
        select(Tenant.id)
        .where(Tenant.status == TenantStatus.ACTIVE, Tenant.schema_revision == revision)
        .order_by(Tenant.created_at, Tenant.id)
    )
    return list((await db.scalars(query)).all())


async def count_by_status(db: AsyncSession) -> Sequence[Row[TenantStatus, int]]:
    return (await db.execute(select(Tenant.status, func.count()).group_by(Tenant.status))).all()
