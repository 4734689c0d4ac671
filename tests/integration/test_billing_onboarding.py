"""Onboarding: a fresh Account Link, the browser's round trip back through our API, and Stripe errors as problems."""

from __future__ import annotations

import time
import uuid
from urllib.parse import urlsplit

import httpx
from celery import Celery

from auth.passwords import Passwords
from auth.staff.models import StaffMember, StaffRole
from billing.signatures import sign_onboarding_state
from core.db import Database
from core.settings import Settings
from tests.fakes.stripe_server import FakeStripe
from tests.fixtures.auth import OperatorHandle
from tests.fixtures.billing import DASHBOARD_URL, BillingTenant, provision, wait_for_account
from tests.fixtures.tenants import TenantHandle


def _local(url: str) -> str:
    """Path and query of one of our URLs (the browser would follow it to our host)."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


async def test_onboarding_round_trip_resyncs_the_account_and_lands_on_the_dashboard(
    billing_client: httpx.AsyncClient, billing_tenant: BillingTenant, stripe_fake: FakeStripe
) -> None:
    tenant = billing_tenant.handle
    before = await billing_client.get("/admin/v1/billing/account", headers=tenant.headers)
    assert before.status_code == 200
    assert before.json()["status"] == "onboarding"
    assert "external_account" in before.json()["requirements_due"]

    link = await billing_client.post("/admin/v1/billing/onboarding-link", headers=tenant.headers)
    assert link.status_code == 201, link.text
    sent = stripe_fake.state.links[-1]
    assert link.json()["url"] == sent["url"]
    assert sent["account"] == billing_tenant.account_id
    assert sent["type"] == "account_onboarding"
    assert urlsplit(sent["return_url"]).path == "/hooks/stripe/onboarding/return"
    assert urlsplit(sent["refresh_url"]).path == "/hooks/stripe/onboarding/refresh"

    # The merchant finishes onboarding on Stripe; Stripe sends the browser back to return_url.
    stripe_fake.complete_onboarding(billing_tenant.account_id)
    back = await billing_client.get(_local(sent["return_url"]))
    assert back.status_code == 303, back.text
    assert back.headers["location"] == DASHBOARD_URL.replace("{slug}", tenant.slug)

    after = await billing_client.get("/admin/v1/billing/account", headers=tenant.headers)
    assert after.json() | {"synced_at": None} == {
        "object": "billing_account",
        "tenant_id": tenant.id,
        "status": "enabled",
        "account_id": billing_tenant.account_id,
        "charges_enabled": True,
        "payouts_enabled": True,
        "details_submitted": True,
        "capabilities": {"card_payments": "active", "transfers": "active"},
        "requirements_due": [],
        "disabled_reason": None,
        "deauthorized_at": None,
        "synced_at": None,
    }


async def test_refresh_url_redirects_to_a_new_link(
    billing_client: httpx.AsyncClient, billing_tenant: BillingTenant, stripe_fake: FakeStripe
) -> None:
    first = await billing_client.post("/admin/v1/billing/onboarding-link", headers=billing_tenant.handle.headers)
    refresh_url = stripe_fake.state.links[-1]["refresh_url"]
    # At once: within the same second as the first link (a replay of it would loop the browser).
    refreshed = await billing_client.get(_local(refresh_url))
    assert refreshed.status_code == 303, refreshed.text
    assert refreshed.headers["location"] == stripe_fake.state.links[-1]["url"]
    assert refreshed.headers["location"] != first.json()["url"]


async def test_forged_or_expired_state_is_refused(
    billing_client: httpx.AsyncClient, billing_tenant: BillingTenant, billing_settings: Settings
) -> None:
    tenant_id = uuid.UUID(billing_tenant.handle.id)
    forged = sign_onboarding_state(tenant_id, "not-our-secret-key-at-all-000000000000", ttl_seconds=600)
    expired = sign_onboarding_state(
        tenant_id, billing_settings.auth.secret_key.get_secret_value(), ttl_seconds=60, now=time.time() - 3600
    )
    valid = sign_onboarding_state(tenant_id, billing_settings.auth.secret_key.get_secret_value(), ttl_seconds=600)
    body, _, mac = valid.partition(".")
    other_tenant = sign_onboarding_state(uuid.uuid4(), "x" * 40, ttl_seconds=600).partition(".")[0]
    for state in [forged, expired, f"{other_tenant}.{mac}", "garbage", f"{body}."]:
        for path in ["/hooks/stripe/onboarding/return", "/hooks/stripe/onboarding/refresh"]:
            response = await billing_client.get(path, params={"state": state})
            assert response.status_code == 400, (path, state, response.text)
            assert response.json()["code"] == "invalid_onboarding_state"


async def test_onboarding_links_need_settings_write(
    billing_client: httpx.AsyncClient,
    billing_tenant: BillingTenant,
    billing_settings: Settings,
    database: Database,
) -> None:
    tenant = billing_tenant.handle
    password = f"pw-{uuid.uuid4().hex}"
    async with database.scoped_session(tenant.schema_name) as db:
        db.add(
            StaffMember(
                email=f"clerk@{tenant.slug}.example.com",
                password_hash=await Passwords(billing_settings.auth).hash(password),
                role=StaffRole.STAFF,
            )
        )
        await db.commit()
    login = await billing_client.post(
        "/admin/v1/auth/token",
        json={"email": f"clerk@{tenant.slug}.example.com", "password": password},
        headers={"x-tenant": tenant.slug},
    )
    headers = {"x-tenant": tenant.slug, "authorization": f"Bearer {login.json()['access_token']}"}
    refused = await billing_client.post("/admin/v1/billing/onboarding-link", headers=headers)
    assert refused.status_code == 403
    assert refused.json()["code"] == "insufficient_scope"
    assert (await billing_client.get("/admin/v1/billing/account", headers=headers)).status_code == 200


async def test_stripe_errors_are_problems_never_500s(
    billing_client: httpx.AsyncClient,
    billing_tenant: BillingTenant,
    operator: OperatorHandle,
    stripe_fake: FakeStripe,
) -> None:
    tenant = billing_tenant.handle
    stripe_fake.fail_next("/v1/account_links")
    unavailable = await billing_client.post("/admin/v1/billing/onboarding-link", headers=tenant.headers)
    assert unavailable.status_code == 503
    assert unavailable.headers["content-type"] == "application/problem+json"
    assert unavailable.json()["code"] == "stripe_unavailable"
    assert unavailable.headers["retry-after"]

    stripe_fake.deauthorize(billing_tenant.account_id)  # Stripe now refuses to show us the account (403)
    refused = await billing_client.post(f"/platform/v1/tenants/{tenant.id}/billing/sync", headers=operator.headers)
    assert refused.status_code == 502
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["code"] == "stripe_request_failed"
    assert refused.json()["stripe_code"] == "account_invalid"


async def test_platform_reads_and_syncs_a_tenants_billing(
    billing_client: httpx.AsyncClient,
    billing_tenant: BillingTenant,
    operator: OperatorHandle,
    stripe_fake: FakeStripe,
) -> None:
    tenant = billing_tenant.handle
    stripe_fake.update_account(
        billing_tenant.account_id,
        details_submitted=True,
        capabilities={"card_payments": "pending", "transfers": "active"},
        requirements={"currently_due": ["individual.verification.document"], "past_due": [], "disabled_reason": None},
    )
    stale = await billing_client.get(f"/platform/v1/tenants/{tenant.id}/billing", headers=operator.headers)
    assert stale.json()["status"] == "onboarding"  # reads never call Stripe
    synced = await billing_client.post(f"/platform/v1/tenants/{tenant.id}/billing/sync", headers=operator.headers)
    assert synced.status_code == 200
    assert synced.json()["status"] == "restricted"
    assert synced.json()["requirements_due"] == ["individual.verification.document"]
    assert synced.json()["capabilities"] == {"card_payments": "pending", "transfers": "active"}
    missing = await billing_client.get(f"/platform/v1/tenants/{uuid.uuid4()}/billing", headers=operator.headers)
    assert missing.status_code == 404


async def test_sync_queues_the_account_of_a_tenant_provisioned_before_billing_was_enabled(
    client: httpx.AsyncClient,
    billing_client: httpx.AsyncClient,
    billing_worker: Celery,
    operator: OperatorHandle,
    tenant_a: TenantHandle,
    stripe_fake: FakeStripe,
    database: Database,
) -> None:
    assert stripe_fake.accounts_with_metadata("tenant_id", tenant_a.id) == []  # provisioned without Stripe
    queued = await billing_client.post(f"/platform/v1/tenants/{tenant_a.id}/billing/sync", headers=operator.headers)
    assert queued.status_code == 202
    assert queued.json()["status"] == "not_created"
    account = await wait_for_account(database, tenant_a.id)
    assert [a["id"] for a in stripe_fake.accounts_with_metadata("tenant_id", tenant_a.id)] == [account.account_id]


async def test_onboarding_link_before_the_account_exists_is_a_409(
    billing_client: httpx.AsyncClient, operator: OperatorHandle, tenant_b: TenantHandle
) -> None:
    response = await billing_client.post("/admin/v1/billing/onboarding-link", headers=tenant_b.headers)
    assert response.status_code == 409
    assert response.json()["code"] == "connected_account_not_ready"


async def test_tenant_provisioned_through_the_billing_app_gets_its_account(
    billing_client: httpx.AsyncClient, billing_worker: Celery, operator: OperatorHandle, database: Database
) -> None:
    tenant = await provision(billing_client, operator)
    assert (await wait_for_account(database, tenant.id)).account_id.startswith("acct_")


async def test_a_tenants_token_never_reads_another_tenants_billing(
    billing_client: httpx.AsyncClient, billing_tenant: BillingTenant, tenant_b: TenantHandle
) -> None:
    foreign = {**billing_tenant.handle.headers, "x-tenant": tenant_b.slug}
    for response in [
        await billing_client.get("/admin/v1/billing/account", headers=foreign),
        await billing_client.post("/admin/v1/billing/onboarding-link", headers=foreign),
    ]:
        assert response.status_code == 401
        assert response.json()["code"] == "invalid_token"
        assert billing_tenant.account_id not in response.text
