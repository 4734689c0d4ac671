"""No Stripe secret key or webhook signing secret ever reaches a log record or a response."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import httpx
import pytest
from celery import Celery

from billing.models import EventStatus
from core.db import Database
from core.settings import Settings
from tests.fakes.stripe_server import FakeStripe
from tests.fixtures.auth import OperatorHandle
from tests.fixtures.billing import (
    CONNECT_WEBHOOK_SECRET,
    CONNECT_WEBHOOK_SECRET_NEXT,
    PLATFORM_WEBHOOK_SECRET,
    STRIPE_SECRET_KEY,
    event_payload,
    provision,
    signed,
    wait_for_account,
)
from tests.integration.test_billing_webhooks import settled

SECRETS = (STRIPE_SECRET_KEY, PLATFORM_WEBHOOK_SECRET, CONNECT_WEBHOOK_SECRET, CONNECT_WEBHOOK_SECRET_NEXT)


def _local(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


async def test_no_secret_is_logged_or_returned(
    caplog: pytest.LogCaptureFixture,
    billing_client: httpx.AsyncClient,
    billing_worker: Celery,
    billing_settings: Settings,
    operator: OperatorHandle,
    stripe_fake: FakeStripe,
    database: Database,
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, the SDK's and the worker thread's included
    responses: list[httpx.Response] = []

    tenant = await provision(billing_client, operator)  # queues the account creation: the worker calls Stripe
    account = await wait_for_account(database, tenant.id)
    responses.append(await billing_client.get("/admin/v1/billing/account", headers=tenant.headers))
    responses.append(await billing_client.post("/admin/v1/billing/onboarding-link", headers=tenant.headers))
    link = stripe_fake.state.links[-1]
    responses.append(await billing_client.get(_local(link["return_url"])))
    responses.append(await billing_client.get(_local(link["refresh_url"])))
    responses.append(await billing_client.get(f"/platform/v1/tenants/{tenant.id}/billing", headers=operator.headers))
    stripe_fake.fail_next("/v1/accounts/")
    responses.append(
        await billing_client.post(f"/platform/v1/tenants/{tenant.id}/billing/sync", headers=operator.headers)
    )

    payload = event_payload("account.updated", account=account.account_id, data={"id": account.account_id})
    responses.append(await billing_client.post("/hooks/stripe/connect", content=payload, headers=signed(payload)))
    responses.append(await billing_client.post("/hooks/stripe/connect", content=payload, headers=signed(payload)))
    responses.append(
        await billing_client.post(
            "/hooks/stripe/connect", content=payload, headers=signed(payload, PLATFORM_WEBHOOK_SECRET)
        )
    )
    assert (await settled(database, responses[-3].json()["id"])).status is EventStatus.PROCESSED

    assert [r.status_code for r in responses] == [200, 201, 303, 303, 200, 503, 200, 200, 400]
    assert any(record.name.startswith("stripe") for record in caplog.records), "the SDK's own logs must be captured"
    exposed = [
        caplog.text,
        *(repr(record.__dict__) for record in caplog.records),
        *(r.text + repr(dict(r.headers)) for r in responses),
        repr(billing_settings),
        billing_settings.model_dump_json(),
    ]
    for secret in SECRETS:
        for text in exposed:
            assert secret not in text
