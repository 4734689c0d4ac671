"""The tenant lifecycle: provisioning -> active <-> suspended -> deleting (soft) -> deleted (purged).

``failed`` marks a provisioning that did not finish. Every change is announced so that cached
lookups, in every process, stop serving the old status once the change commits.
"""

from __future__ import annotations

import uuid

from sqlalchemy import text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core import jobs
from core.clock import utcnow
from core.errors import VersionMismatch
from core.pagination import cursor_row, split_page
from core.sqlscript import run_statements_async
from tenants import repository
from tenants.ddl import TenantMigrations, create_schema_statements, drop_schema_sql, schema_name_for
from tenants.errors import (
    InvalidTenantTransition,
    ReservedDomain,
    TenantDomainNotFound,
    TenantDomainTaken,
    TenantNotFound,
    TenantSlugTaken,
)
from tenants.models import Tenant, TenantDomain, TenantStatus
from tenants.resolution import announce_change
from tenants.roles import drop_tenant_role_statements, tenant_role_statements
from tenants.schemas import FleetSummary, RevisionCount, TenantCreate, TenantUpdate

# Which statuses each lifecycle action may start from.
_ALLOWED_FROM: dict[str, frozenset[TenantStatus]] = {
    "suspend": frozenset({TenantStatus.ACTIVE}),
    "resume": frozenset({TenantStatus.SUSPENDED}),
    # ``provisioning`` too: a process that died between provisioning's two transactions leaves one behind.
    "delete": frozenset({TenantStatus.ACTIVE, TenantStatus.SUSPENDED, TenantStatus.FAILED, TenantStatus.PROVISIONING}),
    "purge": frozenset({TenantStatus.DELETING, TenantStatus.FAILED}),
}


async def register(db: AsyncSession, body: TenantCreate) -> Tenant:
    """Record a new tenant as ``provisioning``; its schema name is generated here, never taken from input."""
    tenant_id = uuid.uuid4()
    tenant = Tenant(
        id=tenant_id,
        slug=body.slug,
        name=body.name,
        plan=body.plan,
        schema_name=schema_name_for(tenant_id),
        status=TenantStatus.PROVISIONING,
    )
    db.add(tenant)
    try:
        async with db.begin_nested():
            await db.flush()
    except IntegrityError as exc:
        raise TenantSlugTaken(slug=body.slug) from exc
    await announce_change(db, tenant.id)  # a cached miss for this slug must now answer 503, not 404
    return tenant


async def build_schema(
    db: AsyncSession, tenant: Tenant, migrations: TenantMigrations, *, revision: str | None = None
) -> str:
    """Create the tenant's schema at ``revision`` (default: head), in ``db``'s transaction (routed to that schema).

    Returns the revision the schema is at. The schema is the tenant migrations' own output.
    """
    target = migrations.resolve(revision) if revision else migrations.head
    raw = await (await db.connection()).get_raw_connection()
    statements = (
        *create_schema_statements(tenant.schema_name),
        *migrations.upgrade_statements(None, target),
        *tenant_role_statements(tenant.schema_name),
    )
    await run_statements_async(raw.driver_connection, statements)  # type: ignore[arg-type]
    return target


async def activate(db: AsyncSession, tenant_id: uuid.UUID, *, revision: str) -> Tenant:
    tenant = await _get_for_update(db, tenant_id)
    tenant.status = TenantStatus.ACTIVE
    tenant.schema_revision = revision
    tenant.last_error = None
    await db.flush()
    await announce_change(db, tenant.id)
    return tenant


async def mark_failed(db: AsyncSession, tenant_id: uuid.UUID, error: str) -> None:
    tenant = await _get_for_update(db, tenant_id)
    tenant.status = TenantStatus.FAILED
    tenant.last_error = error[:2000]
    await db.flush()
    await announce_change(db, tenant.id)


async def get_tenant(db: AsyncSession, tenant_id: uuid.UUID) -> Tenant:
    tenant = await repository.get(db, tenant_id)
    if tenant is None:
        raise TenantNotFound()
    return tenant


async def get_by_slug(db: AsyncSession, slug: str) -> Tenant:
    tenant = await repository.get_by_slug(db, slug)
    if tenant is None:
        raise TenantNotFound(slug=slug)
    return tenant


async def list_tenants(
    db: AsyncSession, *, limit: int, starting_after: str | None, status: TenantStatus | None
) -> tuple[list[Tenant], bool]:
    """A page of tenants in creation order, and whether more follow."""
    after = await cursor_row(starting_after, lambda tenant_id: repository.get(db, tenant_id))
    rows = await repository.list_page(db, limit, after=after, status=status)
    return split_page(rows, limit)


async def update_tenant(db: AsyncSession, tenant_id: uuid.UUID, body: TenantUpdate, *, if_match: int | None) -> Tenant:
    tenant = await _get_for_update(db, tenant_id)
    if if_match is not None and tenant.version != if_match:
        raise VersionMismatch(current_version=tenant.version)
    for field, value in body.model_dump(exclude_unset=True).items():
        setattr(tenant, field, value)
    await db.flush()
    await announce_change(db, tenant.id)
    return tenant


