"""What the fake remembers, and what one request knows about itself."""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

from billing.stripe_fake.events import EventEmitter


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


@dataclass
class RecordedRequest:
    method: str
    path: str
    params: dict[str, Any]  # as on the wire: every value a string
    idempotency_key: str | None
    stripe_account: str | None
    status: int
    replayed: bool = False


@dataclass(frozen=True)
class Created:
    """An object a request created (replays create nothing): what the counters count."""

    object: str  # "payment_intent", "refund", ...
    id: str
    idempotency_key: str | None
    account: str | None


@dataclass
class Failure:
    status: int
    path_prefix: str
    error: dict[str, Any]


@dataclass
class FakeStripeState:
    api_key: str
    publishable_key: str = ""
    # Accounts created from now on are fully onboarded at once (the dev server: no onboarding to walk through).
    auto_onboard: bool = False
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    deauthorized: set[str] = field(default_factory=set)
    links: list[dict[str, Any]] = field(default_factory=list)
    # Objects of connected accounts, each with its owner in ``owners`` (Stripe scopes them by Stripe-Account).
    payment_intents: dict[str, dict[str, Any]] = field(default_factory=dict)
    charges: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    disputes: dict[str, dict[str, Any]] = field(default_factory=dict)
    owners: dict[str, str] = field(default_factory=dict)
    # The platform's own objects.
    application_fees: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Status of the next refunds ("pending" lets a test settle them later); empty: "succeeded".
    next_refund_statuses: list[str] = field(default_factory=list)
    # (api key, Stripe-Account, Idempotency-Key) -> (fingerprint, status, body)
    idempotency: dict[tuple[str, str | None, str], tuple[str, int, dict[str, Any]]] = field(default_factory=dict)
    requests: list[RecordedRequest] = field(default_factory=list)
    created: list[Created] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    events: EventEmitter = field(default_factory=EventEmitter)
    lock: threading.RLock = field(default_factory=threading.RLock)


@dataclass(frozen=True)
class Call:
    """One request as the routes see it."""

    account: str | None  # the Stripe-Account header
    idempotency_key: str | None
    request_id: str
    publishable: bool  # authenticated with the publishable key (what Stripe.js uses)
