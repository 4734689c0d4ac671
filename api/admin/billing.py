from __future__ import annotations

from fastapi import APIRouter, Request

from api.billing_deps import Stripe
from api.deps import SettingsRead, SettingsWrite, State, Tenant, TenantSession
from api.idempotency import IdempotentRoute
from api.problems import TENANT_SURFACE_PROBLEMS, problems
from auth.errors import InvalidToken, MissingScope
from billing import service as billing_service
from billing.errors import (
    BillingNotConfigured,
    ConnectedAccountDeauthorized,
    ConnectedAccountNotReady,
    StripeRequestFailed,
    StripeUnavailable,
)
from billing.gateway import AccountLinkUrl
from billing.schemas import BillingAccountRead, OnboardingLinkRead

router = APIRouter(route_class=IdempotentRoute, prefix="/billing", tags=["admin: billing"])


# A route-level status replaces the router's entry for that status: repeat the tenant surface's problems.
@router.get(
    "/account",
    response_model=BillingAccountRead,
    operation_id="billing_account_get",
    responses=problems(*TENANT_SURFACE_PROBLEMS, InvalidToken, MissingScope, BillingNotConfigured),
)
async def get_billing_account(
    tenant: Tenant, db: TenantSession, staff: SettingsRead, stripe: Stripe
) -> BillingAccountRead:
    """The shop's Stripe account: whether it can take payments and receive payouts, and what Stripe still needs."""
    return await billing_service.get_account_status(db, tenant.id)


@router.post(
    "/onboarding-link",
    status_code=201,
    response_model=OnboardingLinkRead,
    operation_id="billing_onboarding_link_create",
    responses=problems(
        *TENANT_SURFACE_PROBLEMS,
        InvalidToken,
        MissingScope,
        ConnectedAccountNotReady,
        ConnectedAccountDeauthorized,
        BillingNotConfigured,
        StripeUnavailable,
        StripeRequestFailed,
    ),
)
async def create_onboarding_link(
    request: Request, state: State, tenant: Tenant, db: TenantSession, staff: SettingsWrite, stripe: Stripe
) -> AccountLinkUrl:
    """A fresh link to Stripe's onboarding for the shop's account; open it in the merchant's browser.

    Needs `settings:write` (owners and admins; an API key created with it).
    Stripe sends the browser back to `/hooks/stripe/onboarding/return` (re-syncs, then redirects to the
    dashboard) or `/refresh` (a new link).
    """
    return await billing_service.create_onboarding_link(
        db, stripe, state.settings, tenant.id, base_url=str(request.base_url)
    )
