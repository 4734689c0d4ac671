from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from api.billing_deps import Stripe
from api.deps import CurrentOperator, PublicSession, State
from api.idempotency import IdempotentRoute
from api.problems import problems
from auth.errors import InvalidToken
from billing import service as billing_service
from billing.errors import BillingNotConfigured, StripeRequestFailed, StripeUnavailable
from billing.payments import refund_rules
from billing.schemas import BillingAccountRead, BillingStatus, TenantFeesRead
from tenants import service as tenants_service
from tenants.errors import TenantNotFound
from tenants.models import TenantStatus

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


# Tenants whose schema holds a ledger (a provisioning, failed or purged tenant has none to read).
_WITH_LEDGER = frozenset({TenantStatus.ACTIVE, TenantStatus.SUSPENDED, TenantStatus.DELETING})


@router.get(
    "/{tenant_id}/billing/fees",
    response_model=TenantFeesRead,
    operation_id="tenant_billing_fees_get",
    responses=problems(TenantNotFound),
)
async def get_tenant_fees(
    tenant_id: uuid.UUID, db: PublicSession, operator: CurrentOperator, state: State
) -> TenantFeesRead:
    """The application fees the platform collected from the tenant's payments, per currency: fees of succeeded
    payments minus fees refunded, with counts, read from the tenant's payment ledger (works without Stripe
    configured: it reads only our ledger)."""
    tenant = await tenants_service.get_tenant(db, tenant_id)
    currencies = []
    if tenant.status in _WITH_LEDGER:
        currencies = await refund_rules.fees_collected(state.database.tenant_reader(tenant.schema_name))
    return TenantFeesRead(tenant_id=tenant.id, currencies=currencies)
