"""Connected accounts and onboarding: one Stripe account per tenant, its state mirrored in the registry."""

from __future__ import annotations

import hashlib
import logging
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from billing import repository
from billing.errors import ConnectedAccountCannotCharge, ConnectedAccountDeauthorized, ConnectedAccountNotReady
from billing.gateway import AccountLinkUrl, AccountSnapshot, StripeGateway, account_create_key
from billing.models import StripeAccount
from billing.schemas import BillingAccountRead
from billing.signatures import sign_onboarding_state, verify_onboarding_state
from core import jobs
from core.clock import utcnow
from core.settings import Settings
from tenants import service as tenants_service
from tenants.context import TenantContext

log = logging.getLogger(__name__)


async def create_connected_account(db: AsyncSession, gateway: StripeGateway, tenant: TenantContext) -> StripeAccount:
    """Give the tenant its connected account, once: a re-run (retry, duplicate job) returns the existing one.

    Two guards: a per-tenant lock plus the registry row (a committed account is found and returned),
    and a Stripe idempotency key derived from the tenant id (a run whose commit was lost after Stripe
    created the account gets that same account back, not a second one). The request's parameters are
    derived from the tenant's immutable ids only, so a replay always matches the first request.
    """
    await repository.lock_tenant_account(db, tenant.id)
    existing = await repository.get_account(db, tenant.id)
    if existing is not None:
        return existing
    snapshot = await gateway.create_account(
        idempotency_key=account_create_key(tenant.id),
        metadata={"tenant_id": str(tenant.id), "tenant_slug": tenant.slug},
    )
    account = StripeAccount(tenant_id=tenant.id, account_id=snapshot.id)
    apply_snapshot(account, snapshot)
    db.add(account)
    await db.flush()
    log.info("connected account created", extra={"tenant_id": str(tenant.id), "account_id": snapshot.id})
    return account


def apply_snapshot(account: StripeAccount, snapshot: AccountSnapshot) -> None:
    account.charges_enabled = snapshot.charges_enabled
    account.payouts_enabled = snapshot.payouts_enabled
    account.details_submitted = snapshot.details_submitted
    account.capabilities = snapshot.capabilities
    account.requirements_due = snapshot.requirements_due
    account.disabled_reason = snapshot.disabled_reason
    account.synced_at = utcnow()


async def get_account_status(db: AsyncSession, tenant_id: uuid.UUID) -> BillingAccountRead:
    """The stored state (kept fresh by webhooks and syncs); never calls Stripe."""
    await tenants_service.get_tenant(db, tenant_id)
    return BillingAccountRead.of(tenant_id, await repository.get_account(db, tenant_id))


async def chargeable_account(db: AsyncSession, tenant_id: uuid.UUID) -> StripeAccount:
    """The tenant's connected account if it can take a charge now (as far as our registry knows: webhooks
    and syncs keep it fresh); else ``ConnectedAccountCannotCharge``, before anything is asked of Stripe."""
    account = await repository.get_account(db, tenant_id)
    if account is None:
        raise ConnectedAccountCannotCharge("The shop has no Stripe account yet.")
    if account.deauthorized_at is not None:
        raise ConnectedAccountCannotCharge("The merchant disconnected their Stripe account.")
    if not account.charges_enabled:
        raise ConnectedAccountCannotCharge("The shop's Stripe account cannot accept charges yet (onboarding).")
    return account


async def tenant_plan(db: AsyncSession, tenant_id: uuid.UUID) -> str:
    """The tenant's platform plan (``public.tenants.plan``), which sets its application fee (billing/fees.py)."""
    return (await tenants_service.get_tenant(db, tenant_id)).plan


async def sync_account(db: AsyncSession, gateway: StripeGateway, tenant_id: uuid.UUID) -> StripeAccount:
    """Re-read the account from Stripe and store what it says now (so the order of events never matters)."""
    account = await repository.get_account(db, tenant_id, for_update=True)
    if account is None:
        raise ConnectedAccountNotReady()
    if account.deauthorized_at is None:  # a disconnected account can no longer be read by the platform
        apply_snapshot(account, await gateway.retrieve_account(account.account_id))
        await db.flush()
    return account


async def sync_or_create(db: AsyncSession, gateway: StripeGateway, tenant_id: uuid.UUID) -> BillingAccountRead:
    """Platform repair: re-sync the account, or queue its creation if the tenant has none (billing enabled
    after the tenant was provisioned, or a creation job that failed for good)."""
    await tenants_service.get_tenant(db, tenant_id)
    if await repository.get_account(db, tenant_id) is None:
        jobs.enqueue(db, "billing.create_connected_account", for_tenant=tenant_id)
        return BillingAccountRead.of(tenant_id, None)
    return BillingAccountRead.of(tenant_id, await sync_account(db, gateway, tenant_id))


async def create_onboarding_link(
    db: AsyncSession, gateway: StripeGateway, settings: Settings, tenant_id: uuid.UUID, *, base_url: str
) -> AccountLinkUrl:
    """A fresh Stripe-hosted onboarding link. Stripe sends the browser back to our return or refresh URL,
    carrying a signed, expiring state that names the tenant (those URLs have no bearer token)."""
    account = await repository.get_account(db, tenant_id)
    if account is None:
        raise ConnectedAccountNotReady()
    if account.deauthorized_at is not None:
        raise ConnectedAccountDeauthorized()
    state = sign_onboarding_state(
        tenant_id, settings.auth.secret_key.get_secret_value(), ttl_seconds=settings.stripe.onboarding_state_ttl_seconds
    )
    base = (settings.stripe.public_api_url or base_url).rstrip("/")
    # Derived from the (unique) state: the SDK's own retries of this request reuse it; every new request is new.
    key = "acct-link-" + hashlib.sha256(state.encode()).hexdigest()[:40]
    return await gateway.create_account_link(
        account.account_id,
        refresh_url=f"{base}/hooks/stripe/onboarding/refresh?state={state}",
        return_url=f"{base}/hooks/stripe/onboarding/return?state={state}",
        idempotency_key=key,
    )


async def finish_onboarding(db: AsyncSession, gateway: StripeGateway, settings: Settings, state: str) -> str:
    """The merchant is back from Stripe: re-sync the account and say where their dashboard is."""
    verified = verify_onboarding_state(state, settings.auth.secret_key.get_secret_value())
    tenant = await tenants_service.get_tenant(db, verified.tenant_id)
    await sync_account(db, gateway, tenant.id)
    return settings.stripe.dashboard_url.replace("{slug}", tenant.slug)


async def refresh_onboarding(
    db: AsyncSession, gateway: StripeGateway, settings: Settings, state: str, *, base_url: str
) -> str:
    """Stripe's link expired or was used: hand the browser a new one."""
    verified = verify_onboarding_state(state, settings.auth.secret_key.get_secret_value())
    tenant = await tenants_service.get_tenant(db, verified.tenant_id)
    link = await create_onboarding_link(db, gateway, settings, tenant.id, base_url=base_url)
    return link.url
