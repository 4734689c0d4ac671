"""Stripe webhook signatures, our onboarding state, Stripe's form encoding (the fake's parser), billing settings."""

from __future__ import annotations

import hashlib
import hmac
import uuid

import pytest
from pydantic import SecretStr

from billing.errors import InvalidOnboardingState, InvalidWebhookSignature
from billing.signatures import sign_onboarding_state, verify_onboarding_state, verify_stripe_signature
from core.settings import Environment, Settings, StripeSettings
from tests.fakes.stripe_server import parse_form, stripe_signature_header

BODY = b'{"id":"evt_1","object":"event","type":"account.updated"}'
NOW = 1_700_000_000


def stripe_sign(secret: str, timestamp: int, body: bytes) -> str:
    """Stripe's scheme, written out independently of the code under test."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def test_a_header_signed_as_stripe_signs_verifies_and_returns_its_timestamp() -> None:
    header = f"t={NOW},v1={stripe_sign('whsec_a', NOW, BODY)}"
    assert verify_stripe_signature(BODY, header, ["whsec_a"], tolerance_seconds=300, now=NOW + 10) == NOW
    assert stripe_signature_header(BODY, ["whsec_a"], timestamp=NOW) == header


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        f"t={NOW}",
        f"v1={stripe_sign('whsec_a', NOW, BODY)}",
        f"t=abc,v1={stripe_sign('whsec_a', NOW, BODY)}",
        f"t={NOW},v1={stripe_sign('whsec_other', NOW, BODY)}",
        f"t={NOW},v0={stripe_sign('whsec_a', NOW, BODY)}",  # only v1 is Stripe's live scheme
        f"t={NOW + 1},v1={stripe_sign('whsec_a', NOW, BODY)}",  # the timestamp is signed too
    ],
)
def test_anything_else_is_refused(header: str | None) -> None:
    with pytest.raises(InvalidWebhookSignature):
        verify_stripe_signature(BODY, header, ["whsec_a"], tolerance_seconds=300, now=NOW)


def test_tampered_body_and_timestamps_outside_the_tolerance_are_refused() -> None:
    header = f"t={NOW},v1={stripe_sign('whsec_a', NOW, BODY)}"
    with pytest.raises(InvalidWebhookSignature):
        verify_stripe_signature(BODY + b" ", header, ["whsec_a"], tolerance_seconds=300, now=NOW)
    for now in (NOW + 301, NOW - 301):
        with pytest.raises(InvalidWebhookSignature):
            verify_stripe_signature(BODY, header, ["whsec_a"], tolerance_seconds=300, now=now)
    assert verify_stripe_signature(BODY, header, ["whsec_a"], tolerance_seconds=300, now=NOW + 300) == NOW


def test_rotation_any_v1_against_any_secret() -> None:
    two_values = f"t={NOW},v1={stripe_sign('whsec_old', NOW, BODY)},v1={stripe_sign('whsec_new', NOW, BODY)}"
    for secrets in (["whsec_new"], ["whsec_old"], ["whsec_new", "whsec_old"]):
        assert verify_stripe_signature(BODY, two_values, secrets, tolerance_seconds=300, now=NOW) == NOW
    with pytest.raises(InvalidWebhookSignature):
        verify_stripe_signature(BODY, two_values, ["whsec_unrelated"], tolerance_seconds=300, now=NOW)
    with pytest.raises(InvalidWebhookSignature):
        verify_stripe_signature(BODY, two_values, [], tolerance_seconds=300, now=NOW)


def test_onboarding_state_round_trip_forgery_and_expiry() -> None:
    tenant = uuid.uuid4()
    state = sign_onboarding_state(tenant, "k" * 40, ttl_seconds=600, now=NOW)
    assert verify_onboarding_state(state, "k" * 40, now=NOW + 599).tenant_id == tenant
    with pytest.raises(InvalidOnboardingState):
        verify_onboarding_state(state, "k" * 40, now=NOW + 601)
    with pytest.raises(InvalidOnboardingState):
        verify_onboarding_state(state, "other" * 10, now=NOW)
    other = sign_onboarding_state(uuid.uuid4(), "k" * 40, ttl_seconds=600, now=NOW)
    with pytest.raises(InvalidOnboardingState):  # another tenant's body under this tenant's mac
        verify_onboarding_state(other.partition(".")[0] + "." + state.partition(".")[2], "k" * 40, now=NOW)


def test_stripe_form_encoding_is_parsed_into_nested_values() -> None:
    body = (
        "controller[fees][payer]=account&controller[stripe_dashboard][type]=full"
        "&capabilities[card_payments][requested]=true&metadata[tenant_id]=t-1"
        "&expand[0]=requirements&expand[1]=capabilities&email=a%2Bb%40example.com&empty="
    )
    assert parse_form(body) == {
        "controller": {"fees": {"payer": "account"}, "stripe_dashboard": {"type": "full"}},
        "capabilities": {"card_payments": {"requested": "true"}},
        "metadata": {"tenant_id": "t-1"},
        "expand": ["requirements", "capabilities"],
        "email": "a+b@example.com",
        "empty": "",
    }
    with pytest.raises(ValueError, match="conflicts"):
        parse_form("a=1&a[b]=2")


def test_webhook_secrets_read_as_a_list_and_required_with_a_key_in_production() -> None:
    settings = StripeSettings.model_validate(
        {
            "secret_key": "sk_test_1",  # pragma: allowlist secret
            "connect_webhook_secrets": "whsec_a, whsec_b",  # pragma: allowlist secret
            "platform_webhook_secrets": '["x"]',
        }
    )
    assert [s.get_secret_value() for s in settings.connect_webhook_secrets] == ["whsec_a", "whsec_b"]
    assert [s.get_secret_value() for s in settings.platform_webhook_secrets] == ["x"]
    assert settings.enabled
    assert not StripeSettings().enabled
    production = {
        "environment": Environment.PRODUCTION,
        "auth": {"secret_key": "s" * 40},
        "db": {"url": "postgresql://db/commerce"},
        "celery": {"broker_url": "redis://redis:6379/0"},
    }
    Settings.model_validate(production)  # billing off: fine
    with pytest.raises(ValueError, match="WEBHOOK_SECRETS"):
        Settings.model_validate({**production, "stripe": {"secret_key": SecretStr("sk_live_1")}})
