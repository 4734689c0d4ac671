"""Refunds: never more than was paid, even under concurrent requests; one Stripe refund per request however often
it is retried; the outcome from Stripe's answer and from its webhooks (duplicated, reordered); disputes."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from celery import Celery
from sqlalchemy import select

from auth.principals import Principal, PrincipalKind
from billing.gateway import StripeGateway
from billing.payments.models import Payment, Refund
from commerce.orders import refunds
from commerce.orders.schemas import RefundCreate
from core.clock import utcnow
from core.db import Database
from core.settings import Settings
from tenants.context import tenant_session
from tests.fakes.stripe_server import EventEmitter, FakeStripe
from tests.fixtures.billing import CONNECT_WEBHOOK_SECRET, BillingTenant
from tests.fixtures.inventory import MakeLocation, MakeVariant
from tests.fixtures.orders import LineSpec, MakePaidOrder, PaidOrder, stock_of
from tests.fixtures.workers import context_of

TIMEOUT = 20.0


def refund_headers(order: PaidOrder, key: str | None = None) -> dict[str, str]:
    return {**order.headers, "idempotency-key": key or str(uuid.uuid4())}


async def refund(
    client: httpx.AsyncClient, order: PaidOrder, body: dict[str, Any], key: str | None = None
) -> httpx.Response:
    return await client.post(f"/admin/v1/orders/{order.id}/refunds", json=body, headers=refund_headers(order, key))


async def ledger(database: Database, order: PaidOrder) -> tuple[Payment, list[Refund]]:
    async with database.scoped_session(order.tenant.handle.schema_name) as db:
        payment = await db.scalar(select(Payment).where(Payment.id == order.payment_id))
        refunds = list(await db.scalars(select(Refund).where(Refund.order_id == order.id)))
        assert payment is not None
        return payment, refunds


async def test_concurrent_refunds_never_refund_more_than_was_paid(
    orders_client: httpx.AsyncClient,
    chargeable_tenant: BillingTenant,
    make_paid_order: MakePaidOrder,
    stripe_fake: FakeStripe,
    database: Database,
) -> None:
    order = await make_paid_order(chargeable_tenant, [LineSpec(None, 1, 10_000)])
    # Twelve requests of 30% each (different keys), all at once: exactly three fit in what was paid.
    responses = await asyncio.gather(*(refund(orders_client, order, {"amount": 3_000}) for _ in range(12)))

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201] * 3 + [409] * 9, [r.text for r in responses]
    refused = [r.json() for r in responses if r.status_code == 409]
    assert {problem["code"] for problem in refused} == {"refund_exceeds_refundable"}
    payment, refunds = await ledger(database, order)
    held = sum(r.amount for r in refunds if r.status.value in ("pending", "succeeded"))
    assert held <= payment.amount_received == 10_000
    assert [r.status.value for r in refunds] == ["succeeded"] * 3
    assert payment.amount_refunded == 9_000
    assert len(stripe_fake.created("refund", account=chargeable_tenant.account_id)) >= 3
    stripe_refunds = {r.stripe_refund_id for r in refunds}
    assert len(stripe_refunds) == 3
    charge = stripe_fake.charge(stripe_fake.payment_intent(order.intent_id)["latest_charge"])
    assert charge["amount_refunded"] == 9_000

    detail = (await orders_client.get(f"/admin/v1/orders/{order.id}", headers=order.headers)).json()
    assert detail["payment_status"] == "partially_refunded"
    assert detail["payment_summary"] == {
        "received": 10_000,
        "refunded": 9_000,
        "refunds_pending": 0,
        "refundable": 1_000,
        "disputed": False,
    }
    assert [entry["kind"] for entry in detail["timeline"]].count("refunded") == 3


async def test_a_refund_retried_with_its_key_refunds_once(
    orders_client: httpx.AsyncClient,
    chargeable_tenant: BillingTenant,
    make_paid_order: MakePaidOrder,
    stripe_fake: FakeStripe,
    database: Database,
) -> None:
    order = await make_paid_order(chargeable_tenant, [LineSpec(None, 2, 2_500)])
    key = str(uuid.uuid4())
    before = len(stripe_fake.created("refund", account=chargeable_tenant.account_id))

    first = await refund(orders_client, order, {"amount": 1_000, "reason": "requested_by_customer"}, key)
    # Retries with the same key: one after the other, then several at once.
    again = await refund(orders_client, order, {"amount": 1_000, "reason": "requested_by_customer"}, key)
    concurrent = await asyncio.gather(
        *(refund(orders_client, order, {"amount": 1_000, "reason": "requested_by_customer"}, key) for _ in range(5))
    )

    assert first.status_code == 201, first.text
    assert again.status_code in (200, 201), again.text
    assert again.json()["id"] == first.json()["id"]
    for response in concurrent:
        assert response.status_code in (200, 201, 409), response.text
        if response.status_code != 409:  # 409: the idempotency layer saw the key in flight
            assert response.json()["id"] == first.json()["id"]
    after = len(stripe_fake.created("refund", account=chargeable_tenant.account_id))
    assert after - before == 1
    payment, refunds = await ledger(database, order)
    assert [(r.amount, r.status.value) for r in refunds] == [(1_000, "succeeded")]
    assert payment.amount_refunded == 1_000


async def test_a_refund_without_an_idempotency_key_is_refused(
    orders_client: httpx.AsyncClient, chargeable_tenant: BillingTenant, make_paid_order: MakePaidOrder
) -> None:
    order = await make_paid_order(chargeable_tenant, [LineSpec(None, 1, 1_000)])
    response = await orders_client.post(
        f"/admin/v1/orders/{order.id}/refunds", json={"amount": 100}, headers=order.headers
    )
    assert response.status_code == 400
    assert response.json()["code"] == "idempotency_key_required"


async def stock_and_order(
    client: httpx.AsyncClient,
    tenant: BillingTenant,
    make_paid_order: MakePaidOrder,
    make_variant: MakeVariant,
    make_location: MakeLocation,
    *,
    on_hand: int,
    quantity: int,
    **order: Any,
) -> tuple[uuid.UUID, str, PaidOrder]:
    """A variant with ``on_hand`` units at a new location, and a paid order of ``quantity`` committed there."""
    variant = await make_variant(tenant.handle)
    location = await make_location(tenant.handle)
    adjusted = await client.post(
        "/admin/v1/inventory-levels/adjust",
        json={"variant_id": str(variant), "location_id": location["id"], "delta": on_hand, "reason": "received"},
        headers=tenant.handle.headers,
    )
    assert adjusted.status_code == 200, adjusted.text
    paid = await make_paid_order(
        tenant, [LineSpec(variant, quantity, 1_000)], commit_at=uuid.UUID(location["id"]), **order
    )
    return variant, location["id"], paid


async def test_a_refund_of_shipped_lines_restocks_and_gives_the_fee_share_back(
    orders_client: httpx.AsyncClient,
    chargeable_tenant: BillingTenant,
    make_paid_order: MakePaidOrder,
    make_variant: MakeVariant,
    make_location: MakeLocation,
    database: Database,
) -> None:
    tenant = chargeable_tenant.handle
    variant, location, order = await stock_and_order(
        orders_client,
        chargeable_tenant,
        make_paid_order,
        make_variant,
        make_location,
        on_hand=5,
        quantity=3,
        shipping_total=600,
        application_fee=360,
    )
    shipped = await orders_client.post(
        f"/admin/v1/orders/{order.id}/fulfillments", json={"location_id": location}, headers=order.headers
    )
    assert shipped.status_code == 201, shipped.text
    assert (await stock_of(orders_client, tenant, variant))["on_hand"] == 2
    body = {
        "lines": [{"order_line_id": str(order.line_ids[0]), "quantity": 2}],
        "shipping_amount": 600,
        "reason": "requested_by_customer",
        "restock_location_id": location,
    }
    response = await refund(orders_client, order, body)

    assert response.status_code == 201, response.text
    created = response.json()
    assert created["amount"] == 2_600
    assert created["status"] == "succeeded"
    assert created["lines"] == [{"order_line_id": str(order.line_ids[0]), "quantity": 2, "amount": 2_000}]
    level = await stock_of(orders_client, tenant, variant)
    assert (level["on_hand"], level["committed"]) == (4, 0)  # the two returned units are back on the shelf
    payment, _ = await ledger(database, order)
    # 2,600 of 3,600 refunded with the fee: 360 * 2600 / 3600 = 260.
    assert (payment.amount_refunded, payment.application_fee_refunded) == (2_600, 260)

    # The third unit is the last one left: asking for two is refused, one is refunded to the cent.
    too_many = await refund(orders_client, order, {"lines": [{"order_line_id": str(order.line_ids[0]), "quantity": 2}]})
    assert too_many.status_code == 409
    assert too_many.json()["code"] == "refund_quantity_exceeded"
    last = await refund(orders_client, order, {"lines": [{"order_line_id": str(order.line_ids[0]), "quantity": 1}]})
    assert last.status_code == 201, last.text
    detail = (await orders_client.get(f"/admin/v1/orders/{order.id}", headers=order.headers)).json()
    assert detail["payment_status"] == "refunded"
    assert detail["lines"][0]["refunded_quantity"] == 3
    assert detail["refunds"][-1]["amount"] == 1_000
    assert (await stock_of(orders_client, tenant, variant))["on_hand"] == 4  # no restock asked for the last one


async def test_refunding_units_not_yet_shipped_releases_their_commitment(
    orders_client: httpx.AsyncClient,
    chargeable_tenant: BillingTenant,
    make_paid_order: MakePaidOrder,
    make_variant: MakeVariant,
    make_location: MakeLocation,
) -> None:
    tenant = chargeable_tenant.handle
    variant, location, order = await stock_and_order(
        orders_client, chargeable_tenant, make_paid_order, make_variant, make_location, on_hand=5, quantity=3
    )
    body = {"lines": [{"order_line_id": str(order.line_ids[0]), "quantity": 1}], "restock_location_id": location}
    response = await refund(orders_client, order, body)
    assert response.status_code == 201, response.text
    level = await stock_of(orders_client, tenant, variant)
    # Never shipped: nothing comes back on hand; the order no longer owes it, so its promise is released.
    assert (level["on_hand"], level["committed"], level["available"]) == (5, 2, 3)

    rest = await orders_client.post(
        f"/admin/v1/orders/{order.id}/fulfillments", json={"location_id": location}, headers=order.headers
    )
    assert rest.status_code == 201, rest.text
    assert rest.json()["lines"] == [{"order_line_id": str(order.line_ids[0]), "quantity": 2}]
    level = await stock_of(orders_client, tenant, variant)
    assert (level["on_hand"], level["committed"], level["available"]) == (3, 0, 3)
    detail = (await orders_client.get(f"/admin/v1/orders/{order.id}", headers=order.headers)).json()
    assert (detail["fulfillment_status"], detail["payment_status"]) == ("fulfilled", "partially_refunded")


async def test_stripe_refusing_a_refund_frees_its_amount(
    orders_client: httpx.AsyncClient,
    chargeable_tenant: BillingTenant,
    make_paid_order: MakePaidOrder,
    stripe_fake: FakeStripe,
    database: Database,
) -> None:
    order = await make_paid_order(chargeable_tenant, [LineSpec(None, 1, 5_000)])
    stripe_fake.fail_next("/v1/refunds", status=400)

    failed = await refund(orders_client, order, {"amount": 5_000})
    retried = await refund(orders_client, order, {"amount": 5_000})

    assert failed.status_code == 201, failed.text
    assert failed.json()["status"] == "failed"
    assert retried.status_code == 201, retried.text
    assert retried.json()["status"] == "succeeded"
    payment, refunds = await ledger(database, order)
    assert sorted(r.status.value for r in refunds) == ["failed", "succeeded"]
    assert payment.amount_refunded == 5_000


async def test_an_order_without_money_received_has_nothing_to_refund(
    orders_client: httpx.AsyncClient, chargeable_tenant: BillingTenant, make_paid_order: MakePaidOrder
) -> None:
    order = await make_paid_order(chargeable_tenant, [LineSpec(None, 1, 5_000)], pay=False)
    response = await refund(orders_client, order, {"amount": 100})
    assert response.status_code == 409
    assert response.json()["code"] == "order_not_paid"


async def deliver_held(client: httpx.AsyncClient, events: EventEmitter, *, reverse: bool = False) -> list[str]:
    """Post the fake's held events to our Connect endpoint (signed as Stripe signs them); their types."""
    taken = events.take()
    if reverse:
        taken = list(reversed(taken))
    types = []
    for payload, headers in taken:
        response = await client.post("/hooks/stripe/connect", content=payload, headers=headers)
        assert response.status_code == 200, response.text
        types.append(response.json()["id"])
    return types


