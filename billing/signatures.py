"""Signed values billing checks without Stripe's SDK: Stripe's webhook signatures, our onboarding state."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from billing.errors import InvalidOnboardingState, InvalidWebhookSignature
from core.signing import SignedValues

# --- Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">[,v1=...] -------------------


def verify_stripe_signature(
    payload: bytes, header: str | None, secrets: Sequence[str], *, tolerance_seconds: int, now: float | None = None
) -> int:
    """Check ``header`` against the raw body with every configured secret (a rotation has two); return its timestamp.

    Accepts any ``v1`` value (Stripe sends one per active secret during a rotation) that matches any
    secret, compared in constant time, and refuses timestamps further than ``tolerance_seconds`` from
    now in either direction (replays). Everything else is ``InvalidWebhookSignature``.
    """
    if not header or not secrets:
        raise InvalidWebhookSignature()
    timestamp: int | None = None
    signatures: list[str] = []
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        if key == "t":
            try:
                timestamp = int(value)
            except ValueError as exc:
                raise InvalidWebhookSignature() from exc
        elif key == "v1":
            signatures.append(value)
    if timestamp is None or not signatures:
        raise InvalidWebhookSignature()
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance_seconds:
        raise InvalidWebhookSignature("the signature's timestamp is outside the tolerance")
    signed = str(timestamp).encode() + b"." + payload
    matched = False
    for secret in secrets:
        expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
        for candidate in signatures:
            # No early exit: every comparison runs, so timing says nothing about which secret matched.
            matched |= hmac.compare_digest(expected, candidate)
    if not matched:
        raise InvalidWebhookSignature()
    return timestamp


# --- onboarding state: which tenant a browser coming back from Stripe belongs to, unforgeable, expiring ------


@dataclass(frozen=True, slots=True)
class OnboardingState:
    tenant_id: uuid.UUID
    expires_at: int


_STATE_PURPOSE = "billing.onboarding-state.v1"


def sign_onboarding_state(tenant_id: uuid.UUID, secret_key: str, *, ttl_seconds: int, now: float | None = None) -> str:
    # A nonce makes every state, and so every link's idempotency key, unique: a refresh (the link was used or
    # expired) must get a new link even within the second the old one was made, never a replay of it.
    claims = {"t": str(tenant_id), "n": secrets.token_urlsafe(8)}
    return SignedValues(secret_key, _STATE_PURPOSE).sign(claims, ttl_seconds=ttl_seconds, now=now)


def verify_onboarding_state(state: str, secret_key: str, *, now: float | None = None) -> OnboardingState:
    claims = SignedValues(secret_key, _STATE_PURPOSE).verify(state, now=now)
    if claims is None:
        raise InvalidOnboardingState()
    try:
        return OnboardingState(tenant_id=uuid.UUID(claims["t"]), expires_at=int(claims["exp"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidOnboardingState() from exc
