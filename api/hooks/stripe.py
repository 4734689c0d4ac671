from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import RedirectResponse

from api.billing_deps import Stripe
from api.deps import PublicSession, State
from api.problems import problems
from billing import inbox
from billing import service as billing_service
from billing.errors import (
    BillingNotConfigured,
    ConnectedAccountDeauthorized,
    ConnectedAccountNotReady,
    InvalidOnboardingState,
    InvalidWebhookPayload,
    InvalidWebhookSignature,
    StripeRequestFailed,
    StripeUnavailable,
)
from billing.models import WebhookEndpoint
from billing.schemas import WebhookReceipt
from core.validation import Text
from tenants.errors import TenantNotFound

router = APIRouter(prefix="/stripe", tags=["hooks: stripe"])

_WEBHOOK_PROBLEMS = problems(InvalidWebhookSignature, InvalidWebhookPayload, BillingNotConfigured)
_ONBOARDING_PROBLEMS = problems(
    InvalidOnboardingState,
    TenantNotFound,
    ConnectedAccountNotReady,
    ConnectedAccountDeauthorized,
    BillingNotConfigured,
    StripeUnavailable,
    StripeRequestFailed,
)
SignatureHeader = Annotated[str | None, Header(alias="Stripe-Signature")]
StateQuery = Annotated[Text, Query(alias="state", max_length=1000, description="The signed state of the link.")]


@router.post(
    "/platform", response_model=WebhookReceipt, operation_id="stripe_webhook_platform", responses=_WEBHOOK_PROBLEMS
)
async def receive_platform_event(
    request: Request, state: State, db: PublicSession, signature: SignatureHeader = None
) -> WebhookReceipt:
    """Events of the platform's own Stripe account, signed with the platform endpoint's secret(s)."""
    return await inbox.receive_event(
        db, state.settings.stripe, WebhookEndpoint.PLATFORM, await request.body(), signature
    )


@router.post(
    "/connect", response_model=WebhookReceipt, operation_id="stripe_webhook_connect", responses=_WEBHOOK_PROBLEMS
)
async def receive_connect_event(
    request: Request, state: State, db: PublicSession, signature: SignatureHeader = None
) -> WebhookReceipt:
    """Events of connected accounts (they carry `account`, which maps to the tenant), signed with the Connect
    endpoint's secret(s). Duplicates are answered 200 and not processed again."""
    return await inbox.receive_event(
        db, state.settings.stripe, WebhookEndpoint.CONNECT, await request.body(), signature
    )


@router.get(
    "/onboarding/return",
    status_code=303,
    response_class=RedirectResponse,
    operation_id="stripe_onboarding_return",
    responses=_ONBOARDING_PROBLEMS,
)
async def return_from_onboarding(
    onboarding_state: StateQuery, state: State, db: PublicSession, stripe: Stripe
) -> RedirectResponse:
    """Stripe sends the merchant's browser here after onboarding: re-sync the account, then go to the dashboard."""
    target = await billing_service.finish_onboarding(db, stripe, state.settings, onboarding_state)
    return RedirectResponse(target, status_code=303)


@router.get(
    "/onboarding/refresh",
    status_code=303,
    response_class=RedirectResponse,
    operation_id="stripe_onboarding_refresh",
    responses=_ONBOARDING_PROBLEMS,
)
async def refresh_onboarding(
    request: Request, onboarding_state: StateQuery, state: State, db: PublicSession, stripe: Stripe
) -> RedirectResponse:
    """Stripe sends the browser here when its link expired or was already used: redirect to a fresh one."""
    target = await billing_service.refresh_onboarding(
        db, stripe, state.settings, onboarding_state, base_url=str(request.base_url)
    )
    return RedirectResponse(target, status_code=303)