async def wait_for(predicate: Any, database: Database, order: PaidOrder) -> tuple[Payment, list[Refund]]:
    deadline = asyncio.get_running_loop().time() + TIMEOUT
    while True:
        payment, refunds = await ledger(database, order)
        if predicate(payment, refunds) or asyncio.get_running_loop().time() > deadline:
            return payment, refunds
        await asyncio.sleep(0.05)


@pytest.mark.parametrize("reverse", [False, True], ids=["in-order", "reordered"])
async def test_a_pending_refund_settles_through_webhooks_duplicated_or_reordered(
    reverse: bool,
    orders_client: httpx.AsyncClient,
    chargeable_tenant: BillingTenant,
    make_paid_order: MakePaidOrder,
    stripe_fake: FakeStripe,
    stripe_events: EventEmitter,
    celery_worker: Celery,
    database: Database,
) -> None:
    stripe_events.configure(connect_url="http://unused.invalid/", connect_secret=CONNECT_WEBHOOK_SECRET, hold=True)
    order = await make_paid_order(chargeable_tenant, [LineSpec(None, 1, 4_000)])
    stripe_fake.next_refunds("pending")
    response = await refund(orders_client, order, {"amount": 4_000})
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "pending"
    stripe_refund_id = response.json()["stripe_refund_id"]

    stripe_fake.settle_refund(stripe_refund_id, "succeeded")
    stripe_events.configure(duplicate=True)
    await deliver_held(orders_client, stripe_events, reverse=reverse)

    payment, refunds = await wait_for(lambda p, rs: [r.status.value for r in rs] == ["succeeded"], database, order)
    assert [r.status.value for r in refunds] == ["succeeded"]
    assert payment.amount_refunded == 4_000
    detail = (await orders_client.get(f"/admin/v1/orders/{order.id}", headers=order.headers)).json()
    assert detail["payment_status"] == "refunded"
    assert [entry["kind"] for entry in detail["timeline"]].count("refunded") == 1


