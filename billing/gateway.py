"""The one door to Stripe: a small typed gateway over ``stripe.StripeClient``.

Nothing else imports ``stripe`` (an import-linter contract). The gateway is built from settings (never
the global ``stripe.api_key``), pins the API version, returns our own small types, passes our
deterministic idempotency key on every mutating call (the SDK reuses it on its own retries; ours,
a Celery retry or a double click, reuse it too because it is derived from our ids), and maps Stripe's
errors to our problems: ``StripeUnavailable`` (retry later) or ``StripeRequestFailed`` (do not).
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import stripe

from billing.errors import BillingNotConfigured, StripeRequestFailed, StripeUnavailable
from core.settings import StripeSettings

log = logging.getLogger(__name__)

T = TypeVar("T")

# Merchant is the seller (direct charges, our application fee on top): the merchant has the full
# Stripe dashboard and pays Stripe's fees; Stripe carries negative balances. No legacy account types.
CONTROLLER: dict[str, Any] = {
    "stripe_dashboard": {"type": "full"},
    "fees": {"payer": "account"},
    "losses": {"payments": "stripe"},
}
CAPABILITIES: dict[str, Any] = {"card_payments": {"requested": True}, "transfers": {"requested": True}}


@dataclass(frozen=True, slots=True)
class AccountSnapshot:
    """What we keep of a connected account, as Stripe reports it now."""

    id: str
    charges_enabled: bool
    payouts_enabled: bool
    details_submitted: bool
    capabilities: dict[str, str]
    requirements_due: list[str]
    disabled_reason: str | None


@dataclass(frozen=True, slots=True)
class AccountLinkUrl:
    url: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class PaymentIntentSnapshot:
    """A PaymentIntent as Stripe reports it now. Amounts in the currency's minor units, currency upper case
    (ours; Stripe's wire is lower case)."""

    id: str
    status: str  # requires_payment_method, requires_confirmation, requires_action, processing, succeeded, canceled
    amount: int
    currency: str
    amount_received: int
    application_fee_amount: int | None
    client_secret: str | None
    latest_charge: str | None
    metadata: dict[str, str]
    last_payment_error: str | None  # Stripe's error code of the last failed attempt ("card_declined"), if any
    cancellation_reason: str | None


@dataclass(frozen=True, slots=True)
class RefundSnapshot:
    id: str
    status: str  # pending, requires_action, succeeded, failed, canceled
    amount: int
    currency: str
    payment_intent: str | None
    charge: str | None
    reason: str | None
    metadata: dict[str, str]
    failure_reason: str | None


def account_create_key(tenant_id: object) -> str:
    """One connected account per tenant, whoever asks and however often (within Stripe's 24 h key window)."""
    return f"acct-create-{tenant_id}"


class StripeGateway:
    def __init__(self, settings: StripeSettings) -> None:
        if not settings.enabled:
            raise BillingNotConfigured()
        self._settings = settings
        # httpx's async pool belongs to the event loop that opened it: one client per loop (the API has
        # one; every worker thread has its own).
        self._clients: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, tuple[stripe.StripeClient, stripe.HTTPXClient]
        ] = weakref.WeakKeyDictionary()

    def _client(self) -> stripe.StripeClient:
        loop = asyncio.get_running_loop()
        entry = self._clients.get(loop)
        if entry is None:
            base_addresses: dict[str, str] = {}
            if self._settings.api_base:
                base_addresses = {"api": self._settings.api_base, "connect": self._settings.api_base}
            http_client = stripe.HTTPXClient(timeout=self._settings.timeout_seconds)
            client = stripe.StripeClient(
                self._settings.secret_key.get_secret_value(),
                stripe_version=self._settings.api_version,
                base_addresses=base_addresses,  # type: ignore[arg-type]
                max_network_retries=self._settings.max_network_retries,
                http_client=http_client,
            )
            entry = self._clients[loop] = (client, http_client)
        return entry[0]

    async def aclose(self) -> None:
        """Close the connections this event loop's client holds (the app's shutdown, a worker thread's end)."""
        entry = self._clients.pop(asyncio.get_running_loop(), None)
        if entry is not None:
            await entry[1].close_async()  # type: ignore[no-untyped-call]  # untyped in the SDK

    async def create_account(self, *, idempotency_key: str, metadata: dict[str, str]) -> AccountSnapshot:
        # Only values that never change: a replay under the same key must send the same parameters.
        params: dict[str, Any] = {"controller": CONTROLLER, "capabilities": CAPABILITIES, "metadata": metadata}
        account = await self._call(
            "create account",
            lambda: self._client().v1.accounts.create_async(
                params,  # type: ignore[arg-type]
                {"idempotency_key": idempotency_key},
            ),
        )
        return _snapshot(account.to_dict())

    async def retrieve_account(self, account_id: str) -> AccountSnapshot:
        account = await self._call("retrieve account", lambda: self._client().v1.accounts.retrieve_async(account_id))
        return _snapshot(account.to_dict())

    async def create_account_link(
        self, account_id: str, *, refresh_url: str, return_url: str, idempotency_key: str
    ) -> AccountLinkUrl:
        link = await self._call(
            "create account link",
            lambda: self._client().v1.account_links.create_async(
                {
                    "account": account_id,
                    "refresh_url": refresh_url,
                    "return_url": return_url,
                    "type": "account_onboarding",
                    "collection_options": {"fields": "eventually_due"},
                },
                {"idempotency_key": idempotency_key},
            ),
        )
        return AccountLinkUrl(url=link.url, expires_at=datetime.fromtimestamp(link.expires_at, UTC))

    # --- payments: direct charges on the connected account (``Stripe-Account``), our application fee on top ---

    async def create_payment_intent(
        self,
        account_id: str,
        *,
        amount: int,
        currency: str,
        application_fee_amount: int,
        metadata: dict[str, str],
        idempotency_key: str,
    ) -> PaymentIntentSnapshot:
        """A PaymentIntent on the merchant's account. ``amount`` goes to Stripe exactly as our minor units
        (Stripe's unit is the currency's minor unit too: JPY has none, KWD three); the currency goes lower case."""
        params: dict[str, Any] = {
            "amount": amount,
            "currency": currency.lower(),
            "automatic_payment_methods": {"enabled": True},
            "metadata": metadata,
        }
        if application_fee_amount:  # Stripe refuses a zero fee on some account types; none is the same thing
            params["application_fee_amount"] = application_fee_amount
        intent = await self._call(
            "create payment intent",
            lambda: self._client().v1.payment_intents.create_async(
                params,  # type: ignore[arg-type]
                {"stripe_account": account_id, "idempotency_key": idempotency_key},
            ),
        )
        return _intent(intent.to_dict())

    async def retrieve_payment_intent(self, account_id: str, intent_id: str) -> PaymentIntentSnapshot:
        intent = await self._call(
            "retrieve payment intent",
            lambda: self._client().v1.payment_intents.retrieve_async(intent_id, options={"stripe_account": account_id}),
        )
        return _intent(intent.to_dict())

    async def update_payment_intent(
        self,
        account_id: str,
        intent_id: str,
        *,
        amount: int,
        application_fee_amount: int,
        metadata: dict[str, str],
        idempotency_key: str,
    ) -> PaymentIntentSnapshot:
        """Change the amount of an intent not yet paid (the cart changed after checkout began)."""
        params: dict[str, Any] = {"amount": amount, "metadata": metadata}
        if application_fee_amount:
            params["application_fee_amount"] = application_fee_amount
        intent = await self._call(
            "update payment intent",
            lambda: self._client().v1.payment_intents.update_async(
                intent_id,
                params,  # type: ignore[arg-type]
                {"stripe_account": account_id, "idempotency_key": idempotency_key},
            ),
        )
        return _intent(intent.to_dict())

    async def cancel_payment_intent(
        self, account_id: str, intent_id: str, *, idempotency_key: str
    ) -> PaymentIntentSnapshot:
        intent = await self._call(
            "cancel payment intent",
            lambda: self._client().v1.payment_intents.cancel_async(
                intent_id, options={"stripe_account": account_id, "idempotency_key": idempotency_key}
            ),
        )
        return _intent(intent.to_dict())

    async def create_refund(
        self,
        account_id: str,
        *,
        payment_intent: str,
        amount: int,
        refund_application_fee: bool,
        reason: str | None,
        metadata: dict[str, str],
        idempotency_key: str,
    ) -> RefundSnapshot:
        """Refund (part of) a direct charge; with ``refund_application_fee`` Stripe gives back the
        proportional share of our fee. Stripe refuses more than the charge's unrefunded amount (a 400:
        ``StripeRequestFailed`` with ``stripe_code`` ``amount_too_large`` or ``charge_already_refunded``)."""
        params: dict[str, Any] = {
            "payment_intent": payment_intent,
            "amount": amount,
            "refund_application_fee": refund_application_fee,
            "metadata": metadata,
        }
        if reason is not None:
            params["reason"] = reason
        refund = await self._call(
            "create refund",
            lambda: self._client().v1.refunds.create_async(
                params,  # type: ignore[arg-type]
                {"stripe_account": account_id, "idempotency_key": idempotency_key},
            ),
        )
        return _refund(refund.to_dict())

    async def retrieve_refund(self, account_id: str, refund_id: str) -> RefundSnapshot:
        refund = await self._call(
            "retrieve refund",
            lambda: self._client().v1.refunds.retrieve_async(refund_id, options={"stripe_account": account_id}),
        )
        return _refund(refund.to_dict())

    async def _call(self, action: str, request: Callable[[], Awaitable[T]]) -> T:
        try:
            return await request()
        except (stripe.APIConnectionError, stripe.RateLimitError) as exc:
            log.warning("stripe unavailable", extra={"action": action, "error": type(exc).__name__})
            raise StripeUnavailable(retry_after=5, stripe_request_id=exc.request_id) from exc
        except stripe.StripeError as exc:
            status = exc.http_status or 0
            code = exc.code or (exc.error.code if exc.error is not None else None)
            details = {"stripe_request_id": exc.request_id, "stripe_code": code}
            if status >= 500 or status == 409 or isinstance(exc, stripe.APIError):  # 409: concurrent use of a key
                log.warning("stripe failed", extra={"action": action, "status": status, **details})
                raise StripeUnavailable(retry_after=5, **details) from exc
            # Stripe's message goes to our log only: it may name the account or parameters the caller must not see.
            log.warning(
                "stripe refused the request",
                extra={
                    "action": action,
                    "status": status,
                    "error": type(exc).__name__,
                    "stripe_message": exc.user_message,
                    **details,
                },
            )
            raise StripeRequestFailed(
                f"Stripe answered {status} ({exc.code or type(exc).__name__})", **details
            ) from exc