async def suspend(db: AsyncSession, tenant_id: uuid.UUID) -> Tenant:
    """Stop serving the tenant (403 on every tenant surface); its data stays as it is."""
    tenant = await _transition(db, tenant_id, "suspend", TenantStatus.SUSPENDED)
    tenant.suspended_at = utcnow()
    await db.flush()
    return tenant


async def resume(db: AsyncSession, tenant_id: uuid.UUID) -> Tenant:
    """Serve the tenant again; the jobs deferred while it was suspended run once this commits."""
    tenant = await _transition(db, tenant_id, "resume", TenantStatus.ACTIVE)
    tenant.suspended_at = None
    await db.flush()
    await jobs.release_deferred(db, tenant.id)
    return tenant


async def soft_delete(db: AsyncSession, tenant_id: uuid.UUID) -> Tenant:
    """Make the tenant unreachable at once; its schema is kept until an explicit purge."""
    tenant = await _transition(db, tenant_id, "delete", TenantStatus.DELETING)
    tenant.deleted_at = utcnow()
    await db.flush()
    return tenant


async def purge(db: AsyncSession, tenant_id: uuid.UUID) -> Tenant:
    """Drop a soft-deleted tenant's schema and all its data. Irreversible; the registry row stays."""
    tenant = await _transition(db, tenant_id, "purge", TenantStatus.DELETED)
    await db.execute(text(drop_schema_sql(tenant.schema_name)))
    for statement in drop_tenant_role_statements(tenant.schema_name):
        await db.execute(text(statement))
    await jobs.forget_tenant(db, tenant.id)
    tenant.purged_at = utcnow()
    tenant.schema_revision = None
    await db.flush()
    return tenant


async def add_domain(db: AsyncSession, tenant_id: uuid.UUID, host: str, *, base_domain: str) -> TenantDomain:
    tenant = await _get_for_update(db, tenant_id)
    base = base_domain.lower().strip(".")
    if base and (host == base or host.endswith("." + base)):
        raise ReservedDomain()
    domain = TenantDomain(tenant_id=tenant.id, host=host)
    db.add(domain)
    try:
        async with db.begin_nested():
            await db.flush()
    except IntegrityError as exc:
        raise TenantDomainTaken(host=host) from exc
    await announce_change(db, tenant.id)
    return domain


async def remove_domain(db: AsyncSession, tenant_id: uuid.UUID, host: str) -> None:
    domain = await repository.get_domain(db, tenant_id, host.lower())
    if domain is None:
        raise TenantDomainNotFound(host=host)
    await db.delete(domain)
    await db.flush()
    await announce_change(db, tenant_id)


async def list_domains(db: AsyncSession, tenant_id: uuid.UUID) -> list[TenantDomain]:
    await get_tenant(db, tenant_id)
    return await repository.list_domains(db, tenant_id)


async def fleet_summary(db: AsyncSession, migrations: TenantMigrations) -> FleetSummary:
    """Where the tenant schemas stand against the head revision, read from the registry alone."""
    counts = [RevisionCount(revision=revision, tenants=n) for revision, n in await repository.count_by_revision(db)]
    total = sum(c.tenants for c in counts)
    at_head = sum(c.tenants for c in counts if c.revision == migrations.head)
    return FleetSummary(
        head=migrations.head, tenants_total=total, at_head=at_head, behind=total - at_head, by_revision=counts
    )


async def _get_for_update(db: AsyncSession, tenant_id: uuid.UUID) -> Tenant:
    tenant = await repository.get(db, tenant_id, for_update=True)
    if tenant is None:
        raise TenantNotFound()
    return tenant


async def _transition(db: AsyncSession, tenant_id: uuid.UUID, action: str, to: TenantStatus) -> Tenant:
    tenant = await _get_for_update(db, tenant_id)
    if tenant.status not in _ALLOWED_FROM[action]:
        raise InvalidTenantTransition(
            f"cannot {action} a tenant that is {tenant.status.value}",
            status_from=tenant.status.value,
            action=action,
        )
    tenant.status = to
    await announce_change(db, tenant.id)
    return tenant


async def record_usage(db: AsyncSession, tenant_id: uuid.UUID, *, active_staff_count: int) -> None:
    """Store a usage snapshot in the registry. Not a change of the tenant: caches, ``version`` and
    ``updated_at`` stay as they are."""
    await db.execute(
        update(Tenant)
        .where(Tenant.id == tenant_id)
        .values(active_staff_count=active_staff_count, usage_collected_at=utcnow(), updated_at=Tenant.updated_at)
    )


async def tenants_for_periodic_jobs(db: AsyncSession, migrations: TenantMigrations) -> list[uuid.UUID]:
    """Active tenants migrated to this release's head: the only ones periodic jobs may run for."""
    return await repository.list_active_at(db, migrations.head)


async def status_counts(db: AsyncSession) -> dict[TenantStatus, int]:
    """How many tenants are in each status (every status present, zero when none)."""
    counts = dict.fromkeys(TenantStatus, 0)
    counts.update({status: n for status, n in await repository.count_by_status(db)})
    return counts
