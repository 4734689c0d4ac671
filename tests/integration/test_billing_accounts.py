"""Connected accounts: created once per tenant by a job, whatever retries or re-runs; billing visibly off without Stripe."""

from __future__ import annotations

import uuid

import httpx
from celery import Celery
from sqlalchemy import delete, func, select

from billing.gateway import account_create_key
from billing.models import StripeAccount
from core.db import Database
from tests.fakes.stripe_server import FakeStripe
from tests.fixtures.auth import OperatorHandle
from tests.fixtures.billing import TIMEOUT, BillingTenant, provision, wait_for_account
from tests.fixtures.tenants import TenantHandle
from tests.fixtures.workers import context_of, send


async def _rows(database: Database, tenant_id: str) -> list[StripeAccount]:
    async with database.public_session() as db:
        return list(await db.scalars(select(StripeAccount).where(StripeAccount.tenant_id == uuid.UUID(tenant_id))))


async def test_provisioning_creates_one_connected_account_described_by_controller_properties(
    billing_tenant: BillingTenant, stripe_fake: FakeStripe, database: Database
) -> None:
    tenant = billing_tenant.handle
    [created] = stripe_fake.accounts_with_metadata("tenant_id", tenant.id)
    assert created["id"] == billing_tenant.account_id
    assert created["controller"] == {
        "stripe_dashboard": {"type": "full"},
        "fees": {"payer": "account"},
        "losses": {"payments": "stripe"},
    }
    assert set(created["capabilities"]) == {"card_payments", "transfers"}
    [request] = [
        r for r in stripe_fake.requests_to("POST", "/v1/accounts") if r.params["metadata"]["tenant_id"] == tenant.id
    ]
    assert request.idempotency_key == account_create_key(tenant.id)
    [row] = await _rows(database, tenant.id)
    assert row.account_id == created["id"]
    assert row.details_submitted is False
    assert "external_account" in row.requirements_due


async def test_a_retried_creation_reuses_its_idempotency_key_and_creates_one_account(
    billing_client: httpx.AsyncClient,
    billing_worker: Celery,
    operator: OperatorHandle,
    stripe_fake: FakeStripe,
    database: Database,
) -> None:
    stripe_fake.fail_next("/v1/accounts")  # the job's first attempt meets a Stripe 500: a retryable failure
    tenant = await provision(billing_client, operator)
    account = await wait_for_account(database, tenant.id)
    attempts = [
        r for r in stripe_fake.requests_to("POST", "/v1/accounts") if r.idempotency_key == account_create_key(tenant.id)
    ]
    assert [r.status for r in attempts] == [500, 200]
    assert len(stripe_fake.accounts_with_metadata("tenant_id", tenant.id)) == 1
    assert [r.account_id for r in await _rows(database, tenant.id)] == [account.account_id]


async def test_running_the_job_twice_or_after_a_lost_commit_never_creates_a_second_account(
    billing_worker: Celery, billing_tenant: BillingTenant, stripe_fake: FakeStripe, database: Database
) -> None:
    tenant = billing_tenant.handle
    headers_tenant = await context_of(database, tenant)
    again = send(billing_worker, "billing.create_connected_account", headers_tenant)
    assert again.get(timeout=TIMEOUT) == billing_tenant.account_id
    # As if Stripe had created the account but our commit was lost: the row is gone, the key replays.
    async with database.public_session() as db:
        await db.execute(delete(StripeAccount).where(StripeAccount.tenant_id == uuid.UUID(tenant.id)))
        await db.commit()
    replayed = send(billing_worker, "billing.create_connected_account", headers_tenant)
    assert replayed.get(timeout=TIMEOUT) == billing_tenant.account_id
    assert len(stripe_fake.accounts_with_metadata("tenant_id", tenant.id)) == 1
    assert any(
        r.replayed
        for r in stripe_fake.requests_to("POST", "/v1/accounts")
        if r.idempotency_key == account_create_key(tenant.id)
    )
    async with database.public_session() as db:
        count = await db.scalar(
            select(func.count()).select_from(StripeAccount).where(StripeAccount.tenant_id == uuid.UUID(tenant.id))
        )
    assert count == 1


async def test_without_stripe_provisioning_succeeds_and_billing_answers_not_configured(
    client: httpx.AsyncClient, operator: OperatorHandle, tenant_a: TenantHandle, stripe_fake: FakeStripe
) -> None:
    assert stripe_fake.accounts_with_metadata("tenant_id", tenant_a.id) == []
    for response in [
        await client.get("/admin/v1/billing/account", headers=tenant_a.headers),
        await client.post("/admin/v1/billing/onboarding-link", headers=tenant_a.headers),
        await client.get(f"/platform/v1/tenants/{tenant_a.id}/billing", headers=operator.headers),
        await client.post(f"/platform/v1/tenants/{tenant_a.id}/billing/sync", headers=operator.headers),
        await client.post("/hooks/stripe/connect", content=b"{}", headers={"stripe-signature": "t=1,v1=x"}),
    ]:
        assert response.status_code == 503, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "billing_not_configured"