async def test_a_refund_failing_later_frees_its_amount_again(
    orders_client: httpx.AsyncClient,
    chargeable_tenant: BillingTenant,
    make_paid_order: MakePaidOrder,
    stripe_fake: FakeStripe,
    stripe_events: EventEmitter,
    celery_worker: Celery,
    database: Database,
) -> None:
    stripe_events.configure(connect_url="http://unused.invalid/", connect_secret=CONNECT_WEBHOOK_SECRET, hold=True)
    order = await make_paid_order(chargeable_tenant, [LineSpec(None, 1, 4_000)])
    stripe_fake.next_refunds("pending")
    response = await refund(orders_client, order, {"amount": 4_000})
    held = await refund(orders_client, order, {"amount": 1})
    assert held.status_code == 409  # the pending refund holds everything

    stripe_fake.settle_refund(response.json()["stripe_refund_id"], "failed")
    await deliver_held(orders_client, stripe_events)
    payment, refunds = await wait_for(lambda p, rs: rs[0].status.value == "failed", database, order)

    assert refunds[0].status.value == "failed"
    assert payment.amount_refunded == 0
    stripe_events.reset()
    again = await refund(orders_client, order, {"amount": 4_000})
    assert again.status_code == 201, again.text
    assert again.json()["status"] == "succeeded"


