from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from api.deps import CurrentOperator, IfMatch, PublicSession, State, tag
from api.headers import no_store
from api.idempotency import IdempotentRoute
from api.problems import problems
from auth.errors import InvalidToken
from commerce.provisioning import provision_tenant
from core.errors import InvalidCursor, VersionMismatch
from core.metrics import timed
from core.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from core.validation import Text
from tenants import service as tenants_service
from tenants.errors import (
    InvalidTenantTransition,
    ReservedDomain,
    TenantDomainNotFound,
    TenantDomainTaken,
    TenantNotFound,
    TenantSlugTaken,
)
from tenants.models import Tenant, TenantDomain, TenantStatus
from tenants.schemas import (
    OwnerCredentials,
    TenantCreate,
    TenantCreated,
    TenantDomainCreate,
    TenantDomainRead,
    TenantRead,
    TenantUpdate,
)

router = APIRouter(
    route_class=IdempotentRoute, prefix="/tenants", tags=["platform: tenants"], responses=problems(InvalidToken)
)


@router.post(
    "",
    status_code=201,
    response_model=TenantCreated,
    operation_id="tenants_create",
    responses=problems(TenantSlugTaken),
    dependencies=[Depends(no_store)],  # the owner's one-time password: no cache keeps it, nor the idempotency store
)
async def create_tenant(
    body: TenantCreate, state: State, db: PublicSession, operator: CurrentOperator
) -> TenantCreated:
    """Provision a tenant: registry entry, schema at the current head, owner account, shop settings.

    The owner's one-time password is in the response and nowhere else.
    """
    with timed(state.metrics.provisioning):
        created = await provision_tenant(
            state.database,
            state.auth.passwords,
            state.migrations,
            body,
            billing_enabled=state.settings.stripe.enabled,
            registry=db,  # the session that checked the operator: provisioning reuses its one connection
        )
    return TenantCreated(
        tenant=TenantRead.model_validate(created.tenant),
        owner=OwnerCredentials(email=created.owner_email, password=created.owner_password),
    )


@router.get("", response_model=Page[TenantRead], operation_id="tenants_list", responses=problems(InvalidCursor))
async def list_tenants(
    db: PublicSession,
    operator: CurrentOperator,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    starting_after: Annotated[Text | None, Query(description="Id of the last tenant of the previous page.")] = None,
    status: TenantStatus | None = None,
) -> Page[TenantRead]:
    """Tenants in creation order, a page at a time."""
    rows, has_more = await tenants_service.list_tenants(db, limit=limit, starting_after=starting_after, status=status)
    return Page[TenantRead].model_validate({"data": rows, "has_more": has_more}, from_attributes=True)


@router.get("/{tenant_id}", response_model=TenantRead, operation_id="tenants_get", responses=problems(TenantNotFound))
async def get_tenant(tenant_id: uuid.UUID, db: PublicSession, operator: CurrentOperator, response: Response) -> Tenant:
    tenant = await tenants_service.get_tenant(db, tenant_id)
    return tag(response, tenant)


@router.patch(
    "/{tenant_id}",
    response_model=TenantRead,
    operation_id="tenants_update",
    responses=problems(TenantNotFound, VersionMismatch),
)
async def update_tenant(
    tenant_id: uuid.UUID, body: TenantUpdate, db: PublicSession, operator: CurrentOperator, if_match: IfMatch
) -> Tenant:
    """Change the tenant's name or plan. With `If-Match`, refuses (412) if it changed since that version."""
    return await tenants_service.update_tenant(db, tenant_id, body, if_match=if_match)


@router.post(
    "/{tenant_id}/suspend",
    response_model=TenantRead,
    operation_id="tenants_suspend",
    responses=problems(TenantNotFound, InvalidTenantTransition),
)
async def suspend_tenant(tenant_id: uuid.UUID, db: PublicSession, operator: CurrentOperator) -> Tenant:
    """Stop serving an active tenant: its surfaces answer 403 `tenant_suspended` until it is resumed."""
    return await tenants_service.suspend(db, tenant_id)


@router.post(
    "/{tenant_id}/resume",
    response_model=TenantRead,
    operation_id="tenants_resume",
    responses=problems(TenantNotFound, InvalidTenantTransition),
)
async def resume_tenant(tenant_id: uuid.UUID, db: PublicSession, operator: CurrentOperator) -> Tenant:
    return await tenants_service.resume(db, tenant_id)


@router.delete(
    "/{tenant_id}",
    response_model=TenantRead,
    operation_id="tenants_delete",
    responses=problems(TenantNotFound, InvalidTenantTransition),
)
async def delete_tenant(tenant_id: uuid.UUID, db: PublicSession, operator: CurrentOperator) -> Tenant:
    """Soft-delete: the tenant is unreachable at once; its schema is dropped only by `commerce tenants purge`."""
    return await tenants_service.soft_delete(db, tenant_id)


@router.get(
    "/{tenant_id}/domains",
    response_model=list[TenantDomainRead],
    operation_id="tenant_domains_list",
    responses=problems(TenantNotFound),
)
async def list_tenant_domains(tenant_id: uuid.UUID, db: PublicSession, operator: CurrentOperator) -> list[TenantDomain]:
    return await tenants_service.list_domains(db, tenant_id)


@router.post(
    "/{tenant_id}/domains",
    status_code=201,
    response_model=TenantDomainRead,
    operation_id="tenant_domains_add",
    responses=problems(TenantNotFound, TenantDomainTaken, ReservedDomain),
)
async def add_tenant_domain(
    tenant_id: uuid.UUID, body: TenantDomainCreate, state: State, db: PublicSession, operator: CurrentOperator
) -> TenantDomain:
    """Serve the tenant on a custom host (its DNS must point at the platform)."""
    return await tenants_service.add_domain(db, tenant_id, body.host, base_domain=state.settings.tenancy.base_domain)


@router.delete(
    "/{tenant_id}/domains/{host}",
    status_code=204,
    response_class=Response,
    operation_id="tenant_domains_remove",
    responses=problems(TenantDomainNotFound),
)
async def remove_tenant_domain(tenant_id: uuid.UUID, host: Text, db: PublicSession, operator: CurrentOperator) -> None:
    await tenants_service.remove_domain(db, tenant_id, host)
