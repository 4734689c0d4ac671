from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from billing.models import EventStatus, StripeAccount


class BillingStatus(StrEnum):
    NOT_CREATED = "not_created"  # the account is queued for creation (or billing was enabled after provisioning)
    ONBOARDING = "onboarding"  # the merchant has not finished Stripe's onboarding
    RESTRICTED = "restricted"  # onboarded, but Stripe needs more before charges or payouts work
    ENABLED = "enabled"  # charges and payouts enabled
    DEAUTHORIZED = "deauthorized"  # the merchant disconnected the account from the platform


class BillingAccountRead(BaseModel):
    object: str = "billing_account"
    tenant_id: uuid.UUID
    status: BillingStatus
    account_id: str | None = Field(description="The Stripe connected account (acct_...).")
    charges_enabled: bool = False
    payouts_enabled: bool = False
    details_submitted: bool = False
    capabilities: dict[str, str] = Field(default_factory=dict, description="Capability -> Stripe status.")
    requirements_due: list[str] = Field(default_factory=list, description="What Stripe still needs from the merchant.")
    disabled_reason: str | None = None
    deauthorized_at: datetime | None = None
    synced_at: datetime | None = None

    @classmethod
    def of(cls, tenant_id: uuid.UUID, account: StripeAccount | None) -> BillingAccountRead:
        if account is None:
            return cls(tenant_id=tenant_id, status=BillingStatus.NOT_CREATED, account_id=None)
        return cls(
            tenant_id=tenant_id,
            status=status_of(account),
            account_id=account.account_id,
            charges_enabled=account.charges_enabled,
            payouts_enabled=account.payouts_enabled,
            details_submitted=account.details_submitted,
            capabilities=dict(account.capabilities),
            requirements_due=list(account.requirements_due),
            disabled_reason=account.disabled_reason,
            deauthorized_at=account.deauthorized_at,
            synced_at=account.synced_at,
        )


def status_of(account: StripeAccount) -> BillingStatus:
    if account.deauthorized_at is not None:
        return BillingStatus.DEAUTHORIZED
    if not account.details_submitted:
        return BillingStatus.ONBOARDING
    if account.charges_enabled and account.payouts_enabled:
        return BillingStatus.ENABLED
    return BillingStatus.RESTRICTED


class OnboardingLinkRead(BaseModel):
    object: str = "account_link"
    url: str = Field(description="Stripe-hosted onboarding; single use, expires within minutes.")
    expires_at: datetime


class WebhookReceipt(BaseModel):
    received: bool = True
    id: str
    duplicate: bool = Field(description="The event was already stored: it is not processed again.")
    status: EventStatus


class CurrencyFees(BaseModel):
    """The platform's application fees from one tenant in one currency, in its minor units."""

    currency: str
    payments: int = Field(description="Succeeded payments counted.")
    amount_received: int = Field(description="What those payments received.")
    application_fees: int = Field(description="The application fees of those payments.")
    application_fees_refunded: int = Field(description="The part of them given back with refunds.")
    net: int = Field(description="`application_fees - application_fees_refunded`: what the platform kept.")


class TenantFeesRead(BaseModel):
    object: str = "tenant_fees"
    tenant_id: uuid.UUID
    currencies: list[CurrencyFees] = Field(description="One entry per currency the tenant was paid in.")
