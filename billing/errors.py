"""Billing problems. Stripe failures are split by what the caller can do: retry later (503) or not (502)."""

from __future__ import annotations

from core.errors import BadRequest, Conflict, Problem, ServiceUnavailable
from core.jobs import RetryLater


class BillingNotConfigured(Problem):
    """503 without Retry-After: the deployment has no Stripe key, and retrying will not change that."""

    status = 503
    code = "billing_not_configured"
    title = "Billing is not configured on this deployment (no Stripe secret key)."


class StripeUnavailable(ServiceUnavailable, RetryLater):
    """Stripe could not be reached, rate-limited us or failed on its side. A job retries it with backoff
    (it is a ``RetryLater``); the API answers 503 with ``Retry-After``."""

    code = "stripe_unavailable"
    title = "Stripe is temporarily unavailable; retry shortly."


class StripeRequestFailed(Problem):
    """Stripe refused the request (invalid, unauthorised, forbidden): retrying the same request cannot help."""

    status = 502
    code = "stripe_request_failed"
    title = "Stripe refused the request."


class ConnectedAccountNotReady(Conflict):
    code = "connected_account_not_ready"
    title = "The tenant's Stripe account does not exist yet; it is created shortly after provisioning."


class ConnectedAccountDeauthorized(Conflict):
    code = "connected_account_deauthorized"
    title = "The merchant disconnected their Stripe account from the platform."


class ConnectedAccountCannotCharge(Conflict):
    """Checkout refuses before any PaymentIntent exists: the detail says why (no account yet, onboarding
    unfinished or charges disabled by Stripe, or the merchant disconnected)."""

    code = "account_cannot_charge"
    title = "The shop cannot take payments yet: its Stripe account is not ready to accept charges."


class InvalidWebhookSignature(BadRequest):
    code = "invalid_webhook_signature"
    title = "The Stripe-Signature header does not match the body, or its timestamp is outside the tolerance."


class InvalidWebhookPayload(BadRequest):
    code = "invalid_webhook_payload"
    title = "The webhook body is not a Stripe event."


class InvalidOnboardingState(BadRequest):
    code = "invalid_onboarding_state"
    title = "The onboarding link is invalid or has expired; start onboarding again from the dashboard."