def _snapshot(account: dict[str, Any]) -> AccountSnapshot:
    requirements: dict[str, Any] = account.get("requirements") or {}
    due = [*requirements.get("past_due", []), *requirements.get("currently_due", [])]
    capabilities = account.get("capabilities") or {}
    return AccountSnapshot(
        id=account["id"],
        charges_enabled=bool(account.get("charges_enabled")),
        payouts_enabled=bool(account.get("payouts_enabled")),
        details_submitted=bool(account.get("details_submitted")),
        capabilities={str(k): str(v) for k, v in capabilities.items()},
        requirements_due=sorted(set(due)),
        disabled_reason=requirements.get("disabled_reason"),
    )


def _intent(intent: dict[str, Any]) -> PaymentIntentSnapshot:
    error = intent.get("last_payment_error") or {}
    return PaymentIntentSnapshot(
        id=intent["id"],
        status=intent["status"],
        amount=int(intent["amount"]),
        currency=str(intent["currency"]).upper(),
        amount_received=int(intent.get("amount_received") or 0),
        application_fee_amount=intent.get("application_fee_amount"),
        client_secret=intent.get("client_secret"),
        latest_charge=_id_of(intent.get("latest_charge")),
        metadata={str(k): str(v) for k, v in (intent.get("metadata") or {}).items()},
        last_payment_error=error.get("code") or error.get("type") if error else None,
        cancellation_reason=intent.get("cancellation_reason"),
    )


def _refund(refund: dict[str, Any]) -> RefundSnapshot:
    return RefundSnapshot(
        id=refund["id"],
        status=refund["status"],
        amount=int(refund["amount"]),
        currency=str(refund["currency"]).upper(),
        payment_intent=_id_of(refund.get("payment_intent")),
        charge=_id_of(refund.get("charge")),
        reason=refund.get("reason"),
        metadata={str(k): str(v) for k, v in (refund.get("metadata") or {}).items()},
        failure_reason=refund.get("failure_reason"),
    )


def _id_of(value: Any) -> str | None:
    """An id whether Stripe sent it bare or expanded into its object."""
    if isinstance(value, dict):
        return str(value["id"])
    return str(value) if value else None