async def test_a_dispute_marks_the_payment_and_the_timeline(
    orders_client: httpx.AsyncClient,
    chargeable_tenant: BillingTenant,
    make_paid_order: MakePaidOrder,
    stripe_fake: FakeStripe,
    stripe_events: EventEmitter,
    celery_worker: Celery,
    database: Database,
) -> None:
    stripe_events.configure(connect_url="http://unused.invalid/", connect_secret=CONNECT_WEBHOOK_SECRET, hold=True)
    order = await make_paid_order(chargeable_tenant, [LineSpec(None, 1, 4_000)])
    stripe_fake.dispute(order.intent_id)
    await deliver_held(orders_client, stripe_events)

    payment, _ = await wait_for(lambda p, rs: p.disputed, database, order)
    assert payment.disputed
    detail = (await orders_client.get(f"/admin/v1/orders/{order.id}", headers=order.headers)).json()
    assert "disputed" in [entry["kind"] for entry in detail["timeline"]]
    assert detail["payments"][0]["disputed"] is True


async def test_a_refund_committed_but_never_sent_is_sent_by_the_sweep_once(
    chargeable_tenant: BillingTenant,
    make_paid_order: MakePaidOrder,
    stripe_fake: FakeStripe,
    billing_settings: Settings,
    database: Database,
) -> None:
    """Phase 1 committed, then the process died before calling Stripe: the sweep sends it, under its key."""
    order = await make_paid_order(chargeable_tenant, [LineSpec(None, 1, 2_000)])
    context = await context_of(database, chargeable_tenant.handle)
    staff = Principal(PrincipalKind.STAFF, uuid.uuid4(), frozenset({"orders:write"}))
    async with tenant_session(database, context, tenant_role=False) as db:
        pending = await refunds.request_refund(
            db,
            order.id,
            RefundCreate(amount=1_500),
            idempotency_key="crashed",
            refund_application_fee=True,
            if_match=None,
            actor=staff,
        )
        await db.commit()
    gateway = StripeGateway(billing_settings.stripe)
    try:
        for _ in range(2):  # two sweeps (or two workers): one Stripe refund
            async with tenant_session(database, context, tenant_role=False) as db:
                await refunds.resubmit_unacknowledged(db, gateway, older_than=utcnow() + timedelta(minutes=1))
                await db.commit()
    finally:
        await gateway.aclose()

    payment, rows = await ledger(database, order)
    assert [(r.id, r.status.value) for r in rows] == [(pending.id, "succeeded")]
    assert payment.amount_refunded == 1_500
    assert stripe_fake.refunds_created(idempotency_key=f"refund-{pending.id}") == 1


