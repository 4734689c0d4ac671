"""Opening a shop: register the tenant, build its schema, create its owner and settings.

Two transactions, on purpose. The registry row commits first (``provisioning``), so the slug is
taken and the tenant answers 503 + Retry-After rather than 404 while it is built. The schema, the
owner, the shop settings and the switch to ``active`` then commit together in one transaction
routed to the new schema: either the tenant is complete and active, or its schema does not exist
and it is marked ``failed`` with the error.

The transactions run one after the other, each on one pooled connection returned before the next is
taken: a caller never holds two connections at once, so concurrent provisionings cannot deadlock a
small pool (or PgBouncer with a pool of one).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from auth.passwords import Passwords
from auth.staff import service as staff_service
from commerce.shop import service as shop_service
from core import jobs
from core.db import Database
from tenants import service as tenants_service
from tenants.context import TenantContext, tenant_session
from tenants.ddl import TenantMigrations
from tenants.models import Tenant
from tenants.schemas import TenantCreate

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ProvisionedTenant:
    tenant: Tenant
    owner_email: str
    owner_password: str  # shown once, never stored in clear


async def provision_tenant(
    database: Database,
    passwords: Passwords,
    migrations: TenantMigrations,
    body: TenantCreate,
    *,
    billing_enabled: bool = False,
    registry: AsyncSession | None = None,
) -> ProvisionedTenant:
    """Create a ready-to-use tenant and its owner account with a one-time password.

    ``registry`` is a public session the caller already holds (the API request's, which checked the
    operator): the registry transactions run on it, and committing it returns its connection to the pool
    before the tenant's transaction takes one. Without it, provisioning opens its own.

    With ``billing_enabled`` (the deployment has a Stripe key), its Stripe connected account is created by
    a job queued in the same transaction; without it no job is queued at all, rather than one that would
    only find billing disabled (``POST /platform/v1/tenants/{id}/billing/sync`` creates it later).
    """
    owner_password = secrets.token_urlsafe(24)  # 192 random bits
    password_hash = passwords.hash_generated_secret(owner_password)

    async with _registry_session(database, registry) as db:
        tenant = await tenants_service.register(db, body)
        await db.commit()  # ends the caller's transaction too: its connection goes back to the pool

    try:
        async with tenant_session(database, TenantContext.of(tenant), tenant_role=False) as db:  # it builds the role
            revision = await tenants_service.build_schema(db, tenant, migrations)
            owner = await staff_service.create_owner(db, email=body.owner_email, password_hash=password_hash)
            await shop_service.create_shop(db, name=body.name, support_email=body.owner_email.lower())
            tenant = await tenants_service.activate(db, tenant.id, revision=revision)
            # The slow parts go to workers, after the commit (never the password: it is shown once, to the caller).
            jobs.enqueue(db, "mail.send_welcome", staff_id=str(owner.id))
            if billing_enabled:
                jobs.enqueue(db, "billing.create_connected_account")
            await db.commit()
    except BaseException as exc:  # cancellation too: never leave a tenant in ``provisioning`` if we can help it
        log.exception("provisioning failed", extra={"tenant_id": str(tenant.id)})
        async with _registry_session(database, registry) as db:
            await tenants_service.mark_failed(db, tenant.id, f"{type(exc).__name__}: {exc}")
            await db.commit()
        raise

    log.info("tenant provisioned", extra={"tenant_id": str(tenant.id), "slug": tenant.slug})
    return ProvisionedTenant(tenant=tenant, owner_email=body.owner_email.lower(), owner_password=owner_password)


@asynccontextmanager
async def _registry_session(database: Database, registry: AsyncSession | None) -> AsyncIterator[AsyncSession]:
    if registry is not None:
        yield registry  # the caller's: it closes it
        return
    async with database.public_session() as db:
        yield db
