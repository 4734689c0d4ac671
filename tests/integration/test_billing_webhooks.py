"""The Stripe webhook inbox: signatures (with rotation), store-once, tenant-routed processing after commit."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from datetime import timedelta

import httpx
import pytest
from celery import Celery
from sqlalchemy import func, select, update

from billing.models import EventStatus, StripeAccount, StripeEvent
from core import jobs
from core.clock import utcnow
from core.db import Database
from tests.fakes.stripe_server import FakeStripe
from tests.fixtures.auth import OperatorHandle
from tests.fixtures.billing import (
    CONNECT_WEBHOOK_SECRET,
    CONNECT_WEBHOOK_SECRET_NEXT,
    PLATFORM_WEBHOOK_SECRET,
    TIMEOUT,
    BillingTenant,
    event_payload,
    provision,
    signed,
    wait_for_account,
)

CONNECT = "/hooks/stripe/connect"


async def stored(database: Database, event_id: str) -> StripeEvent | None:
    async with database.public_session() as db:
        return await db.scalar(select(StripeEvent).where(StripeEvent.id == event_id))


async def settled(database: Database, event_id: str, *, until: frozenset[EventStatus] | None = None) -> StripeEvent:
    """The stored event once it left ``pending`` (or reached one of ``until``)."""
    wanted = until or frozenset(EventStatus) - {EventStatus.PENDING}
    deadline = time.monotonic() + TIMEOUT
    while True:
        event = await stored(database, event_id)
        if (event is not None and event.status in wanted) or time.monotonic() > deadline:
            assert event is not None
            return event
        await asyncio.sleep(0.05)


async def account_row(database: Database, tenant_id: str) -> StripeAccount:
    async with database.public_session() as db:
        row = await db.scalar(select(StripeAccount).where(StripeAccount.tenant_id == uuid.UUID(tenant_id)))
    assert row is not None
    return row


def event_id_of(payload: bytes) -> str:
    event_id: str = json.loads(payload)["id"]
    return event_id


def account_updated(account_id: str) -> bytes:
    # The snapshot in the event is deliberately stale: handlers re-read the account from Stripe.
    return event_payload("account.updated", account=account_id, data={"id": account_id, "object": "account"})


async def test_account_updated_for_tenant_a_updates_only_tenant_a(
    billing_client: httpx.AsyncClient,
    billing_worker: Celery,
    billing_tenant: BillingTenant,
    operator: OperatorHandle,
    stripe_fake: FakeStripe,
    database: Database,
) -> None:
    other = await provision(billing_client, operator)
    other_before = await wait_for_account(database, other.id)
    stripe_fake.complete_onboarding(billing_tenant.account_id)
    stripe_fake.complete_onboarding(other_before.account_id)  # Stripe changed B too, but no event for B arrives

    payload = account_updated(billing_tenant.account_id)
    response = await billing_client.post(CONNECT, content=payload, headers=signed(payload))
    assert response.status_code == 200, response.text
    assert response.json() == {"received": True, "id": event_id_of(payload), "duplicate": False, "status": "pending"}

    event = await settled(database, event_id_of(payload))
    assert event.status is EventStatus.PROCESSED
    assert str(event.tenant_id) == billing_tenant.handle.id
    assert event.processed_at is not None
    assert event.attempts == 1
    mine = await account_row(database, billing_tenant.handle.id)
    assert (mine.details_submitted, mine.charges_enabled, mine.payouts_enabled) == (True, True, True)
    theirs = await account_row(database, other.id)
    assert (theirs.details_submitted, theirs.charges_enabled, theirs.synced_at) == (
        False,
        False,
        other_before.synced_at,
    )


async def test_bad_signature_stale_timestamp_and_tampered_body_are_refused_and_stored_nowhere(
    billing_client: httpx.AsyncClient, billing_tenant: BillingTenant, database: Database
) -> None:
    payload = account_updated(billing_tenant.account_id)
    tampered = payload.replace(b'"livemode":false', b'"livemode":true')
    assert tampered != payload
    cases = {
        "wrong secret": (payload, signed(payload, "whsec_someone_else")),
        "platform secret on the connect endpoint": (payload, signed(payload, PLATFORM_WEBHOOK_SECRET)),
        "stale timestamp": (payload, signed(payload, timestamp=int(time.time()) - 301)),
        "future timestamp": (payload, signed(payload, timestamp=int(time.time()) + 301)),
        "tampered body": (tampered, signed(payload)),
        "no header": (payload, {"content-type": "application/json"}),
        "malformed header": (payload, {"stripe-signature": "v1=abc,t=notanumber"}),
        "no v1": (payload, {"stripe-signature": f"t={int(time.time())},v0=abc"}),
    }
    for name, (body, headers) in cases.items():
        response = await billing_client.post(CONNECT, content=body, headers=headers)
        assert response.status_code == 400, (name, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "invalid_webhook_signature", name
    assert await stored(database, event_id_of(payload)) is None


async def test_duplicate_event_is_stored_once_and_processed_once(
    billing_client: httpx.AsyncClient, billing_tenant: BillingTenant, stripe_fake: FakeStripe, database: Database
) -> None:
    payload = account_updated(billing_tenant.account_id)
    first = await billing_client.post(CONNECT, content=payload, headers=signed(payload))
    assert first.json()["duplicate"] is False
    await settled(database, event_id_of(payload))
    fetches = len(stripe_fake.requests_to("GET", f"/v1/accounts/{billing_tenant.account_id}"))

    again = await billing_client.post(CONNECT, content=payload, headers=signed(payload))  # Stripe redelivers
    assert again.status_code == 200
    assert again.json() == {"received": True, "id": event_id_of(payload), "duplicate": True, "status": "processed"}
    # Sentinel: one worker runs jobs in order, so once a later event is processed, a second processing
    # job for the duplicate (queued before it) would have run too.
    marker = account_updated(billing_tenant.account_id)
    await billing_client.post(CONNECT, content=marker, headers=signed(marker))
    await settled(database, event_id_of(marker))
    async with database.public_session() as db:
        count = await db.scalar(
            select(func.count()).select_from(StripeEvent).where(StripeEvent.id == event_id_of(payload))
        )
    assert count == 1
    assert (await settled(database, event_id_of(payload))).attempts == 1
    assert (
        len(stripe_fake.requests_to("GET", f"/v1/accounts/{billing_tenant.account_id}")) == fetches + 1
    )  # the marker's


async def test_rotation_window_accepts_both_secrets(
    billing_client: httpx.AsyncClient, billing_tenant: BillingTenant, database: Database
) -> None:
    old, new, both = (account_updated(billing_tenant.account_id) for _ in range(3))
    for body, headers in [
        (old, signed(old, CONNECT_WEBHOOK_SECRET)),
        (new, signed(new, CONNECT_WEBHOOK_SECRET_NEXT)),
        (both, signed(both, "whsec_retired", CONNECT_WEBHOOK_SECRET_NEXT)),  # two v1 values, one of them ours
    ]:
        response = await billing_client.post(CONNECT, content=body, headers=headers)
        assert response.status_code == 200, response.text
    for body in (old, new, both):
        assert (await settled(database, event_id_of(body))).status is EventStatus.PROCESSED


async def test_event_for_an_unknown_account_is_stored_as_unroutable(
    billing_client: httpx.AsyncClient, billing_worker: Celery, database: Database
) -> None:
    payload = account_updated("acct_nobodyknowsme")
    response = await billing_client.post(CONNECT, content=payload, headers=signed(payload))
    assert response.status_code == 200
    assert response.json()["status"] == "unroutable"
    event = await stored(database, event_id_of(payload))
    assert event is not None
    assert (event.status, event.tenant_id, event.account) == (EventStatus.UNROUTABLE, None, "acct_nobodyknowsme")
    assert event.payload["type"] == "account.updated"


async def test_unknown_types_and_platform_events_are_stored_and_ignored(
    billing_client: httpx.AsyncClient, billing_tenant: BillingTenant, database: Database
) -> None:
    unknown = event_payload("payout.paid", account=billing_tenant.account_id, data={"id": "po_1", "object": "payout"})
    platform = event_payload("balance.available", account=None, data={"object": "balance"})
    first = await billing_client.post(CONNECT, content=unknown, headers=signed(unknown))
    second = await billing_client.post(
        "/hooks/stripe/platform", content=platform, headers=signed(platform, PLATFORM_WEBHOOK_SECRET)
    )
    assert (first.json()["status"], second.json()["status"]) == ("ignored", "ignored")
    refused = await billing_client.post("/hooks/stripe/platform", content=platform, headers=signed(platform))
    assert refused.status_code == 400  # the Connect secret does not sign platform events
    for body in (unknown, platform):
        event = await stored(database, event_id_of(body))
        assert event is not None
        assert event.status is EventStatus.IGNORED


async def test_not_an_event_is_a_400_even_when_signed(billing_client: httpx.AsyncClient) -> None:
    for body in [b"not json", b"[]", b'{"id": "evt_1", "type": "account.updated"}']:
        response = await billing_client.post(CONNECT, content=body, headers=signed(body))
        assert response.status_code == 400
        assert response.json()["code"] == "invalid_webhook_payload"


async def test_capability_updated_and_deauthorization_are_applied_in_any_order(
    billing_client: httpx.AsyncClient, billing_tenant: BillingTenant, stripe_fake: FakeStripe, database: Database
) -> None:
    account_id = billing_tenant.account_id
    stripe_fake.update_account(account_id, capabilities={"card_payments": "active", "transfers": "pending"})
    capability = event_payload(
        "capability.updated",
        account=account_id,
        data={"id": "card_payments", "object": "capability", "account": account_id},
    )
    await billing_client.post(CONNECT, content=capability, headers=signed(capability))
    assert (await settled(database, event_id_of(capability))).status is EventStatus.PROCESSED
    assert (await account_row(database, billing_tenant.handle.id)).capabilities == {
        "card_payments": "active",
        "transfers": "pending",
    }

    stripe_fake.deauthorize(account_id)
    deauthorized = event_payload(
        "account.application.deauthorized", account=account_id, data={"id": "ca_platform", "object": "application"}
    )
    late_update = account_updated(account_id)  # sent before the deauthorization, delivered after it
    for body in (deauthorized, late_update):
        response = await billing_client.post(CONNECT, content=body, headers=signed(body))
        assert response.status_code == 200
        assert (await settled(database, event_id_of(body))).status is EventStatus.PROCESSED
    row = await account_row(database, billing_tenant.handle.id)
    assert row.deauthorized_at is not None
    assert (row.charges_enabled, row.payouts_enabled) == (False, False)
    status = await billing_client.get("/admin/v1/billing/account", headers=billing_tenant.handle.headers)
    assert status.json()["status"] == "deauthorized"


async def test_processing_failures_retry_and_stay_visible(
    billing_client: httpx.AsyncClient, billing_tenant: BillingTenant, stripe_fake: FakeStripe, database: Database
) -> None:
    stripe_fake.complete_onboarding(billing_tenant.account_id)
    stripe_fake.fail_next(f"/v1/accounts/{billing_tenant.account_id}")  # the first re-fetch meets a Stripe 500
    payload = account_updated(billing_tenant.account_id)
    await billing_client.post(CONNECT, content=payload, headers=signed(payload))
    event = await settled(database, event_id_of(payload))
    assert event.status is EventStatus.PROCESSED
    assert event.attempts == 2  # one failed attempt, then the retry
    assert event.last_error is None
    assert (await account_row(database, billing_tenant.handle.id)).charges_enabled is True

    # Stripe refuses for good (the account left the platform without us hearing): failed, with the error.
    stripe_fake.deauthorize(billing_tenant.account_id)
    refused = account_updated(billing_tenant.account_id)
    await billing_client.post(CONNECT, content=refused, headers=signed(refused))
    failed = await settled(database, event_id_of(refused))
    assert failed.status is EventStatus.FAILED
    assert failed.attempts == 1
    assert failed.last_error is not None
    assert "StripeRequestFailed" in failed.last_error


async def test_sweep_requeues_events_whose_job_was_lost(
    billing_worker: Celery, billing_tenant: BillingTenant, stripe_fake: FakeStripe, database: Database
) -> None:
    event_id = f"evt_lost_{uuid.uuid4().hex[:12]}"
    async with database.public_session() as db:
        db.add(
            StripeEvent(
                id=event_id,
                endpoint="connect",
                type="account.updated",
                account=billing_tenant.account_id,
                tenant_id=uuid.UUID(billing_tenant.handle.id),
                payload={"id": event_id},
                status=EventStatus.PENDING,
                attempts=0,
            )
        )
        await db.commit()
        await db.execute(
            update(StripeEvent).where(StripeEvent.id == event_id).values(received_at=utcnow() - timedelta(hours=1))
        )
        await db.commit()
    stripe_fake.complete_onboarding(billing_tenant.account_id)
    requeued = billing_worker.send_task("billing.retry_pending_events").get(timeout=TIMEOUT)
    assert requeued >= 1
    assert (await settled(database, event_id)).status is EventStatus.PROCESSED
    assert (await account_row(database, billing_tenant.handle.id)).charges_enabled is True


async def test_a_tenant_session_never_queues_work_for_another_tenant(
    database: Database, billing_tenant: BillingTenant
) -> None:
    async with database.scoped_session(
        billing_tenant.handle.schema_name, tenant_id=uuid.UUID(billing_tenant.handle.id)
    ) as db:
        with pytest.raises(ValueError, match="queued for tenant"):
            jobs.enqueue(db, "billing.process_event", for_tenant=uuid.uuid4(), event_id="evt_x")
        same = jobs.enqueue(db, "tests.noop", for_tenant=uuid.UUID(billing_tenant.handle.id))
        assert str(same.tenant_id) == billing_tenant.handle.id
        await db.rollback()