async def test_a_refund_made_in_the_stripe_dashboard_joins_the_ledger(
    orders_client: httpx.AsyncClient,
    chargeable_tenant: BillingTenant,
    make_paid_order: MakePaidOrder,
    stripe_events: EventEmitter,
    billing_settings: Settings,
    celery_worker: Celery,
    database: Database,
) -> None:
    stripe_events.configure(connect_url="http://unused.invalid/", connect_secret=CONNECT_WEBHOOK_SECRET, hold=True)
    order = await make_paid_order(chargeable_tenant, [LineSpec(None, 1, 3_000)])
    gateway = StripeGateway(billing_settings.stripe)
    try:  # the merchant refunds in Stripe's dashboard: we learn it from the webhooks only
        await gateway.create_refund(
            chargeable_tenant.account_id,
            payment_intent=order.intent_id,
            amount=1_000,
            refund_application_fee=False,
            reason=None,
            metadata={},
            idempotency_key=str(uuid.uuid4()),
        )
    finally:
        await gateway.aclose()
    await deliver_held(orders_client, stripe_events)

    payment, refunds_ = await wait_for(lambda p, rs: p.amount_refunded == 1_000, database, order)
    assert [(r.amount, r.status.value, r.note) for r in refunds_] == [(1_000, "succeeded", "Made in Stripe")]
    assert payment.amount_refunded == 1_000
    # What is left to refund through the API accounts for it.
    too_much = await refund(orders_client, order, {"amount": 2_001})
    assert too_much.status_code == 409
    rest = await refund(orders_client, order, {"amount": 2_000})
    assert rest.status_code == 201, rest.text


async def test_a_cancel_racing_refunds_never_refunds_more_than_was_paid(
    orders_client: httpx.AsyncClient,
    chargeable_tenant: BillingTenant,
    make_paid_order: MakePaidOrder,
    stripe_fake: FakeStripe,
    database: Database,
) -> None:
    order = await make_paid_order(chargeable_tenant, [LineSpec(None, 1, 10_000)])
    cancel = orders_client.post(f"/admin/v1/orders/{order.id}/cancel", json={}, headers=order.headers)
    responses = await asyncio.gather(cancel, *(refund(orders_client, order, {"amount": 4_000}) for _ in range(3)))

    assert responses[0].status_code == 200, responses[0].text
    payment, rows = await ledger(database, order)
    assert sum(r.amount for r in rows if r.status.value in ("pending", "succeeded")) == 10_000
    assert payment.amount_refunded == 10_000
    charge = stripe_fake.charge(stripe_fake.payment_intent(order.intent_id)["latest_charge"])
    assert charge["amount_refunded"] == 10_000
