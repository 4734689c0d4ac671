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
