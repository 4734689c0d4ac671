from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from api.billing_deps import Stripe
from api.deps import CurrentOperator, PublicSession
from api.idempotency import IdempotentRoute
from api.problems import problems
from auth.errors import InvalidToken
from billing import service as billing_service
from billing.errors import BillingNotConfigured, StripeRequestFailed, StripeUnavailable
from billing.schemas import BillingAccountRead, BillingStatus
from tenants.errors import TenantNotFound

router = APIRouter(
    route_class=IdempotentRoute, prefix="/tenants", tags=["platform: billing"], responses=problems(InvalidToken)
)


@router.get(
    "/{tenant_id}/billing",
    response_model=BillingAccountRead,
    operation_id="tenant_billing_get",
    responses=problems(TenantNotFound, BillingNotConfigured),
)
async def get_tenant_billing(
    tenant_id: uuid.UUID, db: PublicSession, operator: CurrentOperator, stripe: Stripe
) -> BillingAccountRead:
    """The tenant's Stripe connected account as last synced (webhooks and syncs keep it fresh)."""
    return await billing_service.get_account_status(db, tenant_id)


@router.post(
    "/{tenant_id}/billing/sync",
    response_model=BillingAccountRead,
    operation_id="tenant_billing_sync",
    responses={
        202: {"description": "The tenant had no account: its creation is queued.", "model": BillingAccountRead},
        **problems(TenantNotFound, BillingNotConfigured, StripeUnavailable, StripeRequestFailed),
    },
)
async def sync_tenant_billing(
    tenant_id: uuid.UUID, db: PublicSession, operator: CurrentOperator, stripe: Stripe, response: Response
) -> BillingAccountRead:
    """Re-read the account from Stripe now; if the tenant has none, queue its creation (202)."""
    account = await billing_service.sync_or_create(db, stripe, tenant_id)
    if account.status is BillingStatus.NOT_CREATED:
        response.status_code = 202
    return account
